"""idcheck.ocr.cells: the fast cell cut gives the windows the model was trained on, pixel for pixel.

:func:`cell_windows` shrinks all windows of a strip in one stacked ``INTER_AREA`` resize;
:func:`_cell_windows_reference` is the one-window-at-a-time definition. They are compared on strips
rectified from the committed sample photos and on random strips, at the rectifier's own centres and at
random sub-pixel centres and pitches, windows hanging over either end of the strip included (the cut
replicates the border there).
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from idcheck.ocr.cells import (
    CELL_H,
    CELL_W,
    _cell_windows_reference,
    cell_windows,
    window_width,
)
from idcheck.vision import find_candidates, line_strips, load_image

SAMPLES = Path(__file__).resolve().parents[1] / "samples" / "images"


def _sample_strips() -> list[np.ndarray]:
    strips = []
    for path in sorted(SAMPLES.glob("*.jpg"))[::2]:
        img = load_image(path)
        for cand in find_candidates(img)[:1]:
            for flip in (False, True):
                strips += [(s.image, np.asarray(s.centers), s.pitch) for s in line_strips(img, cand, flip=flip)]
    return strips


@pytest.fixture(scope="module")
def sample_strips() -> list[tuple[np.ndarray, np.ndarray, float]]:
    strips = _sample_strips()
    assert len(strips) >= 10
    return strips


def _same(strip: np.ndarray, centers: np.ndarray, pitch: float) -> None:
    fast, ref = cell_windows(strip, centers, pitch), _cell_windows_reference(strip, centers, pitch)
    assert fast.shape == ref.shape == (len(centers), CELL_H, CELL_W) and fast.dtype == np.uint8
    assert np.array_equal(fast, ref), f"{int((fast != ref).sum())} pixels differ (pitch {pitch:.3f})"


def test_rectified_strips_at_their_centres(sample_strips) -> None:
    for strip, centers, pitch in sample_strips:
        _same(strip, centers, pitch)


def test_rectified_strips_at_random_subpixel_centres_and_pitches(sample_strips) -> None:
    rng = np.random.default_rng(9303)
    for strip, _, _ in sample_strips:
        for _ in range(4):
            pitch = float(rng.uniform(20.0, 30.0))
            half = window_width(pitch) / 2
            # Windows over both ends of the strip (border replicated) as well as inside it.
            centers = rng.uniform(1 - half, strip.shape[1] - 2 + half, size=int(rng.integers(1, 50)))
            _same(strip, centers.astype(rng.choice([np.float32, np.float64])), pitch)


@pytest.mark.parametrize("height", [48, 32, 40, 49, 64])
def test_random_strips_any_geometry(height: int) -> None:
    rng = np.random.default_rng(height)
    for pitch in (12.0, 16.6, 17.0, 20.0, 24.49, 25.0, 29.99, 33.4):  # under 16.7 px the window is enlarged
        strip = rng.integers(0, 256, size=(height, int(rng.integers(60, 400))), dtype=np.uint8)
        centers = rng.uniform(-pitch / 2, strip.shape[1] + pitch / 2, size=40)
        _same(strip, centers, pitch)
        _same(strip[:, ::-1], list(centers), pitch)  # a non-contiguous strip and a plain list of centres


def test_no_centres_no_windows() -> None:
    strip = np.full((48, 100), 255, dtype=np.uint8)
    assert cell_windows(strip, np.zeros(0), 24.5).shape == (0, CELL_H, CELL_W)
