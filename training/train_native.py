"""Train the native MRZ character classifier and export ``models/mrz_char.onnx`` + manifest.

    .venv/bin/python -m training.train_native            # the committed model (about 10 min, 2 cores)

Steps: render train and validation windows (different seeds; cached under ``training/cache/``),
train a small CNN with Adam, evaluate (overall, per source cap height, confusions), export ONNX with
the softmax inside, check that OpenCV's DNN module gives the same probabilities, write the manifest.

Fine-tuning on real rectifier crops: ``--extra crops.npz`` (keys ``windows`` (N, 32, 20) uint8 and
``labels``: (N,) class indices in CHARSET order, -1 for "not a character", or single-character strings), repeated
``--extra-repeat`` times and mixed with the synthetic windows; ``--init training/cache/mrz_char.pt``
starts from the last trained weights, e.g.::

    .venv/bin/python -m training.train_native --extra crops.npz --extra-repeat 4 \\
        --init training/cache/mrz_char.pt --epochs 4 --lr 5e-4
"""

from __future__ import annotations

import argparse
import datetime as _dt
import hashlib
import json
import platform
import sys
import time
from pathlib import Path

import cv2
import numpy as np

from idcheck.ocr.cells import CELL_H, CELL_W, CHARSET

from . import render

ROOT = Path(__file__).resolve().parent.parent
CACHE = ROOT / "training" / "cache"
MODELS = ROOT / "models"
MODEL_NAME = "mrz_char.onnx"
CAP_BUCKETS = ((6, 10), (10, 14), (14, 20), (20, 30), (30, 50), (50, 81))
CONFUSABLE_GROUPS = ("<KX", "0ODQ", "8B", "5S", "1I", "2Z", "6G", "CG", "MN", "UV", "EF", "PR")
# Confusion-aware label smoothing for the one pair real documents print closer than this OCR-B
# font does: O and 0 (on many specimens the letter O is as narrow as the digit). A window that looks
# like 0 must still rank O first among the letters, because the decoder restricts each position to
# its field's alphabet and renormalises. Not applied to 8/B, 5/S, 2/Z ...: there it made wrong swaps
# in alphanumeric fields cheap enough for the check-digit search to pick them.
PARTNERS = {"0": "O", "O": "0"}
SMOOTHING = 0.03


def target_matrix(smoothing: float = SMOOTHING) -> np.ndarray:
    """Row ``c``: the training target for label ``c``; the last row (label -1, "not a character")
    is uniform."""
    k = len(CHARSET)
    t = np.zeros((k + 1, k), np.float32)
    for i, c in enumerate(CHARSET):
        partners = PARTNERS.get(c, "")
        t[i, i] = 1.0 - (smoothing if partners else 0.0)
        for p in partners:
            t[i, CHARSET.index(p)] = smoothing / len(partners)
    t[k] = 1.0 / k
    return t


# Conv widths. Narrower models are faster in cv2.dnn (per 88 windows, one core: 16-32-64 1.9 ms,
# 16-24-48 1.45 ms, 12-24-48 1.3 ms) and read the synthetic sets as well, but fewer real specimens
# (28, 25 and 27 of 30 exact through the same recipe, 2026-11-28): the committed model keeps 16-32-64.
CHANNELS = (16, 32, 64)
HIDDEN = 128


def build_model(channels: tuple[int, int, int] = CHANNELS, hidden: int = HIDDEN):  # -> torch.nn.Module
    """The classifier (torch imported lazily: the module is importable without it)."""
    from torch import nn

    def block(cin: int, cout: int, stride: int) -> list[nn.Module]:
        return [nn.Conv2d(cin, cout, 3, stride, 1, bias=False), nn.BatchNorm2d(cout), nn.ReLU(inplace=True)]

    # 32x20 -> 16x10 -> 8x5 -> 4x3; stride-2 convolutions instead of pooling: OpenCV's DNN spends
    # most of its time on full-resolution layers, so every layer halves the grid.
    c1, c2, c3 = channels
    return nn.Sequential(
        *block(1, c1, 2),
        *block(c1, c2, 2),
        *block(c2, c3, 2),
        nn.Flatten(),
        nn.Dropout(0.1),
        nn.Linear(c3 * 4 * 3, hidden),
        nn.ReLU(inplace=True),
        nn.Linear(hidden, len(CHARSET)),
    )


