"""Whole synthetic samples (document → photo → JPEG with optional EXIF) and sets of them on disk.

Each image ``index`` of a set with ``seed`` draws from its own generator seeded with
``(seed, index)``, so a set is the same on every run and any image can be regenerated alone.
"""

from __future__ import annotations

import io
import json
import os
import time
from collections.abc import Iterable, Mapping, Sequence
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass, replace
from datetime import date
from pathlib import Path

import numpy as np
from PIL import Image

from .camera import LEVELS, photograph, render_ppmm, sample_params
from .identity import DEFAULT_TODAY, FORMATS, random_document
from .render import render_document

#: EXIF orientation tag -> numpy rotation (k for np.rot90, counter-clockwise) that produces the
#: *stored* pixels from the upright image, so that applying the tag (as PIL's exif_transpose does)
#: gives the upright image back.
_EXIF_STORE_ROT90 = {1: 0, 3: 2, 6: 1, 8: -1}
EXIF_ORIENTATION_TAG = 0x0112


@dataclass(frozen=True)
class Sample:
    """One generated image: encoded bytes, extension and the truth record (without ``file``)."""

    data: bytes
    ext: str
    truth: dict[str, object]


def stored_quad(quad: np.ndarray, size: tuple[int, int], orientation: int | None) -> np.ndarray:
    """Map points of the upright image (``size`` = width, height) into the stored pixel grid."""
    w, h = size
    q = np.asarray(quad, dtype=np.float64)
    k = _EXIF_STORE_ROT90.get(orientation or 1, 0) % 4
    for _ in range(k):  # one counter-clockwise quarter turn: (x, y) -> (y, w - x)
        q = np.stack([q[:, 1], w - q[:, 0]], axis=1)
        w, h = h, w
    return q


def encode(image: np.ndarray, quality: int, orientation: int | None) -> bytes:
    """JPEG bytes; with ``orientation`` the pixels are stored turned and the EXIF tag set to undo it."""
    k = _EXIF_STORE_ROT90.get(orientation or 1, 0)
    stored = np.ascontiguousarray(np.rot90(image, k)) if k else image
    buf = io.BytesIO()
    kwargs: dict[str, object] = {"quality": int(quality)}
    if orientation is not None:
        exif = Image.Exif()
        exif[EXIF_ORIENTATION_TAG] = int(orientation)
        kwargs["exif"] = exif.tobytes()
    Image.fromarray(stored).save(buf, format="JPEG", **kwargs)
    return buf.getvalue()


def make_sample(seed: int, index: int, level: str, fmt: str, today: date = DEFAULT_TODAY,
                overrides: Mapping[str, object] | None = None) -> Sample:
    """Generate image ``index`` of the set ``seed`` at ``level`` in format ``fmt``.

    ``overrides`` replaces drawn camera parameters (fields of :class:`~.camera.CameraParams`,
    e.g. ``{"rotation_deg": 90.0, "jpeg_quality": 80}``); everything else is drawn as usual.
    """
    if level not in LEVELS:
        raise ValueError(f"unknown level {level!r}; expected one of {tuple(LEVELS)}")
    rng = np.random.default_rng([seed, index])
    doc = random_document(rng, fmt, today)
    params = sample_params(rng, LEVELS[level])
    if overrides:
        params = replace(params, **overrides)
    ppmm = render_ppmm(params)
    booklet = fmt == "TD3" and params.char_height_px <= 32 and rng.random() < 0.4
    page = render_document(doc, rng, ppmm, booklet=booklet)
    shot = photograph(page, params, rng)
    data = encode(shot.image, params.jpeg_quality, params.exif_orientation)
    h, w = shot.image.shape[:2]
    truth = doc.truth()
    truth.update(
        {
            "level": level,
            "synthetic": True,
            "seed": seed,
            "index": index,
            "exif_orientation": params.exif_orientation,
            "rotation_deg": round(params.rotation_deg, 2),
            "mrz_char_height_px": round(params.char_height_px, 2),
            "image_size": [w, h],
            "mrz_quad": np.round(shot.mrz_quad, 1).tolist(),
            "document_quad": np.round(shot.document_quad, 1).tolist(),
            "camera": params.to_dict(),
            "page": {"ppmm": round(ppmm, 3), **page.style},
        }
    )
    return Sample(data, "jpg", truth)


def plan(count: int, levels: Sequence[str], formats: Sequence[str]) -> list[tuple[int, str, str]]:
    """(index, level, format) for a set: levels and formats cycle so every combination is covered."""
    out = []
    for i in range(count):
        level = levels[i % len(levels)]
        fmt = formats[(i // len(levels)) % len(formats)]
        out.append((i, level, fmt))
    return out


def _job(args: tuple[int, int, str, str, str]) -> tuple[int, Sample]:
    seed, index, level, fmt, today = args
    return index, make_sample(seed, index, level, fmt, date.fromisoformat(today))


def write_set(
    out: str | os.PathLike[str],
    count: int = 300,
    seed: int = 0,
    levels: Sequence[str] = ("easy", "medium", "hard"),
    formats: Sequence[str] = FORMATS,
    today: date = DEFAULT_TODAY,
    jobs: int = 1,
    progress: bool = False,
) -> list[dict[str, object]]:
    """Write ``out/images/NNNNN_<level>_<format>.jpg`` and ``out/truth.jsonl``; return the records."""
    for name in levels:
        if name not in LEVELS:
            raise ValueError(f"unknown level {name!r}; expected some of {tuple(LEVELS)}")
    for fmt in formats:
        if fmt not in FORMATS:
            raise ValueError(f"unknown format {fmt!r}; expected some of {FORMATS}")
    root = Path(out)
    (root / "images").mkdir(parents=True, exist_ok=True)
    tasks = [(seed, i, lv, fmt, today.isoformat()) for i, lv, fmt in plan(count, levels, formats)]
    records: list[dict[str, object]] = []
    started = time.perf_counter()

    def done(items: Iterable[tuple[int, Sample]]) -> None:
        # items arrive in index order (map keeps it); each image is written as soon as it is made
        for n, (index, sample) in enumerate(items, 1):
            t = sample.truth
            name = f"images/{index:05d}_{t['level']}_{str(t['format']).replace('-', '')}.{sample.ext}"
            (root / name).write_bytes(sample.data)
            records.append({"file": name, **t})
            if progress and (n % 25 == 0 or n == len(tasks)):
                rate = n / (time.perf_counter() - started)
                print(f"  {n}/{len(tasks)} images, {rate:.1f}/s", flush=True)

    if jobs > 1:
        with ProcessPoolExecutor(max_workers=jobs) as pool:
            done(pool.map(_job, tasks, chunksize=4))
    else:
        done(map(_job, tasks))
    with open(root / "truth.jsonl", "w", encoding="utf-8") as fh:
        for rec in records:
            fh.write(json.dumps(rec, ensure_ascii=False, sort_keys=False) + "\n")
    return records
