"""Reading MRZ text from OCR or a person: find the lines, repair look-alike characters, parse.

A repair is kept only when it makes the covering check digit(s) verify (decode.py), and the
result lists the repaired fields.
"""

from __future__ import annotations

from .decode import decode, text_options
from .layouts import Layout
from .parse import MRZ, MRZFormatError, candidate_line_sets, detect_format, parse


def repair_lines(layout: Layout, lines: tuple[str, ...]) -> MRZ:
    """Decode ``lines`` of ``layout`` with type-aware repairs, then parse."""
    decoded = decode(layout, text_options(layout, lines), observed=lines)
    repairs = tuple(
        f.name for f in layout.fields
        if decoded.lines[f.line][f.start:f.stop] != lines[f.line][f.start:f.stop]
    ) + tuple(
        f"{c.name}_check" for c in layout.checks if decoded.lines[c.line][c.pos] != lines[c.line][c.pos]
    )
    return parse(decoded.lines, repairs=repairs, confidence=decoded.confidence,
                 field_confidence=decoded.field_confidence, alternatives=decoded.alternatives)


def _rank(mrz: MRZ, edits: int) -> tuple[int, int, int, int]:
    """Most checks verified, then the birth date, then the fewest characters added or dropped, then repairs."""
    birth = mrz.check("birth_date")
    return (sum(c.ok for c in mrz.checks), int(bool(birth and birth.ok)), -edits, -len(mrz.repairs))


def read_mrz_text(text: str) -> MRZ:
    """The best MRZ found in ``text``; raises :class:`MRZFormatError` when there is none."""
    best: tuple[tuple[int, int, int, int], MRZ] | None = None
    for lines, edits in candidate_line_sets(text):
        try:
            layout = detect_format(lines)
            mrz = repair_lines(layout, lines)
        except MRZFormatError:
            continue
        if best is None or _rank(mrz, edits) > best[0]:
            best = (_rank(mrz, edits), mrz)
    if best is None:
        raise MRZFormatError("no MRZ found in the text")
    return best[1]
