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

import functools
import heapq
import math
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from typing import Any

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


_OH_ZERO = {"O": "0", "0": "O"}


def _doubly_checked(layout: Layout) -> set[tuple[int, int]]:
    """Positions covered both by a field's own check digit and by the composite check digit."""
    composite = next((c for c in layout.checks if c.name == "composite"), None)
    if composite is None:
        return set()
    own = {pos for c in layout.checks if c is not composite for pos in _positions(c.covers)}
    return own & set(_positions(composite.covers))


def _fillerish(layout: Layout, lines: Sequence[str]) -> set[tuple[int, int]]:
    """Positions of name and alphanumeric fields that must be misread fillers (:func:`_filler_run`)."""
    out: set[tuple[int, int]] = set()
    for f in layout.fields:
        if f.kind in (Kind.NAME, Kind.ALNUM):
            out |= {(f.line, p) for p in _filler_run(lines[f.line], f.start, f.stop)}
    return out


def _after_name_end(layout: Layout, lines: Sequence[str]) -> set[tuple[int, int]]:
    """Positions of a name field after its first ``<<<``: names are separated by ``<<`` at most (Part 3
    §4.6), so three fillers in a row can only be the start of the trailing fillers."""
    out: set[tuple[int, int]] = set()
    for f in layout.fields:
        if f.kind is Kind.NAME:
            end = lines[f.line].find("<<<", f.start, f.stop)
            if end >= 0:
                out |= {(f.line, p) for p in range(end + 3, f.stop)}
    return out


def prefer_fillers(layout: Layout, options: Options, lines: Sequence[str]) -> list[list[list[Option]]]:
    """``options`` with the filler-run rule of :func:`text_options` applied on ``lines`` (the most probable
    reading): where a field's trailing run of K/X/``<`` must be fillers, and after a name field's first
    ``<<<`` (:func:`_after_name_end`), ``<`` is preferred and the character read costs a repair. For
    options from an engine that misreads fillers (Tesseract)."""
    alphabet = position_alphabet(layout)
    out = [[list(opts) for opts in row] for row in options]
    for li, pi in _fillerish(layout, lines) | _after_name_end(layout, lines):
        if "<" not in alphabet[li][pi]:
            continue
        opts = {c: min(logp, REPAIR_LOGP) for c, logp in out[li][pi]}
        opts["<"] = -0.1
        out[li][pi] = sorted(opts.items(), key=lambda o: -o[1])
    return out


def text_options(layout: Layout, lines: Sequence[str]) -> list[list[list[Option]]]:
    """Options for OCR text: the character read, plus type-aware repairs at a cost.

    Digit-for-digit changes are never offered: only letter/digit look-alikes where the field's type
    demands them (a letter in a digit field, a digit in a letter field) and K/X for ``<``. Where
    letters and digits are both legal (document numbers, optional data) the text is taken as read,
    with one exception: O and 0 (drawn almost alike, and the pair text engines confuse most) may be
    swapped where two check digits cover the position, the field's own and the composite
    (Part 3 §4.9; document and personal numbers of TD1, TD2 and TD3): the MRZ is valid only when
    both verify. Optional data under the composite alone, and visas (no composite), are taken as
    read.
    """
    alphabet = position_alphabet(layout)
    kinds = layout.kinds()
    vouched = _doubly_checked(layout)
    fillerish = _fillerish(layout, lines)
    out: list[list[list[Option]]] = []
    for li, line in enumerate(lines):
        row: list[list[Option]] = []
        for pi, char in enumerate(line):
            allowed = alphabet[li][pi]
            opts: dict[str, float] = {char: 0.0 if char in allowed else FOREIGN_LOGP}
            if char in allowed and allowed == ALLOWED[Kind.ALNUM]:
                alternatives = [_OH_ZERO.get(char)] if (li, pi) in vouched else []
            else:
                alternatives = [TO_DIGIT.get(char), TO_DIGIT_EXTRA.get(char), TO_LETTER.get(char)]
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

    allowed, n_allowed = _allowed_mask(layout, charset)
    lines = [np.asarray(line_probs, dtype=np.float64) for line_probs in probs]
    # Lines of equal length (every layout's) are done in one pass: fewer, larger numpy calls.
    batches = [np.stack(lines)] if len({x.shape for x in lines}) == 1 else [x[None] for x in lines]
    out: list[list[list[Option]]] = []
    for batch in batches:
        li = len(out)
        p = batch * allowed[li:li + len(batch)]
        p /= np.maximum(p.sum(axis=-1, keepdims=True), 1e-12)
        top = np.argsort(-p, axis=-1)[..., :MAX_OPTIONS]
        logp = np.log(np.maximum(np.take_along_axis(p, top, axis=-1), 1e-12))
        # All (character, log-probability) pairs in one zip, then a slice per position: building them
        # one position at a time from numpy rows costs more than the maths above.
        pairs = list(zip(_charset_array(charset)[top].ravel().tolist(), logp.ravel().tolist()))
        k, at = top.shape[-1], 0
        for counts in n_allowed[li:li + len(batch)]:
            out.append([pairs[at + i * k:at + i * k + min(n, k)] for i, n in enumerate(counts)])
            at += len(counts) * k
    return out


