"""The dangerous direction: no minor is ever accepted, whatever the birth field, the date or a misread.

Birth dates (with unknown parts) and ``today`` are generated, an MRZ is built with ``build_lines`` and
checked with ``verify_mrz``. The oracle below is written independently of idcheck.mrz.dates: it looks
for the youngest person the birth field could describe (any century, never born after ``today``).
"""

from __future__ import annotations

import calendar
import string
from datetime import date, timedelta

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from idcheck import Decision, verify_mrz
from idcheck.mrz.generate import build_lines
from idcheck.mrz.layouts import LAYOUTS

from date_masks import hide

SETTINGS = settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])
MRZ_CHARS = string.ascii_uppercase + string.digits + "<"
NOISE = MRZ_CHARS + "<<<<<<OoIlSB8«  "


def age_on(born: date, today: date) -> int:
    years = today.year - born.year
    if (today.month, today.day) < (born.month, born.day):
        years -= 1
    return years


def _matches(pattern: str, number: int) -> bool:
    return all(p in "<X" or p == d for p, d in zip(pattern, f"{number:02d}"))


def youngest_possible(field: str, today: date) -> date | None:
    """The latest calendar date on or before ``today`` that ``field`` (YYMMDD, ``<`` unknown) can mean."""
    for year in range(today.year, today.year - 200, -1):
        if not _matches(field[:2], year % 100):
            continue
        for month in range(12, 0, -1):
            if not _matches(field[2:4], month):
                continue
            for day in range(calendar.monthrange(year, month)[1], 0, -1):
                if _matches(field[4:6], day) and date(year, month, day) <= today:
                    return date(year, month, day)
    return None


def test_oracle() -> None:
    today = date(2026, 11, 28)
    assert youngest_possible("081128", today) == date(2008, 11, 28)
    assert youngest_possible("261215", today) == date(1926, 12, 15)
    assert youngest_possible("08<<<<", today) == date(2008, 12, 31)
    assert youngest_possible("<<<<<<", today) == today
    assert youngest_possible("0902<<", today) == date(2009, 2, 28)
    assert youngest_possible("090229", today) is None


MASKS = ["", "", "", "DD", "MMDD", "YYMMDD", "Y0", "Y1", "MM"]


@st.composite
def person(draw: st.DrawFn) -> tuple[str, date, date, int, str, str]:
    """(format, born, today, min_age, birth field, expiry field)."""
    today = draw(st.dates(date(1990, 1, 1), date(2120, 12, 31)))
    min_age = draw(st.one_of(st.sampled_from([16, 18, 21]), st.integers(0, 30)))
    # Mostly people near the age limit, sometimes anyone up to 120.
    near = draw(st.integers(-400, 400))
    limit = date(today.year - min_age, today.month, min(today.day, 28))
    born = draw(st.one_of(
        st.just(limit + timedelta(days=near)),
        st.dates(date(today.year - 120, 1, 1), today),
    ))
    born = min(born, today)
    field = born.strftime("%y%m%d")
    field = hide(field, draw(st.sampled_from(MASKS)))
    expiry = (today + timedelta(days=draw(st.integers(0, 3000)))).strftime("%y%m%d")
    fmt = draw(st.sampled_from(sorted(LAYOUTS)))
    return fmt, born, today, min_age, field, expiry


def build(fmt: str, field: str, expiry: str) -> str:
    code = {"TD3": "P", "MRV-A": "V", "MRV-B": "V", "TD1": "I", "TD2": "I", "FR-ID": "ID"}[fmt]
    number = "1710GVA12345" if fmt == "FR-ID" else "L898902C3"
    values = dict(document_code=code, issuing_state="FRA" if fmt == "FR-ID" else "UTO", primary="DOE",
                  secondary="JANE", document_number=number, nationality="UTO", birth_date=field, sex="F",
                  expiry_date=expiry, optional_data="ZE184226B" if fmt == "TD3" else "")
    return "\n".join(build_lines(fmt, values))


def _assert_safe(result, born: date, field: str, today: date, min_age: int) -> None:
    if result.decision is not Decision.ACCEPT:
        return
    assert age_on(born, today) >= min_age, f"minor accepted: born {born}, field {field!r}, today {today}"
    assert result.mrz is not None and result.mrz.valid
    assert result.over_min_age is True
    assert result.date_of_birth is not None
    assert age_on(result.date_of_birth.latest, today) >= min_age


@SETTINGS
@given(person())
def test_no_minor_is_accepted(case) -> None:
    fmt, born, today, min_age, field, expiry = case
    result = verify_mrz(build(fmt, field, expiry), today=today, min_age=min_age, allow_expired=True)
    youngest = youngest_possible(field, today)
    assert youngest is not None  # the true birth date is one of the meanings
    _assert_safe(result, born, field, today, min_age)
    if result.decision is Decision.ACCEPT:
        assert age_on(youngest, today) >= min_age, f"accepted although {field!r} could mean {youngest}"
    else:
        # ... and no false reject of a clean MRZ either: every meaning is old enough -> accept.
        assert age_on(youngest, today) < min_age, (field, today, min_age, result.reasons)
        assert result.decision is Decision.REJECT
        assert set(result.reasons) & {"under_min_age", "birth_date_incomplete"}


