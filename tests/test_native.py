"""The native OCR-B character engine: model integrity, loading, and accuracy on rendered lines."""

from __future__ import annotations

import hashlib
import json
import shutil
import sys
from pathlib import Path

import numpy as np
import pytest

from idcheck.errors import EngineError
from idcheck.ocr.base import CharRecogniser
from idcheck.ocr.cells import CELL_H, CELL_W, CHARSET
from idcheck.ocr.native import (
    FAST_SUBDIR,
    MANIFEST_FILE,
    MODEL_FILE,
    NativeEngine,
    default_model_dir,
)

ROOT = Path(__file__).resolve().parents[1]
MODELS = ROOT / "models"
if str(ROOT) not in sys.path:  # the renderer lives in training/, outside the package
    sys.path.insert(0, str(ROOT))

from training import render

# Seeds the committed model never saw (training 9303, validation 27, clean check 28).
TEST_SEED = 20260501

needs_font = pytest.mark.skipif(not render.FONT_PATH.exists(), reason="OCR-B font (fonts-ocr-b) not installed")


# the full model and the cascade's fast first-pass model (models/fast/) meet the same bars
MODEL_DIRS = [MODELS, MODELS / FAST_SUBDIR]


@pytest.fixture(scope="module", params=MODEL_DIRS, ids=["full", "fast"])
def engine(request: pytest.FixtureRequest) -> NativeEngine:
    return NativeEngine(request.param)


def _lines(seed: int, n_lines: int, clean: bool) -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(seed)
    xs, ys = [], []
    for _ in range(n_lines):
        w, y, _ = render.line_windows(rng, degrade=render.clean_degrade() if clean else None)
        xs.append(w)
        ys.append(y)
    return np.concatenate(xs), np.concatenate(ys)


@pytest.mark.parametrize("model_dir", MODEL_DIRS, ids=["full", "fast"])
def test_manifest_matches_model_file(model_dir: Path) -> None:
    manifest = json.loads((model_dir / MANIFEST_FILE).read_text())
    data = (model_dir / MODEL_FILE).read_bytes()
    assert manifest["model"] == MODEL_FILE
    assert hashlib.sha256(data).hexdigest() == manifest["sha256"]
    assert manifest["bytes"] == len(data) <= 5 * 1024 * 1024
    assert manifest["charset"] == CHARSET
    assert manifest["input"]["shape"][1:] == [1, CELL_H, CELL_W]


