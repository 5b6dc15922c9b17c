"""Tesseract as an MRZ line reader: rectified line strips in, one text line per strip out.

The ``tesseract`` binary (Debian ``tesseract-ocr``) runs once per zone: every strip is drawn onto
one white canvas and read with ``--psm 6``; the words come back as TSV with their boxes and are put
back on their strips by position, so a line Tesseract drops or merges cannot shift the others.
Images go through a pipe (``stdin``/``stdout``), never through a file.

Tesseract's stock English model has not seen OCR-B filler runs: at the printed pitch it reads
``<<<<`` as ``KKKK``, while stretched wider it reads fillers well but inserts characters between
digits. Each strip is therefore drawn twice, stretched a little and more, and the reading whose
length fits an MRZ line (30, 36 or 44 characters) with the higher confidence is kept; trailing
fillers it dropped are given back (:func:`_pad_fillers`). The text then goes through :func:`idcheck.mrz.repair.read_mrz_text` like any other engine's.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
from dataclasses import dataclass
from pathlib import Path

import cv2
import numpy as np

from ..errors import EngineError
from .cells import CAP_HEIGHT, STRIP_HEIGHT, normalise_strip

WHITELIST = "ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789<"
#: Where an OCR-B trained ``mrz.traineddata`` is looked for (used instead of ``eng`` when present).
MODEL_DIR = Path(__file__).resolve().parents[2] / "models" / "tesseract"
MRZ_LENGTHS = (30, 36, 44)
TARGET_CAP = 36  # px; the LSTM's own line normalisation works best near this height
STRETCHES = (1.15, 1.45)  # horizontal stretch of each strip drawn for Tesseract (see module docstring)
_GAP = 24  # px of white between drawn strips
_INSTALL = "install it with `apt-get install tesseract-ocr` (Debian/Ubuntu) or `brew install tesseract`"


@dataclass(frozen=True)
class _Word:
    left: int
    top: int
    height: int
    conf: float
    text: str


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
        if not strips:
            return []
        canvas, bands = self._compose(strips)
        words = self._recognise(canvas)
        readings: list[list[tuple[str, float]]] = [[] for _ in strips]
        for i, (top, bottom) in enumerate(bands):
            inside = sorted((w for w in words if top <= w.top + w.height / 2 < bottom), key=lambda w: w.left)
            text = "".join(w.text for w in inside)
            conf = (sum(w.conf * len(w.text) for w in inside) / len(text)) if text else -1.0
            readings[i // len(self.stretches)].append((text, conf))
        return _pad_fillers([_choose(options) for options in readings])

    # -- internals -----------------------------------------------------------------------------
    def _compose(self, strips: list[np.ndarray]) -> tuple[np.ndarray, list[tuple[int, int]]]:
        """Every strip in every stretch on one white canvas; returns it and each drawing's rows."""
        drawn: list[np.ndarray] = []
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
        width = max(d.shape[1] for d in drawn) + 2 * _GAP
        height = sum(d.shape[0] for d in drawn) + _GAP * (len(drawn) + 1)
        canvas = np.full((height, width), 255, np.uint8)
        bands, y = [], _GAP
        for d in drawn:
            canvas[y:y + d.shape[0], _GAP:_GAP + d.shape[1]] = d
            bands.append((y - _GAP // 2, y + d.shape[0] + _GAP // 2))
            y += d.shape[0] + _GAP
        return canvas, bands

    def _recognise(self, canvas: np.ndarray) -> list[_Word]:
        ok, png = cv2.imencode(".png", canvas)
        if not ok:
            raise EngineError("could not encode the image for tesseract")
        args = ["stdin", "stdout", "--oem", "1", "--psm", "6", *self._lang_args,
                "-c", f"tessedit_char_whitelist={WHITELIST}",
                "-c", "load_system_dawg=0", "-c", "load_freq_dawg=0", "tsv"]
        return _parse_tsv(self._run_text(args, png.tobytes()))

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


def _parse_tsv(tsv: str) -> list[_Word]:
    words = []
    for row in tsv.splitlines()[1:]:
        cols = row.split("\t")
        if len(cols) < 12 or cols[0] != "5":
            continue
        text = re.sub(r"[^A-Z0-9<]", "", cols[11].upper())
        if text:
            words.append(_Word(int(cols[6]), int(cols[7]), int(cols[9]), float(cols[10]), text))
    return words


def _choose(options: list[tuple[str, float]]) -> str:
    """The reading of one strip whose length fits an MRZ line best, then the most confident."""

    def key(option: tuple[str, float]) -> tuple[int, float]:
        text, conf = option
        return (-min(abs(len(text) - n) for n in MRZ_LENGTHS), conf)

    return max(options, key=key)[0]


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


__all__ = ["MODEL_DIR", "TesseractEngine", "WHITELIST"]
