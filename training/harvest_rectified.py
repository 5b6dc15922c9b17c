"""Harvest recogniser windows from the real pipeline (locate → rectify → cell windows) on generated
documents, labelled from the generator's truth, so fine-tuning sees what the rectifier really feeds it.

    python -m training.harvest_rectified --out training/cache/rectified.npz --count 1500 --seed 4242

(``make model`` runs the whole recipe: base training, this harvest, fine-tuning.)

The seed must differ from the benchmark sets' (gen300 uses 0, samples/ 2026). A zone is kept only when
the current model already reads at least ``--min-match`` of its characters right in one orientation
(that settles the 180° ambiguity and drops zones the locator got wrong).
"""

from __future__ import annotations

import argparse
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path

import numpy as np

LEVELS = ("easy", "medium", "hard", "hard")
FLAT_TOP_PROBABILITY = 0.1
FORMATS = ("TD1", "TD2", "TD3", "MRV-A", "MRV-B")


def _one(args: tuple[int, int, float]) -> tuple[np.ndarray, np.ndarray, str]:
    import cv2

    from idcheck.ocr.cells import CHARSET, cell_windows
    from idcheck.ocr.native import NativeEngine
    from idcheck.synth.dataset import make_sample
    from idcheck.vision.io import load_image
    from idcheck.vision.locate import find_candidates
    from idcheck.vision.rectify import line_strips

    cv2.setNumThreads(1)
    seed, index, min_match = args
    level, fmt = LEVELS[index % len(LEVELS)], FORMATS[(index // len(LEVELS)) % len(FORMATS)]
    sample = make_sample(seed, index, level, fmt)
    truth = "".join(sample.truth["mrz"])
    n_chars = len(sample.truth["mrz"][0])
    engine = _one.engine if hasattr(_one, "engine") else NativeEngine()
    _one.engine = engine  # type: ignore[attr-defined]
    img = load_image(sample.data)
    best: tuple[float, np.ndarray] | None = None
    for cand in find_candidates(img)[:3]:
        for flip in (False, True):
            strips = line_strips(img, cand, flip=flip, n_chars=n_chars)
            if len(strips) != len(sample.truth["mrz"]):
                continue
            windows = np.concatenate([cell_windows(s.image, np.asarray(s.centers), s.pitch) for s in strips])
            read = "".join(CHARSET[i] for i in engine.classify(windows).argmax(axis=1))
            match = sum(a == b for a, b in zip(read, truth)) / len(truth)
            if best is None or match > best[0]:
                best = (match, windows)
    if best is None or best[0] < min_match:
        return np.empty((0, 32, 20), np.uint8), np.empty((0,), np.int64), level
    labels = np.array([CHARSET.index(c) for c in truth], np.int64)
    # Windows the model finds flat (a comb half a pitch off) show no single character: label them -1
    # ("no character"), as the synthetic training data does.
    labels[engine.classify(best[1]).max(axis=1) < FLAT_TOP_PROBABILITY] = -1
    return best[1], labels, level


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--out", type=Path, default=Path("training/cache/rectified.npz"))
    ap.add_argument("--count", type=int, default=1500)
    ap.add_argument("--seed", type=int, default=4242)
    ap.add_argument("--min-match", type=float, default=0.5)
    ap.add_argument("--workers", type=int, default=2)
    args = ap.parse_args(argv)
    jobs = [(args.seed, i, args.min_match) for i in range(args.count)]
    windows, labels, kept = [], [], {lv: [0, 0] for lv in set(LEVELS)}
    with ProcessPoolExecutor(args.workers) as pool:
        for w, lab, level in pool.map(_one, jobs, chunksize=16):
            kept[level][1] += 1
            if len(w):
                kept[level][0] += 1
                windows.append(w)
                labels.append(lab)
    args.out.parent.mkdir(parents=True, exist_ok=True)
    np.savez_compressed(args.out, windows=np.concatenate(windows), labels=np.concatenate(labels))
    print(f"wrote {args.out}: {sum(len(x) for x in labels)} windows; zones kept per level: "
          + ", ".join(f"{lv} {k}/{n}" for lv, (k, n) in sorted(kept.items())))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
