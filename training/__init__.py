"""Training tools for the native MRZ character classifier (not part of the installed package).

``python -m training.train_native`` renders synthetic OCR-B lines (:mod:`training.render`), trains a
small CNN with PyTorch and exports ``models/mrz_char.onnx`` plus ``models/manifest.json``.
PyTorch is needed here only; the run-time engine (``idcheck.ocr.native``) uses OpenCV's DNN module.
"""
