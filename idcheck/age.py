"""The age decision: pure functions of dates, ``today`` and the policy. No clock is read here."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta, timezone
from enum import Enum

from .mrz.dates import DateRange


class Decision(str, Enum):
    """What the caller should do: let the person in, keep them out, or ask for a better photo."""

    ACCEPT = "accept"
    REJECT = "reject"
    RETRY = "retry"

    def __str__(self) -> str:
        return self.value


def earliest_today() -> date:
    """The earliest calendar date in force anywhere on Earth (UTC−12), so nobody is let in early."""
    return (datetime.now(timezone.utc) - timedelta(hours=12)).date()


def completed_years(born: date, on: date) -> int:
    """Age in completed years on ``on``; someone born on 29 February comes of age on 1 March in common years."""
    return on.year - born.year - ((on.month, on.day) < (born.month, born.day))


@dataclass(frozen=True)
class AgeVerdict:
    decision: Decision
    reasons: tuple[str, ...]
    over_min_age: bool | None
    age: int | None
    expired: bool | None


def expiry_status(expiry: DateRange | None, today: date) -> tuple[bool | None, str | None]:
    """(expired, reason). A document is valid through its expiry date; an uncertain expiry counts as expired."""
    if expiry is None:
        return None, None
    if expiry.latest < today:
        return True, "document_expired"
    if expiry.earliest < today:
        return True, "expiry_date_incomplete"
    return False, None


def decide(birth: DateRange, *, today: date, min_age: int, expiry: DateRange | None = None,
           allow_expired: bool = False) -> AgeVerdict:
    """Decide on a verified birth-date range: every date in it must be at or over ``min_age``."""
    youngest, oldest = completed_years(birth.latest, today), completed_years(birth.earliest, today)
    age = youngest if youngest == oldest else None
    reasons: list[str] = []
    if youngest >= min_age:
        over: bool | None = True
    elif oldest < min_age:
        over = False
        reasons.append("under_min_age")
    else:  # the range straddles the limit: decide on the worst case
        over = None
        reasons.append("birth_date_incomplete")
    expired, why = expiry_status(expiry, today)
    if why and not allow_expired:
        reasons.append(why)
    decision = Decision.ACCEPT if not reasons else Decision.REJECT
    return AgeVerdict(decision, tuple(reasons), over, age, expired)
