"""ICAO 9303 check digits (Part 3 §4.9): weights 7, 3, 1 repeating, modulus 10.

>>> compute("520727")
3
>>> compute("AB2134<<<")
5
>>> is_valid("L898902C3", "6")
True
>>> is_valid("740812", "3")
False
"""

from __future__ import annotations

WEIGHTS = (7, 3, 1)
ALPHABET = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ<"


VALUES = {c: (i if c != "<" else 0) for i, c in enumerate(ALPHABET)}


def char_value(char: str) -> int:
    """Value of one MRZ character: digits as is, A-Z = 10-35, filler ``<`` = 0."""
    try:
        return VALUES[char]
    except KeyError:
        raise ValueError(f"not an MRZ character: {char!r}") from None


def weighted_sum(text: str, offset: int = 0) -> int:
    """Sum of value x weight; ``offset`` shifts the 7-3-1 cycle (for joined ranges)."""
    try:
        return sum(VALUES[c] * WEIGHTS[(i + offset) % 3] for i, c in enumerate(text))
    except KeyError as exc:
        raise ValueError(f"not an MRZ character: {exc.args[0]!r}") from None


def compute(text: str) -> int:
    """The check digit (0-9) of ``text``."""
    return weighted_sum(text) % 10


def is_valid(text: str, digit: str) -> bool:
    """True when ``digit`` (a single 0-9 character) is the check digit of ``text``."""
    return len(digit) == 1 and "0" <= digit <= "9" and compute(text) == int(digit)
