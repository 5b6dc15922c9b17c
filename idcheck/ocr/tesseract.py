"""Tesseract as an MRZ line reader: rectified line strips in, one reading per strip out.

The ``tesseract`` binary (Debian ``tesseract-ocr``) runs once per zone: every strip is drawn onto
one white canvas and read with ``--psm 6``; the words come back as hOCR with a box per character and
the LSTM's alternative choices for it (``hocr_char_boxes``, ``lstm_choice_mode=2``) and are put back on
their strips by position, so a line Tesseract drops or merges cannot shift the others. Images go
through a pipe (``stdin``/``stdout``), never through a file.

Tesseract's stock English model has not seen OCR-B filler runs: at the printed pitch it reads
``<<<<`` as ``KKKK``, while stretched wider it reads fillers well but inserts characters between
digits. Each strip is therefore drawn twice, stretched a little and more. Two readings come out:

* text (:meth:`TesseractEngine.read_lines`): the drawing whose length fits an MRZ line (30, 36 or 44
  characters) with the higher confidence, trailing fillers it dropped given back (:func:`_pad_fillers`),
  for :func:`idcheck.mrz.repair.read_mrz_text` like any other engine's text;
* probabilities (:func:`zone_probabilities`): every character placed on the character position of the
  strip whose centre is nearest (an inserted character shares a position, none shifts the rest), a row
  of probabilities per position from the LSTM's choices, for the check-digit decoder the native engine
  uses. The reader decodes both and keeps the reading with more checks verified.
"""

from __future__ import annotations

import html
import os
import re
import shutil
import subprocess
from dataclasses import dataclass
from pathlib import Path

import cv2
import numpy as np

from ..errors import EngineError
from ..mrz.decode import REPAIR_LOGP, TO_DIGIT, TO_DIGIT_EXTRA, TO_LETTER
from .cells import CAP_HEIGHT, CHARSET, STRIP_HEIGHT, normalise_strip

WHITELIST = "ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789<"
#: Where an OCR-B trained ``mrz.traineddata`` is looked for (used instead of ``eng`` when present).
MODEL_DIR = Path(__file__).resolve().parents[2] / "models" / "tesseract"
MRZ_LENGTHS = (30, 36, 44)
TARGET_CAP = 36  # px; the LSTM's own line normalisation works best near this height
STRETCHES = (1.15, 1.45)  # horizontal stretch of each strip drawn for Tesseract (see module docstring)
_GAP = 24  # px of white between drawn strips
#: Probability floor of an alternative the LSTM lists with confidence 0, and of a character it does not list.
LISTED_FLOOR, UNLISTED = 0.01, 1e-4
#: Probability of a filler :func:`_pad_fillers` gave back (Tesseract did not read it).
PADDED_FILLER = 0.9
#: Probability of the character read when Tesseract lists no choices for it.
NO_CHOICES = 0.9
#: Tesseract's English model reads OCR-B zeros as O (Q, D): a 0 is offered this many times as likely as
#: the O read, so where the check digits cannot tell (O O under weights 7 3 sum as 0 0 do), 0 wins; real
#: document numbers hold far more zeros than O's (measured: realdata exact MRZ 23 -> 40 %, gen300 same).
ZERO_FOR_O = 1.5
#: A glyph further than this many pitches from every character centre is not placed.
MAX_OFFSET = 0.6
_INSTALL = "install it with `apt-get install tesseract-ocr` (Debian/Ubuntu) or `brew install tesseract`"


@dataclass(frozen=True)
class Glyph:
    """One character Tesseract read: its box centre, and the LSTM's alternatives with their confidences."""

    x: float  # centre of the character's box, px (canvas while parsing, strip once placed)
    char: str
    choices: tuple[tuple[str, float], ...]  # (character, confidence 0-100) as Tesseract lists them


@dataclass(frozen=True)
class _Word:
    left: int
    top: int
    height: int
    conf: float
    text: str
    glyphs: tuple[Glyph, ...] = ()


@dataclass(frozen=True)
class LineReading:
    """One strip as read: the text (trailing fillers given back), its confidence, a glyph per character.

    ``glyphs`` covers ``text[:len(glyphs)]``; characters after it are fillers :func:`_pad_fillers` added.
    """

    text: str
    conf: float
    glyphs: tuple[Glyph, ...] = ()


