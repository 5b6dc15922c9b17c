"""MRZ text to fields and per-check results, driven by the layout tables.

``parse(lines)`` expects clean lines of a known shape; ``find_mrz_lines(text)`` is the tolerant
front door for text straight from OCR or a user (case, spaces, blank and noise lines, one character
too many or too few).
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from types import MappingProxyType
from typing import Any

from .. import checkdigit
from ..errors import InputError
from .layouts import LAYOUTS, SHAPES, Check, Layout


class MRZFormatError(InputError):
    """The text holds no MRZ of a known format."""

    code = "mrz_not_found"


@dataclass(frozen=True)
class CheckResult:
    """One check digit: the ``printed`` character and the ``expected`` digit."""

    name: str
    ok: bool
    printed: str
    expected: str


@dataclass(frozen=True)
class MRZ:
    """A parsed MRZ. ``fields`` holds the raw field texts by layout name."""

    format: str
    lines: tuple[str, ...]
    fields: Mapping[str, str]
    checks: tuple[CheckResult, ...]
    document_number: str
    primary_identifier: str
    secondary_identifier: str
    repairs: tuple[str, ...] = ()
    confidence: float | None = None
    field_confidence: Mapping[str, float] = field(default_factory=lambda: MappingProxyType({}))
    # Other values nearly equally likely verified readings give a field (decode.Decoded.alternatives).
    alternatives: Mapping[str, tuple[str, ...]] = field(default_factory=lambda: MappingProxyType({}))

    @property
    def layout(self) -> Layout:
        return LAYOUTS[self.format]

    @property
    def valid(self) -> bool:
        """Every check digit of the format verifies."""
        return all(c.ok for c in self.checks)

    @property
    def ambiguous(self) -> tuple[str, ...]:
        """Fields the check digits could not settle between nearly equally likely readings."""
        return tuple(self.alternatives)

    @property
    def repaired(self) -> bool:
        return bool(self.repairs)

    def check(self, name: str) -> CheckResult | None:
        return next((c for c in self.checks if c.name == name), None)

    @property
    def failed_checks(self) -> tuple[str, ...]:
        return tuple(c.name for c in self.checks if not c.ok)

    def to_dict(self, personal_data: bool = False) -> dict[str, Any]:
        out: dict[str, Any] = {
            "format": self.format,
            "checks": {c.name: c.ok for c in self.checks},
            "repaired": self.repaired,
        }
        if self.confidence is not None:
            out["confidence"] = round(self.confidence, 4)
        if personal_data:
            out["lines"] = list(self.lines)
            out["fields"] = dict(self.fields)
            out["document_number"] = self.document_number
            out["primary_identifier"] = self.primary_identifier
            out["secondary_identifier"] = self.secondary_identifier
            out["repairs"] = list(self.repairs)
            out["ambiguous"] = list(self.ambiguous)
        return out


# Characters OCR and people produce for the filler; everything else outside A-Z0-9 is noise.
_FILLER_LOOKALIKES = str.maketrans({"«": "<", "‹": "<", "〈": "<", "≪": "<<", "(": "<", "{": "<", "[": "<"})
_NOT_MRZ = re.compile(r"[^A-Z0-9<]")


def clean_line(line: str) -> str:
    """Upper-case, filler look-alikes to ``<``, spaces and other noise removed."""
    return _NOT_MRZ.sub("", line.upper().translate(_FILLER_LOOKALIKES))


def detect_format(lines: tuple[str, ...]) -> Layout:
    """The layout for lines of an exact known shape (Part 3-7 line counts and lengths)."""
    shape = (len(lines), len(lines[0]) if lines else 0)
    if shape not in SHAPES or any(len(x) != shape[1] for x in lines):
        raise MRZFormatError(f"no MRZ format has {len(lines)} lines of these lengths")
    names = SHAPES[shape]
    first = lines[0]
    if first.startswith("V") and any(n.startswith("MRV") for n in names):  # no visa is 3 x 30
        return LAYOUTS["MRV-A" if shape[1] == 44 else "MRV-B"]
    if "FR-ID" in names and first.startswith("IDFRA") and _french_card(lines):
        return LAYOUTS["FR-ID"]
    return LAYOUTS[names[0]]


def _french_card(lines: tuple[str, ...]) -> bool:
    # Pre-2021 French cards: line 2 begins with the 12-character card number (YYMM + department + seq),
    # a digit check, then given names; a TD2 line 2 has nationality letters at 11-13 and DOB at 14-19.
    second = lines[1]
    return second[:4].isdigit() and second[12].isdigit() and not second[13:19].isdigit()


def _span_text(lines: tuple[str, ...], spans: Iterable[tuple[int, int, int]]) -> str:
    return "".join(lines[line][start:stop] for line, start, stop in spans)


def _check_result(lines: tuple[str, ...], check: Check, layout: Layout) -> tuple[CheckResult, str | None]:
    """Verify one check digit; returns the result and, for a long document number, the full number."""
    printed = lines[check.line][check.pos]
    text = _span_text(lines, check.covers)
    expected = str(checkdigit.compute(text))
    if check.filler_if_empty and printed == "<" and set(text) <= {"<"}:
        return CheckResult(check.name, True, printed, expected), None
    if check.long_number and printed == "<":
        return _long_number_check(lines, check, layout)
    return CheckResult(check.name, checkdigit.is_valid(text, printed), printed, expected), None


def _long_number_check(lines: tuple[str, ...], check: Check, layout: Layout) -> tuple[CheckResult, str | None]:
    # TD1/TD2 long document numbers (Part 5/6 note j): the number continues at the start of the
    # optional data and its check digit follows the last character, then a filler. Issuers differ
    # on whether the filler in the check position is part of the checked text: accept both.
    number = layout.field("document_number")
    optional = layout.field("optional_data")
    principal = lines[number.line][number.start:number.stop]
    spill = lines[optional.line][optional.start:optional.stop]
    end = spill.find("<")
    if end < 1:
        return CheckResult(check.name, False, "<", "?"), None
    overflow, printed = spill[: end - 1], spill[end - 1]
    variants = (principal + overflow, principal + "<" + overflow)
    expected = str(checkdigit.compute(variants[0]))
    ok = any(checkdigit.is_valid(v, printed) for v in variants)
    return CheckResult(check.name, ok, printed, expected), principal + overflow


def _names(layout: Layout, lines: tuple[str, ...]) -> tuple[str, str]:
    def words(raw: str) -> str:
        return " ".join(part for part in raw.split("<") if part)

    if layout.has_field("names"):
        f = layout.field("names")
        primary, _, secondary = lines[f.line][f.start:f.stop].partition("<<")
        return words(primary), words(secondary)
    p, s = layout.field("primary_identifier"), layout.field("secondary_identifier")
    return words(lines[p.line][p.start:p.stop]), words(lines[s.line][s.start:s.stop])


def parse(lines: Iterable[str], *, repairs: tuple[str, ...] = (), confidence: float | None = None,
          field_confidence: Mapping[str, float] | None = None,
          alternatives: Mapping[str, tuple[str, ...]] | None = None) -> MRZ:
    """Parse clean MRZ lines of an exact shape; raises :class:`MRZFormatError` otherwise."""
    lines = tuple(lines)
    if any(_NOT_MRZ.search(x) for x in lines):
        raise MRZFormatError("an MRZ holds only A-Z, 0-9 and <")
    layout = detect_format(lines)
    fields = {f.name: lines[f.line][f.start:f.stop] for f in layout.fields}
    checks = []
    number = fields["document_number"].rstrip("<")
    for check in layout.checks:
        result, long_number = _check_result(lines, check, layout)
        checks.append(result)
        if long_number is not None:
            number = long_number.rstrip("<")
    primary, secondary = _names(layout, lines)
    return MRZ(
        format=layout.name,
        lines=lines,
        fields=MappingProxyType(fields),
        checks=tuple(checks),
        document_number=number,
        primary_identifier=primary,
        secondary_identifier=secondary,
        repairs=repairs,
        confidence=confidence,
        field_confidence=MappingProxyType(dict(field_confidence or {})),
        alternatives=MappingProxyType(dict(alternatives or {})),
    )


def _fit(line: str, length: int) -> list[str]:
    """Ways to make ``line`` exactly ``length`` long.

    Off by one: drop or add a character at either end. Further off: only a trailing filler run may
    stretch or shrink (OCR engines often misjudge how many ``<`` follow the names), never the data.
    """
    extra = len(line) - length
    if extra == 0:
        return [line]
    if extra == 1:
        return [line[:-1], line[1:]]
    if extra == -1:
        return [line + "<", "<" + line]
    tail = len(line) - len(line.rstrip("<KX"))
    if 1 < extra <= 10 and tail - extra >= 2:
        return [line[:length]]
    if -10 <= extra < -1 and line.endswith("<"):
        return [line.ljust(length, "<")]
    return []


def candidate_line_sets(text: str) -> list[tuple[tuple[str, ...], int]]:
    """Every run of consecutive cleaned lines that fits a known MRZ shape, with the number of
    characters added or dropped to make it fit (±1 a line, or a stretched trailing filler run)."""
    lines = [clean_line(x) for x in text.splitlines()]
    lines = [x for x in lines if len(x) >= 20]
    found: list[tuple[tuple[str, ...], int]] = []
    for (count, length) in SHAPES:
        for i in range(len(lines) - count + 1):
            group = lines[i:i + count]
            options: list[list[str]] = [_fit(x, length) for x in group]
            if not all(options):
                continue
            edits = sum(abs(len(x) - length) for x in group)
            combos: list[tuple[str, ...]] = [()]
            for opts in options:
                combos = [c + (o,) for c in combos for o in opts]
            found.extend((combo, edits) for combo in combos)
    return found
