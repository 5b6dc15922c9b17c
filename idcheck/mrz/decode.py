"""Check-digit-guided decoding: the most probable MRZ reading that the grammar and check digits accept.

Input is, for every position, a short list of ``(character, log-probability)`` options — from the
native recogniser's per-character probabilities, or from OCR text with type-aware confusions
(:func:`text_options`). Each check-digit group (the covered characters plus the digit) is searched
best-first for readings that verify; the composite then picks among those readings. When no reading
of a group verifies, its text is kept as observed (OCR text) or most probable (images) and the check
fails downstream: nothing is forced to verify. Runner-up readings that verify and are nearly as likely
are reported as ``alternatives`` so the decision can be made for all of them (check.py).
"""

from __future__ import annotations

import heapq
import math
from collections.abc import Callable, Iterator, Sequence
from typing import Any
from dataclasses import dataclass, field

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
SEARCH_DEPTH = 10.0  # verified readings this much less likely than a group's best are not kept
MIN_RELATIVE_LOGP = -9.0  # options this much less likely than the best are dropped
#: A second verified reading this close in log-probability to the best makes the read ambiguous.
AMBIGUITY_MARGIN = 2.3
MAX_RUNNERS_UP = 4

# Characters OCR confuses, by the class the field needs (issue #2; Part 3 §4.3 alphabet).
TO_DIGIT = {"O": "0", "Q": "0", "D": "0", "U": "0", "I": "1", "L": "1", "T": "1", "Z": "2",
            "S": "5", "G": "6", "B": "8", "A": "4"}
TO_DIGIT_EXTRA = {"S": "8"}
TO_LETTER = {"0": "O", "1": "I", "2": "Z", "4": "A", "5": "S", "6": "G", "8": "B"}
FILLER_LOOKALIKES = "KX"



@dataclass(frozen=True)
class Decoded:
    """A decoded reading: the lines, their log-probability, per-field confidence, and ambiguity.

    ``alternatives`` maps a field to the other values it takes in runner-up readings that verify too
    and are nearly as probable (within ``AMBIGUITY_MARGIN``): the check digits cannot tell which one
    is true, so a decision must hold for all of them.
    """

    lines: tuple[str, ...]
    logp: float
    field_confidence: dict[str, float]
    confidence: float
    alternatives: dict[str, tuple[str, ...]] = field(default_factory=dict)


def position_alphabet(layout: Layout) -> list[list[str]]:
    """Characters allowed at every position (check digits may be ``<`` where a rule allows it)."""
    kinds = layout.kinds()
    grid = [[ALLOWED[k] for k in row] for row in kinds]
    for check in layout.checks:
        if check.filler_if_empty or check.long_number:
            grid[check.line][check.pos] = ALLOWED[Kind.DIGIT] + "<"
    return grid


def _filler_run(line: str, start: int, stop: int) -> set[int]:
    """Positions in a field's trailing run of K/X/``<`` that must be misread fillers.

    After the first ``<`` of the run a letter cannot continue a name or number, and four or more
    two or more K/X in the run end no real name or number; one K or X right before the fillers
    (ALEX<<<) is kept.
    """
    i = stop
    while i > start and line[i - 1] in FILLER_LOOKALIKES + "<":
        i -= 1
    run = line[i:stop]
    if sum(c in FILLER_LOOKALIKES for c in run) >= 2:
        return set(range(i, stop))
    first_filler = run.find("<")
    if first_filler < 0:
        return set()
    return {i + k for k in range(first_filler, len(run))}


