"""Image → MRZ: decode, locate, rectify, recognise, decode with the check digits. Engine loaded once.

Named strategies are tried in order on every ranked candidate zone: ``direct`` (as found), then
``rotate180`` (the locator cannot tell upside down from upright); the first reading whose check
digits all verify with enough confidence wins, otherwise the best-scoring reading is returned.

The native engine reads each zone with a cascade: a narrower model (``models/fast/``) first; when its
reading does not verify or any character is unsure (``FAST_ACCEPT``), the full model reads the same
windows and its reading is the one used.
"""

from __future__ import annotations

import time
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from types import MappingProxyType
from typing import TYPE_CHECKING, Any, BinaryIO, Union

import numpy as np

from .mrz.decode import decode, prefer_fillers, probability_options
from .mrz.layouts import Layout
from .mrz.parse import MRZ, MRZFormatError, detect_format, parse
from .mrz.repair import read_mrz_text

if TYPE_CHECKING:
    from .check import AgeCheck
    from .vision.io import LoadedImage
    from .vision.locate import Candidate
    from .vision.rectify import LineStrip

ImageSource = Union[str, Path, bytes, bytearray, BinaryIO, np.ndarray, Any]
STRATEGIES = ("direct", "rotate180")
#: The native engine's cascade keeps the fast model's reading only when every check digit verifies and
#: every character of it (check digits included) has at least this probability; otherwise the full
#: model reads the same windows and its reading stands.
FAST_ACCEPT = 0.5


@dataclass(frozen=True)
class ReadResult:
    """What the reader saw: the MRZ (or None), the timings per stage, and what it tried."""

    mrz: MRZ | None
    timings_ms: Mapping[str, float] = field(default_factory=lambda: MappingProxyType({}))
    candidates: int = 0
    strategy: str | None = None
    quad: np.ndarray | None = None


class _Clock:
    def __init__(self) -> None:
        self.ms: dict[str, float] = {}
        self._t = time.perf_counter()

    def lap(self, stage: str) -> None:
        now = time.perf_counter()
        self.ms[stage] = self.ms.get(stage, 0.0) + (now - self._t) * 1000.0
        self._t = now


def _score(mrz: MRZ, min_confidence: float | None) -> tuple[int, int, int, float]:
    """Verified and sure first; a reading below the confidence floor ranks under any confident one
    (flat probabilities let the decoder make garbage verify); then checks passing, then confidence."""
    confidence = mrz.confidence if mrz.confidence is not None else 1.0
    confident = min_confidence is None or confidence >= min_confidence
    return (int(mrz.valid and confident), int(confident), sum(c.ok for c in mrz.checks), confidence)


def _settled(mrz: MRZ | None) -> bool:
    """Whether a cascade stage's reading stands: every check verifies and every character is sure."""
    if mrz is None or not mrz.valid or mrz.confidence is None:
        return False
    return min(mrz.confidence, *mrz.field_confidence.values()) >= FAST_ACCEPT


def _tesseract_rank(mrz: MRZ) -> tuple[int, int, int]:
    """Every check verified first, then how many verify, then whether the birth date does."""
    birth = mrz.check("birth_date")
    return (int(mrz.valid), sum(c.ok for c in mrz.checks), int(bool(birth and birth.ok)))


def _layout_for(lines: tuple[str, ...]) -> Layout | None:
    try:
        return detect_format(lines)
    except MRZFormatError:
        return None


