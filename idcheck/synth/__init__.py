"""Synthetic ICAO 9303 documents and photos of them, with ground truth, for training and benchmarks.

Not imported by the runtime pipeline. Pieces (each usable alone):

- :mod:`.identity`: random holders and documents, ages spread around the 18th birthday, truth.
- :mod:`.render`: Pillow pages with security-print patterns and an OCR-B MRZ at ICAO geometry;
  :func:`render_mrz_lines` draws a clean MRZ strip with per-character boxes (for recogniser training).
- :mod:`.camera`: background, perspective, rotation, light, glare, blur, noise; levels easy/medium/hard.
- :mod:`.dataset`: one sample (JPEG bytes + truth) per ``(seed, index)``; sets written to disk.

Command line: ``python -m idcheck.synth --out DIR --count 300 --seed 0``.
"""

from __future__ import annotations

from .camera import LEVELS
from .dataset import Sample, make_sample, write_set
from .identity import DEFAULT_TODAY, FORMATS, Document, random_document
from .render import CharBox, render_document, render_mrz_lines

__all__ = [
    "DEFAULT_TODAY",
    "FORMATS",
    "LEVELS",
    "CharBox",
    "Document",
    "Sample",
    "make_sample",
    "random_document",
    "render_document",
    "render_mrz_lines",
    "write_set",
]
