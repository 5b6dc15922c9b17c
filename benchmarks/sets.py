"""Benchmark sets: a folder with ``truth.jsonl`` (one JSON object per image) and the images.

Every record has at least ``file`` (relative to the folder), ``format`` (None for images without
an MRZ), ``mrz`` (list of lines or None), ``expected_decision`` and the fields written by
:func:`idcheck.synth.truth.mrz_truth`. ``realdata`` is the shared development set, converted on
the fly from its ``truth.json``; ``samples`` is the committed ``samples/`` folder.
"""

from __future__ import annotations

import json
import os
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Any

from idcheck.synth.truth import mrz_truth, negative_truth

REPO = Path(__file__).resolve().parent.parent
REALDATA = Path(os.environ.get("IDCHECK_REALDATA", REPO.parent / "shared" / "realdata"))
SAMPLES = REPO / "samples"
SETS_DIR = REPO / "benchmarks" / "sets"

#: realdata's format names -> idcheck layout names
_FORMAT_NAMES = {"MRVA": "MRV-A", "MRVB": "MRV-B", "FRID": "FR-ID", "FR_ID": "FR-ID"}


@dataclass(frozen=True)
class BenchSet:
    name: str
    root: Path
    records: list[dict[str, Any]]

    def path(self, record: dict[str, Any]) -> Path:
        return self.root / str(record["file"])


def realdata_record(entry: dict[str, Any], today: date) -> dict[str, Any]:
    """One realdata ``truth.json`` entry in the benchmark schema (``synthetic: false`` + provenance)."""
    fmt = entry.get("mrz_format")
    fmt = _FORMAT_NAMES.get(fmt, fmt) if fmt else None
    if entry.get("negative") or not entry.get("mrz"):
        rec: dict[str, Any] = negative_truth(today)
    else:
        rec = mrz_truth(entry["mrz"], fmt, today)
        if entry.get("all_check_digits_verify") is False:
            rec["expected_decision"] = "reject"  # the printed digits fail: a reader must not accept
    rec.update(
        {
            "file": entry["file"],
            "level": "real_hard" if entry.get("hard_case") else "real",
            "synthetic": False,
            "exif_orientation": entry.get("exif_orientation"),
            "rotation_deg": None,
            "mrz_char_height_px": None,
            "mrz_quad": None,
            "image_size": entry.get("pixel_size"),
            "difficulties": entry.get("difficulties", []),
            "source": {
                "repo": entry.get("source_repo"),
                "path": entry.get("source_path"),
                "commit": entry.get("source_commit"),
            },
            "license": entry.get("license"),
            "sha256": entry.get("sha256"),
        }
    )
    if entry.get("alternative_reading"):
        rec["alternative_reading"] = entry["alternative_reading"]
    return {"file": rec.pop("file"), **rec}


def read_jsonl(path: Path) -> list[dict[str, Any]]:
    with open(path, encoding="utf-8") as fh:
        return [json.loads(line) for line in fh if line.strip()]


def with_today(records: list[dict[str, Any]], today: date) -> list[dict[str, Any]]:
    """Recompute the date-dependent truth when a set is scored on another day than it was made for."""
    out = []
    for rec in records:
        if rec.get("today") == today.isoformat():
            out.append(rec)
            continue
        new = dict(rec)
        if rec.get("mrz") and rec.get("format"):
            fresh = mrz_truth(rec["mrz"], rec["format"], today)
            new.update({k: fresh[k] for k in ("over_18", "expired", "expected_decision", "age_years",
                                              "date_of_birth_latest", "today")})
        else:
            new["today"] = today.isoformat()
        out.append(new)
    return out


def load_set(name: str, today: date) -> BenchSet:
    """``realdata``, ``samples``, a name under benchmarks/sets/, or a folder with truth.jsonl."""
    if name == "realdata":
        entries = json.loads((REALDATA / "truth.json").read_text(encoding="utf-8"))
        return BenchSet("realdata", REALDATA, [realdata_record(e, today) for e in entries])
    if name == "samples":
        root = SAMPLES
    elif (SETS_DIR / name / "truth.jsonl").is_file():
        root = SETS_DIR / name
    else:
        root = Path(name)
    truth = root / "truth.jsonl"
    if not truth.is_file():
        raise FileNotFoundError(f"no truth.jsonl in {root} (make one with: python -m benchmarks make-set)")
    return BenchSet(root.resolve().name if name not in ("samples",) else "samples", root,
                    with_today(read_jsonl(truth), today))
