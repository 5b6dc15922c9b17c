"""Tesseract's per-character LSTM choices: hOCR parsing, placing glyphs on MRZ positions, decoding."""

from __future__ import annotations

import math
from types import SimpleNamespace

import numpy as np
import pytest

from idcheck.mrz.decode import prefer_fillers, text_options
from idcheck.mrz.parse import detect_format
from idcheck.ocr.cells import CHARSET
from idcheck.ocr.tesseract import (PADDED_FILLER, ZERO_FOR_O, Glyph, LineReading, best_readings, parse_hocr,
                                   zone_probabilities)

# Captured from `tesseract stdin stdout --psm 6 -c lstm_choice_mode=2 -c hocr_char_boxes=1 hocr` (Tesseract
# 5.3.0, eng) on rendered ICAO specimen strips; trimmed to three characters of the first word (P, <, and the
# K read for the < of ANNA<MARIA), the line and page markup around them kept. Not synthetic, only shortened.
HOCR_SAMPLE = """
   <div class='ocr_carea' id='block_1_1' title="bbox 75 42 2478 367">
    <p class='ocr_par' id='par_1_1' lang='eng' title="bbox 75 42 2478 175">
     <span class='ocr_line' id='line_1_1' title="bbox 75 42 1970 79; baseline -0.002 -1; x_size 48.910255">
      <span class='ocrx_word' id='word_1_1' title='bbox 75 42 1970 79; x_wconf 0'>
       <span class='ocrx_cinfo' title='x_bboxes 75 43 102 78; x_conf 98.977638'>P</span>
        <span class='ocrx_cinfo' id='lstm_choices_1_1_1'>
         <span class='ocrx_cinfo' id='choice_1_1_1' title='x_confs 89.388779'>P</span>
         <span class='ocrx_cinfo' id='choice_1_1_2' title='x_confs 0'>F</span>
         <span class='ocrx_cinfo' id='choice_1_1_5' title='x_confs 0'>&lt;</span>
        </span>
       <span class='ocrx_cinfo' title='x_bboxes 117 44 145 75; x_conf 98.775391'>&lt;</span>
        <span class='ocrx_cinfo' id='lstm_choices_1_1_2'>
         <span class='ocrx_cinfo' id='choice_1_1_6' title='x_confs 91.863953'>&lt;</span>
         <span class='ocrx_cinfo' id='choice_1_1_7' title='x_confs 0'>K</span>
        </span>
       <span class='ocrx_cinfo' title='x_bboxes 898 44 926 75; x_conf 91.802979'>K</span>
        <span class='ocrx_cinfo' id='lstm_choices_1_1_20'>
         <span class='ocrx_cinfo' id='choice_1_1_69' title='x_confs 73.611389'>K</span>
         <span class='ocrx_cinfo' id='choice_1_1_70' title='x_confs 86.594246'>&lt;</span>
         <span class='ocrx_cinfo' id='choice_1_1_71' title='x_confs 0'>C</span>
        </span>
      </span>
     </span>
"""


def test_parse_hocr_reads_boxes_and_choices() -> None:
    (word,) = parse_hocr(HOCR_SAMPLE)
    assert (word.left, word.top, word.height, word.conf, word.text) == (75, 42, 37, 0.0, "P<K")
    assert [g.x for g in word.glyphs] == [88.5, 131.0, 912.0]
    assert word.glyphs[0].choices == (("P", 89.388779), ("F", 0.0), ("<", 0.0))
    assert word.glyphs[2].char == "K"
    assert dict(word.glyphs[2].choices)["<"] == pytest.approx(86.594246)


def test_parse_hocr_drops_characters_outside_the_alphabet() -> None:
    sample = HOCR_SAMPLE.replace(">P</span>\n        <span class='ocrx_cinfo' id='lstm_choices_1_1_1'>", ">?</span>\n"
                                 "        <span class='ocrx_cinfo' id='lstm_choices_1_1_1'>")
    (word,) = parse_hocr(sample)
    assert word.text == "<K" and len(word.glyphs) == 2
    assert parse_hocr("") == []


# Synthetic glyphs below: a line of known characters at a pitch of 20 px, centres at 10, 30, 50, ...


def _glyphs(text: str, pitch: float = 20.0, conf: float = 90.0, skip: tuple[int, ...] = ()) -> tuple[Glyph, ...]:
    return tuple(Glyph(pitch * (i + 0.5), c, ((c, conf),)) for i, c in enumerate(text) if i not in skip)


def _centers(n: int, pitch: float = 20.0) -> np.ndarray:
    return pitch * (np.arange(n) + 0.5)


def _argmax(probs: np.ndarray) -> str:
    return "".join(CHARSET[i] for i in probs.argmax(axis=1))


def test_glyphs_go_to_the_nearest_position_and_insertions_share_it() -> None:
    inserted = Glyph(20.0 * 2.5 - 6.0, "4", (("4", 80.0),))  # a 4 read just left of position 2
    glyphs = tuple(sorted(_glyphs("AB<<<") + (inserted,), key=lambda g: g.x))
    (probs,) = zone_probabilities([[LineReading("AB4<<<", 90.0, glyphs)]], [_centers(5)])
    assert probs.shape == (5, len(CHARSET))
    assert _argmax(probs) == "AB<<<"
    assert probs[2, CHARSET.index("4")] == pytest.approx(0.8)  # kept as an option, the grammar decides