def text_options(layout: Layout, lines: Sequence[str]) -> list[list[list[Option]]]:
    """Options for OCR text: the character read, plus type-aware repairs at a cost.

    Digit-for-digit changes are never offered: only letter/digit look-alikes where the field's type
    demands them (a letter in a digit field, a digit in a letter field) and K/X for ``<``. Where
    letters and digits are both legal (document numbers, optional data) the text is taken as read:
    swapping O for 0 there is a guess the check digits alone cannot vouch for.
    """
    alphabet = position_alphabet(layout)
    kinds = layout.kinds()
    fillerish: set[tuple[int, int]] = set()
    for f in layout.fields:
        if f.kind in (Kind.NAME, Kind.ALNUM):
            fillerish |= {(f.line, p) for p in _filler_run(lines[f.line], f.start, f.stop)}
    out: list[list[list[Option]]] = []
    for li, line in enumerate(lines):
        row: list[list[Option]] = []
        for pi, char in enumerate(line):
            allowed = alphabet[li][pi]
            opts: dict[str, float] = {char: 0.0 if char in allowed else FOREIGN_LOGP}
            alternatives = [] if char in allowed and allowed == ALLOWED[Kind.ALNUM] else \
                [TO_DIGIT.get(char), TO_DIGIT_EXTRA.get(char), TO_LETTER.get(char)]
            if char in FILLER_LOOKALIKES:
                alternatives.append("<")
            for alt in alternatives:
                if alt and alt in allowed and alt not in opts:
                    opts[alt] = REPAIR_LOGP
            if kinds[li][pi] is Kind.DATE:
                # 0 and the unknown-part filler < have the same check-digit value (Part 3 §4.9): a repair
                # to one is verified exactly as much as a repair to the other, so offer both.
                for a, b in (("0", "<"), ("<", "0")):
                    if opts.get(a) == REPAIR_LOGP and b not in opts:
                        opts[b] = REPAIR_LOGP
            if (li, pi) in fillerish and "<" in allowed:
                opts["<"] = -0.1
                if char != "<":
                    opts[char] = min(opts[char], REPAIR_LOGP)
            row.append(sorted(opts.items(), key=lambda o: -o[1]))
        out.append(row)
    return out


def probability_options(layout: Layout, probs: Sequence[Any], charset: str) -> list[list[list[Option]]]:
    """Options from per-position class probabilities (``probs[line]``: array-like ``(length, len(charset))``),
    restricted to the characters the grammar allows there and renormalised; best ``MAX_OPTIONS`` first."""
    import numpy as np  # only image engines produce probabilities; the text path stays numpy-free

    allowed = _allowed_mask(layout, charset)
    out: list[list[list[Option]]] = []
    for li, line_probs in enumerate(probs):
        p = np.asarray(line_probs, dtype=np.float64) * allowed[li]
        p /= np.maximum(p.sum(axis=1, keepdims=True), 1e-12)
        top = np.argsort(-p, axis=1)[:, :MAX_OPTIONS]
        logp = np.log(np.maximum(np.take_along_axis(p, top, axis=1), 1e-12))
        row: list[list[Option]] = []
        for pi in range(len(p)):
            n_allowed = int(allowed[li][pi].sum())
            row.append([(charset[j], float(v)) for j, v in zip(top[pi][:n_allowed], logp[pi][:n_allowed])])
        out.append(row)
    return out


_MASKS: dict[tuple[str, str], Any] = {}


def _allowed_mask(layout: Layout, charset: str) -> Any:
    """``(lines, length, len(charset))`` 0/1 array of the characters each position may hold (cached)."""
    import numpy as np

    key = (layout.name, charset)
    if key not in _MASKS:
        alphabet = position_alphabet(layout)
        _MASKS[key] = np.array([[[c in chars for c in charset] for chars in row] for row in alphabet], dtype=np.float64)
    return _MASKS[key]


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
    verified: bool = True


Validator = Callable[[dict[tuple[int, int], str]], bool]


def _positions(spans: Sequence[tuple[int, int, int]]) -> list[tuple[int, int]]:
    return [(line, p) for line, start, stop in spans for p in range(start, stop)]


def _text(chars: dict[tuple[int, int], str], positions: Sequence[tuple[int, int]]) -> str:
    return "".join(chars[p] for p in positions)


