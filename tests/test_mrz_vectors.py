"""The vector corpora (tests/vectors/*.json, sources in ../shared/reference/standards.md §2).

valid.json: ICAO specimens for every format and national quirks; every check digit verifies, the fields
are as listed, and the decision on 2026-11-28 is as listed. invalid.json: the checks that must fail, or
the error the text must raise.
"""

from __future__ import annotations

import json
from datetime import date
from pathlib import Path

import pytest

from idcheck import verify_mrz
from idcheck.errors import InputError
from idcheck.mrz.layouts import LAYOUTS
from idcheck.mrz.parse import MRZFormatError, parse
from idcheck.mrz.repair import read_mrz_text

VECTORS = Path(__file__).parent / "vectors"
VALID = json.loads((VECTORS / "valid.json").read_text(encoding="utf-8"))
INVALID = json.loads((VECTORS / "invalid.json").read_text(encoding="utf-8"))

# Known bugs, reported to the lead: read_mrz_text "repairs" K/X to "<" in fields no check digit covers.
_READ_BUGS: dict = {}
_INVALID_READ_BUGS: dict = {}


def _ids(vectors: list[dict]) -> list[str]:
    return [v["name"] for v in vectors]


def _params(vectors: list[dict], bugs: dict | None = None) -> list:
    bugs = bugs or {}
    return [pytest.param(v, id=v["name"], marks=bugs.get(v["name"], ())) for v in vectors]


def test_corpora_are_well_formed() -> None:
    names = _ids(VALID) + _ids(INVALID)
    assert len(names) == len(set(names)), "vector names must be unique"
    assert {v["format"] for v in VALID} == set(LAYOUTS), "every format needs at least one valid vector"
    for v in VALID + INVALID:
        assert v["source"], v["name"]
        if v["format"] is not None:
            layout = LAYOUTS[v["format"]]
            assert [len(x) for x in v["lines"]] == [layout.length] * layout.lines, v["name"]


@pytest.mark.parametrize("vector", _params(VALID))
def test_valid_vector_parses(vector: dict) -> None:
    mrz = parse(vector["lines"])
    exp = vector["expected"]
    assert mrz.format == vector["format"]
    assert mrz.valid, mrz.failed_checks
    assert mrz.document_number == exp["document_number"]
    assert mrz.fields["birth_date"] == exp["birth_date"]
    assert mrz.fields.get("expiry_date") == exp["expiry_date"]
    assert mrz.fields["sex"] == exp["sex"]
    assert mrz.fields.get("nationality") == exp["nationality"]
    assert mrz.fields["issuing_state"] == exp["issuing_state"]
    assert mrz.primary_identifier == exp["primary_identifier"]
    assert mrz.secondary_identifier == exp["secondary_identifier"]
    assert mrz.repairs == ()


@pytest.mark.parametrize("vector", _params(VALID, _READ_BUGS))
def test_valid_vector_reads_unchanged(vector: dict) -> None:
    """The tolerant reader leaves a correct MRZ exactly as it is: no repair, same lines."""
    mrz = read_mrz_text("\n".join(vector["lines"]))
    assert mrz.format == vector["format"]
    assert mrz.lines == tuple(vector["lines"])
    assert mrz.repairs == ()
    assert mrz.valid


@pytest.mark.parametrize("vector", _params(VALID))
def test_valid_vector_decision(vector: dict) -> None:
    spec = vector["age_check"]
    result = verify_mrz("\n".join(vector["lines"]), today=date.fromisoformat(spec["today"]),
                        min_age=spec["min_age"], allow_expired=spec["allow_expired"])
    assert result.decision.value == spec["decision"], result.reasons
    assert result.document is not None and result.document.format == vector["format"]


@pytest.mark.parametrize("vector", _params(INVALID))
def test_invalid_vector_parse(vector: dict) -> None:
    if "error" in vector:
        with pytest.raises(MRZFormatError):
            parse(vector["lines"])
        return
    mrz = parse(vector["lines"])
    assert mrz.format == vector["format"]
    assert not mrz.valid
    assert sorted(mrz.failed_checks) == sorted(vector["failed_checks"])


@pytest.mark.parametrize("vector", _params(INVALID, _INVALID_READ_BUGS))
def test_invalid_vector_read(vector: dict) -> None:
    """read_mrz_text never turns an invalid MRZ valid silently, and never breaks a check that verified."""
    text = "\n".join(vector["lines"])
    if "error" in vector:
        try:
            mrz = read_mrz_text(text)
        except InputError:
            return
        assert not mrz.valid  # whatever was salvaged must not pass as a valid MRZ
        assert verify_mrz(text, today=date(2026, 11, 28)).decision.value == "retry"
        return
    raw = parse(vector["lines"])
    mrz = read_mrz_text(text)
    result = verify_mrz(text, today=date(2026, 11, 28), allow_expired=True)
    assert set(mrz.failed_checks) <= set(raw.failed_checks), "a repair broke a check that verified"
    if vector["after_repair"] == "valid":
        assert mrz.valid and mrz.repairs
        assert "repaired" in result.reasons
    else:
        assert not mrz.valid
        assert result.decision.value == "retry"
        assert any(r.startswith("check_digit_failed:") for r in result.reasons)
