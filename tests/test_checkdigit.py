"""ICAO 9303 7-3-1 check digits (Part 3 §4.9)."""

from __future__ import annotations

import string

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from idcheck.checkdigit import ALPHABET, char_value, compute, is_valid, weighted_sum

MRZ_CHARS = string.digits + string.ascii_uppercase + "<"


@pytest.mark.parametrize("text,digit", [
    ("L898902C3", 6), ("740812", 2), ("120415", 9), ("ZE184226B<<<<<", 1),   # ICAO TD3 specimen
    ("D23145890", 7), ("<<<<<<", 0), ("7408<<", 7), ("74<<<<", 1),            # standards.md §1.5
    ("520727", 3), ("AB2134<<<", 5), ("", 0),
    ("BNO257453", 2), ("BN0257453", 8),                                       # O vs 0 (foxanna issue #3)
    ("D23145890734", 9), ("000590240<601", 3), ("000590240601", 1),           # long numbers, §1.4
])
def test_compute(text: str, digit: int) -> None:
    assert compute(text) == digit
    assert is_valid(text, str(digit))
    assert not is_valid(text, str((digit + 1) % 10))


def test_char_values() -> None:
    assert [char_value(c) for c in "09AZ<"] == [0, 9, 10, 35, 0]
    assert ALPHABET == MRZ_CHARS
    for bad in ["a", " ", "«", "-", "é"]:
        with pytest.raises(ValueError):
            char_value(bad)
    with pytest.raises(ValueError):
        compute("l898902c3")


@pytest.mark.parametrize("group", ["0AKU<", "1BLV", "2CMW", "3DNX", "4EOY", "5FPZ", "6GQ", "7HR", "8IS", "9JT"])
def test_invisible_substitution_classes(group: str) -> None:
    """The GUIDE's table: characters with the same value mod 10 cannot be told apart by a check digit."""
    assert len({char_value(c) % 10 for c in group}) == 1
    assert sorted(c for c in MRZ_CHARS if char_value(c) % 10 == char_value(group[0]) % 10) == sorted(group)


@pytest.mark.parametrize("digit", ["<", "A", "10", "", " ", "٣"])
def test_is_valid_needs_one_ascii_digit(digit: str) -> None:
    assert not is_valid("<<<<<<", digit)


def test_non_ascii_digit_is_not_a_check_digit() -> None:
    # str.isdigit() is true for "٢" (Arabic-Indic two) and int() reads it as 2.
    assert compute("740812") == 2
    assert not is_valid("740812", "٢")


def test_weighted_sum_offset_continues_the_cycle() -> None:
    text = "L898902C36UTO"
    assert weighted_sum(text[:4]) + weighted_sum(text[4:], offset=4) == weighted_sum(text)


@settings(max_examples=200)
@given(st.text(MRZ_CHARS, min_size=1, max_size=40), st.data())
def test_single_visible_substitution_changes_the_digit(text: str, data: st.DataObject) -> None:
    pos = data.draw(st.integers(0, len(text) - 1))
    new = data.draw(st.sampled_from([c for c in MRZ_CHARS if char_value(c) % 10 != char_value(text[pos]) % 10]))
    assert compute(text[:pos] + new + text[pos + 1:]) != compute(text)


@settings(max_examples=200)
@given(st.text(MRZ_CHARS, min_size=2, max_size=40), st.data())
def test_adjacent_transpositions_are_caught_unless_values_differ_by_5(text: str, data: st.DataObject) -> None:
    # 7-3-1 catches a swap of neighbours a, b unless (w1 - w2)(a - b) ≡ 0 mod 10.
    pos = data.draw(st.integers(0, len(text) - 2))
    a, b = char_value(text[pos]), char_value(text[pos + 1])
    swapped = text[:pos] + text[pos + 1] + text[pos] + text[pos + 2:]
    w1, w2 = (7, 3, 1)[pos % 3], (7, 3, 1)[(pos + 1) % 3]
    assert (compute(swapped) == compute(text)) == ((w1 - w2) * (a - b) % 10 == 0)