def _validator(layout: Layout, check: Check) -> tuple[list[tuple[int, int]], Validator]:
    """The positions a check group spans and the test a reading of them must pass."""
    covered = _positions(check.covers)
    digit_pos = (check.line, check.pos)
    if check.long_number:
        # TD1/TD2 long numbers (Part 5/6 note j): with ``<`` in the check position the number goes on
        # in the optional data, followed by its check digit; issuers differ on counting the filler.
        opt = layout.field("optional_data")
        spill = [(opt.line, p) for p in range(opt.start, opt.stop)]

        def long_number(chars: dict[tuple[int, int], str]) -> bool:
            principal, digit = _text(chars, covered), chars[digit_pos]
            if digit != "<":
                return checkdigit.is_valid(principal, digit)
            rest = _text(chars, spill)
            end = rest.find("<")
            if end < 1:
                return False
            overflow, printed = rest[: end - 1], rest[end - 1]
            return any(checkdigit.is_valid(v, printed) for v in (principal + overflow, principal + "<" + overflow))

        return covered + spill + [digit_pos], long_number

    def simple(chars: dict[tuple[int, int], str]) -> bool:
        text, digit = _text(chars, covered), chars[digit_pos]
        if check.filler_if_empty and digit == "<":
            return set(text) <= {"<"}
        return checkdigit.is_valid(text, digit)

    return covered + [digit_pos], simple


def _pruned(options: Sequence[Option]) -> list[Option]:
    best = options[0][1]
    return [o for o in options[:MAX_OPTIONS] if o[1] >= best + MIN_RELATIVE_LOGP]


def _group_readings(options: Options, positions: list[tuple[int, int]], valid: Validator | None,
                    observed: Sequence[str] | None) -> list[_Reading]:
    """Best readings of a group that pass ``valid`` (best first); the observed one when none does."""
    opts = [_pruned(options[li][pi]) for li, pi in positions]
    # Positions with a single option are fixed; the best-first search runs over the others only.
    fixed = {pos: o[0][0] for pos, o in zip(positions, opts) if len(o) == 1}
    fixed_logp = sum(o[0][1] for o in opts if len(o) == 1)
    free = [(pos, o) for pos, o in zip(positions, opts) if len(o) > 1]
    scores = [[o[1] for o in x] for _, x in free]
    found: list[_Reading] = []
    for logp, idx in _kbest(scores, MAX_POPS if valid else MAX_VALID) if free else iter([(0.0, ())]):
        logp += fixed_logp
        if found and logp < found[0].logp - SEARCH_DEPTH:
            break
        chars = dict(fixed)
        chars.update({pos: o[i][0] for (pos, o), i in zip(free, idx)})
        if valid is None or valid(chars):
            found.append(_Reading(chars, logp))
            if len(found) >= MAX_VALID:
                break
    if not found:
        # Nothing verifies: keep the characters as observed (or the most probable ones), unrepaired;
        # the check then fails downstream.
        kept = {(li, pi): observed[li][pi] if observed else options[li][pi][0][0] for li, pi in positions}
        logp = sum(dict(options[li][pi]).get(kept[(li, pi)], FOREIGN_LOGP) for li, pi in positions)
        found.append(_Reading(kept, logp, verified=False))
    return found


def _alternatives(layout: Layout, best: dict[tuple[int, int], str],
                  runners_up: Sequence[dict[tuple[int, int], str]]) -> dict[str, tuple[str, ...]]:
    """Per field, the values runner-up readings give it where they differ from the best reading."""
    out: dict[str, list[str]] = {}
    for other in runners_up:
        merged = {**best, **other}
        for f in layout.fields:
            value = "".join(merged[(f.line, p)] for p in range(f.start, f.stop))
            if value != "".join(best[(f.line, p)] for p in range(f.start, f.stop)) and value not in out.get(f.name, []):
                out.setdefault(f.name, []).append(value)
    return {name: tuple(values) for name, values in out.items()}


