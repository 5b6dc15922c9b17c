"""The small protocols engines implement: per-character, per-line or whole-image.

A character recogniser classifies the character cells cut by :func:`idcheck.ocr.cells.cell_windows`; the decoder
downstream combines the per-character probabilities with the MRZ grammar and check digits.
"""

from __future__ import annotations

from typing import Protocol, runtime_checkable

import numpy as np


@runtime_checkable
class CharRecogniser(Protocol):
    """Per-character probabilities for a batch of cell windows."""

    name: str

    def classify(self, windows: np.ndarray) -> np.ndarray:
        """``(N, CELL_H, CELL_W)`` uint8 windows -> ``(N, len(CHARSET))`` float32 probabilities.

        Columns follow :data:`idcheck.ocr.cells.CHARSET`; every row sums to 1. ``N`` may be 0.
        """
        ...


@runtime_checkable
class LineReader(Protocol):
    """Text per rectified line strip (OCR engines such as Tesseract); decoded by idcheck.mrz.repair."""

    name: str

    def read_lines(self, strips: list[np.ndarray]) -> list[str]:
        """One string per strip, ``""`` where nothing was read."""
        ...


@runtime_checkable
class ImageReader(Protocol):
    """MRZ text from a whole image (baselines that locate the zone themselves, such as PassportEye)."""

    name: str

    def read_image(self, gray: np.ndarray) -> str | None:
        """The raw MRZ text found in ``gray``, or None."""
        ...
