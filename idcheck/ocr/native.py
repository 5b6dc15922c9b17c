"""The native engine: a small CNN over OCR-B character cells, run with OpenCV's DNN module.

The model (``models/mrz_char.onnx``) and its manifest are produced by ``python -m training.train_native``
(see ``training/``); no PyTorch at run time. The softmax is part of the model. Windows that show no
upright character (a zone read upside down, a comb half a pitch off) get nearly uniform
probabilities, so the decoder's confidence, not the argmax, tells a real reading from a wrong one. The file is checked against the manifest's sha256 before
it is loaded, so a half-copied or swapped model fails loudly at start-up instead of misreading.

Model directory: ``model_dir`` argument, else ``$IDCHECK_MODEL_DIR``, else ``models/`` next to the
``idcheck`` package (the repository root).
"""

from __future__ import annotations

import hashlib
import json
import os
import threading
from pathlib import Path
from typing import Any

import cv2
import numpy as np

from ..errors import EngineError
from .cells import CELL_H, CELL_W, CHARSET

MODEL_FILE = "mrz_char.onnx"
MANIFEST_FILE = "manifest.json"
FAST_SUBDIR = "fast"  # the narrower first-pass model of the cascade: <model dir>/fast/
ENV_MODEL_DIR = "IDCHECK_MODEL_DIR"
_MAX_BATCH = 512  # windows per forward pass (bounds the DNN's scratch memory)


def default_model_dir() -> Path:
    """``$IDCHECK_MODEL_DIR`` if set, else ``<repository root>/models``."""
    env = os.environ.get(ENV_MODEL_DIR)
    if env:
        return Path(env)
    return Path(__file__).resolve().parents[2] / "models"


def _load_manifest(model_dir: Path) -> dict[str, Any]:
    path = model_dir / MANIFEST_FILE
    try:
        manifest = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise EngineError(
            f"native engine: {path} is missing; set {ENV_MODEL_DIR} to the folder holding "
            f"{MODEL_FILE} and {MANIFEST_FILE}, or run `python -m training.train_native`"
        ) from None
    except (OSError, ValueError) as exc:
        raise EngineError(f"native engine: cannot read {path}: {exc}") from exc
    if not isinstance(manifest, dict) or not isinstance(manifest.get("sha256"), str):
        raise EngineError(f"native engine: {path} has no sha256 entry")
    if manifest.get("charset") != CHARSET:
        raise EngineError(f"native engine: {path} charset {manifest.get('charset')!r} is not {CHARSET!r}")
    shape = manifest.get("input", {}).get("shape")
    if not shape or list(shape[-2:]) != [CELL_H, CELL_W]:
        raise EngineError(f"native engine: {path} input shape {shape} does not match {CELL_H}x{CELL_W} cells")
    return manifest


def fast_model_dir(model_dir: str | os.PathLike[str] | None = None) -> Path | None:
    """``<model dir>/fast`` when it holds a manifest (the cascade's first-pass model), else None."""
    base = Path(model_dir) if model_dir is not None else default_model_dir()
    path = base / FAST_SUBDIR
    return path if (path / MANIFEST_FILE).is_file() else None


class NativeEngine:
    """OCR-B character classifier (``CharRecogniser``). Build once; ``classify`` is thread-safe."""

    name = "native"

    def __init__(self, model_dir: str | os.PathLike[str] | None = None) -> None:
        self.model_dir = Path(model_dir) if model_dir is not None else default_model_dir()
        self.manifest = _load_manifest(self.model_dir)
        self.model_path = self.model_dir / str(self.manifest.get("model", MODEL_FILE))
        try:
            data = self.model_path.read_bytes()
        except OSError as exc:
            raise EngineError(f"native engine: cannot read model {self.model_path}: {exc}") from exc
        digest = hashlib.sha256(data).hexdigest()
        if digest != self.manifest["sha256"].lower():
            raise EngineError(
                f"native engine: {self.model_path} has sha256 {digest}, the manifest expects "
                f"{self.manifest['sha256']}; the model file is corrupt or does not belong to this manifest"
            )
        try:
            # OpenCV 5's classic engine runs this small CNN about twice as fast as its default engine
            # (same outputs; 88 windows on one core: ~2 ms against ~4.5 ms). It is honoured only when
            # loading from a path, so the file is hashed again after loading: unchanged on both sides
            # means the hashed bytes are the ones loaded. Older OpenCV has one engine.
            classic = getattr(cv2.dnn, "ENGINE_CLASSIC", None)
            if classic is not None:
                self._net = cv2.dnn.readNetFromONNX(str(self.model_path), classic)
                if hashlib.sha256(self.model_path.read_bytes()).hexdigest() != digest:
                    raise EngineError(f"native engine: {self.model_path} changed while it was being loaded")
            else:
                self._net = cv2.dnn.readNetFromONNX(np.frombuffer(data, dtype=np.uint8))
        except cv2.error as exc:
            raise EngineError(f"native engine: OpenCV cannot load {self.model_path}: {exc}") from exc
        self._lock = threading.Lock()  # a cv2.dnn.Net holds its input/output state: one caller at a time
        self.sha256 = digest

    def classify(self, windows: np.ndarray) -> np.ndarray:
        """``(N, 32, 20)`` uint8 cell windows -> ``(N, 37)`` float32 probabilities in CHARSET order."""
        windows = np.asarray(windows)
        if windows.ndim != 3 or windows.shape[1:] != (CELL_H, CELL_W) or windows.dtype != np.uint8:
            raise ValueError(
                f"expected uint8 windows of shape (N, {CELL_H}, {CELL_W}), got {windows.dtype} {windows.shape}"
            )
        n = len(windows)
        out = np.empty((n, len(CHARSET)), dtype=np.float32)
        if n == 0:
            return out  # OpenCV's DNN crashes the process on an empty batch
        # Input scaling recorded in the manifest: uint8 / 255, ink dark (0) on light paper (1); one pass
        # straight to the float32 NCHW blob (contiguous, so batches are slices without copies).
        x = np.multiply(windows, np.float32(1.0 / 255.0), dtype=np.float32)[:, None]
        with self._lock:
            for start in range(0, n, _MAX_BATCH):
                self._net.setInput(x[start:start + _MAX_BATCH])
                out[start:start + _MAX_BATCH] = self._net.forward()
        # The softmax is inside the model; renormalise against float rounding.
        out /= out.sum(axis=1, keepdims=True)
        return out

    def top_candidates(self, windows: np.ndarray, k: int = 3) -> list[list[tuple[str, float]]]:
        """Per window, the ``k`` most probable characters with their probabilities, best first."""
        probs = self.classify(windows)
        order = np.argsort(-probs, axis=1)[:, :k]
        return [[(CHARSET[j], float(p[j])) for j in row] for p, row in zip(probs, order)]

    def __repr__(self) -> str:
        return f"NativeEngine(model={str(self.model_path)!r}, sha256={self.sha256[:12]}…)"
