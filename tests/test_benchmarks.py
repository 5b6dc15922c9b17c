"""The benchmark harness on three fake images and a stub engine (no OCR, no real images)."""

from __future__ import annotations

import json
import sys
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import Any

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from benchmarks import __main__ as bench_cli  # noqa: E402
from benchmarks.harness import run_engine  # noqa: E402
from benchmarks.metrics import field_correct, summarise, summarise_all  # noqa: E402
from benchmarks.report import dump_rows, markdown_report, text_report  # noqa: E402
from benchmarks.sets import BenchSet, load_set, realdata_record  # noqa: E402
from idcheck.errors import EngineError  # noqa: E402
from idcheck.mrz.dates import birth_date_range  # noqa: E402
from idcheck.mrz.generate import build_lines  # noqa: E402
from idcheck.synth.truth import mrz_truth, negative_truth  # noqa: E402

TODAY = date(2026, 11, 28)


def _lines(dob: str, expiry: str = "300101") -> list[str]:
    return list(build_lines("TD3", {"document_code": "P", "issuing_state": "UTO", "primary": "ERIKSSON",
                                    "secondary": "ANNA", "document_number": "L898902C3", "nationality": "UTO",
                                    "birth_date": dob, "sex": "F", "expiry_date": expiry}))


ADULT = _lines("740812")
MINOR = _lines("100305")


def _records() -> list[dict[str, Any]]:
    adult = {"file": "adult.jpg", "level": "easy", **mrz_truth(ADULT, "TD3", TODAY)}
    minor = {"file": "minor.jpg", "level": "hard", **mrz_truth(MINOR, "TD3", TODAY)}
    neg = {"file": "none.jpg", "level": "easy", **negative_truth(TODAY)}
    return [adult, minor, neg]


@dataclass(frozen=True)
class FakeMRZ:
    lines: tuple[str, ...]
    format: str = "TD3"


@dataclass(frozen=True)
class FakeCheck:
    decision: str
    reasons: tuple[str, ...] = ()
    mrz: FakeMRZ | None = None
    date_of_birth: Any = None
    timings_ms: dict[str, float] = field(default_factory=dict)


def fake_verify(path: str, *, engine: str, today: date, min_age: int) -> FakeCheck:
    """A bad engine: reads the adult right, accepts the minor (with a misread name), finds nothing on the negative."""
    name = Path(path).name
    if engine == "missing":
        raise EngineError("not installed")
    if name == "adult.jpg":
        return FakeCheck("accept", (), FakeMRZ(tuple(ADULT)), birth_date_range("740812", today),
                         {"decode": 1.0, "locate": 2.0, "recognise": 10.0, "total": 14.0})
    if name == "minor.jpg":
        wrong = (MINOR[0].replace("ERIKSSON", "ERIKSS0N"), MINOR[1])
        return FakeCheck("accept", (), FakeMRZ(wrong), birth_date_range("100305", today), {"total": 20.0})
    return FakeCheck("retry", ("mrz_not_found",), None, None, {"total": 5.0})


def _rows(tmp_path: Path) -> list[dict[str, Any]]:
    bench = BenchSet("fake", tmp_path, _records())
    rows, note = run_engine(bench, "stub", TODAY, verify=fake_verify)
    assert note is None
    return rows


def test_metrics_on_three_fake_results(tmp_path: Path) -> None:
    rows = _rows(tmp_path)
    s = summarise(rows)
    assert s["n"] == 3 and s["n_mrz"] == 2
    assert s["found"] == 2 and s["exact"] == 1
    assert s["minors"] == 1 and s["minors_accepted"] == 1
    assert s["unsafe_accepts"] == 1
    assert s["retry"] == 1 and s["errors"] == 0
    assert s["dob_correct"] == 2 and s["dob_total"] == 2
    assert s["fields"]["names"] == {"correct": 1, "total": 2, "rate": 0.5}
    assert s["fields"]["birth_date"]["correct"] == 2
    assert s["confusion"]["accept"] == {"accept": 1}
    assert s["confusion"]["reject"] == {"accept": 1}
    assert s["confusion"]["retry"] == {"retry": 1}
    assert s["decision_correct"] == 2  # adult accepted, negative retried
    assert s["latency_ms"]["recognise"]["p50"] == 10.0
    assert s["latency_ms"]["total"]["p50"] == 14.0
    assert s["images_per_s"] is not None and s["images_per_s"] > 0


