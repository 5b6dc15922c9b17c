"""The committed samples/: present, small, consistent with their truth; MRZ texts give the expected answers."""

from __future__ import annotations

import hashlib
import json
from datetime import date
from pathlib import Path

import pytest

from idcheck import verify_mrz
from idcheck.synth.truth import check_digits_ok, mrz_truth

SAMPLES = Path(__file__).resolve().parent.parent / "samples"
TODAY = date(2026, 11, 28)

pytestmark = pytest.mark.skipif(not (SAMPLES / "truth.jsonl").is_file(), reason="samples/ not generated")


def _records() -> list[dict]:
    return [json.loads(line) for line in (SAMPLES / "truth.jsonl").read_text(encoding="utf-8").splitlines()]


def test_samples_are_small_and_described() -> None:
    records = _records()
    total = sum((SAMPLES / r["file"]).stat().st_size for r in records)
    assert total < 5_000_000
    assert (SAMPLES / "README.md").is_file() and (SAMPLES / "LICENSE-realdata.md").is_file()
    synthetic = [r for r in records if r["synthetic"]]
    real = [r for r in records if not r["synthetic"]]
    assert {r["format"] for r in synthetic} == {"TD1", "TD2", "TD3", "MRV-A", "MRV-B"}
    assert any(r["rotation_deg"] in (90.0, 180.0, 270.0) for r in synthetic)
    assert any(r["expected_decision"] == "retry" for r in real)  # the negative
    for r in real:
        assert r["source"]["repo"] and r["license"]
        data = (SAMPLES / r["file"]).read_bytes()
        assert hashlib.sha256(data).hexdigest() == r["sha256"]  # byte-for-byte copies


def test_sample_truth_matches_its_mrz() -> None:
    for r in _records():
        if not r["mrz"]:
            continue
        assert check_digits_ok(r["mrz"], r["format"]), r["file"]
        fresh = mrz_truth(r["mrz"], r["format"], TODAY)
        for key in ("over_18", "expired", "expected_decision", "date_of_birth"):
            assert fresh[key] == r[key], (r["file"], key)


def _mrz_cases() -> list[str]:
    path = SAMPLES / "mrz" / "expected.json"
    return sorted(json.loads(path.read_text(encoding="utf-8"))) if path.is_file() else []


@pytest.mark.parametrize("name", _mrz_cases())
def test_mrz_text_cases_give_the_expected_decision(name: str) -> None:
    expected = json.loads((SAMPLES / "mrz" / "expected.json").read_text(encoding="utf-8"))[name]
    result = verify_mrz((SAMPLES / "mrz" / name).read_text(encoding="utf-8"), today=TODAY)
    got = result.decision.value
    if expected["expected_decision"] == "accept":
        assert got == "accept", result.reasons
        assert result.mrz is not None and list(result.mrz.lines) == expected["clean_mrz"]
    else:
        assert got in ("reject", "retry"), result.reasons
