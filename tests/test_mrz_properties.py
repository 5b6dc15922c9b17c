"""Property tests driven by the layout tables: build → parse round trips, 7-3-1 sees every visible
substitution, and junk input raises only the documented errors."""

from __future__ import annotations

import string
from datetime import date

import pytest
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

from idcheck import Decision, verify_mrz
from idcheck.checkdigit import char_value
from idcheck.errors import InputError
from idcheck.mrz.generate import build_lines
from idcheck.mrz.layouts import ALLOWED, LAYOUTS, Kind, Layout
from idcheck.mrz.parse import MRZ, MRZFormatError, parse
from idcheck.mrz.repair import read_mrz_text

from date_masks import hide

FAST = settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
SLOW = settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])

LETTERS = string.ascii_uppercase
DIGITS = string.digits
ALNUM = DIGITS + LETTERS
MRZ_CHARS = ALNUM + "<"

# First characters that select each format (Part 4-7; parse.detect_format).
DOCUMENT_CODES = {
    "TD1": st.sampled_from("ACI"),
    "TD2": st.sampled_from("ACI"),
    "TD3": st.just("P"),
    "MRV-A": st.just("V"),
    "MRV-B": st.just("V"),
}


def _text(alphabet: str, min_size: int, max_size: int) -> st.SearchStrategy[str]:
    return st.text(alphabet, min_size=min_size, max_size=max_size)


@st.composite
def yymmdd(draw: st.DrawFn, unknown: bool = True) -> str:
    d = draw(st.dates(date(1900, 1, 1), date(2099, 12, 31))).strftime("%y%m%d")
    if unknown:
        d = hide(d, draw(st.sampled_from(["", "", "", "DD", "MMDD", "YYMMDD", "Y"])))
    return d


def _names(max_words: int = 3) -> st.SearchStrategy[str]:
    return st.lists(_text(LETTERS, 1, 12), min_size=0, max_size=max_words).map(" ".join)


def _state() -> st.SearchStrategy[str]:
    return st.one_of(st.sampled_from(["UTO", "D<<", "FRA", "XXX", "GBR", "D"]), _text(LETTERS, 3, 3))


@st.composite
def field_values(draw: st.DrawFn, layout: Layout) -> dict[str, str]:
    """Valid values for every field of ``layout``, drawn by the field kinds in the layout table."""
    values: dict[str, str] = {"primary": draw(_names()), "secondary": draw(_names())}
    for f in layout.fields:
        if f.name in ("names", "primary_identifier", "secondary_identifier"):
            continue
        if f.name == "document_code":
            if layout.name == "FR-ID":
                values[f.name] = "ID"
            else:
                values[f.name] = draw(DOCUMENT_CODES[layout.name]) + draw(st.sampled_from(LETTERS + "<"))
        elif f.kind is Kind.ALPHA:
            values[f.name] = "FRA" if layout.name == "FR-ID" else draw(_state())
        elif f.kind is Kind.DATE:
            values[f.name] = draw(yymmdd())
        elif f.kind is Kind.SEX:
            values[f.name] = draw(st.sampled_from(ALLOWED[Kind.SEX]))
        elif f.name == "document_number":
            if layout.name == "FR-ID":  # issue YYMM, department, sequence
                values[f.name] = draw(_text(DIGITS, 4, 4)) + draw(_text(ALNUM, 3, 3)) + draw(_text(DIGITS, 5, 5))
            else:
                long_ok = layout.check("document_number").long_number
                values[f.name] = draw(_text(ALNUM, 1, 9))
                if long_ok and draw(st.booleans()):
                    room = layout.field("optional_data").width - 2
                    values[f.name] += draw(_text(ALNUM, 1, room))
        else:  # other alphanumeric fields: letters, digits, fillers
            values[f.name] = draw(_text(MRZ_CHARS, 0, f.width)).rstrip("<")
    number = values["document_number"]
    if len(number) > layout.field("document_number").width:
        room = layout.field("optional_data").width - (len(number) - 9) - 2
        values["optional_data"] = values.get("optional_data", "")[:max(room, 0)].rstrip("<")
    return values


