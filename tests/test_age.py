"""Age boundaries (standards.md §3.2), always with ``today`` injected — and the public default (UTC−12)."""

from __future__ import annotations

from datetime import date, datetime, timedelta, timezone

import pytest

import idcheck.age
from idcheck import verify_mrz
from idcheck.age import Decision, completed_years, decide, earliest_today, expiry_status
from idcheck.mrz.dates import DateRange, InvalidDate, birth_date_range, expiry_date_range
from idcheck.mrz.generate import build_lines

D = date


def mrz(birth: str, expiry: str = "341231", fmt: str = "TD3") -> str:
    return "\n".join(build_lines(fmt, dict(document_code="P" if fmt == "TD3" else "I", issuing_state="UTO",
                                           primary="DOE", secondary="JANE", document_number="L898902C3",
                                           nationality="UTO", birth_date=birth, sex="F", expiry_date=expiry)))


# (birth field, today, min_age, decision, reasons, over_min_age, age)
TABLE = [
    # Birthday today / tomorrow: the age increments at the start of the anniversary day.
    ("081128", D(2026, 11, 28), 18, "accept", (), True, 18),
    ("081129", D(2026, 11, 28), 18, "reject", ("under_min_age",), False, 17),
    ("081127", D(2026, 11, 28), 18, "accept", (), True, 18),
    # 29 February births: 18 on 1 March in common years, on 29 February in leap years.
    ("080229", D(2026, 2, 28), 18, "reject", ("under_min_age",), False, 17),
    ("080229", D(2026, 3, 1), 18, "accept", (), True, 18),
    ("120229", D(2028, 2, 28), 16, "reject", ("under_min_age",), False, 15),
    ("120229", D(2028, 2, 29), 16, "accept", (), True, 16),
    ("080229", D(2028, 2, 29), 20, "accept", (), True, 20),
    ("000229", D(2018, 2, 28), 18, "reject", ("under_min_age",), False, 17),
    ("000229", D(2018, 3, 1), 18, "accept", (), True, 18),
    # Century pivot on today (2026-11-28): a date after today is in the previous century.
    ("261215", D(2026, 11, 28), 18, "accept", (), True, 99),
    ("270101", D(2026, 11, 28), 18, "accept", (), True, 99),
    ("261129", D(2026, 11, 28), 18, "accept", (), True, 99),
    ("261128", D(2026, 11, 28), 18, "reject", ("under_min_age",), False, 0),
    ("081215", D(2026, 11, 28), 18, "reject", ("under_min_age",), False, 17),
    ("200101", D(2026, 11, 28), 18, "reject", ("under_min_age",), False, 6),  # a 106-year-old: false reject only
    ("991231", D(2026, 11, 28), 18, "accept", (), True, 26),
    # Unknown day or month: decided on the youngest possible date.
    ("7408<<", D(2026, 11, 28), 18, "accept", (), True, 52),
    ("74<<<<", D(2026, 11, 28), 18, "accept", (), True, None),  # 51 or 52
    ("08<<<<", D(2026, 11, 28), 18, "reject", ("birth_date_incomplete",), None, None),
    ("08<<<<", D(2026, 12, 30), 18, "reject", ("birth_date_incomplete",), None, None),
    ("08<<<<", D(2026, 12, 31), 18, "accept", (), True, 18),
    ("08<<<<", D(2026, 1, 1), 18, "reject", ("birth_date_incomplete",), None, None),
    ("08<<<<", D(2025, 12, 31), 18, "reject", ("under_min_age",), False, 17),
    ("0811<<", D(2026, 11, 29), 18, "reject", ("birth_date_incomplete",), None, None),
    ("0811<<", D(2026, 11, 30), 18, "accept", (), True, 18),
    ("0802<<", D(2026, 2, 28), 18, "reject", ("birth_date_incomplete",), None, None),
    ("0802<<", D(2026, 3, 1), 18, "accept", (), True, 18),
    ("<<<<<<", D(2026, 11, 28), 18, "reject", ("birth_date_incomplete",), None, None),
    ("<<<<<<", D(2026, 11, 28), 0, "accept", (), True, None),
    ("26<<<<", D(2026, 11, 28), 18, "reject", ("under_min_age",), False, 0),
    # min_age 16 / 18 / 21.
    ("101128", D(2026, 11, 28), 16, "accept", (), True, 16),
    ("101129", D(2026, 11, 28), 16, "reject", ("under_min_age",), False, 15),
    ("101128", D(2026, 11, 28), 18, "reject", ("under_min_age",), False, 16),
    ("051128", D(2026, 11, 28), 21, "accept", (), True, 21),
    ("051129", D(2026, 11, 28), 21, "reject", ("under_min_age",), False, 20),
    ("081128", D(2026, 11, 28), 21, "reject", ("under_min_age",), False, 18),
]


