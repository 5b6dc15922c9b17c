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


def window_width(pitch: float) -> int:
    """Width in strip pixels of the window cut around one character."""
    return max(2, int(round(CELL_SPAN * pitch)))


def cell_windows(strip: np.ndarray, centers: np.ndarray, pitch: float) -> np.ndarray:
    """Cut one ``CELL_H x CELL_W`` uint8 window per character centre (sub-pixel accurate).

    Pixel for pixel what :func:`_cell_windows_reference` (the definition the model was trained on)
    gives, in about half the time: the sub-pixel cuts go straight into one stack and a single
    ``INTER_AREA`` resize shrinks them all (see :func:`_stacks_exactly`).
    """
    strip = np.ascontiguousarray(strip, dtype=np.uint8)
    height, width, n = strip.shape[0], window_width(pitch), len(centers)
    if n == 0 or not _stacks_exactly(height, width):
        return _cell_windows_reference(strip, centers, pitch)
    stack = np.empty((n * height, width), dtype=np.uint8)
    size, cy = (width, height), (height - 1) / 2.0
    for i, cx in enumerate(np.asarray(centers, dtype=np.float64).tolist()):
        cv2.getRectSubPix(strip, size, (cx, cy), stack[i * height:(i + 1) * height])  # in place
    small = cv2.resize(stack, (CELL_W, n * CELL_H), interpolation=cv2.INTER_AREA)
    return small.reshape(n, CELL_H, CELL_W)


def _stacks_exactly(height: int, width: int) -> bool:
    """Whether shrinking ``n`` windows stacked top to bottom equals shrinking each on its own.

    ``INTER_AREA`` (a shrink on both axes) averages output pixel ``i`` over source ``[i*s, (i+1)*s)``
    with ``s = 1 / (dst / src)``. Stacked, ``s`` is the same (``n*CELL_H / (n*height)`` rounds like
    ``CELL_H / height``) and window ``k`` starts at output row ``k*CELL_H``, source row
    ``k*CELL_H*s``: that is ``k*height`` exactly when ``s`` is ``height / CELL_H`` without rounding
    (a dyadic fraction, as ``CELL_H`` is a power of two), so every window gets the same source rows
    and weights, summed in the same order. An enlargement interpolates instead: not stacked.
    """
    return width >= CELL_W and height >= CELL_H and 1.0 / (CELL_H / height) == height / CELL_H


def _cell_windows_reference(strip: np.ndarray, centers: np.ndarray, pitch: float) -> np.ndarray:
    """The defining implementation, one window at a time (kept for the tests and odd geometries)."""
    strip = np.ascontiguousarray(strip, dtype=np.uint8)
    height = strip.shape[0]
    width = window_width(pitch)
    out = np.empty((len(centers), CELL_H, CELL_W), dtype=np.uint8)
    cy = (height - 1) / 2.0
    for i, cx in enumerate(centers):
        patch = cv2.getRectSubPix(strip, (width, height), (float(cx), cy))
        out[i] = cv2.resize(patch, (CELL_W, CELL_H), interpolation=cv2.INTER_AREA)
    return out
