"""Accuracy and speed of the vision stage, measured (not asserted): ``python -m idcheck.vision.measure``.

- zone found on the real set (``--realdata``, default ../shared/realdata): the best candidate has
  the truth's line count and cuts strips with the truth's characters per line;
- zone found on synthetic documents (``--synth N``, when :mod:`idcheck.synth` is present): the best
  candidate overlaps the truth quadrilateral (IoU > 0.5) and has the right line count;
- median time per stage for 2 MP JPEGs on one core (``cv2.setNumThreads(1)``): decode, locate,
  rectify (both orientations are not cut: one ``line_strips`` call). Wall time and thread CPU time
  are both reported; on a busy machine the CPU time is the fairer figure.
"""

from __future__ import annotations

import argparse
import io
import json
import statistics
import time
from pathlib import Path

import cv2
import numpy as np

from .io import LoadedImage, load_image
from .locate import Candidate, find_candidates
from .rectify import line_strips

DEFAULT_REAL = Path(__file__).resolve().parents[3] / "shared" / "realdata"


def _iou(a: np.ndarray, b: np.ndarray) -> float:
    a32, b32 = np.float32(a), np.float32(b)
    inter, _ = cv2.intersectConvexConvex(a32, b32)
    return float(inter / (cv2.contourArea(a32) + cv2.contourArea(b32) - inter + 1e-9))


def first_candidate_fits(img: LoadedImage, cands: list[Candidate], lines: list[str]) -> bool:
    """The first candidate has the truth's line count and its strips the truth's character counts."""
    if not cands or cands[0].n_lines != len(lines):
        return False
    strips = line_strips(img, cands[0])  # a flip only turns the strips: the counts are the same
    return len(strips) == len(lines) and all(s.n_chars == len(t) for s, t in zip(strips, lines))


def real_found(root: Path) -> tuple[int, int, list[str]]:
    records = json.loads((root / "truth.json").read_text())
    found, total, missed = 0, 0, []
    for rec in records:
        img = load_image(root / rec["file"])
        cands = find_candidates(img)
        if rec.get("negative"):
            if cands:
                missed.append(f"{rec['file']} (negative, {len(cands)} candidates)")
            continue
        total += 1
        ok = first_candidate_fits(img, cands, rec["mrz"])
        found += ok
        if not ok:
            missed.append(rec["file"])
    return found, total, missed


def synth_found(count: int, seed: int = 7) -> tuple[int, int, list[str]]:
    from ..synth import FORMATS, make_sample

    levels = ("easy", "medium", "hard")
    found, missed = 0, []
    for i in range(count):
        level, fmt = levels[i % 3], FORMATS[(i // 3) % len(FORMATS)]
        sample = make_sample(seed, i, level, fmt)
        img = load_image(sample.data)
        cands = find_candidates(img)
        quad = np.asarray(sample.truth["mrz_quad"], np.float64)
        ok = bool(cands) and _iou(cands[0].quad, quad) > 0.5 and cands[0].n_lines == len(sample.truth["mrz"])
        found += ok
        if not ok:
            missed.append(f"#{i} {level} {fmt} rot {sample.truth.get('rotation_deg')}")
    return found, count, missed


def _two_mp_jpegs(real: Path | None, count: int) -> list[tuple[str, bytes]]:
    """2 MP JPEGs: the real 1600x1200 photo when present, and synthetic documents scaled to 2 MP."""
    out: list[tuple[str, bytes]] = []
    if real is not None and (real / "images" / "009_lux_pass_photo.jpg").exists():
        out.append(("009_lux_pass_photo.jpg", (real / "images" / "009_lux_pass_photo.jpg").read_bytes()))
    try:
        from PIL import Image

        from ..synth import FORMATS, make_sample
    except ImportError:
        return out
    for i in range(count):
        sample = make_sample(3, i, ("easy", "medium", "hard")[i % 3], FORMATS[i % len(FORMATS)])
        im = Image.open(io.BytesIO(sample.data)).convert("RGB")
        k = (2_000_000 / (im.width * im.height)) ** 0.5
        im = im.resize((round(im.width * k), round(im.height * k)), Image.Resampling.LANCZOS)
        buf = io.BytesIO()
        im.save(buf, "JPEG", quality=90)
        out.append((f"synth-{i}-{im.width}x{im.height}", buf.getvalue()))
    return out


def timings(jpegs: list[tuple[str, bytes]], repeats: int = 15) -> dict[str, dict[str, float]]:
    cv2.setNumThreads(1)
    wall: dict[str, list[float]] = {"decode": [], "locate": [], "rectify": []}
    cpu: dict[str, list[float]] = {"decode": [], "locate": [], "rectify": []}
    for _, data in jpegs:
        per: dict[str, list[tuple[float, float]]] = {k: [] for k in wall}
        for _ in range(repeats):
            w0, c0 = time.perf_counter(), time.thread_time()
            img = load_image(data)
            w1, c1 = time.perf_counter(), time.thread_time()
            cands = find_candidates(img)
            w2, c2 = time.perf_counter(), time.thread_time()
            if cands:
                line_strips(img, cands[0])
            w3, c3 = time.perf_counter(), time.thread_time()
            per["decode"].append((w1 - w0, c1 - c0))
            per["locate"].append((w2 - w1, c2 - c1))
            per["rectify"].append((w3 - w2, c3 - c2))
        for k, v in per.items():  # per image: the median of its repeats
            wall[k].append(statistics.median(x[0] for x in v))
            cpu[k].append(statistics.median(x[1] for x in v))
    return {
        "wall_ms": {k: 1000 * statistics.median(v) for k, v in wall.items()},
        "cpu_ms": {k: 1000 * statistics.median(v) for k, v in cpu.items()},
    }


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(prog="python -m idcheck.vision.measure", description=__doc__.splitlines()[0])
    ap.add_argument("--realdata", type=Path, default=DEFAULT_REAL)
    ap.add_argument("--synth", type=int, default=30, help="synthetic documents to locate (0: none)")
    ap.add_argument("--timing-images", type=int, default=6, help="synthetic 2 MP JPEGs to time")
    ap.add_argument("--repeats", type=int, default=15)
    args = ap.parse_args(argv)
    cv2.setNumThreads(1)
    real = args.realdata if (args.realdata / "truth.json").exists() else None
    if real is not None:
        f, t, missed = real_found(real)
        print(f"real set: zone found {f}/{t}" + (f"; missed/false: {', '.join(missed)}" if missed else ""))
    if args.synth:
        try:
            f, t, missed = synth_found(args.synth)
            print(f"synthetic: zone found {f}/{t}" + (f"; missed: {', '.join(missed)}" if missed else ""))
        except ImportError:
            print("synthetic: idcheck.synth not available")
    jpegs = _two_mp_jpegs(real, args.timing_images)
    if jpegs:
        res = timings(jpegs, args.repeats)
        for kind, vals in res.items():
            parts = ", ".join(f"{k} {v:.2f}" for k, v in vals.items())
            total = vals["locate"] + vals["rectify"]
            print(f"2 MP JPEG x{len(jpegs)}, median {kind}: {parts}; locate+rectify {total:.2f}; "
                  f"with decode {total + vals['decode']:.2f}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
