"""Check-digit-guided decoding: the most probable MRZ reading that the grammar and check digits accept.

Input is, for every position, a short list of ``(character, log-probability)`` options — from the
native recogniser's per-character probabilities, or from OCR text with type-aware confusions
(:func:`text_options`). Each check-digit group (the covered characters plus the digit) is searched
best-first for readings that verify; the composite then picks among those readings. When no reading
verifies, the most probable one is kept and the check fails downstream: nothing is forced to verify.
"""

from __future__ import annotations

import heapq
import math
from collections.abc import Iterator, Sequence
from dataclasses import dataclass

from .. import checkdigit
from .layouts import ALLOWED, Check, Kind, Layout

Option = tuple[str, float]  # (character, log-probability)
Options = Sequence[Sequence[Sequence[Option]]]  # [line][position] -> options, best first

#: Cost (negative log-probability) of a type-aware confusion repair in OCR text.
REPAIR_LOGP = -2.5
#: Cost of keeping a character that the field's grammar does not allow.
FOREIGN_LOGP = -6.0
MAX_POPS = 400  # readings tried per check group
MAX_VALID = 6  # verified readings kept per group for the composite
MAX_OPTIONS = 4  # options per position
MIN_RELATIVE_LOGP = -9.0  # options this much less likely than the best are dropped

# Characters OCR confuses, by the class the field needs (issue #2; Part 3 §4.3 alphabet).
TO_DIGIT = {"O": "0", "Q": "0", "D": "0", "U": "0", "I": "1", "L": "1", "T": "1", "Z": "2",
            "S": "5", "G": "6", "B": "8", "A": "4"}
TO_DIGIT_EXTRA = {"S": "8"}
TO_LETTER = {"0": "O", "1": "I", "2": "Z", "4": "A", "5": "S", "6": "G", "8": "B"}
FILLER_LOOKALIKES = "KX"


@dataclass(frozen=True)
class Decoded:
    """A decoded reading: the lines, their total log-probability and per-field confidence."""

    lines: tuple[str, ...]
    logp: float
    field_confidence: dict[str, float]
    confidence: float


def position_alphabet(layout: Layout) -> list[list[str]]:
    """Characters allowed at every position (check digits may be ``<`` where a rule allows it)."""
    kinds = layout.kinds()
    grid = [[ALLOWED[k] for k in row] for row in kinds]
    for check in layout.checks:
        if check.filler_if_empty or check.long_number:
            grid[check.line][check.pos] = ALLOWED[Kind.DIGIT] + "<"
    return grid


def _filler_run(line: str, start: int, stop: int) -> set[int]:
    """Positions of a trailing run (≥ 2) of K/X/< that reaches the end of a field: fillers misread."""
    i = stop
    while i > start and line[i - 1] in FILLER_LOOKALIKES + "<":
        i -= 1
    if stop - i >= 2 and any(c in FILLER_LOOKALIKES for c in line[i:stop]):
        return set(range(i, stop))
    return set()


def text_options(layout: Layout, lines: Sequence[str]) -> list[list[list[Option]]]:
    """Options for OCR text: the character read, plus type-aware repairs at a cost.

    Digit-for-digit changes are never offered: only letter/digit look-alikes and K/X for ``<``.
    """
    alphabet = position_alphabet(layout)
    fillerish: set[tuple[int, int]] = set()
    for f in layout.fields:
        if f.kind in (Kind.NAME, Kind.ALNUM, Kind.ALPHA):
            fillerish |= {(f.line, p) for p in _filler_run(lines[f.line], f.start, f.stop)}
    out: list[list[list[Option]]] = []
    for li, line in enumerate(lines):
        row: list[list[Option]] = []
        for pi, char in enumerate(line):
            allowed = alphabet[li][pi]
            opts: dict[str, float] = {char: 0.0 if char in allowed else FOREIGN_LOGP}
            alternatives = [TO_DIGIT.get(char), TO_DIGIT_EXTRA.get(char), TO_LETTER.get(char)]
            if char in FILLER_LOOKALIKES:
                alternatives.append("<")
            for alt in alternatives:
                if alt and alt in allowed and alt not in opts:
                    opts[alt] = REPAIR_LOGP
            if (li, pi) in fillerish and "<" in allowed:
                opts["<"] = -0.1
                if char != "<":
                    opts[char] = min(opts[char], REPAIR_LOGP)
            row.append(sorted(opts.items(), key=lambda o: -o[1]))
        out.append(row)
    return out


def probability_options(layout: Layout, probs: Sequence[Sequence[Sequence[float]]], charset: str) -> list[list[list[Option]]]:
    """Options from per-position class probabilities (``probs[line][pos][class]``), grammar-filtered."""
    alphabet = position_alphabet(layout)
    index = {c: i for i, c in enumerate(charset)}
    out: list[list[list[Option]]] = []
    for li, row_probs in enumerate(probs):
        row: list[list[Option]] = []
        for pi, p in enumerate(row_probs):
            allowed = [(c, float(p[index[c]])) for c in alphabet[li][pi]]
            allowed.sort(key=lambda o: -o[1])
            total = sum(v for _, v in allowed) or 1e-12
            row.append([(c, math.log(max(v / total, 1e-12))) for c, v in allowed[:MAX_OPTIONS]])
        out.append(row)
    return out