def test_default_model_dir_is_repo_models(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("IDCHECK_MODEL_DIR", raising=False)
    assert default_model_dir() == MODELS


def test_engine_loads_and_follows_protocol(engine: NativeEngine) -> None:
    assert isinstance(engine, CharRecogniser)
    assert engine.name == "native"
    assert engine.sha256 == json.loads((engine.model_dir / MANIFEST_FILE).read_text())["sha256"]


def test_probabilities_are_distributions(engine: NativeEngine) -> None:
    rng = np.random.default_rng(0)
    windows = rng.integers(0, 256, size=(7, CELL_H, CELL_W), dtype=np.uint8)
    probs = engine.classify(windows)
    assert probs.shape == (7, len(CHARSET))
    assert probs.dtype == np.float32
    assert np.all(probs >= 0)
    np.testing.assert_allclose(probs.sum(axis=1), 1.0, atol=1e-5)


def test_empty_and_bad_batches(engine: NativeEngine) -> None:
    assert engine.classify(np.zeros((0, CELL_H, CELL_W), np.uint8)).shape == (0, len(CHARSET))
    with pytest.raises(ValueError):
        engine.classify(np.zeros((3, CELL_W, CELL_H), np.uint8))
    with pytest.raises(ValueError):
        engine.classify(np.zeros((3, CELL_H, CELL_W), np.float32))


@needs_font
def test_clean_ocrb_line_is_read(engine: NativeEngine) -> None:
    windows, labels = _lines(TEST_SEED, 12, clean=True)
    probs = engine.classify(windows)
    np.testing.assert_allclose(probs.sum(axis=1), 1.0, atol=1e-5)
    accuracy = float((probs.argmax(axis=1) == labels).mean())
    assert accuracy >= 0.99, accuracy


@needs_font
def test_degraded_lines_mostly_read(engine: NativeEngine) -> None:
    # Random degradations of the training recipe (down to 6 px source cap height): a regression
    # guard well below the validation accuracy recorded in the manifest.
    windows, labels = _lines(TEST_SEED + 1, 25, clean=False)
    accuracy = float((engine.classify(windows).argmax(axis=1) == labels).mean())
    assert accuracy >= 0.9, accuracy


@needs_font
def test_batching_does_not_change_results(engine: NativeEngine) -> None:
    windows, _ = _lines(TEST_SEED + 2, 16, clean=False)
    windows = np.concatenate([windows] * (600 // len(windows) + 1))[:600]  # more than one internal batch
    together = engine.classify(windows)
    alone = np.concatenate([engine.classify(windows[i:i + 1]) for i in range(0, 600, 97)])
    np.testing.assert_allclose(together[::97], alone, atol=1e-5)


@needs_font
def test_upside_down_line_is_not_confident(engine: NativeEngine) -> None:
    # The reader also tries every zone turned 180 degrees; the model was trained to spread its
    # probability over all classes for glyphs that are not upright characters.
    rng = np.random.default_rng(TEST_SEED + 3)
    tops = []
    for _ in range(10):
        strip, centres, pitch, text, _ = render.render_line(rng, degrade=render.clean_degrade())
        labels = np.array([render.CHAR_INDEX[c] for c in text])
        windows, lab = render.negative_windows(rng, strip, centres, pitch, labels, "flip")
        tops.append(engine.classify(windows[lab == render.NOT_A_CHAR]).max(axis=1))
    assert float(np.concatenate(tops).mean()) < 0.5


def _copy_models(tmp_path: Path) -> Path:
    target = tmp_path / "models"
    target.mkdir()
    for name in (MODEL_FILE, MANIFEST_FILE):
        shutil.copy(MODELS / name, target / name)
    return target


def test_tampered_model_raises_engine_error(tmp_path: Path) -> None:
    target = _copy_models(tmp_path)
    data = bytearray((target / MODEL_FILE).read_bytes())
    data[-1] ^= 0xFF
    (target / MODEL_FILE).write_bytes(bytes(data))
    with pytest.raises(EngineError, match="sha256"):
        NativeEngine(target)


def test_wrong_manifest_hash_raises_engine_error(tmp_path: Path) -> None:
    target = _copy_models(tmp_path)
    manifest = json.loads((target / MANIFEST_FILE).read_text())
    manifest["sha256"] = "0" * 64
    (target / MANIFEST_FILE).write_text(json.dumps(manifest))
    with pytest.raises(EngineError):
        NativeEngine(target)


def test_missing_files_raise_engine_error(tmp_path: Path) -> None:
    with pytest.raises(EngineError, match="missing"):
        NativeEngine(tmp_path)
    target = _copy_models(tmp_path)
    (target / MODEL_FILE).unlink()
    with pytest.raises(EngineError):
        NativeEngine(target)


def test_model_dir_from_environment(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    target = _copy_models(tmp_path)
    monkeypatch.setenv("IDCHECK_MODEL_DIR", str(target))
    assert NativeEngine().model_dir == target


@needs_font
def test_top_candidates_per_position(engine: NativeEngine) -> None:
    windows, labels = _lines(TEST_SEED, 2, clean=True)
    top = engine.top_candidates(windows, k=3)
    assert len(top) == len(windows) and all(len(t) == 3 for t in top)
    for cands, label in zip(top, labels):
        probs = [p for _, p in cands]
        assert probs == sorted(probs, reverse=True) and 0.0 <= probs[-1] <= probs[0] <= 1.0
    hits = sum(cands[0][0] == CHARSET[label] for cands, label in zip(top, labels))
    assert hits >= 0.99 * len(labels)