@st.composite
def layout_and_values(draw: st.DrawFn) -> tuple[Layout, dict[str, str]]:
    layout = LAYOUTS[draw(st.sampled_from(sorted(LAYOUTS)))]
    return layout, draw(field_values(layout))


def _padded(value: str, width: int) -> str:
    return value.ljust(width, "<")


PER_FORMAT = settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])


@pytest.mark.parametrize("name", sorted(LAYOUTS))
@PER_FORMAT
@given(data=st.data())
def test_build_then_parse_round_trips(name: str, data: st.DataObject) -> None:
    layout = LAYOUTS[name]
    values = data.draw(field_values(layout), label="values")
    lines = build_lines(layout, values)
    assert [len(x) for x in lines] == [layout.length] * layout.lines
    mrz = parse(lines)
    assert mrz.format == layout.name
    assert mrz.valid, mrz.failed_checks
    assert mrz.document_number == values["document_number"]
    long_number = len(values["document_number"]) > layout.field("document_number").width
    for f in layout.fields:
        if f.name in ("names", "primary_identifier", "secondary_identifier", "document_number"):
            continue
        if f.name == "optional_data" and long_number:
            overflow = values["document_number"][9:]
            assert mrz.fields[f.name].startswith(overflow)
            assert mrz.fields[f.name][len(overflow) + 2:].rstrip("<") == values.get(f.name, "")
            continue
        assert mrz.fields[f.name] == _padded(values.get(f.name, ""), f.width), f.name
    if not long_number:
        assert mrz.fields["document_number"] == _padded(values["document_number"], 9 if layout.name != "FR-ID" else 12)
    primary, secondary = values["primary"], values["secondary"]
    if layout.has_field("names"):
        width = layout.field("names").width
        fits = len(primary.replace(" ", "<")) + (len(secondary) + 2 if secondary else 0) <= width
        if fits:
            assert (mrz.primary_identifier, mrz.secondary_identifier) == (primary, secondary)
        else:  # truncated (Part 4 §4.2.3): the primary identifier survives as a prefix
            head = mrz.fields["names"].partition("<<")[0]
            assert primary.replace(" ", "<").startswith(head)
            assert bool(head) == bool(primary)
    else:
        if len(primary) <= layout.field("primary_identifier").width:
            assert mrz.primary_identifier == primary
        if len(secondary) <= layout.field("secondary_identifier").width:
            assert mrz.secondary_identifier == secondary
    # The tolerant reader takes a clean MRZ as it is.
    assert parse(mrz.lines) == mrz


@pytest.mark.parametrize("name", sorted(LAYOUTS))
@PER_FORMAT
@given(data=st.data())
def test_every_visible_substitution_is_caught(name: str, data: st.DataObject) -> None:
    """Changing a check-covered character to one with a different value mod 10 fails a covering check."""
    layout = LAYOUTS[name]
    values = data.draw(field_values(layout), label="values")
    lines = list(build_lines(layout, values))
    check = data.draw(st.sampled_from(layout.checks), label="check")
    positions = [(li, p) for li, start, stop in check.covers for p in range(start, stop)] + [(check.line, check.pos)]
    li, pos = data.draw(st.sampled_from(positions), label="position")
    old = lines[li][pos]
    new = data.draw(st.sampled_from([c for c in MRZ_CHARS if char_value(c) % 10 != char_value(old) % 10]), label="new")
    lines[li] = lines[li][:pos] + new + lines[li][pos + 1:]
    mrz = parse(lines)
    assume(mrz.format == layout.name)  # e.g. FR-ID line 2 no longer starting with digits reads as TD2
    assert not mrz.valid
    covering = {c.name for c in layout.checks
                if (li, pos) == (c.line, c.pos) or any(l == li and a <= pos < b for l, a, b in c.covers)}
    assert covering & set(mrz.failed_checks), (check.name, li, pos, old, new, mrz.failed_checks)


