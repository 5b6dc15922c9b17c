"""Accuracy and speed benchmarks for idcheck's engines, side by side on the same images.

``python -m benchmarks run --set DIR --engines native,tesseract,passporteye`` prints tables and writes
``benchmarks/results/<set>.md``, PNG plots and a per-image JSONL; ``python -m benchmarks make-set``
writes a synthetic set with :mod:`idcheck.synth`. Sets: :mod:`benchmarks.sets`; metrics:
:mod:`benchmarks.metrics`.
"""
