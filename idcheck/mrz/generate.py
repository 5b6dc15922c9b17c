"""Build valid MRZ lines from field values, driven by the layout tables.

Used by the synthetic document generator, the tests and the benchmarks. Check digits are computed
here with the same tables the parser verifies against.
"""

from __future__ import annotations

import re
from collections.abc import Mapping

from .. import checkdigit
from .layouts import LAYOUTS, Check, Layout

_NON_MRZ = re.compile(r"[^A-Z0-9<]")


def mrz_text(value: str) -> str:
    """Upper-case; spaces, hyphens and commas become ``<``; apostrophes and other marks vanish (Part 3 §4.6)."""
    value = value.upper().replace("'", "")
    value = re.sub(r"[\s\-,]+", "<", value.strip())
    return _NON_MRZ.sub("", value)


def format_names(primary: str, secondary: str, width: int) -> str:
    """Primary ``<<`` secondary identifier, filled or truncated to ``width`` (Part 4 §4.2.3)."""
    primary_parts = [p for p in mrz_text(primary).split("<") if p]
    secondary_parts = [p for p in mrz_text(secondary).split("<") if p]
    full = "<".join(primary_parts)
    if secondary_parts:
        full += "<<" + "<".join(secondary_parts)
    if len(full) <= width:
        return full.ljust(width, "<")
    # Truncation: keep the primary identifier (shortening it if needed so that "<<" and at least
    # the first letter of the secondary identifier fit), then cut the secondary identifier.
    head = "<".join(primary_parts)
    if secondary_parts:
        head = head[: max(1, width - 3)] + "<<"
        return (head + "<".join(secondary_parts))[:width]
    return head[:width]


def _pad(value: str, width: int, field_name: str) -> str:
    text = mrz_text(value)
    if len(text) > width:
        raise ValueError(f"{field_name} {value!r} is longer than {width} characters")
    return text.ljust(width, "<")


def _check_digit(lines: list[list[str]], check: Check) -> str:
    text = "".join("".join(lines[line][start:stop]) for line, start, stop in check.covers)
    if check.filler_if_empty and set(text) <= {"<"}:
        return "<"
    return str(checkdigit.compute(text))


def build_lines(layout: Layout | str, values: Mapping[str, str]) -> tuple[str, ...]:
    """MRZ lines for ``values`` (field name -> text; names as ``primary``/``secondary``).

    A ``document_number`` longer than 9 characters in TD1/TD2 uses the long-number rule
    (Part 5/6 note j): 9 characters, ``<`` in the check position, the rest plus their check digit at
    the start of the optional data.
    """
    if isinstance(layout, str):
        layout = LAYOUTS[layout]
    lines = [["<"] * layout.length for _ in range(layout.lines)]
    values = dict(values)
    number_check = layout.check("document_number")
    number_field = layout.field("document_number")
    number = mrz_text(values.get("document_number", ""))
    overflow = ""
    if len(number) > number_field.width and number_check.long_number:
        number, overflow = number[: number_field.width], number[number_field.width:]
        values["document_number"] = number
    for field in layout.fields:
        if field.name == "names":
            text = format_names(values.get("primary", ""), values.get("secondary", ""), field.width)
        elif field.name in ("primary_identifier", "secondary_identifier"):
            key = "primary" if field.name == "primary_identifier" else "secondary"
            text = format_names(values.get(key, ""), "", field.width)
        else:
            text = _pad(values.get(field.name, ""), field.width, field.name)
        lines[field.line][field.start:field.stop] = list(text)
    if overflow:
        opt = layout.field("optional_data")
        rest = mrz_text(values.get("optional_data", ""))
        # 9303 rule: the check digit covers the 9 principal characters and the overflow, not the filler.
        digit = str(checkdigit.compute(number + overflow))
        spill = (overflow + digit + "<" + rest).ljust(opt.width, "<")
        if len(spill) > opt.width:
            raise ValueError("document number and optional data do not fit the optional data field")
        lines[opt.line][opt.start:opt.stop] = list(spill)
    for check in layout.checks:
        if check.name == "document_number" and overflow:
            lines[check.line][check.pos] = "<"
        else:
            lines[check.line][check.pos] = _check_digit(lines, check)
    return tuple("".join(row) for row in lines)
