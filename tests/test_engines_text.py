"""The text engines (Tesseract on line strips, PassportEye on whole images) feed read_mrz_text."""

from __future__ import annotations

import shutil
import sys
import tempfile
from pathlib import Path

import numpy as np
import pytest

from idcheck.errors import EngineError
from idcheck.mrz.generate import build_lines
from idcheck.mrz.repair import read_mrz_text

OCRB = Path("/usr/share/fonts/opentype/ocr-b/OCRB.otf")
needs_font = pytest.mark.skipif(not OCRB.is_file(), reason="OCR-B font missing (apt-get install fonts-ocr-b)")
needs_tesseract = pytest.mark.skipif(shutil.which("tesseract") is None,
                                     reason="tesseract not installed (apt-get install tesseract-ocr)")

# ICAO Doc 9303 specimens (Part 4 TD3, Part 5 TD1, Part 6 TD2).
ZONES = [
    ("P<UTOERIKSSON<<ANNA<MARIA<<<<<<<<<<<<<<<<<<<", "L898902C36UTO7408122F1204159ZE184226B<<<<<10"),
    ("I<UTOD231458907<<<<<<<<<<<<<<<", "7408122F1204159UTO<<<<<<<<<<<6", "ERIKSSON<<ANNA<MARIA<<<<<<<<<<"),
    ("I<UTOERIKSSON<<ANNA<MARIA<<<<<<<<<<<", "D231458907UTO7408122F1204159<<<<<<<6"),
]


def _font(cap: int):  # type: ignore[no-untyped-def]
    from PIL import ImageFont

    probe = ImageFont.truetype(str(OCRB), 200)
    _, top, _, bottom = probe.getbbox("H", anchor="ls")
    return ImageFont.truetype(str(OCRB), round(200 * cap / (bottom - top)))


def render_strip(line: str, cap: int = 24, height: int = 48) -> np.ndarray:
    """A rectified strip as the rectifier hands it over: OCR-B at a fixed pitch of 1.05 x cap height."""
    from PIL import Image, ImageDraw

    font, pitch = _font(cap), 1.05 * cap
    img = Image.new("L", (int(2 * cap + pitch * len(line)), height), 255)
    draw = ImageDraw.Draw(img)
    for i, ch in enumerate(line):
        draw.text((cap + pitch * (i + 0.5), height / 2 + cap / 2), ch, font=font, fill=0, anchor="ms")
    return np.asarray(img)


def render_document(lines: tuple[str, ...], width: int = 1400, height: int = 1000, cap: int = 28) -> np.ndarray:
    """A plain data page (photo box, a few words, the MRZ at the bottom), about 1.4 MP."""
    from PIL import Image, ImageDraw

    img = Image.new("L", (width, height), 235)
    draw = ImageDraw.Draw(img)
    draw.rectangle((60, 120, 420, 580), fill=170)
    for i, text in enumerate(["PASSPORT", "UTOPIA", "ERIKSSON", "ANNA MARIA", "12 AUG 1974"]):
        draw.text((480, 140 + 60 * i), text, font=_font(20), fill=40)
    font, pitch = _font(cap), 1.05 * cap
    top = height - 80 - 2 * cap * len(lines)
    for j, line in enumerate(lines):
        x0 = (width - pitch * len(line)) / 2
        for i, ch in enumerate(line):
            draw.text((x0 + pitch * (i + 0.5), top + (2 * j + 1) * cap), ch, font=font, fill=20, anchor="ms")
    return np.asarray(img)


# -- Tesseract -------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def tesseract():  # type: ignore[no-untyped-def]
    from idcheck.ocr.tesseract import TesseractEngine

    return TesseractEngine()


@needs_font
@needs_tesseract
@pytest.mark.parametrize("zone", ZONES, ids=["TD3", "TD1", "TD2"])
def test_tesseract_reads_rendered_strips(tesseract, zone: tuple[str, ...]) -> None:  # type: ignore[no-untyped-def]
    lines = tesseract.read_lines([render_strip(line) for line in zone])
    assert len(lines) == len(zone)
    mrz = read_mrz_text("\n".join(lines))
    assert tuple(mrz.lines) == zone
    assert mrz.valid


@needs_tesseract
def test_tesseract_nothing_to_read(tesseract) -> None:  # type: ignore[no-untyped-def]
    assert tesseract.read_lines([]) == []
    assert tesseract.read_lines([np.full((48, 600), 255, np.uint8)]) == [""]


def test_tesseract_missing_binary_is_an_engine_error(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    from idcheck.ocr.tesseract import TesseractEngine

    monkeypatch.setenv("PATH", str(tmp_path))  # an empty directory: no tesseract anywhere
    with pytest.raises(EngineError, match="apt-get install tesseract-ocr"):
        TesseractEngine()


def test_tesseract_uses_an_mrz_model_when_present(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    from idcheck.ocr import tesseract as mod

    calls: list[list[str]] = []

    def fake_run(self, args, data=None):  # type: ignore[no-untyped-def]
        calls.append(args)
        return "tesseract 5.3.0\n" if args == ["--version"] else "eng\n"

    monkeypatch.setattr(mod.shutil, "which", lambda name: "/usr/bin/tesseract")
    monkeypatch.setattr(mod.TesseractEngine, "_run_text", fake_run)
    assert mod.TesseractEngine(model_dir=tmp_path).lang == "eng"
    (tmp_path / "mrz.traineddata").write_bytes(b"")
    engine = mod.TesseractEngine(model_dir=tmp_path)
    assert engine.lang == "mrz"
    assert engine._lang_args == ["--tessdata-dir", str(tmp_path), "-l", "mrz"]


# -- PassportEye -----------------------------------------------------------------------------------


@needs_font
@needs_tesseract
def test_passporteye_text_parses(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    pytest.importorskip("passporteye", reason="passporteye not installed (pip install 'idcheck[passporteye]')")
    from idcheck.ocr.passporteye import PassportEyeEngine

    monkeypatch.setattr(tempfile, "tempdir", str(tmp_path))  # where PassportEye would put its crops
    engine = PassportEyeEngine()
    # Stock Tesseract reads OCR-B filler runs as K's of a drifting count, and read_mrz_text allows a line
    # one character off at most: a zone that line 1's names fill leaves fewer fillers to misread.
    zone = build_lines("TD3", {"document_code": "P", "issuing_state": "UTO", "primary": "ERIKSSON-VANDERBERG",
                               "secondary": "ANNA MARIA CHRISTINA", "document_number": "L898902C3",
                               "nationality": "UTO", "birth_date": "740812", "sex": "F",
                               "expiry_date": "320415", "optional_data": "ZE184226B"})
    text = engine.read_image(render_document(zone))
    assert text
    mrz = read_mrz_text(text)
    assert mrz.fields["birth_date"] == "740812"
    assert mrz.check("birth_date").ok
    assert list(tmp_path.iterdir()) == []  # nothing of the document was written to disk
    assert engine.read_image(np.full((600, 800), 235, np.uint8)) is None


def test_passporteye_missing_package_is_an_engine_error(monkeypatch: pytest.MonkeyPatch) -> None:
    from idcheck.ocr.passporteye import PassportEyeEngine

    for name in ("passporteye", "passporteye.mrz", "passporteye.mrz.image"):
        monkeypatch.setitem(sys.modules, name, None)  # makes `import` raise ImportError
    with pytest.raises(EngineError, match=r"pip install 'idcheck\[passporteye\]'"):
        PassportEyeEngine()