def decode(layout: Layout, options: Options, observed: Sequence[str] | None = None) -> Decoded:
    """The most probable reading that verifies every check digit it can (see module docstring).

    ``observed``: the text as read (OCR engines); a check group that cannot be made to verify keeps it.
    """
    chosen: dict[tuple[int, int], str] = {
        (li, pi): options[li][pi][0][0] for li in range(layout.lines) for pi in range(layout.length)
    }
    composite = next((c for c in layout.checks if c.name == "composite"), None)
    groups: list[list[_Reading]] = []
    covered: set[tuple[int, int]] = set()
    runners_up: list[dict[tuple[int, int], str]] = []
    for check in layout.checks:
        if check is composite:
            continue
        positions, valid = _validator(layout, check)
        positions = [p for p in positions if p not in covered]
        covered |= set(positions)
        groups.append(_group_readings(options, positions, valid, observed))
    if composite is not None:
        free = [p for p in _positions(composite.covers) if p not in covered] + [(composite.line, composite.pos)]
        groups.append(_group_readings(options, free, None, observed))
        order = _positions(composite.covers)
        weight = {pos: checkdigit.WEIGHTS[i % 3] for i, pos in enumerate(order)}
        best, runners_up = _combine(groups, weight, (composite.line, composite.pos))
        chosen.update(best)
    else:
        for readings in groups:
            chosen.update(readings[0].chars)
            runners_up += [r.chars for r in readings[1:MAX_RUNNERS_UP + 1]
                           if r.logp >= readings[0].logp - AMBIGUITY_MARGIN]
    lines = tuple("".join(chosen[(li, pi)] for pi in range(layout.length)) for li in range(layout.lines))
    logp_of = {(li, pi): dict(options[li][pi]).get(chosen[(li, pi)], FOREIGN_LOGP)
               for li in range(layout.lines) for pi in range(layout.length)}
    field_conf = {
        f.name: min(math.exp(logp_of[(f.line, p)]) for p in range(f.start, f.stop)) for f in layout.fields
    }
    checked = [pos for c in layout.checks for pos in _positions(c.covers) + [(c.line, c.pos)]]
    confidence = min(math.exp(logp_of[p]) for p in checked) if checked else 1.0
    return Decoded(lines, sum(logp_of.values()), field_conf, confidence, _alternatives(layout, chosen, runners_up))


def _combine(groups: list[list[_Reading]], weight: dict[tuple[int, int], int], digit_pos: tuple[int, int]
             ) -> tuple[dict[tuple[int, int], str], list[dict[tuple[int, int], str]]]:
    """One reading per group so that the composite verifies, most probable first, and close runners-up."""
    contributions = [
        [sum(checkdigit.char_value(ch) * weight.get(pos, 0) for pos, ch in r.chars.items()) % 10 for r in readings]
        for readings in groups
    ]
    scores = [[r.logp for r in readings] for readings in groups]

    def merged(idx: tuple[int, ...]) -> dict[tuple[int, int], str]:
        out: dict[tuple[int, int], str] = {}
        for k, i in enumerate(idx):
            out.update(groups[k][i].chars)
        return out

    best: tuple[float, tuple[int, ...]] | None = None
    runners_up: list[dict[tuple[int, int], str]] = []
    for logp, idx in _kbest(scores, MAX_POPS):
        if best is not None and (logp < best[0] - AMBIGUITY_MARGIN or len(runners_up) >= MAX_RUNNERS_UP):
            break
        digit = merged(idx)[digit_pos]
        total = sum(contributions[k][i] for k, i in enumerate(idx)) % 10
        if digit.isdigit() and total == int(digit):
            if best is None:
                best = (logp, idx)
            else:
                runners_up.append(merged(idx))
    if best is None:
        return merged(tuple(0 for _ in groups)), []
    return merged(best[1]), runners_up