@FAST
@given(layout_and_values(), st.data())
def test_invisible_substitutions_are_really_invisible(case: tuple[Layout, dict[str, str]], data: st.DataObject) -> None:
    """The converse, pinning the 7-3-1 facts (GUIDE): same value mod 10 leaves a plain check digit verifying."""
    layout, values = case
    lines = list(build_lines(layout, values))
    check = layout.check("birth_date")
    pos = data.draw(st.integers(check.covers[0][1], check.covers[0][2] - 1))
    old = lines[check.line][pos]
    twins = [c for c in MRZ_CHARS if c != old and char_value(c) % 10 == char_value(old) % 10]
    new = data.draw(st.sampled_from(twins))
    line = lines[check.line]
    lines[check.line] = line[:pos] + new + line[pos + 1:]
    assert parse(lines).check("birth_date").ok


# --- junk input ---------------------------------------------------------------------------------

_mrzish_line = st.builds(
    lambda n, chars: chars[:n],
    st.sampled_from([19, 20, 29, 30, 31, 35, 36, 37, 43, 44, 45]),
    st.text(MRZ_CHARS + MRZ_CHARS.lower() + " «<<<<<<<<", min_size=45, max_size=45),
)
_mrzish = st.lists(_mrzish_line, min_size=0, max_size=4).map("\n".join)
_junk = st.one_of(st.text(max_size=300), _mrzish)


def _consistent(mrz: MRZ) -> None:
    again = parse(mrz.lines)
    assert again.fields == mrz.fields and again.checks == mrz.checks


@SLOW
@given(_junk)
def test_read_mrz_text_raises_only_format_error(text: str) -> None:
    try:
        mrz = read_mrz_text(text)
    except MRZFormatError:
        return
    assert isinstance(mrz, MRZ)
    _consistent(mrz)


@FAST
@given(st.lists(st.one_of(st.text(max_size=50), _mrzish_line), max_size=4))
def test_parse_raises_only_input_errors(lines: list[str]) -> None:
    try:
        mrz = parse(lines)
    except InputError as exc:
        assert isinstance(exc, MRZFormatError)
        return
    assert mrz.format in LAYOUTS


@SLOW
@given(_junk, st.dates(date(1990, 1, 1), date(2090, 12, 31)), st.integers(0, 40))
def test_verify_mrz_never_raises_and_only_accepts_valid(text: str, today: date, min_age: int) -> None:
    result = verify_mrz(text, today=today, min_age=min_age)
    assert isinstance(result.decision, Decision)
    if result.decision is Decision.ACCEPT:
        assert result.mrz is not None and result.mrz.valid and result.over_min_age is True
    else:
        assert result.reasons  # every retry or reject says why
    if result.mrz is None:
        assert result.decision is Decision.RETRY
        assert result.reasons == ("mrz_not_found",)
    elif not result.mrz.valid:
        assert result.decision is Decision.RETRY
    result.to_dict(personal_data=True)  # serialisable whatever happened


@FAST
@given(st.text(max_size=200))
def test_verify_mrz_arbitrary_text_is_retry(text: str) -> None:
    # Arbitrary unicode text: no MRZ, so retry, never an exception.
    result = verify_mrz(text, today=date(2026, 11, 28))
    assert result.decision is Decision.RETRY


def test_verify_mrz_rejects_non_str() -> None:
    with pytest.raises(TypeError):
        verify_mrz(b"P<UTO")  # type: ignore[arg-type]


def test_td1_shape_starting_with_v_is_not_read_as_a_visa() -> None:
    # Regression (found by the misread property): a TD1 whose first character is misread as V was given
    # the MRV-B layout (2 x 36) and parse()/verify_mrz() raised IndexError.
    lines = ["V<UTOD231458907<<<<<<<<<<<<<<<", "7408122F1204159UTO<<<<<<<<<<<6", "ERIKSSON<<ANNA<MARIA<<<<<<<<<<"]
    try:
        mrz = parse(lines)
    except MRZFormatError:
        pass
    else:
        assert mrz.format == "TD1"
    result = verify_mrz("\n".join(lines), today=date(2026, 11, 28))
    assert isinstance(result.decision, Decision)