@functools.lru_cache(maxsize=4)
def _charset_array(charset: str) -> Any:
    """The charset as a read-only numpy array of 1-character strings (shared, cached)."""
    import numpy as np

    chars = np.array(list(charset))
    chars.flags.writeable = False
    return chars


_MASKS: dict[tuple[str, str], tuple[Any, list[list[int]]]] = {}


def _allowed_mask(layout: Layout, charset: str) -> tuple[Any, list[list[int]]]:
    """``(lines, length, len(charset))`` 0/1 array of the characters each position may hold, and how many
    there are at each position (cached)."""
    import numpy as np

    key = (layout.name, charset)
    if key not in _MASKS:
        alphabet = position_alphabet(layout)
        mask = np.array([[[c in chars for c in charset] for chars in row] for row in alphabet], dtype=np.float64)
        _MASKS[key] = (mask, mask.sum(axis=2).astype(int).tolist())
    return _MASKS[key]


def _kbest(lists: Sequence[Sequence[float]], limit: int) -> Iterator[tuple[float, tuple[int, ...]]]:
    """Index tuples over independent score lists (each best first) in order of decreasing total."""
    if not lists or any(len(x) == 0 for x in lists):
        return
    # An index tuple travels as one integer, its digits in mixed radix (first position most significant):
    # cheaper to step, hash and compare than a tuple, and integers order as the tuples do, so the heap
    # pops in the same order, ties included.
    sizes = [len(x) for x in lists]
    strides = [1] * len(lists)
    for k in range(len(lists) - 2, -1, -1):
        strides[k] = strides[k + 1] * sizes[k + 1]
    heap = [(-sum(x[0] for x in lists), 0)]
    seen = {0}
    pop, push, mark = heapq.heappop, heapq.heappush, seen.add
    pops = 0
    while heap and pops < limit:
        neg, code = pop(heap)
        pops += 1
        idx = []
        rest = code
        for stride in strides:
            digit, rest = divmod(rest, stride)
            idx.append(digit)
        yield -neg, tuple(idx)
        for k, i in enumerate(idx):
            if i + 1 < sizes[k]:
                nxt = code + strides[k]
                if nxt not in seen:
                    mark(nxt)
                    scores = lists[k]
                    push(heap, (neg - scores[i + 1] + scores[i], nxt))


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


@dataclass(frozen=True)
class _Group:
    """One check group of a layout: its positions (none shared with an earlier group) and its test.

    ``weights`` (simple checks only): the weight in the check-digit sum of each position but the last,
    the check digit; with it a reading is tested on its free positions alone (:class:`_SumTest`), the
    same test as ``valid`` without building the reading first.
    """

    positions: list[tuple[int, int]]
    valid: Validator | None
    weights: tuple[int, ...] | None = None
    filler_if_empty: bool = False


@dataclass(frozen=True)
class _Plan:
    """What :func:`decode` derives from the layout alone (cached per layout)."""

    groups: list[_Group]
    composite_weight: dict[tuple[int, int], int]
    composite_digit: tuple[int, int] | None
    checked: list[tuple[int, int]]  # every check-covered position and check digit


