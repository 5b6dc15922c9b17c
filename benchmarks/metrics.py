"""Metrics over per-image result rows (see :func:`benchmarks.harness.image_result`). Pure functions.

- ``found``: the engine returned an MRZ; ``exact``: every line equals the truth.
- per-field accuracy: the field's slice (from :mod:`idcheck.mrz.layouts`) equals the truth's.
- ``dob``: the reported birth date (range) equals the one the truth's YYMMDD gives on ``today``.
- decision confusion: expected ``accept``/``reject`` (``retry`` for images with no MRZ) x got
  ``accept``/``reject``/``retry``/``error``.
- **minors accepted**: truth says under 18 and the engine accepted. Must be 0.
- unsafe accepts: accepted although the truth expects no acceptance (minor, undecidable age,
  expired, failing check digits, no MRZ at all).
"""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Callable, Iterable, Mapping, Sequence
from datetime import date
from typing import Any

import numpy as np

from idcheck.mrz.dates import InvalidDate, birth_date_range
from idcheck.mrz.layouts import LAYOUTS

FIELDS = ("document_number", "birth_date", "expiry_date", "names", "nationality")
EXPECTED = ("accept", "reject", "retry")
GOT = ("accept", "reject", "retry", "error")
STAGES = ("decode", "locate", "recognise", "parse", "decide", "total")
#: per-image sums of stages (``locate`` includes rectifying the lines): the image decode with the search,
#: and recognition with the check-digit decoding
COMBINED = {"decode+locate": ("decode", "locate"), "recognise+parse": ("recognise", "parse")}


def with_combined(timings: Mapping[str, float]) -> dict[str, float]:
    """``timings`` plus the :data:`COMBINED` sums whose stages are all there."""
    out = dict(timings)
    out.update({name: sum(timings[p] for p in parts) for name, parts in COMBINED.items()
                if all(p in timings for p in parts)})
    return out

#: French ID keeps the names in two fields
_NAME_PARTS = {"FR-ID": ("primary_identifier", "secondary_identifier")}


def _slices(lines: Sequence[str], fmt: str, name: str) -> str | None:
    layout = LAYOUTS[fmt]
    names = _NAME_PARTS.get(fmt, ("names",)) if name == "names" else (name,)
    parts = []
    for n in names:
        if not layout.has_field(n):
            return None
        f = layout.field(n)
        parts.append(lines[f.line][f.start:f.stop])
    return "|".join(parts)


def _same_shape(a: Sequence[str] | None, b: Sequence[str] | None) -> bool:
    return a is not None and b is not None and len(a) == len(b) and all(len(x) == len(y) for x, y in zip(a, b))


def field_correct(row: dict[str, Any], name: str) -> bool | None:
    """None when the truth has no MRZ or its format has no such field."""
    truth, fmt = row.get("truth_mrz"), row.get("format")
    if not truth or not fmt or fmt not in LAYOUTS:
        return None
    want = _slices(truth, fmt, name)
    if want is None:
        return None
    got = row.get("mrz")
    if not _same_shape(got, truth):
        return False
    return _slices(got, fmt, name) == want


def expected_dob(row: dict[str, Any]) -> Any:
    """The birth date (range) idcheck should report, in ``DateRange.isoformat()`` form."""
    yymmdd, today = row.get("truth_dob"), row.get("today")
    if not yymmdd or not today:
        return None
    try:
        return birth_date_range(yymmdd, date.fromisoformat(today)).isoformat()
    except InvalidDate:
        return None


def dob_correct(row: dict[str, Any]) -> bool | None:
    want = expected_dob(row)
    if want is None:
        return None
    return row.get("date_of_birth") == want


def _rate(hits: int, total: int) -> float | None:
    return hits / total if total else None


def _pct(values: Iterable[float], q: float) -> float | None:
    arr = np.asarray([v for v in values if v is not None], dtype=float)
    return float(np.percentile(arr, q)) if arr.size else None