@SETTINGS
@given(person(), st.data())
def test_no_minor_is_accepted_after_a_misread(case, data: st.DataObject) -> None:
    fmt, born, today, min_age, field, expiry = case
    lines = build(fmt, field, expiry).split("\n")
    li = data.draw(st.integers(0, len(lines) - 1), label="line")
    pos = data.draw(st.integers(0, len(lines[li]) - 1), label="pos")
    kind = data.draw(st.sampled_from(["substitute", "substitute", "substitute", "delete", "insert"]), label="kind")
    char = data.draw(st.sampled_from(NOISE), label="char")
    line = lines[li]
    if kind == "substitute":
        lines[li] = line[:pos] + char + line[pos + 1:]
    elif kind == "delete":
        lines[li] = line[:pos] + line[pos + 1:]
    else:
        lines[li] = line[:pos] + char + line[pos:]
    text = "\n".join(lines)
    result = verify_mrz(text, today=today, min_age=min_age, allow_expired=True)
    _assert_safe(result, born, field, today, min_age)


@pytest.mark.parametrize("fmt", sorted(LAYOUTS))
def test_every_single_dob_digit_misread_of_a_minor_is_not_accepted(fmt: str) -> None:
    """Exhaustive over one minor: every character in every DOB position (and its check digit)."""
    today, born = date(2026, 11, 28), "081129"  # 18 tomorrow
    text = build(fmt, born, "301231")
    lines = text.split("\n")
    dob = LAYOUTS[fmt].field("birth_date")
    check = LAYOUTS[fmt].check("birth_date")
    accepted = []
    for pos in list(range(dob.start, dob.stop)) + [check.pos]:
        for char in NOISE:
            line = lines[dob.line]
            changed = lines[:dob.line] + [line[:pos] + char + line[pos + 1:]] + lines[dob.line + 1:]
            result = verify_mrz("\n".join(changed), today=today, min_age=18, allow_expired=True)
            if result.decision is Decision.ACCEPT:
                accepted.append((pos, char, result.mrz.fields["birth_date"] if result.mrz else None))
    assert accepted == []
    assert verify_mrz(text, today=today, min_age=18).decision is Decision.REJECT


# --- several look-alike misreads in the birth date (OCR reads 8 as S or B, 0 as O, ...) -----------

LOOK_ALIKES = {"8": "BS", "5": "S", "0": "OQDU", "1": "ILT", "2": "Z", "6": "G", "4": "A"}


@SETTINGS
@given(person(), st.data())
def test_no_minor_is_accepted_after_look_alike_misreads_in_the_dob(case, data: st.DataObject) -> None:
    """TD1/TD2/TD3: the composite weights the DOB differently, so it settles what the DOB digit cannot."""
    fmt, born, today, min_age, field, expiry = case
    fmt = {"MRV-A": "TD3", "MRV-B": "TD2", "FR-ID": "TD1"}.get(fmt, fmt)  # the others: see the ambiguity test below
    lines = build(fmt, field, expiry).split("\n")
    dob = LAYOUTS[fmt].field("birth_date")
    chars = list(lines[dob.line])
    for pos in range(dob.start, dob.stop):
        if chars[pos] in LOOK_ALIKES and data.draw(st.booleans()):
            chars[pos] = data.draw(st.sampled_from(LOOK_ALIKES[chars[pos]]))
    lines[dob.line] = "".join(chars)
    result = verify_mrz("\n".join(lines), today=today, min_age=min_age, allow_expired=True)
    _assert_safe(result, born, field, today, min_age)


@pytest.mark.parametrize("fmt", ["TD1", "TD2", "TD3"])
def test_two_s_for_8_in_the_dob_with_a_composite(fmt: str) -> None:
    # 080815 read as 0S0S15: 050515 also satisfies the DOB digit (3 x (3 + 7) = 30); the composite does not.
    text = build(fmt, "080815", "301231").replace("080815", "0S0S15")
    result = verify_mrz(text, today=date(2026, 6, 1), allow_expired=True)
    assert result.decision is not Decision.ACCEPT
    assert result.mrz is not None and result.mrz.fields["birth_date"] in ("080815", "0S0S15")


@pytest.mark.parametrize("fmt,field", [("MRV-A", "080815"), ("MRV-B", "080815"), ("MRV-B", "080808"),
                                       ("FR-ID", "080815")])
def test_two_s_for_8_in_a_dob_without_a_distinguishing_composite(fmt: str, field: str) -> None:
    today = date(2026, 6, 1)  # born 2008-08: 17
    text = build(fmt, field, "301231").replace(field, field.replace("8", "S"))
    result = verify_mrz(text, today=today, allow_expired=True)
    assert result.decision is not Decision.ACCEPT, result.mrz.fields["birth_date"] if result.mrz else None
    assert "ambiguous_reading:birth_date" in result.reasons


def test_zero_and_filler_are_both_offered_for_a_repaired_date_position() -> None:
    """Regression (found by the misread property test): MRV-A, birth field 00<<<< (year 2000, month and day
    unknown), today 2000-01-01, one filler read as O. O->0 gives 00<0<< (October, so 1900 by the century
    rule: age 99); O->< gives the true 00<<<< (a newborn). 0 and < have the same check-digit value, so the
    check cannot choose: the reader must not accept."""
    today = date(2000, 1, 1)
    lines = build("MRV-A", "00<<<<", "301231").split("\n")
    lines[1] = lines[1][:16] + "O" + lines[1][17:]
    result = verify_mrz("\n".join(lines), today=today, min_age=16, allow_expired=True)
    assert result.decision is Decision.RETRY
    assert "ambiguous_reading:birth_date" in result.reasons
