"""The geometry contract between the rectifier and the character recognisers.

The rectifier (idcheck.vision) turns each MRZ line into an upright grayscale *strip* of height
``STRIP_HEIGHT`` with the characters' cap height about ``CAP_HEIGHT`` pixels, vertically centred,
dark ink on a light background, plus the x centre of every character and the pitch. The native
recogniser is trained on windows cut by :func:`cell_windows` from rendered strips, so at run time
it sees exactly what it was trained on.
"""

from __future__ import annotations

import cv2
import numpy as np

STRIP_HEIGHT = 48  # px, height of a rectified line strip
CAP_HEIGHT = 24  # px, nominal character height inside the strip
CELL_W = 20  # classifier input width
CELL_H = 32  # classifier input height
CELL_SPAN = 1.2  # window width in character pitches (a little of each neighbour shows)
CHARSET = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ<"  # classifier output order


def normalise_strip(strip: np.ndarray) -> np.ndarray:
    """Stretch a strip's contrast so paper is near 255 and ink near 0 (robust percentiles)."""
    lo, hi = np.percentile(strip, (2, 98))
    if hi - lo < 1:
        return np.full_like(strip, 255)
    out = (strip.astype(np.float32) - lo) * (255.0 / (hi - lo))
    return np.clip(out, 0, 255).astype(np.uint8)


def cell_windows(strip: np.ndarray, centers: np.ndarray, pitch: float) -> np.ndarray:
    """Cut one ``CELL_H x CELL_W`` uint8 window per character centre (sub-pixel accurate)."""
    strip = np.ascontiguousarray(strip, dtype=np.uint8)
    height = strip.shape[0]
    width = max(2, int(round(CELL_SPAN * pitch)))
    out = np.empty((len(centers), CELL_H, CELL_W), dtype=np.uint8)
    cy = (height - 1) / 2.0
    for i, cx in enumerate(centers):
        patch = cv2.getRectSubPix(strip, (width, height), (float(cx), cy))
        out[i] = cv2.resize(patch, (CELL_W, CELL_H), interpolation=cv2.INTER_AREA)
    return out
