"""MRZ dates (YYMMDD) to date ranges, with the century resolved against ``today``.

Doc 9303 gives no century rule (Part 3 §4.8 only says YYMMDD). Unknown parts are ``<``
(Part 3 §4.8); we also accept ``X`` there. A date with unknown parts becomes the range of every
calendar date it could be, so the age decision can take the worst case.
"""

from __future__ import annotations

import calendar
from dataclasses import dataclass
from datetime import date

UNKNOWN = "<X"


class InvalidDate(ValueError):
    """The field cannot be any calendar date (e.g. month 13, 30 February, 29 February 2023)."""


@dataclass(frozen=True)
class DateRange:
    """Every date the MRZ field could mean lies in ``[earliest, latest]``."""

    earliest: date
    latest: date

    @property
    def exact(self) -> bool:
        return self.earliest == self.latest

    def isoformat(self) -> str | dict[str, str]:
        if self.exact:
            return self.earliest.isoformat()
        return {"earliest": self.earliest.isoformat(), "latest": self.latest.isoformat()}


_TWO_DIGITS = [f"{n:02d}" for n in range(100)]


def _digits(pattern: str, low: int, high: int) -> list[int]:
    """All integers in [low, high] whose two-digit form matches ``pattern`` (``<`` = any digit)."""
    if len(pattern) == 2 and pattern.isascii() and pattern.isdigit():  # the usual case: no unknown part
        n = int(pattern)
        return [n] if low <= n <= high else []
    return [n for n in range(low, high + 1) if all(p in UNKNOWN or p == d for p, d in zip(pattern, _TWO_DIGITS[n]))]


def _check_shape(yymmdd: str) -> None:
    if len(yymmdd) != 6 or any(not (c.isdigit() or c in UNKNOWN) for c in yymmdd):
        raise InvalidDate(f"not a YYMMDD field: {yymmdd!r}")


def _days_in_year(year: int, months: list[int], day_pattern: str) -> tuple[date, date] | None:
    """Earliest and latest valid date in ``year`` for the month candidates and day pattern."""
    found: list[date] = []
    for month in months:
        days = _digits(day_pattern, 1, calendar.monthrange(year, month)[1])
        if days:
            found.append(date(year, month, days[0]))
            found.append(date(year, month, days[-1]))
    if not found:
        return None
    return min(found), max(found)


def birth_date_range(yymmdd: str, today: date) -> DateRange:
    """Range of possible birth dates; each year is put in the latest century not after ``today``."""
    _check_shape(yymmdd)
    months = _digits(yymmdd[2:4], 1, 12)
    spans: list[tuple[date, date]] = []
    for yy in _digits(yymmdd[:2], 0, 99):
        century = today.year // 100 * 100
        while century >= today.year // 100 * 100 - 200:
            span = _days_in_year(century + yy, months, yymmdd[4:6])
            if span is not None and span[0] <= today:
                spans.append((span[0], min(span[1], today)))
                break
            century -= 100
    if not spans:
        raise InvalidDate(f"no calendar date matches {yymmdd!r}")
    return DateRange(min(s[0] for s in spans), max(s[1] for s in spans))


def expiry_date_range(yymmdd: str, today: date) -> DateRange:
    """Range of possible expiry dates; each year is put in the century nearest ``today`` (±50 years)."""
    _check_shape(yymmdd)
    months = _digits(yymmdd[2:4], 1, 12)
    spans: list[tuple[date, date]] = []
    for yy in _digits(yymmdd[:2], 0, 99):
        base = today.year // 100 * 100 + yy
        year = min((base - 100, base, base + 100), key=lambda y: abs(y - today.year))
        span = _days_in_year(year, months, yymmdd[4:6])
        if span is not None:
            spans.append(span)
    if not spans:
        raise InvalidDate(f"no calendar date matches {yymmdd!r}")
    return DateRange(min(s[0] for s in spans), max(s[1] for s in spans))