_PLANS: dict[str, tuple[Layout, _Plan]] = {}


def _plan(layout: Layout) -> _Plan:
    """The layout's plan, built once (keyed by name, rebuilt if a different object has that name)."""
    hit = _PLANS.get(layout.name)
    if hit is None or hit[0] is not layout:
        hit = _PLANS[layout.name] = (layout, _make_plan(layout))
    return hit[1]


def _make_plan(layout: Layout) -> _Plan:
    """Check groups in layout order, each without the positions of earlier groups, then the composite's
    remaining positions and digit (searched without a test; :func:`_combine` settles the composite)."""
    composite = next((c for c in layout.checks if c.name == "composite"), None)
    groups: list[_Group] = []
    covered: set[tuple[int, int]] = set()
    for check in layout.checks:
        if check is composite:
            continue
        spanned, valid = _validator(layout, check)
        positions = [p for p in spanned if p not in covered]
        covered |= set(positions)
        weights = None
        if not check.long_number and positions == spanned:  # the covered characters, then the check digit
            weights = tuple(checkdigit.WEIGHTS[i % 3] for i in range(len(positions) - 1))
        groups.append(_Group(positions, valid, weights, check.filler_if_empty))
    weight: dict[tuple[int, int], int] = {}
    digit = None
    if composite is not None:
        digit = (composite.line, composite.pos)
        free = [p for p in _positions(composite.covers) if p not in covered] + [digit]
        groups.append(_Group(free, None))
        weight = {pos: checkdigit.WEIGHTS[i % 3] for i, pos in enumerate(_positions(composite.covers))}
    checked = [pos for c in layout.checks for pos in _positions(c.covers) + [(c.line, c.pos)]]
    return _Plan(groups, weight, digit, checked)


class _SumTest:
    """A simple check's test on a reading given only the option index at each free position.

    The fixed positions' part of the weighted sum is added once; a reading then costs one term per free
    position. Equivalent to ``_validator``'s ``simple`` on the full reading.
    """

    def __init__(self, group: _Group, fixed: dict[tuple[int, int], str],
                 free: list[tuple[tuple[int, int], list[Option]]]) -> None:
        weights = dict(zip(group.positions[:-1], group.weights or ()))
        values = checkdigit.VALUES
        digit_pos = group.positions[-1]
        self.filler_if_empty = group.filler_if_empty
        self.fixed_sum = sum(values[ch] * weights[pos] for pos, ch in fixed.items() if pos != digit_pos)
        self.fixed_fillers = all(ch == "<" for pos, ch in fixed.items() if pos != digit_pos)
        self.digit = fixed.get(digit_pos, "")  # "": the digit is free
        self.terms: list[tuple[int, list[int]]] = []  # (free index, weighted value of each option)
        self.chars: list[tuple[int, list[str]]] = []  # (free index, character of each option)
        self.digit_index = -1
        for k, (pos, opts) in enumerate(free):
            if pos == digit_pos:
                self.digit_index = k
            else:
                self.terms.append((k, [values[c] * weights[pos] for c, _ in opts]))
                self.chars.append((k, [c for c, _ in opts]))
        self.digit_chars = [c for c, _ in free[self.digit_index][1]] if self.digit_index >= 0 else []

    def __call__(self, idx: tuple[int, ...]) -> bool:
        digit = self.digit if self.digit_index < 0 else self.digit_chars[idx[self.digit_index]]
        if self.filler_if_empty and digit == "<":
            return self.fixed_fillers and all(chars[idx[k]] == "<" for k, chars in self.chars)
        if not "0" <= digit <= "9":
            return False
        total = self.fixed_sum
        for k, vals in self.terms:
            total += vals[idx[k]]
        return total % 10 == int(digit)


def _pruned(options: Sequence[Option]) -> list[Option]:
    best = options[0][1]
    return [o for o in options[:MAX_OPTIONS] if o[1] >= best + MIN_RELATIVE_LOGP]


def _logp(options: Sequence[Option], char: str) -> float:
    """Log-probability of ``char`` among a position's options (``FOREIGN_LOGP`` when not among them);
    the last entry wins, as in ``dict(options)``."""
    for c, logp in reversed(options):
        if c == char:
            return logp
    return FOREIGN_LOGP