class Reader:
    """Reads MRZs from images with one engine, loaded once (build one per process and reuse it)."""

    def __init__(self, engine: str = "native", *, cascade: bool = True) -> None:
        """``cascade=False`` reads with the full native model only (to compare; same accuracy, slower)."""
        self.engine_name = engine
        self.min_confidence: float | None = None
        if engine == "native":
            from .check import MIN_CONFIDENCE
            from .ocr.native import NativeEngine, fast_model_dir

            self._engine: Any = NativeEngine()  # CharRecogniser | LineReader | ImageReader (idcheck.ocr.base)
            # a narrower model first (models/fast/; it settles about 4 zone readings in 5), the full one
            # when its reading fails a check or is unsure
            fast = fast_model_dir() if cascade else None
            self._cascade: tuple[Any, ...] = (NativeEngine(fast), self._engine) if fast else (self._engine,)
            self.min_confidence = MIN_CONFIDENCE
        elif engine == "tesseract":
            from .ocr.tesseract import TesseractEngine

            self._engine = TesseractEngine()
        elif engine == "passporteye":
            from .ocr.passporteye import PassportEyeEngine

            self._engine = PassportEyeEngine()
        else:
            raise ValueError(f"unknown engine {engine!r}; choose native, tesseract or passporteye")

    # -- reading -------------------------------------------------------------------------------
    def read(self, image: ImageSource) -> ReadResult:
        if self.engine_name == "passporteye":
            return self._read_whole_image(image)
        from .vision.io import load_image
        from .vision.locate import find_candidates

        clock = _Clock()
        img = load_image(image)
        clock.lap("decode")
        candidates = find_candidates(img)
        clock.lap("locate")
        best: tuple[MRZ, str, Any] | None = None
        for cand in candidates:
            for strategy in STRATEGIES:
                mrz = self._read_zone(img, cand, strategy == "rotate180", clock)
                if mrz is None:
                    continue
                if best is None or _score(mrz, self.min_confidence) > _score(best[0], self.min_confidence):
                    best = (mrz, strategy, cand)
                if _score(mrz, self.min_confidence)[0]:
                    break
            if best is not None and _score(best[0], self.min_confidence)[0]:
                break
        total = sum(clock.ms.values())
        clock.ms["total"] = total
        if best is None:
            return ReadResult(None, MappingProxyType(clock.ms), len(candidates))
        return ReadResult(best[0], MappingProxyType(clock.ms), len(candidates), best[1], getattr(best[2], "quad", None))

    def _read_zone(self, img: LoadedImage, cand: Candidate, flip: bool, clock: _Clock) -> MRZ | None:
        from .vision.rectify import line_strips

        strips = line_strips(img, cand, flip=flip)
        clock.lap("locate")
        if not strips:
            return None
        if self.engine_name == "tesseract":
            return self._read_tesseract(strips, clock)
        mrz = self._classify_strips(strips, clock)
        return mrz

    def _read_tesseract(self, strips: list[LineStrip], clock: _Clock) -> MRZ | None:
        """Tesseract's reading of a zone: its per-character choices, placed on the strips' character
        positions, decoded with the check digits; its text through :func:`read_mrz_text`; the better one."""
        from .ocr.tesseract import best_readings, zone_probabilities

        drawings = self._engine.read_drawings([s.image for s in strips])
        clock.lap("recognise")
        found: list[MRZ] = []
        probs = zone_probabilities(drawings, [s.centers for s in strips])
        if probs is not None:
            mrz = self._decode_windows(np.concatenate(probs), [len(p) for p in probs], clock, fillers=True)
            if mrz is not None:
                found.append(mrz)
        try:
            found.append(read_mrz_text("\n".join(r.text for r in best_readings(drawings))))
        except MRZFormatError:
            pass
        clock.lap("parse")
        return max(found, key=_tesseract_rank) if found else None  # the choices' reading on a tie

    def _classify_strips(self, strips: list[LineStrip], clock: _Clock) -> MRZ | None:
        from .ocr.cells import cell_windows

        windows = [cell_windows(s.image, np.asarray(s.centers), s.pitch) for s in strips]
        stack = np.concatenate(windows)
        mrz = None
        for recogniser in self._cascade:
            mrz = self._decode_windows(recogniser.classify(stack), [len(w) for w in windows], clock)
            if _settled(mrz):
                break
        return mrz

    def _decode_windows(self, probs: np.ndarray, counts: list[int], clock: _Clock,
                        fillers: bool = False) -> MRZ | None:
        """Per-window probabilities (lines stacked) -> the check-digit-guided reading, or None.

        ``fillers``: apply the text path's filler-run rule (:func:`prefer_fillers`; Tesseract's choices).
        """
        from .ocr.cells import CHARSET

        clock.lap("recognise")
        per_line, start = [], 0
        for count in counts:
            per_line.append(probs[start:start + count])
            start += count
        argmax = tuple("".join(map(CHARSET.__getitem__, p.argmax(axis=1).tolist())) for p in per_line)
        layout = _layout_for(argmax)
        if layout is None:
            clock.lap("parse")
            return None
        options = probability_options(layout, per_line, CHARSET)
        decoded = decode(layout, prefer_fillers(layout, options, argmax) if fillers else options)
        mrz = parse(decoded.lines, confidence=decoded.confidence, field_confidence=decoded.field_confidence,
                    alternatives=decoded.alternatives,
                    repairs=tuple(f.name for f in layout.fields
                                  if decoded.lines[f.line][f.start:f.stop] != argmax[f.line][f.start:f.stop]))
        clock.lap("parse")
        return mrz

    def _read_whole_image(self, image: ImageSource) -> ReadResult:
        from .vision.io import load_image

        clock = _Clock()
        img = load_image(image)  # same limits and errors as the other engines
        clock.lap("decode")
        text = self._engine.read_image(img.gray)
        clock.lap("recognise")
        mrz = None
        if text:
            try:
                mrz = read_mrz_text(text)
            except MRZFormatError:
                mrz = None
        clock.lap("parse")
        clock.ms["total"] = sum(clock.ms.values())
        return ReadResult(mrz, MappingProxyType(clock.ms), int(mrz is not None), "passporteye")

    # -- deciding ------------------------------------------------------------------------------
    def verify(self, image: ImageSource, *, min_age: int = 18, today: date | None = None,
               allow_expired: bool = False, debug_dir: Path | None = None) -> AgeCheck:
        """Read ``image`` and decide; ``debug_dir`` (opt-in) receives an overlay PNG per image."""
        from .check import check_mrz

        result = self.read(image)
        t = time.perf_counter()
        timings = dict(result.timings_ms)
        check = check_mrz(result.mrz, min_age=min_age, today=today, allow_expired=allow_expired,
                          min_confidence=self.min_confidence, timings_ms=timings)
        timings["decide"] = (time.perf_counter() - t) * 1000.0
        timings["total"] = timings.get("total", 0.0) + timings["decide"]
        if debug_dir is not None:
            self._write_debug(image, result, Path(debug_dir))
        return _with_timings(check, timings)

    def _write_debug(self, image: ImageSource, result: ReadResult, debug_dir: Path) -> None:
        import cv2

        from .vision.draw import draw_debug
        from .vision.io import load_image
        from .vision.locate import find_candidates

        img = load_image(image)
        overlay = draw_debug(img, find_candidates(img), result.quad,
                             list(result.mrz.lines) if result.mrz else None)
        debug_dir.mkdir(parents=True, exist_ok=True)
        name = Path(image).name if isinstance(image, (str, Path)) else f"image-{id(image)}"
        cv2.imwrite(str(debug_dir / f"{name}.debug.png"), overlay)


def _with_timings(check: AgeCheck, timings: dict[str, float]) -> AgeCheck:
    from dataclasses import replace

    return replace(check, timings_ms=MappingProxyType(timings))


_READERS: dict[str, Reader] = {}


def get_reader(engine: str | Reader | None = None) -> Reader:
    """The shared :class:`Reader` for ``engine`` (built on first use, then reused)."""
    if isinstance(engine, Reader):
        return engine
    name = engine or "native"
    if name not in _READERS:
        _READERS[name] = Reader(name)
    return _READERS[name]


__all__ = ["ImageSource", "ReadResult", "Reader", "STRATEGIES", "get_reader"]