@pytest.mark.parametrize("birth,today,min_age,decision,reasons,over,age", TABLE)
def test_age_table(birth, today, min_age, decision, reasons, over, age) -> None:
    verdict = decide(birth_date_range(birth, today), today=today, min_age=min_age)
    assert (verdict.decision.value, verdict.reasons, verdict.over_min_age, verdict.age) == (decision, reasons, over, age)
    result = verify_mrz(mrz(birth), today=today, min_age=min_age)
    assert result.decision.value == decision
    assert result.reasons == reasons
    assert result.over_min_age is over
    assert result.age == age
    assert result.today == today and result.min_age == min_age


@pytest.mark.parametrize("field,today,earliest,latest", [
    ("261215", D(2026, 11, 28), D(1926, 12, 15), D(1926, 12, 15)),
    ("270101", D(2026, 11, 28), D(1927, 1, 1), D(1927, 1, 1)),
    ("261128", D(2026, 11, 28), D(2026, 11, 28), D(2026, 11, 28)),
    ("7408<<", D(2026, 11, 28), D(1974, 8, 1), D(1974, 8, 31)),
    ("08<<<<", D(2026, 11, 28), D(2008, 1, 1), D(2008, 12, 31)),
    ("0802<<", D(2026, 11, 28), D(2008, 2, 1), D(2008, 2, 29)),
    ("0902<<", D(2026, 11, 28), D(2009, 2, 1), D(2009, 2, 28)),
    ("000229", D(2101, 1, 1), D(2000, 2, 29), D(2000, 2, 29)),  # 2100 is no leap year
    ("2611<<", D(2026, 11, 28), D(2026, 11, 1), D(2026, 11, 28)),  # never after today
    ("74XXXX", D(2026, 11, 28), D(1974, 1, 1), D(1974, 12, 31)),  # X accepted for unknown parts
])
def test_birth_date_range(field, today, earliest, latest) -> None:
    assert birth_date_range(field, today) == DateRange(earliest, latest)


@pytest.mark.parametrize("field", ["680000", "090229", "741301", "740132", "7408", "74O812", "", "1900229"])
def test_impossible_birth_dates(field: str) -> None:
    with pytest.raises(InvalidDate):
        birth_date_range(field, D(2026, 11, 28))


@pytest.mark.parametrize("field", ["680000", "090229", "741301"])
def test_impossible_birth_date_is_retry(field: str) -> None:
    result = verify_mrz(mrz(field), today=D(2026, 11, 28))
    assert result.decision.value == "retry"
    assert result.reasons == ("birth_date_invalid",)
    assert result.over_min_age is None


def test_completed_years() -> None:
    assert completed_years(D(2008, 2, 29), D(2026, 2, 28)) == 17
    assert completed_years(D(2008, 2, 29), D(2026, 3, 1)) == 18
    assert completed_years(D(2008, 11, 28), D(2026, 11, 28)) == 18
    assert completed_years(D(2008, 11, 28), D(2026, 11, 27)) == 17