def describe(channels: tuple[int, int, int], hidden: int) -> str:
    c1, c2, c3 = channels
    return (f"3 x [conv3x3 stride 2, BN (folded), ReLU] {c1}-{c2}-{c3} -> FC {c3 * 12}-{hidden} "
            f"-> FC {hidden}-{len(CHARSET)} -> softmax")


def to_input(windows: np.ndarray) -> np.ndarray:
    """uint8 (N, 32, 20) -> float32 (N, 1, 32, 20) in [0, 1]: the scaling the manifest records."""
    return (windows.astype(np.float32) * (1.0 / 255.0))[:, None]


def load_or_render(kind: str, n: int, seed: int, workers: int, cache: Path = CACHE
                   ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    cache.mkdir(parents=True, exist_ok=True)
    path = cache / f"{kind}_n{n}_seed{seed}_{render.RECIPE_VERSION}.npz"
    if path.exists():
        data = np.load(path)
        return data["windows"], data["labels"], data["src_cap"]
    t0 = time.time()
    x, y, c = render.render_dataset(n, seed, workers=workers)
    np.savez(path, windows=x, labels=y, src_cap=c)
    print(f"rendered {kind}: {n} windows in {time.time() - t0:.0f} s -> {path}", flush=True)
    return x, y, c


def load_extra(path: Path) -> tuple[np.ndarray, np.ndarray]:
    data = np.load(path, allow_pickle=False)
    x = np.asarray(data["windows"], dtype=np.uint8)
    labels = data["labels"]
    if labels.dtype.kind in "US":
        y = np.array([CHARSET.index(str(c)) for c in labels], dtype=np.int64)
    else:
        y = labels.astype(np.int64)
    if x.shape[1:] != (CELL_H, CELL_W) or len(x) != len(y) or y.min() < -1 or y.max() >= len(CHARSET):
        raise SystemExit(f"{path}: expected windows (N, {CELL_H}, {CELL_W}) uint8 and N labels in CHARSET "
                         "(or -1: not a character)")
    return x, y


def predict(model, windows: np.ndarray, batch: int = 2048) -> np.ndarray:
    import torch

    model.eval()
    out = []
    with torch.no_grad():
        for i in range(0, len(windows), batch):
            logits = model(torch.from_numpy(to_input(windows[i:i + batch])))
            out.append(torch.softmax(logits, 1).numpy())
    return np.concatenate(out)


def evaluate(probs: np.ndarray, labels: np.ndarray, src_cap: np.ndarray | None = None) -> dict:
    """Accuracy etc. on character windows; confidence on "not a character" windows (label -1)."""
    negative = labels < 0
    neg_top = probs[negative].max(1) if negative.any() else np.zeros(0)
    probs, labels = probs[~negative], labels[~negative]
    if src_cap is not None:
        src_cap = src_cap[~negative]
    pred = probs.argmax(1)
    ok = pred == labels
    p_true = probs[np.arange(len(labels)), labels]
    report: dict = {
        "n": len(labels),
        "accuracy": round(float(ok.mean()), 5),
        "nll": round(float(-np.log(np.maximum(p_true, 1e-12)).mean()), 4),
        # how often the top probability is high but wrong: what the decoder most needs to avoid
        "wrong_with_p_over_0.9": int(((probs.max(1) > 0.9) & ~ok).sum()),
    }
    if len(neg_top):
        report["not_a_char"] = {
            "n": len(neg_top),
            "mean_top_probability": round(float(neg_top.mean()), 4),
            "top_probability_over_0.5": round(float((neg_top > 0.5).mean()), 4),
        }
    if src_cap is not None:
        report["accuracy_by_source_cap_px"] = {
            f"{lo}-{min(hi, 80)}": {"n": int(m.sum()), "accuracy": round(float(ok[m].mean()), 5)}
            for lo, hi in CAP_BUCKETS
            if (m := (src_cap >= lo) & (src_cap < hi)).any()
        }
    conf: dict[str, int] = {}
    for t, p in zip(labels[~ok], pred[~ok]):
        key = f"{CHARSET[t]}->{CHARSET[p]}"
        conf[key] = conf.get(key, 0) + 1
    report["top_confusions"] = dict(sorted(conf.items(), key=lambda kv: -kv[1])[:25])
    groups = {}
    for g in CONFUSABLE_GROUPS:
        m = np.isin(labels, [CHARSET.index(c) for c in g])
        groups[g] = {
            "n": int(m.sum()),
            "errors_within_group": int((m & ~ok & np.isin(pred, [CHARSET.index(c) for c in g])).sum()),
            "accuracy": round(float(ok[m].mean()), 5) if m.any() else None,
        }
    report["confusable_groups"] = groups
    return report


def export_onnx(model, path: Path, opset: int) -> None:
    import torch

    class WithSoftmax(torch.nn.Module):
        def __init__(self, net):
            super().__init__()
            self.net = net

        def forward(self, x):
            return torch.softmax(self.net(x), dim=1)

    wrapped = WithSoftmax(model).eval()
    dummy = torch.zeros(1, 1, CELL_H, CELL_W)
    tmp = path.with_suffix(".tmp.onnx")
    torch.onnx.export(
        wrapped, dummy, str(tmp), opset_version=opset, input_names=["windows"], output_names=["probs"],
        dynamic_axes={"windows": {0: "n"}, "probs": {0: "n"}}, do_constant_folding=True, dynamo=False,
    )
    # Make the file byte-reproducible: drop the exporter's producer version, keep one graph name.
    import onnx

    m = onnx.load(str(tmp))
    m.producer_version = ""
    m.graph.name = "mrz_char"
    m.doc_string = "MRZ character classifier: (N,1,32,20) float32 uint8/255 -> (N,37) softmax over " + CHARSET
    onnx.checker.check_model(m)
    onnx.save(m, str(path))
    tmp.unlink()


def check_opencv(path: Path, windows: np.ndarray, ref: np.ndarray) -> dict:
    """Run the exported file in cv2.dnn on one core: same output as PyTorch, and how fast."""
    cv2.setNumThreads(1)
    classic = getattr(cv2.dnn, "ENGINE_CLASSIC", None)  # the engine idcheck.ocr.native runs it with
    net = cv2.dnn.readNetFromONNX(str(path), classic) if classic is not None else cv2.dnn.readNetFromONNX(str(path))
    x = to_input(windows[:88])
    net.setInput(x)
    out = net.forward()
    diff = float(np.abs(out - ref[:88]).max())
    for _ in range(10):
        net.setInput(x)
        net.forward()
    times = []
    for _ in range(50):
        t = time.perf_counter()
        net.setInput(x)
        net.forward()
        times.append(time.perf_counter() - t)
    net.setInput(x[:1])
    single = net.forward()
    return {
        "max_abs_diff_vs_torch": diff,
        "batch1_ok": bool(np.allclose(single, ref[:1], atol=1e-4)),
        "ms_per_88_windows_1_thread_median": round(1000 * float(np.median(times)), 2),
    }


def sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--seed", type=int, default=9303, help="training data and weights seed")
    ap.add_argument("--val-seed", type=int, default=27, help="validation data seed (must differ)")
    ap.add_argument("--train-windows", type=int, default=400_000)
    ap.add_argument("--val-windows", type=int, default=40_000)
    ap.add_argument("--epochs", type=int, default=10)
    ap.add_argument("--batch", type=int, default=256)
    ap.add_argument("--lr", type=float, default=2e-3)
    ap.add_argument("--weight-decay", type=float, default=1e-4)
    ap.add_argument("--workers", type=int, default=2, help="rendering processes")
    ap.add_argument("--threads", type=int, default=1,
                    help="torch threads (1: on a shared 2-core machine more threads spin and run 4x slower)")
    ap.add_argument("--extra", type=Path, action="append", default=[], help="npz of real windows+labels")
    ap.add_argument("--extra-repeat", type=int, default=1, help="how often each extra window is seen per epoch")
    ap.add_argument("--init", type=Path, help="start from this state_dict (.pt)")
    ap.add_argument("--opset", type=int, default=13)
    ap.add_argument("--channels", type=lambda v: tuple(int(c) for c in v.split(",")), default=CHANNELS,
                    help="widths of the three conv blocks, e.g. 12,24,48")
    ap.add_argument("--hidden", type=int, default=HIDDEN, help="width of the hidden fully connected layer")
    ap.add_argument("--out", type=Path, default=MODELS, help="where mrz_char.onnx and manifest.json go")
    ap.add_argument("--cache-dir", type=Path, default=CACHE, help="rendered windows and mrz_char.pt")
    ap.add_argument("--weights", type=Path, help="where the PyTorch weights go (default: <cache dir>/mrz_char.pt)")
    args = ap.parse_args(argv)
    if args.seed == args.val_seed:
        raise SystemExit("--seed and --val-seed must differ")

    import torch

    t_start = time.time()
    torch.manual_seed(args.seed)
    torch.set_num_threads(args.threads)
    np.random.seed(args.seed)

    cached = all(
        (args.cache_dir / f"{kind}_n{n}_seed{seed}_{render.RECIPE_VERSION}.npz").exists()
        for kind, n, seed in (("train", args.train_windows, args.seed), ("val", args.val_windows, args.val_seed))
    )
    x_tr, y_tr, c_tr = load_or_render("train", args.train_windows, args.seed, args.workers, args.cache_dir)
    x_va, y_va, c_va = load_or_render("val", args.val_windows, args.val_seed, args.workers, args.cache_dir)
    t_rendered = time.time()
    n_synth = len(x_tr)
    extra_desc = []
    for path in args.extra:
        xe, ye = load_extra(path)
        extra_desc.append({"path": str(path), "n": len(xe), "sha256": sha256(path), "repeat": args.extra_repeat})
        x_tr = np.concatenate([x_tr] + [xe] * args.extra_repeat)
        y_tr = np.concatenate([y_tr] + [ye] * args.extra_repeat)
        c_tr = np.concatenate([c_tr] + [np.full(len(xe), np.nan, np.float32)] * args.extra_repeat)

    if len(args.channels) != 3:
        raise SystemExit("--channels takes three widths")
    model = build_model(args.channels, args.hidden)
    if args.init:
        model.load_state_dict(torch.load(args.init, map_location="cpu"))
    n_params = sum(p.numel() for p in model.parameters())
    opt = torch.optim.AdamW(model.parameters(), lr=args.lr, weight_decay=args.weight_decay)
    steps_per_epoch = (len(x_tr) + args.batch - 1) // args.batch
    sched = torch.optim.lr_scheduler.OneCycleLR(
        opt, max_lr=args.lr, total_steps=args.epochs * steps_per_epoch, pct_start=0.15
    )
    xt = torch.from_numpy(x_tr)
    yt = torch.from_numpy(np.where(y_tr < 0, len(CHARSET), y_tr))  # row of target_matrix
    targets = torch.from_numpy(target_matrix())
    gen = torch.Generator().manual_seed(args.seed)
    print(f"model: {n_params} parameters; {len(x_tr)} training windows ({n_synth} synthetic), "
          f"{len(x_va)} validation", flush=True)
    history = []
    for epoch in range(args.epochs):
        model.train()
        t0 = time.time()
        order = torch.randperm(len(xt), generator=gen)
        total_loss, total_ok = 0.0, 0
        for i in range(steps_per_epoch):
            idx = order[i * args.batch:(i + 1) * args.batch]
            xb = xt[idx].float().mul_(1.0 / 255.0).unsqueeze(1)
            yb = yt[idx]
            logits = model(xb)
            loss = -(targets[yb] * torch.log_softmax(logits, 1)).sum(1).mean()
            opt.zero_grad(set_to_none=True)
            loss.backward()
            opt.step()
            sched.step()
            total_loss += loss.item() * len(idx)
            total_ok += int((logits.argmax(1) == yb).sum())  # "not a character" rows never match
        val = evaluate(predict(model, x_va), y_va)
        row = {"epoch": epoch + 1, "train_loss": round(total_loss / len(xt), 4),
               "train_acc_running": round(total_ok / max(1, int((yt < len(CHARSET)).sum())), 5), "val_acc": val["accuracy"],
               "val_nll": val["nll"], "seconds": round(time.time() - t0, 1)}
        history.append(row)
        print(json.dumps(row), flush=True)
    t_trained = time.time()

    torch.save(model.state_dict(), args.weights or args.cache_dir / "mrz_char.pt")
    p_va = predict(model, x_va)
    val_report = evaluate(p_va, y_va, c_va)
    sub = np.random.default_rng(0).choice(n_synth, size=min(40_000, n_synth), replace=False)
    train_report = evaluate(predict(model, x_tr[sub]), y_tr[sub], c_tr[sub])
    clean = render_clean(args.val_seed + 1)
    clean_report = evaluate(predict(model, clean[0]), clean[1])

    args.out.mkdir(parents=True, exist_ok=True)
    onnx_path = args.out / MODEL_NAME
    export_onnx(model, onnx_path, args.opset)
    cv_check = check_opencv(onnx_path, x_va, p_va)
    if cv_check["max_abs_diff_vs_torch"] > 1e-4 or not cv_check["batch1_ok"]:
        raise SystemExit(f"OpenCV DNN output differs from PyTorch: {cv_check}")

    manifest = {
        "model": MODEL_NAME,
        "sha256": sha256(onnx_path),
        "bytes": onnx_path.stat().st_size,
        "charset": CHARSET,
        "input": {
            "name": "windows",
            "shape": ["N", 1, CELL_H, CELL_W],
            "dtype": "float32",
            "scaling": "x = uint8 / 255 (0 = black ink, 1 = white paper); no mean/std normalisation",
            "source": "idcheck.ocr.cells.cell_windows(normalise_strip(strip), centres, pitch): strip height 48, "
                      "cap height 24, CELL_SPAN 1.2 pitches, resized to 20x32 with INTER_AREA",
        },
        "output": {"name": "probs", "shape": ["N", len(CHARSET)], "meaning": "softmax probabilities in charset order"},
        "onnx_opset": args.opset,
        "architecture": describe(args.channels, args.hidden),
        "parameters": n_params,
        "training": {
            "command": " ".join(["python -m training.train_native", *(argv if argv is not None else sys.argv[1:])]),
            "seed": args.seed,
            "val_seed": args.val_seed,
            "train_windows_synthetic": n_synth,
            "val_windows": len(x_va),
            "extra": extra_desc,
            "init": str(args.init) if args.init else None,
            "epochs": args.epochs,
            "batch": args.batch,
            "optimizer": f"AdamW lr {args.lr} one-cycle, weight decay {args.weight_decay}, dropout 0.1",
            "loss": f"cross-entropy to soft targets: {SMOOTHING} of the mass on confusable partners "
                    f"{PARTNERS}; uniform target for 'not a character' windows",
            "recipe_version": render.RECIPE_VERSION,
            "data_recipe": render.RECIPE,
            "history": history,
            # seconds to render the windows, or only to load them when they were already cached
            "render_seconds": round(t_rendered - t_start, 1),
            "data_from_cache": cached,
            "train_seconds": round(t_trained - t_rendered, 1),
            "torch_version": torch.__version__,
            "opencv_version": cv2.__version__,
            "python": platform.python_version(),
            "cpu_threads": args.threads,
            "date": _dt.date.today().isoformat(),
        },
        "metrics": {
            "train_subset": {k: train_report[k] for k in ("n", "accuracy", "nll", "accuracy_by_source_cap_px")},
            "val": val_report,
            "clean_ocrb_lines": {k: clean_report[k] for k in ("n", "accuracy", "nll")},
            "opencv_dnn": cv_check,
        },
    }
    (args.out / "manifest.json").write_text(json.dumps(manifest, indent=2) + "\n")
    print(json.dumps(manifest["metrics"], indent=2))
    print(f"wrote {onnx_path} ({manifest['bytes']} bytes) in {time.time() - t_start:.0f} s total")
    return 0


def render_clean(seed: int, lines: int = 60) -> tuple[np.ndarray, np.ndarray]:
    """Windows of flawless rendered lines (what the unit test checks)."""
    rng = np.random.default_rng(seed)
    xs, ys = [], []
    for _ in range(lines):
        w, y, _ = render.line_windows(rng, degrade=render.clean_degrade())
        xs.append(w)
        ys.append(y)
    return np.concatenate(xs), np.concatenate(ys)


if __name__ == "__main__":
    raise SystemExit(main())
