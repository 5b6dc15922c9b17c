"""Run engines over a benchmark set: one :func:`idcheck.verify` call per image and engine.

The result of each call is flattened into a plain dict (:func:`image_result`) so metrics, tables,
plots and the per-image dump never touch idcheck objects, and a test can feed fake results.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterable
from datetime import date
from typing import Any

from idcheck.age import Decision
from idcheck.errors import EngineError

from .sets import BenchSet

Verify = Callable[..., Any]


def _default_verify() -> Verify:
    from idcheck import verify

    return verify


def _iso(value: Any) -> Any:
    """date / DateRange / None -> JSON value (``DateRange.isoformat()`` may return a dict)."""
    if value is None:
        return None
    if hasattr(value, "isoformat"):
        return value.isoformat()
    return str(value)


def image_result(record: dict[str, Any], engine: str, check: Any = None, *, error: str | None = None,
                 wall_ms: float | None = None) -> dict[str, Any]:
    """One row: the truth columns metrics need, plus what ``check`` (an AgeCheck) returned."""
    row: dict[str, Any] = {
        "file": record["file"],
        "engine": engine,
        "level": record.get("level"),
        "format": record.get("format"),
        "synthetic": record.get("synthetic"),
        "age_group": record.get("age_group"),
        "expected_decision": record.get("expected_decision"),
        "over_18": record.get("over_18"),
        "expired": record.get("expired"),
        "truth_mrz": record.get("mrz"),
        "truth_dob": record.get("date_of_birth_yymmdd"),
        "today": record.get("today"),
        "decision": "error" if error else None,
        "reasons": [],
        "mrz": None,
        "mrz_format": None,
        "date_of_birth": None,
        "timings_ms": {},
        "wall_ms": wall_ms,
        "error": error,
    }
    if check is not None:
        row["decision"] = Decision(check.decision).value
        row["reasons"] = list(check.reasons)
        if check.mrz is not None:
            row["mrz"] = list(check.mrz.lines)
            row["mrz_format"] = check.mrz.format
        row["date_of_birth"] = _iso(check.date_of_birth)
        row["timings_ms"] = {k: float(v) for k, v in check.timings_ms.items()}
    return row


def run_engine(bench: BenchSet, engine: str, today: date, *, verify: Verify | None = None,
               records: Iterable[dict[str, Any]] | None = None, warmup: bool = True,
               progress: Callable[[int, int], None] | None = None) -> tuple[list[dict[str, Any]], str | None]:
    """Rows for every image, or ``([], note)`` when the engine is not available.

    The first image is read once before timing starts (``warmup``) so model loading is not counted.
    """
    verify = verify or _default_verify()
    todo = list(records if records is not None else bench.records)
    if not todo:
        return [], None
    if warmup:
        try:
            verify(str(bench.path(todo[0])), engine=engine, today=today, min_age=18)
        except EngineError as exc:
            return [], f"{engine}: skipped ({exc})"
        except Exception:  # noqa: BLE001 - a bad first image must not stop the benchmark
            pass
    rows = []
    for n, record in enumerate(todo, 1):
        started = time.perf_counter()
        try:
            check = verify(str(bench.path(record)), engine=engine, today=today, min_age=18)
            error = None
        except EngineError as exc:
            if not rows:
                return [], f"{engine}: skipped ({exc})"
            check, error = None, f"{type(exc).__name__}: {exc}"
        except Exception as exc:  # noqa: BLE001 - recorded per image
            check, error = None, f"{type(exc).__name__}: {exc}"
        wall = (time.perf_counter() - started) * 1000.0
        rows.append(image_result(record, engine, check, error=error, wall_ms=wall))
        if progress:
            progress(n, len(todo))
    return rows, None