def _kbest(lists: Sequence[Sequence[float]], limit: int) -> Iterator[tuple[float, tuple[int, ...]]]:
    """Index tuples over independent score lists (each best first) in order of decreasing total."""
    if not lists or any(len(x) == 0 for x in lists):
        return
    start = tuple(0 for _ in lists)
    heap = [(-sum(x[0] for x in lists), start)]
    seen = {start}
    pops = 0
    while heap and pops < limit:
        neg, idx = heapq.heappop(heap)
        pops += 1
        yield -neg, idx
        for k, i in enumerate(idx):
            if i + 1 < len(lists[k]):
                nxt = idx[:k] + (i + 1,) + idx[k + 1:]
                if nxt not in seen:
                    seen.add(nxt)
                    heapq.heappush(heap, (neg - lists[k][i + 1] + lists[k][i], nxt))


@dataclass(frozen=True)
class _Reading:
    chars: dict[tuple[int, int], str]
    logp: float


def _positions(spans: Sequence[tuple[int, int, int]]) -> list[tuple[int, int]]:
    return [(line, p) for line, start, stop in spans for p in range(start, stop)]


def _group_valid(check: Check, text: str, digit: str) -> bool:
    if check.filler_if_empty and digit == "<":
        return set(text) <= {"<"}
    if check.long_number and digit == "<":
        return True  # verified with the optional data by parse(); the composite still covers it
    return checkdigit.is_valid(text, digit)


def _pruned(options: Sequence[Option]) -> list[Option]:
    best = options[0][1]
    return [o for o in options[:MAX_OPTIONS] if o[1] >= best + MIN_RELATIVE_LOGP]


def _group_readings(options: Options, positions: list[tuple[int, int]], check: Check | None) -> list[_Reading]:
    """Best readings of a group, verified against ``check`` when there is one (best first)."""
    opts = [_pruned(options[li][pi]) for li, pi in positions]
    scores = [[o[1] for o in x] for x in opts]
    valid: list[_Reading] = []
    for logp, idx in _kbest(scores, MAX_POPS if check else MAX_VALID):
        chars = [opts[k][i][0] for k, i in enumerate(idx)]
        if check and not _group_valid(check, "".join(chars[:-1]), chars[-1]):
            continue
        valid.append(_Reading(dict(zip(positions, chars)), logp))
        if len(valid) >= MAX_VALID:
            break
    if not valid:  # nothing verifies: keep the most probable reading and let the check fail
        valid.append(_Reading({pos: o[0][0] for pos, o in zip(positions, opts)}, sum(s[0] for s in scores)))
    return valid


def decode(layout: Layout, options: Options) -> Decoded:
    """The most probable reading that verifies every check digit it can (see module docstring)."""
    chosen: dict[tuple[int, int], str] = {}
    chosen_logp: dict[tuple[int, int], float] = {}
    for li in range(layout.lines):
        for pi in range(layout.length):
            char, logp = options[li][pi][0]
            chosen[(li, pi)], chosen_logp[(li, pi)] = char, logp
    composite = next((c for c in layout.checks if c.name == "composite"), None)
    field_checks = [c for c in layout.checks if c is not composite]
    groups: list[tuple[list[_Reading], list[tuple[int, int]]]] = []
    covered: set[tuple[int, int]] = set()
    for check in field_checks:
        positions = _positions(check.covers) + [(check.line, check.pos)]
        covered |= set(positions)
        groups.append((_group_readings(options, positions, check), positions))
    if composite is not None:
        free = [p for p in _positions(composite.covers) if p not in covered]
        free += [(composite.line, composite.pos)]
        groups.append((_group_readings(options, free, None), free))
        order = _positions(composite.covers)
        weight = {pos: checkdigit.WEIGHTS[i % 3] for i, pos in enumerate(order)}
        _combine(groups, weight, (composite.line, composite.pos), chosen)
    else:
        for readings, _ in groups:
            chosen.update(readings[0].chars)
    lines = tuple("".join(chosen[(li, pi)] for pi in range(layout.length)) for li in range(layout.lines))
    logp_of = {(li, pi): dict(options[li][pi]).get(chosen[(li, pi)], FOREIGN_LOGP)
               for li in range(layout.lines) for pi in range(layout.length)}
    field_conf = {
        f.name: min(math.exp(logp_of[(f.line, p)]) for p in range(f.start, f.stop)) for f in layout.fields
    }
    checked = [pos for c in layout.checks for pos in _positions(c.covers) + [(c.line, c.pos)]]
    confidence = min(math.exp(logp_of[p]) for p in checked) if checked else 1.0
    return Decoded(lines, sum(logp_of.values()), field_conf, confidence)


def _combine(groups: list[tuple[list[_Reading], list[tuple[int, int]]]], weight: dict[tuple[int, int], int],
             digit_pos: tuple[int, int], chosen: dict[tuple[int, int], str]) -> None:
    """Pick one reading per group so that the composite digit verifies, most probable first."""
    contributions = []
    for readings, _ in groups:
        contributions.append([
            sum(checkdigit.char_value(ch) * weight.get(pos, 0) for pos, ch in r.chars.items()) % 10
            for r in readings
        ])
    scores = [[r.logp for r in readings] for readings, _ in groups]
    best: tuple[int, ...] | None = None
    for _, idx in _kbest(scores, MAX_POPS):
        merged = {}
        for k, i in enumerate(idx):
            merged.update(groups[k][0][i].chars)
        digit = merged[digit_pos]
        total = sum(contributions[k][i] for k, i in enumerate(idx)) % 10
        if digit.isdigit() and total == int(digit):
            best = idx
            break
    if best is None:
        best = tuple(0 for _ in groups)
    for k, i in enumerate(best):
        chosen.update(groups[k][0][i].chars)
