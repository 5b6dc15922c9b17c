"""Expected answers for an MRZ on a given day, by idcheck's own date and age rules.

Used for synthetic documents, the committed samples and the real-image set alike, so every truth
file means the same thing:

- ``over_18``: True / False when every possible birth date agrees; None when unknown parts straddle
  the limit (idcheck then rejects: ``birth_date_incomplete``).
- ``expired``: the document is valid through its expiry date (French IDs: estimated from the issue
  date in the card number, as idcheck does); an uncertain expiry counts as expired.
- ``check_digits_ok``: every printed check digit verifies (TD1/TD2 long numbers in either variant).
- ``expected_decision``: ``accept`` only when over 18, not expired and all check digits verify;
  otherwise ``reject``. Images without an MRZ expect ``retry``.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date

from ..age import completed_years
from ..mrz.dates import InvalidDate, birth_date_range, expiry_date_range
from ..mrz.layouts import LAYOUTS
from ..mrz.parse import MRZFormatError, parse

MIN_AGE = 18


def _field(lines: Sequence[str], fmt: str, name: str) -> str | None:
    layout = LAYOUTS[fmt]
    if not layout.has_field(name):
        return None
    f = layout.field(name)
    return lines[f.line][f.start:f.stop]


def check_digits_ok(lines: Sequence[str], fmt: str) -> bool:
    """Every check digit of ``lines`` verifies.

    A ``<`` in a TD1/TD2 document-number check position means a long number (Part 5/6 note j): the
    optional data starts with the rest of the number and its check digit, then a filler. Issuers
    differ on whether the ``<`` at position 15 is part of that check, so either variant passes.

    >>> check_digits_ok(["I<UTOD23145890<7349<<<<<<<<<<<", "3407127M9507122UTO<<<<<<<<<<<2",
    ...                  "STEVENSON<<PETER<JOHN<<<<<<<<<"], "TD1")
    True
    """
    try:
        mrz = parse(lines)
    except MRZFormatError:
        return False
    return mrz.format == fmt and mrz.valid


def _french_id_expired(issued: str, today: date) -> bool:
    """French ID cards (1988-2021) carry no expiry: the number starts with the issue YYMM; cards issued
    from 2004 are valid 15 years, earlier ones 10 (standards.md §1.10). Unknown counts as expired."""
    if not issued.isdigit() or not 1 <= int(issued[2:]) <= 12:
        return True
    yy, month = int(issued[:2]), int(issued[2:])
    year = 1900 + yy if yy >= 88 else 2000 + yy
    first_day_of_expiry_month = date(year + (15 if year >= 2004 else 10), month, 1)
    return first_day_of_expiry_month < today


def mrz_truth(lines: Sequence[str], fmt: str, today: date, min_age: int = MIN_AGE) -> dict[str, object]:
    """Birth date, age decision and expiry for MRZ ``lines`` of format ``fmt`` on ``today``."""
    birth = _field(lines, fmt, "birth_date") or "<<<<<<"
    over: bool | None = None
    latest = None
    age = None
    try:
        span = birth_date_range(birth, today)
    except InvalidDate:
        span = None
    if span is not None:
        youngest = completed_years(span.latest, today)
        oldest = completed_years(span.earliest, today)
        over = True if youngest >= min_age else False if oldest < min_age else None
        latest = span.latest.isoformat()
        age = youngest if youngest == oldest else None
    expiry_text = _field(lines, fmt, "expiry_date")
    expired: bool | None = None
    expiry_iso = None
    if fmt == "FR-ID":
        expired = _french_id_expired(lines[1][:4], today)
    elif expiry_text is not None:
        try:
            exp = expiry_date_range(expiry_text, today)
            expired = exp.earliest < today
            expiry_iso = exp.latest.isoformat() if exp.exact else None
        except InvalidDate:
            expired = True
    checks = check_digits_ok(lines, fmt)
    accept = over is True and expired is not True and checks
    return {
        "format": fmt,
        "mrz": list(lines),
        "date_of_birth_yymmdd": birth,
        "date_of_birth": span.earliest.isoformat() if span is not None and span.exact else None,
        "date_of_birth_latest": latest,
        "age_years": age,
        "over_18": over,
        "expired": expired,
        "expiry_date": expiry_iso,
        "check_digits_ok": checks,
        "expected_decision": "accept" if accept else "reject",
        "today": today.isoformat(),
    }


def negative_truth(today: date) -> dict[str, object]:
    """Truth for an image with no MRZ: the reader should ask for another photo."""
    return {
        "format": None,
        "mrz": None,
        "date_of_birth_yymmdd": None,
        "date_of_birth": None,
        "date_of_birth_latest": None,
        "age_years": None,
        "over_18": None,
        "expired": None,
        "expiry_date": None,
        "check_digits_ok": None,
        "expected_decision": "retry",
        "today": today.isoformat(),
    }