def _group_readings(options: Options, group: _Group, observed: Sequence[str] | None) -> list[_Reading]:
    """Best readings of a group that pass its test (best first); the observed one when none does."""
    positions, valid = group.positions, group.valid
    opts = [_pruned(options[li][pi]) for li, pi in positions]
    # Positions with a single option are fixed; the best-first search runs over the others only.
    fixed = {pos: o[0][0] for pos, o in zip(positions, opts) if len(o) == 1}
    fixed_logp = sum(o[0][1] for o in opts if len(o) == 1)
    free = [(pos, o) for pos, o in zip(positions, opts) if len(o) > 1]
    scores = [[o[1] for o in x] for _, x in free]
    # Simple checks are tested on the option indices alone; characters outside the MRZ alphabet (text
    # straight from a caller) keep the generic test, which raises as before.
    test = None
    if group.weights is not None and all(c in checkdigit.VALUES for o in opts for c, _ in o):
        test = _SumTest(group, fixed, free)
    found: list[_Reading] = []
    for logp, idx in _kbest(scores, MAX_POPS if valid else MAX_VALID) if free else iter([(0.0, ())]):
        logp += fixed_logp
        if found and logp < found[0].logp - SEARCH_DEPTH:
            break
        if test is not None and not test(idx):
            continue
        chars = dict(fixed)
        chars.update({pos: o[i][0] for (pos, o), i in zip(free, idx)})
        if test is not None or valid is None or valid(chars):
            found.append(_Reading(chars, logp))
            if len(found) >= MAX_VALID:
                break
    if not found:
        # Nothing verifies: keep the characters as observed (or the most probable ones), unrepaired;
        # the check then fails downstream.
        kept = {(li, pi): observed[li][pi] if observed else options[li][pi][0][0] for li, pi in positions}
        logp = sum(_logp(options[li][pi], kept[(li, pi)]) for li, pi in positions)
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
    plan = _plan(layout)
    chosen: dict[tuple[int, int], str] = {
        (li, pi): options[li][pi][0][0] for li in range(layout.lines) for pi in range(layout.length)
    }
    groups = [_group_readings(options, group, observed) for group in plan.groups]
    runners_up: list[dict[tuple[int, int], str]] = []
    if plan.composite_digit is not None:
        best, runners_up = _combine(groups, plan.composite_weight, plan.composite_digit)
        chosen.update(best)
    else:
        for readings in groups:
            chosen.update(readings[0].chars)
            runners_up += [r.chars for r in readings[1:MAX_RUNNERS_UP + 1]
                           if r.logp >= readings[0].logp - AMBIGUITY_MARGIN]
    lines = tuple("".join(chosen[(li, pi)] for pi in range(layout.length)) for li in range(layout.lines))
    logp_of = {pos: _logp(options[pos[0]][pos[1]], ch) for pos, ch in chosen.items()}
    prob_of = {pos: math.exp(logp) for pos, logp in logp_of.items()}
    field_conf = {f.name: min(prob_of[(f.line, p)] for p in range(f.start, f.stop)) for f in layout.fields}
    confidence = min(prob_of[p] for p in plan.checked) if plan.checked else 1.0
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

    # The group whose readings hold the composite digit (the last one, as in ``merged``).
    holder = max(k for k, readings in enumerate(groups) if digit_pos in readings[0].chars)
    best: tuple[float, tuple[int, ...]] | None = None
    runners_up: list[dict[tuple[int, int], str]] = []
    for logp, idx in _kbest(scores, MAX_POPS):
        if best is not None and (logp < best[0] - AMBIGUITY_MARGIN or len(runners_up) >= MAX_RUNNERS_UP):
            break
        digit = groups[holder][idx[holder]].chars[digit_pos]
        total = sum(contributions[k][i] for k, i in enumerate(idx)) % 10
        if digit.isdigit() and total == int(digit):
            if best is None:
                best = (logp, idx)
            else:
                runners_up.append(merged(idx))
    if best is None:
        return merged(tuple(0 for _ in groups)), []
    return merged(best[1]), runners_up
