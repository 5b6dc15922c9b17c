"""The synthetic document generator: determinism, valid MRZs, geometry truth, age mix, EXIF."""

from __future__ import annotations

import io
import json
from collections import Counter
from datetime import date

import numpy as np
import pytest
from PIL import Image, ImageOps

from idcheck import checkdigit
from idcheck.mrz.layouts import LAYOUTS
from idcheck.synth import FORMATS, make_sample, random_document, render_mrz_lines, write_set
from idcheck.synth.__main__ import main as synth_main
from idcheck.synth.dataset import encode, stored_quad

TODAY = date(2026, 11, 28)


def _checks_ok(lines: list[str] | tuple[str, ...], fmt: str) -> bool:
    """Every check digit of ``lines`` verifies (long TD1/TD2 numbers per Part 5/6 note j)."""
    layout = LAYOUTS[fmt]
    for check in layout.checks:
        text = "".join(lines[li][a:b] for li, a, b in check.covers)
        digit = lines[check.line][check.pos]
        if check.long_number and digit == "<":
            opt = layout.field("optional_data")
            spill = lines[opt.line][opt.start:opt.stop]
            cut = next(i for i, c in enumerate(spill) if c.isdigit() and i > 0 and spill[i + 1] == "<")
            # the overflow characters are followed by their check digit and a filler
            if not checkdigit.is_valid(text + spill[:cut], spill[cut]):
                return False
            continue
        if check.filler_if_empty and digit == "<" and set(text) <= {"<"}:
            continue
        if not checkdigit.is_valid(text, digit):
            return False
    return True


def _decode(data: bytes) -> Image.Image:
    return ImageOps.exif_transpose(Image.open(io.BytesIO(data))).convert("RGB")


def test_same_seed_same_bytes_and_truth() -> None:
    a = make_sample(7, 3, "hard", "TD1")
    b = make_sample(7, 3, "hard", "TD1")
    assert a.data == b.data
    assert a.truth == b.truth
    assert make_sample(8, 3, "hard", "TD1").data != a.data


@pytest.mark.parametrize("fmt", FORMATS)
def test_each_format_renders_with_valid_mrz_and_quad_inside(fmt: str) -> None:
    for index in range(2):
        sample = make_sample(1, index, "hard", fmt)
        truth = sample.truth
        img = _decode(sample.data)
        assert list(img.size) == truth["image_size"]
        layout = LAYOUTS[fmt]
        assert len(truth["mrz"]) == layout.lines and all(len(x) == layout.length for x in truth["mrz"])
        assert _checks_ok(truth["mrz"], fmt)
        assert truth["check_digits_ok"] is True
        quad = np.array(truth["mrz_quad"])
        w, h = truth["image_size"]
        assert (quad >= 0).all() and (quad[:, 0] <= w).all() and (quad[:, 1] <= h).all()
        json.dumps(truth)  # serialisable


def test_generated_mrz_check_digits_verify_for_many_documents() -> None:
    rng = np.random.default_rng(11)
    long_numbers = 0
    for i in range(600):
        fmt = FORMATS[i % len(FORMATS)]
        doc = random_document(rng, fmt, TODAY)
        assert _checks_ok(doc.lines, fmt), doc.lines
        long_numbers += len(doc.document_number) > 9
    assert long_numbers > 0


def test_age_mix_has_minors_and_near_18_on_both_sides() -> None:
    rng = np.random.default_rng(5)
    docs = [random_document(rng, FORMATS[i % 5], TODAY) for i in range(1000)]
    truths = [d.truth() for d in docs]
    groups = Counter(t["age_group"] for t in truths)
    assert 0.22 < groups["near18"] / 1000 < 0.38
    assert 0.14 < groups["minor"] / 1000 < 0.26
    assert all(t["over_18"] is False for t in truths if t["age_group"] == "minor")
    near = [t for t in truths if t["age_group"] == "near18"]
    assert any(t["over_18"] is True for t in near) and any(t["over_18"] is False for t in near)
    for t in truths:
        if t["date_of_birth"]:
            born = date.fromisoformat(t["date_of_birth"])
            age = TODAY.year - born.year - ((TODAY.month, TODAY.day) < (born.month, born.day))
            assert t["over_18"] is (age >= 18)
            assert 10 <= age <= 95
    expired = sum(t["expired"] for t in truths) / len(truths)
    assert 0.05 < expired < 0.16
    assert any(t["date_of_birth"] is None for t in truths)  # some unknown birth-date parts
    assert any(t["issuing_state"] == "D" and t["mrz"][0][2:5] == "D<<" for t in truths)
    for t in truths:
        assert t["expected_decision"] == ("accept" if t["over_18"] is True and not t["expired"] else "reject")


@pytest.mark.parametrize("orientation", [1, 3, 6, 8])
def test_exif_orientation_round_trip(orientation: int) -> None:
    upright = np.full((60, 100, 3), 255, np.uint8)
    upright[10:20, 70:90] = 0  # a dark patch near the top right
    data = encode(upright, 95, orientation)
    stored = Image.open(io.BytesIO(data))
    assert stored.getexif().get(0x0112) == orientation
    shown = np.asarray(_decode(data).convert("L"), dtype=np.float32)
    assert shown.shape == (60, 100)
    assert np.abs(shown - upright[..., 0]).mean() < 6
    # the quad mapping into the stored pixels lands on the dark patch too
    (x, y), = stored_quad(np.array([[80.0, 15.0]]), (100, 60), orientation)
    raw = np.asarray(stored.convert("L"))
    assert raw[int(y), int(x)] < 80


def test_render_mrz_lines_fixed_pitch_and_ink_in_boxes() -> None:
    lines = ["P<UTOERIKSSON<<ANNA<MARIA<<<<<<<<<<<<<<<<<<<", "L898902C36UTO7408122F1204159ZE184226B<<<<<10"]
    img, boxes = render_mrz_lines(lines, 30)
    assert img.dtype == np.uint8 and len(boxes) == 88
    pitch = 30 * 2.54 / 2.4
    assert np.allclose(np.diff([b.x0 for b in boxes[:44]]), pitch)
    for b in boxes:
        cell = img[int(b.y0):int(b.y1) + 1, int(b.x0):int(b.x1) + 1]
        assert cell.min() < 100, b  # every character leaves ink in its own cell
    ink = img < 128
    covered = np.zeros_like(ink)
    for b in boxes:
        covered[int(b.y0) - 1:int(b.y1) + 2, int(b.x0):int(b.x1) + 1] = True
    assert not (ink & ~covered).any()  # and nowhere else


def test_write_set_and_cli(tmp_path) -> None:
    records = write_set(tmp_path / "a", count=3, seed=2, levels=["hard"], formats=["TD1", "MRV-B"])
    assert [r["format"] for r in records] == ["TD1", "MRV-B", "TD1"]
    lines = (tmp_path / "a" / "truth.jsonl").read_text().splitlines()
    assert len(lines) == 3
    for line in lines:
        rec = json.loads(line)
        assert (tmp_path / "a" / rec["file"]).is_file()
        assert rec["today"] == "2026-11-28"
    assert synth_main(["--out", str(tmp_path / "b"), "--count", "3", "--seed", "2", "--levels", "hard",
                       "--formats", "TD1,MRV-B", "--quiet"]) == 0
    assert (tmp_path / "b" / "truth.jsonl").read_text() == (tmp_path / "a" / "truth.jsonl").read_text()
    for rec in records:
        assert (tmp_path / "a" / rec["file"]).read_bytes() == (tmp_path / "b" / rec["file"]).read_bytes()
