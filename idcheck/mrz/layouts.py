"""One table per MRZ format: where every field sits, what it may hold, which check digit covers it.

Parsing (parse.py), repair and check-digit-guided decoding (decode.py), the synthetic generator
(generate.py, idcheck.synth) and the test vectors all read these tables; nothing else slices MRZ lines.
Positions are 0-based Python slices; the comments give ICAO Doc 9303's 1-based positions.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import Enum


class Kind(str, Enum):
    """What a field may contain (Part 3 §4.3: only A-Z, 0-9 and the filler ``<``)."""

    CODE = "code"  # document code: letters and fillers
    ALPHA = "alpha"  # issuing state / nationality: letters and fillers (D<< for Germany)
    NAME = "name"  # names: letters and fillers
    ALNUM = "alnum"  # document number, optional data: letters, digits, fillers
    DATE = "date"  # YYMMDD: digits, ``<`` for unknown parts (Part 3 §4.8)
    DIGIT = "digit"  # digits only (check digits, numeric parts of national numbers)
    SEX = "sex"  # M, F, ``<`` (X is printed by some issuers: accepted)


#: Characters each kind may hold.
ALLOWED: dict[Kind, str] = {
    Kind.CODE: "ABCDEFGHIJKLMNOPQRSTUVWXYZ<",
    Kind.ALPHA: "ABCDEFGHIJKLMNOPQRSTUVWXYZ<",
    Kind.NAME: "ABCDEFGHIJKLMNOPQRSTUVWXYZ<",
    Kind.ALNUM: "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ<",
    Kind.DATE: "0123456789<",
    Kind.DIGIT: "0123456789",
    Kind.SEX: "MFX<",
}


@dataclass(frozen=True)
class Field:
    """A data field: ``line`` index and ``[start, stop)`` slice within it."""

    name: str
    line: int
    start: int
    stop: int
    kind: Kind

    @property
    def width(self) -> int:
        return self.stop - self.start


@dataclass(frozen=True)
class Check:
    """A check digit at ``(line, pos)`` computed over the ``covers`` spans ``(line, start, stop)``.

    ``filler_if_empty``: the digit may be ``<`` when every covered character is a filler
    (TD3 personal number, Part 4 §4.2.2.2). ``long_number``: TD1/TD2 overflow rule applies
    (Part 5/6 note j; a ``<`` here means the number continues in the optional data).
    """

    name: str
    line: int
    pos: int
    covers: tuple[tuple[int, int, int], ...]
    filler_if_empty: bool = False
    long_number: bool = False


@dataclass(frozen=True)
class Layout:
    """One MRZ format: ``lines`` lines of ``length`` characters."""

    name: str
    lines: int
    length: int
    fields: tuple[Field, ...]
    checks: tuple[Check, ...]
    description: str = ""

    @property
    def has_composite(self) -> bool:
        return any(c.name == "composite" for c in self.checks)

    def field(self, name: str) -> Field:
        for f in self.fields:
            if f.name == name:
                return f
        raise KeyError(name)

    def check(self, name: str) -> Check:
        for c in self.checks:
            if c.name == name:
                return c
        raise KeyError(name)

    def has_field(self, name: str) -> bool:
        return any(f.name == name for f in self.fields)

    def kinds(self) -> tuple[tuple[Kind, ...], ...]:
        """Per line, the kind of every position (check digit positions are DIGIT)."""
        grid = [[Kind.ALNUM] * self.length for _ in range(self.lines)]
        for f in self.fields:
            for i in range(f.start, f.stop):
                grid[f.line][i] = f.kind
        for c in self.checks:
            grid[c.line][c.pos] = Kind.DIGIT
        return tuple(tuple(row) for row in grid)


def _f(name: str, line: int, start: int, stop: int, kind: Kind) -> Field:
    return Field(name, line, start, stop, kind)


# TD1, 3 x 30 (Part 5 §4.2.2).
TD1 = Layout(
    "TD1", 3, 30,
    fields=(
        _f("document_code", 0, 0, 2, Kind.CODE),          # 1-2
        _f("issuing_state", 0, 2, 5, Kind.ALPHA),         # 3-5
        _f("document_number", 0, 5, 14, Kind.ALNUM),      # 6-14
        _f("optional_data", 0, 15, 30, Kind.ALNUM),       # 16-30
        _f("birth_date", 1, 0, 6, Kind.DATE),             # L2 1-6
        _f("sex", 1, 7, 8, Kind.SEX),                     # L2 8
        _f("expiry_date", 1, 8, 14, Kind.DATE),           # L2 9-14
        _f("nationality", 1, 15, 18, Kind.ALPHA),         # L2 16-18
        _f("optional_data_2", 1, 18, 29, Kind.ALNUM),     # L2 19-29
        _f("names", 2, 0, 30, Kind.NAME),                 # L3
    ),
    checks=(
        Check("document_number", 0, 14, ((0, 5, 14),), long_number=True),
        Check("birth_date", 1, 6, ((1, 0, 6),)),
        Check("expiry_date", 1, 14, ((1, 8, 14),)),
        # Composite: L1 6-30, L2 1-7, 9-15, 19-29 (Part 5 §4.2.4).
        Check("composite", 1, 29, ((0, 5, 30), (1, 0, 7), (1, 8, 15), (1, 18, 29))),
    ),
    description="ID-1 card (3 lines of 30)",
)

# TD2, 2 x 36 (Part 6 §4.2.2).
TD2 = Layout(
    "TD2", 2, 36,
    fields=(
        _f("document_code", 0, 0, 2, Kind.CODE),
        _f("issuing_state", 0, 2, 5, Kind.ALPHA),
        _f("names", 0, 5, 36, Kind.NAME),                 # 6-36
        _f("document_number", 1, 0, 9, Kind.ALNUM),       # L2 1-9
        _f("nationality", 1, 10, 13, Kind.ALPHA),         # L2 11-13
        _f("birth_date", 1, 13, 19, Kind.DATE),           # L2 14-19
        _f("sex", 1, 20, 21, Kind.SEX),                   # L2 21
        _f("expiry_date", 1, 21, 27, Kind.DATE),          # L2 22-27
        _f("optional_data", 1, 28, 35, Kind.ALNUM),       # L2 29-35
    ),
    checks=(
        Check("document_number", 1, 9, ((1, 0, 9),), long_number=True),
        Check("birth_date", 1, 19, ((1, 13, 19),)),
        Check("expiry_date", 1, 27, ((1, 21, 27),)),
        # Composite: L2 1-10, 14-20, 22-35 (Part 6 §4.2.4).
        Check("composite", 1, 35, ((1, 0, 10), (1, 13, 20), (1, 21, 35))),
    ),
    description="ID-2 card (2 lines of 36)",
)

# TD3, 2 x 44 (Part 4 §4.2.2).
TD3 = Layout(
    "TD3", 2, 44,
    fields=(
        _f("document_code", 0, 0, 2, Kind.CODE),
        _f("issuing_state", 0, 2, 5, Kind.ALPHA),
        _f("names", 0, 5, 44, Kind.NAME),                 # 6-44
        _f("document_number", 1, 0, 9, Kind.ALNUM),       # L2 1-9
        _f("nationality", 1, 10, 13, Kind.ALPHA),
        _f("birth_date", 1, 13, 19, Kind.DATE),
        _f("sex", 1, 20, 21, Kind.SEX),
        _f("expiry_date", 1, 21, 27, Kind.DATE),
        _f("optional_data", 1, 28, 42, Kind.ALNUM),       # personal number, L2 29-42
    ),
    checks=(
        Check("document_number", 1, 9, ((1, 0, 9),)),
        Check("birth_date", 1, 19, ((1, 13, 19),)),
        Check("expiry_date", 1, 27, ((1, 21, 27),)),
        Check("optional_data", 1, 42, ((1, 28, 42),), filler_if_empty=True),
        # Composite: L2 1-10, 14-20, 22-43 (Part 4 §4.2.4).
        Check("composite", 1, 43, ((1, 0, 10), (1, 13, 20), (1, 21, 43))),
    ),
    description="passport booklet (2 lines of 44)",
)


def _visa(name: str, length: int, section: str) -> Layout:
    # MRV-A / MRV-B (Part 7 §4.2.2 / §7.2.2): no composite check digit.
    return Layout(
        name, 2, length,
        fields=(
            _f("document_code", 0, 0, 2, Kind.CODE),
            _f("issuing_state", 0, 2, 5, Kind.ALPHA),
            _f("names", 0, 5, length, Kind.NAME),
            _f("document_number", 1, 0, 9, Kind.ALNUM),
            _f("nationality", 1, 10, 13, Kind.ALPHA),
            _f("birth_date", 1, 13, 19, Kind.DATE),
            _f("sex", 1, 20, 21, Kind.SEX),
            _f("expiry_date", 1, 21, 27, Kind.DATE),       # "valid until"
            _f("optional_data", 1, 28, length, Kind.ALNUM),
        ),
        checks=(
            Check("document_number", 1, 9, ((1, 0, 9),)),
            Check("birth_date", 1, 19, ((1, 13, 19),)),
            Check("expiry_date", 1, 27, ((1, 21, 27),)),
        ),
        description=f"machine-readable visa ({section})",
    )


MRVA = _visa("MRV-A", 44, "format A, 2 lines of 44")
MRVB = _visa("MRV-B", 36, "format B, 2 lines of 36")

# French national identity card issued 1995 - Aug 2021: a national 2 x 36 layout, not ICAO.
# L1: 1-2 ID, 3-5 FRA, 6-30 surname, 31-36 administrative code.
# L2: 1-12 card number (issue YYMM, department, sequence), 13 check, 14-27 given names,
# 28-33 birth date, 34 check, 35 sex, 36 composite over all of L1 and L2 1-35. No expiry date.
FR_ID = Layout(
    "FR-ID", 2, 36,
    fields=(
        _f("document_code", 0, 0, 2, Kind.CODE),
        _f("issuing_state", 0, 2, 5, Kind.ALPHA),
        _f("primary_identifier", 0, 5, 30, Kind.NAME),
        _f("optional_data", 0, 30, 36, Kind.ALNUM),
        _f("document_number", 1, 0, 12, Kind.ALNUM),
        _f("secondary_identifier", 1, 13, 27, Kind.NAME),
        _f("birth_date", 1, 27, 33, Kind.DATE),
        _f("sex", 1, 34, 35, Kind.SEX),
    ),
    checks=(
        Check("document_number", 1, 12, ((1, 0, 12),)),
        Check("birth_date", 1, 33, ((1, 27, 33),)),
        Check("composite", 1, 35, ((0, 0, 36), (1, 0, 35))),
    ),
    description="French national ID card issued before August 2021 (2 lines of 36)",
)

LAYOUTS: dict[str, Layout] = {layout.name: layout for layout in (TD1, TD2, TD3, MRVA, MRVB, FR_ID)}

#: Formats by (line count, line length); the first character and issuer settle the rest (parse.py).
SHAPES: dict[tuple[int, int], tuple[str, ...]] = {
    (3, 30): ("TD1",),
    (2, 36): ("TD2", "MRV-B", "FR-ID"),
    (2, 44): ("TD3", "MRV-A"),
}