# --- expiry ---------------------------------------------------------------------------------------

@pytest.mark.parametrize("expiry,allow,decision,reasons", [
    ("261128", False, "accept", ()),                               # expiry today: still valid
    ("261127", False, "reject", ("document_expired",)),            # yesterday: expired
    ("261127", True, "accept", ()),
    ("2611<<", False, "reject", ("expiry_date_incomplete",)),      # might be before today
    ("2612<<", False, "accept", ()),
    ("271301", False, "reject", ("expiry_date_invalid",)),
    ("271301", True, "accept", ()),
])
def test_expiry(expiry: str, allow: bool, decision: str, reasons: tuple[str, ...]) -> None:
    result = verify_mrz(mrz("740812", expiry), today=D(2026, 11, 28), allow_expired=allow)
    assert result.decision.value == decision
    assert result.reasons == reasons
    assert result.over_min_age is True
    assert result.document is not None
    assert result.document.expired is (expiry not in ("261128", "2612<<"))


def test_expiry_status_and_range() -> None:
    today = D(2026, 11, 28)
    assert expiry_status(expiry_date_range("261128", today), today) == (False, None)
    assert expiry_status(expiry_date_range("261127", today), today) == (True, "document_expired")
    assert expiry_status(None, today) == (None, None)
    assert expiry_date_range("760101", today).earliest == D(1976, 1, 1)   # nearest century
    assert expiry_date_range("751231", today).earliest == D(2075, 12, 31)


def test_minor_with_expired_document_gives_both_reasons() -> None:
    result = verify_mrz(mrz("101129", "261127"), today=D(2026, 11, 28))
    assert result.decision is Decision.REJECT
    assert result.reasons == ("under_min_age", "document_expired")


def test_decide_rejects_straddling_range_whatever_the_expiry() -> None:
    v = decide(DateRange(D(2008, 1, 1), D(2008, 12, 31)), today=D(2026, 6, 1), min_age=18)
    assert v.decision is Decision.REJECT and v.over_min_age is None and v.age is None


# --- no hidden clock: today=None is the earliest date in force (UTC−12) ---------------------------

def _freeze(monkeypatch: pytest.MonkeyPatch, moment: datetime) -> None:
    class Frozen(datetime):
        @classmethod
        def now(cls, tz=None):  # type: ignore[override]
            return moment.astimezone(tz) if tz else moment.replace(tzinfo=None)

    monkeypatch.setattr(idcheck.age, "datetime", Frozen)


@pytest.mark.parametrize("utc_time,today", [
    (datetime(2026, 11, 28, 11, 59, tzinfo=timezone.utc), D(2026, 11, 27)),
    (datetime(2026, 11, 28, 12, 0, tzinfo=timezone.utc), D(2026, 11, 28)),
    (datetime(2026, 11, 28, 23, 59, tzinfo=timezone.utc), D(2026, 11, 28)),
    (datetime(2026, 11, 29, 0, 30, tzinfo=timezone.utc), D(2026, 11, 28)),
])
def test_earliest_today_is_utc_minus_12(monkeypatch: pytest.MonkeyPatch, utc_time: datetime, today: date) -> None:
    _freeze(monkeypatch, utc_time)
    assert earliest_today() == today
    # Born 2008-11-28: 18 only once 28 November has begun everywhere (12:00 UTC).
    result = verify_mrz(mrz("081128"), min_age=18)
    assert result.today == today
    assert result.decision.value == ("accept" if today == D(2026, 11, 28) else "reject")


def test_default_today_uses_the_real_clock() -> None:
    before = earliest_today()
    result = verify_mrz(mrz("740812"))
    after = earliest_today()
    assert before <= result.today <= after
    now = datetime.now(timezone.utc)
    assert (now - timedelta(hours=12, minutes=1)).date() <= result.today <= now.date()