def test_groups_reports_and_dump(tmp_path: Path) -> None:
    rows = _rows(tmp_path)
    summary = summarise_all(rows)
    assert set(summary["level"]) == {("stub", "easy"), ("stub", "hard")}
    assert summary["level"][("stub", "hard")]["minors_accepted"] == 1
    assert summary["format"][("stub", "none")]["n"] == 1
    text = text_report(summary, "fake")
    assert "minors accepted (stub): 1 of 1 minors" in text and "MUST BE 0" in text
    md = markdown_report(summary, "fake")
    assert md.startswith("# fake") and "| stub |" in md
    dump_rows(rows, tmp_path / "rows.jsonl", redact=True)
    first = json.loads((tmp_path / "rows.jsonl").read_text().splitlines()[0])
    assert "mrz" not in first and first["decision"] == "accept"


def test_missing_engine_is_skipped_with_a_note(tmp_path: Path) -> None:
    bench = BenchSet("fake", tmp_path, _records())
    rows, note = run_engine(bench, "missing", TODAY, verify=fake_verify)
    assert rows == [] and note and "skipped" in note


def test_field_slices_follow_the_layout() -> None:
    row = {"truth_mrz": ADULT, "format": "TD3", "mrz": [ADULT[0], ADULT[1][:13] + "7408139" + ADULT[1][20:]]}
    assert field_correct(row, "birth_date") is False
    assert field_correct(row, "document_number") is True
    assert field_correct({"truth_mrz": None, "format": None}, "names") is None


def test_cli_run_on_a_folder_with_a_stub(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    root = tmp_path / "set"
    root.mkdir()
    with open(root / "truth.jsonl", "w") as fh:
        for rec in _records():
            fh.write(json.dumps(rec) + "\n")
    monkeypatch.setattr("benchmarks.harness._default_verify", lambda: fake_verify)
    out = tmp_path / "results"
    assert bench_cli.main(["run", "--set", str(root), "--engines", "stub,missing", "--out", str(out),
                           "--no-plots", "--quiet"]) == 0
    assert (out / "set.md").is_file() and (out / "set_images.jsonl").is_file()
    assert "missing: skipped" in (out / "set.md").read_text()


def test_realdata_record_conversion() -> None:
    entry = {"file": "images/x.jpg", "mrz_format": "TD3", "mrz": MINOR, "all_check_digits_verify": True,
             "hard_case": False, "negative": False, "source_repo": "a/b", "license": "MIT"}
    rec = realdata_record(entry, TODAY)
    assert rec["file"] == "images/x.jpg" and rec["synthetic"] is False
    assert rec["over_18"] is False and rec["expected_decision"] == "reject"
    neg = realdata_record({"file": "images/n.jpg", "mrz": None, "negative": True}, TODAY)
    assert neg["expected_decision"] == "retry"


def test_samples_set_loads() -> None:
    root = Path(__file__).resolve().parent.parent / "samples"
    if not (root / "truth.jsonl").is_file():
        pytest.skip("samples/ not generated")
    bench = load_set("samples", TODAY)
    assert bench.records and all(bench.path(r).is_file() for r in bench.records)


def test_speed_harness_reports_every_stage() -> None:
    """The fixed-size latency harness runs the real reader on samples/ (no timing is asserted)."""
    from benchmarks.speed import measure, report

    result = measure(load_set("samples", TODAY), "native", TODAY, megapixels=0.5, limit=2)
    assert {"decode", "locate", "recognise", "parse", "decide", "total", "recognise+parse"} <= set(result)
    assert all(p95 >= median >= 0 for median, p95 in result.values())
    assert result["recognise+parse"][0] >= max(result["recognise"][0], result["parse"][0])  # a per-image sum
    assert "2 images at 0.5 MP" in report(result, "native", 0.5, 2)