class TesseractEngine:
    """Reads MRZ line strips with the ``tesseract`` command (one process per zone)."""

    name = "tesseract"

    def __init__(self, *, command: str | None = None, model_dir: str | Path | None = MODEL_DIR,
                 stretches: tuple[float, ...] = STRETCHES, timeout_s: float = 30.0) -> None:
        found = shutil.which(command or "tesseract")
        if found is None:
            raise EngineError(f"the tesseract OCR engine is not installed ({command or 'tesseract'} not on PATH); "
                              + _INSTALL)
        self.command = found
        self.timeout_s = timeout_s
        # One thread: a zone is small, and OpenMP start-up costs more than it saves (about 2.5x here).
        self._env = {**os.environ, "OMP_THREAD_LIMIT": "1"}
        self.stretches = tuple(stretches) or (1.0,)
        self.version = self._run_text(["--version"]).split("\n", 1)[0].strip()
        model = Path(model_dir) / "mrz.traineddata" if model_dir is not None else None
        if model is not None and model.is_file():
            self.lang, self._lang_args = "mrz", ["--tessdata-dir", str(model.parent), "-l", "mrz"]
        else:
            langs = self._run_text(["--list-langs"]).split()
            if "eng" not in langs:
                raise EngineError("tesseract has no English model (eng.traineddata); "
                                  "install it with `apt-get install tesseract-ocr-eng`")
            self.lang, self._lang_args = "eng", ["-l", "eng"]

    # -- public --------------------------------------------------------------------------------
    def read_lines(self, strips: list[np.ndarray]) -> list[str]:
        """One text line per strip ('' where nothing was read); dark text on light, upright."""
        return [r.text for r in self.read_strips(strips)]

    def read_strips(self, strips: list[np.ndarray]) -> list[LineReading]:
        """One :class:`LineReading` per strip (see :func:`best_readings`)."""
        return best_readings(self.read_drawings(strips))

    def read_drawings(self, strips: list[np.ndarray]) -> list[list[LineReading]]:
        """Every drawing of every strip as read (one per stretch), glyph positions in strip pixels."""
        if not strips:
            return []
        canvas, bands, scales = self._compose(strips)
        words = self._recognise(canvas)
        readings: list[list[LineReading]] = [[] for _ in strips]
        for i, ((top, bottom), scale) in enumerate(zip(bands, scales)):
            inside = sorted((w for w in words if top <= w.top + w.height / 2 < bottom), key=lambda w: w.left)
            text = "".join(w.text for w in inside)
            conf = (sum(w.conf * len(w.text) for w in inside) / len(text)) if text else -1.0
            glyphs = tuple(Glyph((g.x - _GAP) / scale, g.char, g.choices) for w in inside for g in w.glyphs)
            readings[i // len(self.stretches)].append(LineReading(text, conf, glyphs))
        return readings

    # -- internals -----------------------------------------------------------------------------
    def _compose(self, strips: list[np.ndarray]) -> tuple[np.ndarray, list[tuple[int, int]], list[float]]:
        """Every strip in every stretch on one white canvas; returns it, each drawing's rows and its
        horizontal scale (canvas px per strip px)."""
        drawn: list[np.ndarray] = []
        scales: list[float] = []
        for strip in strips:
            gray = np.asarray(strip)
            if gray.ndim == 3:
                gray = cv2.cvtColor(gray, cv2.COLOR_BGR2GRAY)
            gray = normalise_strip(np.ascontiguousarray(gray, dtype=np.uint8))
            # The rectifier's contract: cap height CAP_HEIGHT in a STRIP_HEIGHT strip (half of it).
            scale = TARGET_CAP / (CAP_HEIGHT * gray.shape[0] / STRIP_HEIGHT)
            for stretch in self.stretches:
                fx, fy = scale * stretch, scale
                drawn.append(cv2.resize(gray, None, fx=fx, fy=fy, interpolation=cv2.INTER_CUBIC))
                scales.append(drawn[-1].shape[1] / gray.shape[1])
        width = max(d.shape[1] for d in drawn) + 2 * _GAP
        height = sum(d.shape[0] for d in drawn) + _GAP * (len(drawn) + 1)
        canvas = np.full((height, width), 255, np.uint8)
        bands, y = [], _GAP
        for d in drawn:
            canvas[y:y + d.shape[0], _GAP:_GAP + d.shape[1]] = d
            bands.append((y - _GAP // 2, y + d.shape[0] + _GAP // 2))
            y += d.shape[0] + _GAP
        return canvas, bands, scales

    def _recognise(self, canvas: np.ndarray) -> list[_Word]:
        ok, png = cv2.imencode(".png", canvas)
        if not ok:
            raise EngineError("could not encode the image for tesseract")
        args = ["stdin", "stdout", "--oem", "1", "--psm", "6", *self._lang_args,
                "-c", f"tessedit_char_whitelist={WHITELIST}",
                "-c", "load_system_dawg=0", "-c", "load_freq_dawg=0",
                "-c", "lstm_choice_mode=2", "-c", "hocr_char_boxes=1", "hocr"]
        return parse_hocr(self._run_text(args, png.tobytes()))

    def _run_text(self, args: list[str], data: bytes | None = None) -> str:
        try:
            done = subprocess.run([self.command, *args], input=data, capture_output=True,
                                  timeout=self.timeout_s, env=self._env, check=False)
        except (OSError, subprocess.TimeoutExpired) as exc:
            raise EngineError(f"tesseract failed to run ({exc}); " + _INSTALL) from exc
        if done.returncode != 0:
            message = done.stderr.decode("utf-8", "replace").strip().splitlines()
            raise EngineError(f"tesseract exited with status {done.returncode}: "
                              + (message[-1] if message else "no message"))
        return done.stdout.decode("utf-8", "replace")


# hOCR with ``hocr_char_boxes=1`` and ``lstm_choice_mode=2``: a word's box, then per character its box
# and the list of the LSTM's choices for it. Tokens in document order are enough to rebuild that.
_HOCR_TOKEN = re.compile(
    r"class='ocrx_word'[^>]*?title='bbox (\d+) (\d+) (\d+) (\d+); x_wconf (-?[\d.]+)'"
    r"|title='x_bboxes (\d+) \d+ (\d+) \d+; x_conf (-?[\d.]+)'>([^<]*)<"
    r"|title='x_confs (-?[\d.]+)'>([^<]*)<")


def parse_hocr(hocr: str) -> list[_Word]:
    """Words (box, confidence, text) with a :class:`Glyph` per character from Tesseract's hOCR.

    Characters outside the MRZ alphabet are dropped (with their glyphs), as in the text.
    """
    words: list[_Word] = []
    box: tuple[int, int, int, float] | None = None
    glyphs: list[tuple[float, str, list[tuple[str, float]]]] = []

    def flush() -> None:
        if box is not None:
            kept = tuple(Glyph(x, c, tuple(ch)) for x, c, ch in glyphs if c in WHITELIST)
            if kept:
                words.append(_Word(box[0], box[1], box[2], box[3], "".join(g.char for g in kept), kept))

    for m in _HOCR_TOKEN.finditer(hocr):
        if m.group(1) is not None:
            flush()
            left, top, _, bottom = (int(m.group(k)) for k in range(1, 5))
            box, glyphs = (left, top, bottom - top, float(m.group(5))), []
        elif m.group(6) is not None:
            char = html.unescape(m.group(9)).strip().upper()
            glyphs.append(((int(m.group(6)) + int(m.group(7))) / 2, char, []))
        elif glyphs:
            glyphs[-1][2].append((html.unescape(m.group(11)).strip().upper(), float(m.group(10))))
    flush()
    return words


def _choose(options: list[LineReading]) -> LineReading:
    """The reading of one strip whose length fits an MRZ line best, then the most confident."""

    def key(option: LineReading) -> tuple[int, float]:
        return (-min(abs(len(option.text) - n) for n in MRZ_LENGTHS), option.conf)

    return max(options, key=key)


def best_readings(drawings: list[list[LineReading]]) -> list[LineReading]:
    """Per strip the drawing whose length fits an MRZ line best (then the more confident), with the
    trailing fillers Tesseract dropped given back."""
    chosen = [_choose(options) for options in drawings]
    padded = _pad_fillers([r.text for r in chosen])
    return [LineReading(text, r.conf, r.glyphs) for text, r in zip(padded, chosen)]


def zone_probabilities(drawings: list[list[LineReading]], centers: list[np.ndarray]) -> list[np.ndarray] | None:
    """Per strip a ``(characters, len(CHARSET))`` probability array, a row per character position.

    Each glyph goes to the position whose centre (the rectifier's ``centers``) is nearest, so a character
    Tesseract inserts or drops moves no other; a position gets the glyphs of the drawing that fills the
    most positions, the other drawing's where it has none (:func:`_fill_row`). ``None`` when a position that is
    not in the line's trailing filler run has no glyph in any drawing (the text path reads the zone then).
    """
    out = []
    for options, line_centers in zip(drawings, centers):
        cells = [_cells(r.glyphs, np.asarray(line_centers, dtype=np.float64)) for r in options]
        cells.sort(key=lambda c: sum(1 for g in c if g), reverse=True)
        merged = [next((c[i] for c in cells if c[i]), []) for i in range(len(line_centers))]
        probs = _probabilities(merged)
        if probs is None:
            return None
        out.append(probs)
    return out


def _cells(glyphs: tuple[Glyph, ...], centers: np.ndarray) -> list[list[Glyph]]:
    """The glyphs at each character position: nearest centre, none more than ``MAX_OFFSET`` pitches off."""
    cells: list[list[Glyph]] = [[] for _ in centers]
    if len(centers) < 2:
        return cells
    pitch = float(np.median(np.diff(centers)))
    for g in glyphs:
        i = int(np.abs(centers - g.x).argmin())
        if abs(g.x - centers[i]) <= MAX_OFFSET * pitch:
            cells[i].append(g)
    return cells


def _probabilities(cells: list[list[Glyph]]) -> np.ndarray | None:
    """Rows for the positions of one line; empty positions after the last glyph are fillers."""
    filled = [i for i, c in enumerate(cells) if c]
    if not filled:
        return None
    last = filled[-1]
    if len(filled) != last + 1 or (last + 1 < len(cells) and cells[last][0].char != "<"):
        return None
    probs = np.full((len(cells), len(CHARSET)), UNLISTED)
    for row, glyphs in zip(probs, cells):
        if glyphs:
            for g in glyphs:
                _fill_row(row, g)
        else:
            row[_INDEX["<"]] = PADDED_FILLER
    return probs


_INDEX = {c: i for i, c in enumerate(CHARSET)}


def _fill_row(row: np.ndarray, glyph: Glyph) -> None:
    """Raise one position's probabilities by what its glyph says: the LSTM's choices, the type
    look-alikes of the character read at the text path's repair cost, 0 for O (``ZERO_FOR_O``)."""
    for char, conf in glyph.choices:
        if char in _INDEX:
            row[_INDEX[char]] = max(row[_INDEX[char]], max(conf / 100.0, LISTED_FLOOR))
    own = _INDEX[glyph.char]
    row[own] = max(row[own], LISTED_FLOOR if glyph.choices else NO_CHOICES)
    top = row[own]
    repair = top * float(np.exp(REPAIR_LOGP))
    for table in (TO_DIGIT, TO_DIGIT_EXTRA, TO_LETTER):  # O<->0 among them
        alt = table.get(glyph.char)
        if alt is not None:
            row[_INDEX[alt]] = max(row[_INDEX[alt]], repair)
    if glyph.char in "OQD":
        row[_INDEX["0"]] = max(row[_INDEX["0"]], top * ZERO_FOR_O)
    if glyph.char in "KX":
        row[_INDEX["<"]] = max(row[_INDEX["<"]], repair)


def _pad_fillers(lines: list[str]) -> list[str]:
    """Give back the trailing fillers Tesseract drops: every MRZ line of a zone has the same length.

    A line that ends in ``<`` and is shorter than the zone's longest line, when that one has an MRZ
    length, is filled up with ``<`` (Tesseract loses the ends of long filler runs, most often after
    the names). Nothing else is touched; the check digits still judge the result.
    """
    longest = max((len(x) for x in lines), default=0)
    if longest not in MRZ_LENGTHS:
        return lines
    return [x.ljust(longest, "<") if x.endswith("<") and len(x) >= longest // 2 else x for x in lines]


__all__ = ["MODEL_DIR", "Glyph", "LineReading", "TesseractEngine", "WHITELIST", "best_readings", "parse_hocr",
           "zone_probabilities"]