def test_dropped_trailing_fillers_are_fillers_and_a_gap_falls_back() -> None:
    (probs,) = zone_probabilities([[LineReading("AB<", 90.0, _glyphs("AB<"))]], [_centers(6)])
    assert _argmax(probs) == "AB<<<<"
    assert probs[5, CHARSET.index("<")] == PADDED_FILLER
    gap = LineReading("A<<<", 90.0, _glyphs("AB<<<", skip=(1,)))
    assert zone_probabilities([[gap]], [_centers(5)]) is None  # position 1 unread: the text path reads it
    ends_in_letter = LineReading("ABC", 90.0, _glyphs("ABC"))
    assert zone_probabilities([[ends_in_letter]], [_centers(5)]) is None


def test_the_other_drawing_fills_a_gap() -> None:
    gap = LineReading("A<<<", 90.0, _glyphs("AB<<<", skip=(1,)))
    full = LineReading("AB<<<", 50.0, _glyphs("AB<<<", conf=50.0))
    (probs,) = zone_probabilities([[gap, full]], [_centers(5)])
    assert _argmax(probs) == "AB<<<"


def test_lookalikes_and_zero_for_o() -> None:
    (probs,) = zone_probabilities([[LineReading("OK", 90.0, _glyphs("OK"))]], [_centers(2)])
    o_row, k_row = probs
    assert o_row[CHARSET.index("0")] == pytest.approx(ZERO_FOR_O * 0.9)
    assert k_row[CHARSET.index("<")] == pytest.approx(0.9 * math.exp(-2.5))


def test_best_readings_pads_like_the_text_path() -> None:
    long = LineReading("P<UTOERIKSSON<<ANNA<MARIA<<<<<<<<<<<<<<<<<<<", 80.0)
    short = LineReading("L898902C36UTO7408122F1204159ZE184226B<<<<<10", 70.0)
    wrong = LineReading("P<UTO", 99.0)
    assert [r.text for r in best_readings([[wrong, long], [short]])] == [long.text, short.text]
    cut = LineReading("P<UTOERIKSSON<<ANNA<MARIA<<<<<<<<<<<<<", 80.0)
    assert best_readings([[cut], [short]])[0].text == long.text


def test_prefer_fillers_after_three_fillers_in_a_name() -> None:
    lines = ("P<UTOERIKSSON<<ANNA<<<<<<<<<<<<<<<<<<S<E<<<<", "L898902C36UTO7408122F1204159ZE184226B<<<<<10")
    layout = detect_format(lines)
    options = prefer_fillers(layout, text_options(layout, lines), lines)
    assert options[0][38][0] == ("<", -0.1) and options[0][40][0] == ("<", -0.1)
    assert options[0][15][0] == ("A", 0.0)  # ANNA stays: before the first <<<


class _FakeEngine:
    """Stands in for TesseractEngine.read_drawings with fixed readings (synthetic)."""

    def __init__(self, lines: list[str], oh: dict[tuple[int, int], str]) -> None:
        self.readings = []
        for li, line in enumerate(lines):
            glyphs = tuple(Glyph(20.0 * (i + 0.5), oh.get((li, i), c), ((oh.get((li, i), c), 90.0),))
                           for i, c in enumerate(line))
            self.readings.append([LineReading("".join(g.char for g in glyphs), 90.0, glyphs)])

    def read_drawings(self, images: list[np.ndarray]) -> list[list[LineReading]]:
        return self.readings


def _reader(engine: _FakeEngine):  # type: ignore[no-untyped-def]
    from idcheck.reader import Reader, _Clock

    reader = Reader.__new__(Reader)
    reader.engine_name, reader.min_confidence, reader._engine = "tesseract", None, engine
    return reader, _Clock()


ZONE = ["P<UTOERIKSSON<<ANNA<MARIA<<<<<<<<<<<<<<<<<<<", "L898902C36UTO7408122F1204159ZE184226B<<<<<10"]


def test_reader_decodes_choices_with_the_check_digits() -> None:
    # Zeros read as O in the birth date and the document number: the choices' reading repairs both.
    reader, clock = _reader(_FakeEngine(ZONE, {(1, 5): "O", (1, 15): "O"}))
    strips = [SimpleNamespace(image=None, centers=_centers(44)) for _ in ZONE]
    mrz = reader._read_tesseract(strips, clock)
    assert mrz is not None and mrz.lines == tuple(ZONE) and mrz.valid


def test_reader_falls_back_to_the_text_path() -> None:
    # Glyph positions that do not fit the strip's centres (wrong character count): no choices, text only.
    reader, clock = _reader(_FakeEngine(ZONE, {}))
    strips = [SimpleNamespace(image=None, centers=_centers(30)) for _ in ZONE]
    mrz = reader._read_tesseract(strips, clock)
    assert mrz is not None and mrz.lines == tuple(ZONE)