def summarise(rows: Sequence[dict[str, Any]]) -> dict[str, Any]:
    """All metrics for one group of rows."""
    n = len(rows)
    with_mrz = [r for r in rows if r.get("truth_mrz")]
    found = sum(r.get("mrz") is not None for r in with_mrz)
    exact = sum(r.get("mrz") is not None and list(r["mrz"]) == list(r["truth_mrz"]) for r in with_mrz)
    fields: dict[str, tuple[int, int]] = {}
    for name in FIELDS:
        marks = [m for m in (field_correct(r, name) for r in rows) if m is not None]
        fields[name] = (sum(marks), len(marks))
    dob_marks = [m for m in (dob_correct(r) for r in rows) if m is not None]
    confusion: dict[str, Counter[str]] = {e: Counter() for e in EXPECTED}
    for r in rows:
        exp = r.get("expected_decision") or "reject"
        got = r.get("decision") or "error"
        confusion.setdefault(exp, Counter())[got] += 1
    minors = [r for r in rows if r.get("over_18") is False]
    minors_accepted = sum(r.get("decision") == "accept" for r in minors)
    unsafe = sum(r.get("decision") == "accept" and r.get("expected_decision") != "accept" for r in rows)
    correct = sum(r.get("decision") == (r.get("expected_decision") or "reject") for r in rows)
    stages: dict[str, tuple[float | None, float | None]] = {}
    timings = [with_combined(r.get("timings_ms") or {}) for r in rows]
    for stage in STAGES + tuple(COMBINED):
        vals = [t[stage] for t in timings if stage in t]
        stages[stage] = (_pct(vals, 50), _pct(vals, 95))
    walls = [r["wall_ms"] for r in rows if r.get("wall_ms") is not None]
    wall_total_s = sum(walls) / 1000.0
    return {
        "n": n,
        "n_mrz": len(with_mrz),
        "found": found,
        "found_rate": _rate(found, len(with_mrz)),
        "exact": exact,
        "exact_rate": _rate(exact, len(with_mrz)),
        "fields": {k: {"correct": c, "total": t, "rate": _rate(c, t)} for k, (c, t) in fields.items()},
        "dob_correct": sum(dob_marks),
        "dob_total": len(dob_marks),
        "dob_rate": _rate(sum(dob_marks), len(dob_marks)),
        "decision_correct": correct,
        "decision_rate": _rate(correct, n),
        "confusion": {e: dict(c) for e, c in confusion.items()},
        "minors": len(minors),
        "minors_accepted": minors_accepted,
        "unsafe_accepts": unsafe,
        "retry": sum(r.get("decision") == "retry" for r in rows),
        "retry_rate": _rate(sum(r.get("decision") == "retry" for r in rows), n),
        "errors": sum(r.get("decision") == "error" for r in rows),
        "latency_ms": {s: {"p50": p50, "p95": p95} for s, (p50, p95) in stages.items()},
        "wall_ms": {"p50": _pct(walls, 50), "p95": _pct(walls, 95)},
        "images_per_s": (len(walls) / wall_total_s) if wall_total_s > 0 else None,
    }


def group_by(rows: Iterable[dict[str, Any]], key: Callable[[dict[str, Any]], Any]) -> dict[Any, list[dict[str, Any]]]:
    groups: dict[Any, list[dict[str, Any]]] = defaultdict(list)
    for r in rows:
        groups[key(r)].append(r)
    return dict(groups)


def summarise_all(rows: Sequence[dict[str, Any]]) -> dict[str, Any]:
    """Per engine, per (engine, level) and per (engine, format)."""
    return {
        "engine": {e: summarise(g) for e, g in group_by(rows, lambda r: r["engine"]).items()},
        "level": {k: summarise(g) for k, g in
                  group_by(rows, lambda r: (r["engine"], str(r.get("level")))).items()},
        "format": {k: summarise(g) for k, g in
                   group_by(rows, lambda r: (r["engine"], str(r.get("format") or "none"))).items()},
    }
