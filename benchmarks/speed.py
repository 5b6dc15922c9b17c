"""The hot path at a fixed image size: every image of a set re-encoded in memory as a JPEG of
``megapixels`` MP, then read with one engine built once, on one OpenCV thread. Prints median and p95
per stage. Nothing is written to disk.

    python -m benchmarks speed --set gen300 --megapixels 2 --limit 60
"""

from __future__ import annotations

import statistics
from collections.abc import Iterable
from datetime import date

import cv2
import numpy as np

from .metrics import COMBINED, with_combined
from .sets import BenchSet


def scaled_jpegs(paths: Iterable[str], megapixels: float, quality: int = 85) -> list[bytes]:
    """Each image resized to about ``megapixels`` and encoded as JPEG bytes."""
    out = []
    for path in paths:
        image = cv2.imread(path)
        if image is None:
            continue
        h, w = image.shape[:2]
        s = (megapixels * 1e6 / (h * w)) ** 0.5
        resized = cv2.resize(image, (max(1, round(w * s)), max(1, round(h * s))), interpolation=cv2.INTER_CUBIC)
        out.append(cv2.imencode(".jpg", resized, [cv2.IMWRITE_JPEG_QUALITY, quality])[1].tobytes())
    return out


def measure(bench: BenchSet, engine: str, today: date, megapixels: float, limit: int) -> dict[str, tuple[float, float]]:
    """Stage -> (median ms, p95 ms) over the set's images at ``megapixels``."""
    from idcheck.reader import Reader

    cv2.setNumThreads(1)
    records = [r for r in bench.records if r.get("mrz")][: limit or None]
    images = scaled_jpegs([str(bench.path(r)) for r in records], megapixels)
    reader = Reader(engine)
    reader.verify(images[0], today=today)  # warm-up: model load and first-call costs
    stages: dict[str, list[float]] = {}
    for data in images:
        for stage, ms in with_combined(reader.verify(data, today=today).timings_ms).items():
            stages.setdefault(stage, []).append(ms)
    return {stage: (statistics.median(v), float(np.percentile(v, 95))) for stage, v in stages.items()}


def report(result: dict[str, tuple[float, float]], engine: str, megapixels: float, n: int) -> str:
    order = ["decode", "locate", "recognise", "parse", "decide", "total", *COMBINED]
    rows = [f"{engine}, {n} images at {megapixels:g} MP, one thread (ms, median / p95)"]
    rows += [f"  {stage:16} {result[stage][0]:7.2f} / {result[stage][1]:7.2f}" for stage in order if stage in result]
    return "\n".join(rows)
