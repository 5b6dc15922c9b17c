"""The one small protocol every character recogniser implements.

An engine classifies the character cells cut by :func:`idcheck.ocr.cells.cell_windows`; the decoder
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
