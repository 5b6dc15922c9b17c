"""Draw MRZ text and whole document pages with Pillow.

The MRZ is drawn one character at a time at an exact fixed pitch (Doc 9303 Part 3 §4.2: 10
characters per 25.4 mm), never by the font's advance, so the per-character boxes returned are exact.
Character height is the OCR-B cap height (letter ``H``); Doc 9303 prints OCR-B size I (about 2.4 mm).
"""

from __future__ import annotations

import math
import os
from dataclasses import dataclass
from functools import lru_cache
from typing import NamedTuple, Sequence

import cv2
import numpy as np
from PIL import Image, ImageDraw, ImageFont

from .identity import ISSUERS, Document

OCRB_FONT = os.environ.get("IDCHECK_OCRB_FONT", "/usr/share/fonts/opentype/ocr-b/OCRB.otf")
_DEJAVU = "/usr/share/fonts/truetype/dejavu/"
VIZ_FONTS = {
    "sans": _DEJAVU + "DejaVuSans.ttf",
    "sans_bold": _DEJAVU + "DejaVuSans-Bold.ttf",
    "sans_cond": _DEJAVU + "DejaVuSansCondensed.ttf",
    "sans_cond_bold": _DEJAVU + "DejaVuSansCondensed-Bold.ttf",
    "serif_bold": _DEJAVU + "DejaVuSerif-Bold.ttf",
    "ocrb": OCRB_FONT,
}

MRZ_PITCH_MM = 2.54  # 10 characters per inch (Part 3 §4.2)
MRZ_CAP_MM = 2.4  # OCR-B size I cap height, approximately


@dataclass(frozen=True)
class PageSpec:
    """Physical size and MRZ print position of one format, in millimetres.

    ``mrz_bottom_mm``: distance from the bottom edge to the baseline of the last MRZ line;
    ``line_mm``: baseline-to-baseline distance. Values follow the ICAO figures approximately
    (the MRZ sits in a clear band along the bottom edge, roughly centred horizontally).
    """

    width_mm: float
    height_mm: float
    mrz_bottom_mm: float
    line_mm: float
    rounded_mm: float  # corner radius (cards and visa labels)
    title: str


PAGES: dict[str, PageSpec] = {
    "TD1": PageSpec(85.6, 54.0, 3.6, 4.25, 3.18, "IDENTITY CARD / CARTE D'IDENTITÉ"),
    "TD2": PageSpec(105.0, 74.0, 4.2, 4.4, 3.18, "IDENTITY CARD / CARTE D'IDENTITÉ"),
    "TD3": PageSpec(125.0, 88.0, 4.6, 4.4, 0.0, "PASSPORT / PASSEPORT / PASAPORTE"),
    "MRV-A": PageSpec(120.0, 80.0, 4.4, 4.4, 2.0, "VISA"),
    "MRV-B": PageSpec(105.0, 74.0, 4.2, 4.4, 2.0, "VISA"),
}
_TITLES = {
    "IR": "RESIDENCE PERMIT / TITRE DE SÉJOUR",
    "AC": "CREW MEMBER CERTIFICATE",
    "PD": "DIPLOMATIC PASSPORT / PASSEPORT DIPLOMATIQUE",
    "PO": "OFFICIAL PASSPORT / PASSEPORT DE SERVICE",
}


class CharBox(NamedTuple):
    """One MRZ character cell: ``x0..x1`` is its pitch cell, ``y0..y1`` cap top to baseline."""

    char: str
    line: int
    index: int
    x0: float
    y0: float
    x1: float
    y1: float

    @property
    def cx(self) -> float:
        return (self.x0 + self.x1) / 2

    @property
    def cy(self) -> float:
        return (self.y0 + self.y1) / 2


# ----------------------------------------------------------------------------------------- fonts


@lru_cache(maxsize=256)
def _font(path: str, size: float) -> ImageFont.FreeTypeFont | ImageFont.ImageFont:
    try:
        return ImageFont.truetype(path, size)
    except OSError:
        if path == OCRB_FONT:
            raise FileNotFoundError(
                f"OCR-B font not found at {path}; install Debian's fonts-ocr-b or set IDCHECK_OCRB_FONT"
            ) from None
        return ImageFont.load_default(size)


@lru_cache(maxsize=8)
def _cap_ratio(path: str) -> float:
    """Cap height of ``H`` per pixel of font size (measured from the rendered glyph)."""
    size = 200
    font = _font(path, size)
    im = Image.new("L", (400, 400), 0)
    ImageDraw.Draw(im).text((100, 300), "H", font=font, fill=255, anchor="ls")
    rows = np.nonzero(np.asarray(im).max(axis=1) > 127)[0]
    return float(rows.max() - rows.min() + 1) / size


def mrz_font(cap_px: float, path: str = OCRB_FONT) -> ImageFont.FreeTypeFont | ImageFont.ImageFont:
    """OCR-B at the size whose cap height is ``cap_px`` pixels (quarter-pixel size steps)."""
    return _font(path, round(cap_px / _cap_ratio(path) * 4) / 4)


def viz_font(name: str, cap_px: float) -> ImageFont.FreeTypeFont | ImageFont.ImageFont:
    path = VIZ_FONTS.get(name, VIZ_FONTS["sans"])
    return _font(path, max(4.0, round(cap_px / 0.73 * 2) / 2))


# ------------------------------------------------------------------------------------------ MRZ


def draw_mrz(
    draw: ImageDraw.ImageDraw,
    lines: Sequence[str],
    x0: float,
    baseline0: float,
    pitch: float,
    line_step: float,
    cap_px: float,
    fill: int | tuple[int, ...] = 0,
    font_path: str = OCRB_FONT,
    stroke_width: int = 0,
) -> list[CharBox]:
    """Draw ``lines`` with character ``i`` centred at ``x0 + (i + 0.5) * pitch``; return the cells.

    ``stroke_width`` (pixels) thickens the strokes, like a heavier print.
    """
    font = mrz_font(cap_px, font_path)
    boxes: list[CharBox] = []
    for li, line in enumerate(lines):
        base = baseline0 + li * line_step
        for i, ch in enumerate(line):
            left = x0 + i * pitch
            # anchor "ms": horizontal middle of the advance, vertical baseline. OCR-B is monospaced
            # and its ink is centred in the advance, so the glyph sits centred in the pitch cell.
            draw.text((left + pitch / 2, base), ch, font=font, fill=fill, anchor="ms",
                      stroke_width=stroke_width, stroke_fill=fill)
            boxes.append(CharBox(ch, li, i, left, base - cap_px, left + pitch, base))
    return boxes


def render_mrz_lines(
    lines: Sequence[str],
    char_height_px: float,
    *,
    pitch_px: float | None = None,
    line_spacing_px: float | None = None,
    margin_px: float | None = None,
    ink: int = 0,
    paper: int = 255,
    font_path: str = OCRB_FONT,
) -> tuple[np.ndarray, list[CharBox]]:
    """A clean upright grayscale image of MRZ ``lines`` and the cell of every character.

    Defaults follow ICAO proportions: pitch = 2.54 / 2.4 x ``char_height_px``, baseline-to-baseline
    4.4 / 2.4 x, margin one pitch. Boxes are in pixel coordinates of the returned image.

    >>> img, boxes = render_mrz_lines(["P<UTO", "L898<"], 24)
    >>> img.dtype, img.ndim, len(boxes), boxes[0].char, boxes[5].line
    (dtype('uint8'), 2, 10, 'P', 1)
    >>> round(boxes[1].x0 - boxes[0].x0, 3) == round(24 * 2.54 / 2.4, 3)
    True
    """
    if not lines:
        raise ValueError("no lines to render")
    pitch = pitch_px if pitch_px is not None else char_height_px * MRZ_PITCH_MM / MRZ_CAP_MM
    step = line_spacing_px if line_spacing_px is not None else char_height_px * 4.4 / MRZ_CAP_MM
    margin = margin_px if margin_px is not None else pitch
    width = int(math.ceil(2 * margin + max(len(line) for line in lines) * pitch))
    height = int(math.ceil(2 * margin + char_height_px + (len(lines) - 1) * step))
    im = Image.new("L", (width, height), paper)
    boxes = draw_mrz(ImageDraw.Draw(im), lines, margin, margin + char_height_px, pitch, step,
                     char_height_px, ink, font_path)
    return np.asarray(im).copy(), boxes


# ----------------------------------------------------------------------------------------- pages


@dataclass
class RenderedPage:
    """A rendered document: RGB image, alpha mask (rounded corners), MRZ geometry in page pixels."""

    image: np.ndarray  # H x W x 3 uint8
    mask: np.ndarray  # H x W uint8, 255 inside the document
    ppmm: float
    mrz_quad: np.ndarray  # 4 x 2 float: top-left, top-right, bottom-right, bottom-left
    char_boxes: list[CharBox]
    cap_px: float
    pitch_px: float
    style: dict[str, object]


def _pastel(rng: np.random.Generator, lo: int = 205, hi: int = 245) -> np.ndarray:
    return rng.integers(lo, hi, size=3).astype(np.float32)


def _background(rng: np.random.Generator, w: int, h: int) -> np.ndarray:
    """Tinted security paper: a two-colour gradient with soft mottling."""
    c1, c2 = _pastel(rng), _pastel(rng)
    gx, gy = 24, max(2, int(24 * h / w))
    t = np.linspace(0, 1, gx, dtype=np.float32)[None, :, None]
    if rng.random() < 0.5:
        t = np.linspace(0, 1, gy, dtype=np.float32)[:, None, None] * np.ones((1, gx, 1), np.float32)
    base = c1 * (1 - t) + c2 * t
    base = base + rng.normal(0, 4, size=(gy, gx, 3)).astype(np.float32)
    base = np.broadcast_to(base, (gy, gx, 3))
    img = cv2.resize(np.ascontiguousarray(base), (w, h), interpolation=cv2.INTER_CUBIC)
    return np.clip(img, 0, 255).astype(np.uint8)


def _guilloche(draw: ImageDraw.ImageDraw, rng: np.random.Generator, w: int, h: int, ppmm: float,
               tint: np.ndarray) -> None:
    """Fine wavy line families and a rosette, a few shades darker than the paper."""
    width = max(1, int(round(0.08 * ppmm)))
    for _family in range(int(rng.integers(1, 3))):
        colour = tuple(int(v) for v in np.clip(tint - rng.uniform(25, 60) - rng.uniform(-15, 15, 3), 0, 255))
        spacing = rng.uniform(0.9, 2.2) * ppmm
        amp = rng.uniform(0.8, 4.0) * ppmm
        wavelength = rng.uniform(8, 30) * ppmm
        drift = rng.uniform(0.05, 0.6)
        xs = np.arange(-2 * ppmm, w + 2 * ppmm, max(2.0, 1.2 * ppmm), dtype=np.float32)
        phase_x = 2 * np.pi * xs / wavelength
        n = int((h + 2 * amp) / spacing) + 2
        for k in range(n):
            y = -amp + k * spacing + amp * np.sin(phase_x + drift * k) * np.cos(0.3 * phase_x + 0.1 * k)
            draw.line(list(zip(xs.tolist(), y.tolist())), fill=colour, width=width)
    # rosette (hypotrochoid)
    cx, cy = rng.uniform(0.2, 0.8) * w, rng.uniform(0.2, 0.7) * h
    big = rng.uniform(0.15, 0.35) * min(w, h)
    r_ratio = rng.integers(5, 13)
    d = rng.uniform(0.4, 0.9)
    t = np.linspace(0, 2 * np.pi, 1500, dtype=np.float32)
    big_r, small_r = big, big / r_ratio
    x = cx + (big_r - small_r) * np.cos(t) + d * small_r * np.cos((big_r - small_r) / small_r * t)
    y = cy + (big_r - small_r) * np.sin(t) - d * small_r * np.sin((big_r - small_r) / small_r * t)
    colour = tuple(int(v) for v in np.clip(tint - rng.uniform(20, 50, 3), 0, 255))
    draw.line(list(zip(x.tolist(), y.tolist())), fill=colour, width=width)


def _photo(im: Image.Image, rng: np.random.Generator, box: tuple[float, float, float, float],
           faded: bool = False) -> None:
    """A portrait placeholder (plain backdrop, head and shoulders) pasted into ``box``."""
    x0, y0, x1, y1 = (int(round(v)) for v in box)
    w, h = max(2, x1 - x0), max(2, y1 - y0)
    bg = int(rng.integers(170, 235))
    skin = int(rng.integers(60, 200))
    hair = int(rng.integers(10, 120))
    cloth = int(rng.integers(20, 140))
    if faded:
        bg, skin, hair, cloth = (int(200 + v * 0.2) for v in (bg, skin, hair, cloth))
    tint = rng.integers(-10, 10, size=3)

    def col(v: int) -> tuple[int, int, int]:
        return tuple(int(np.clip(v + t, 0, 255)) for t in tint)  # type: ignore[return-value]

    photo = Image.new("RGB", (w, h), col(bg))
    d = ImageDraw.Draw(photo)
    d.ellipse((0.05 * w, 0.72 * h, 0.95 * w, 1.45 * h), fill=col(cloth))
    d.ellipse((0.25 * w, 0.14 * h, 0.75 * w, 0.70 * h), fill=col(skin))
    d.chord((0.23 * w, 0.10 * h, 0.77 * w, 0.55 * h), 180, 360, fill=col(hair))
    if not faded:
        d.rectangle((0, 0, w - 1, h - 1), outline=col(bg - 60), width=1)
    im.paste(photo, (x0, y0))


def _signature(draw: ImageDraw.ImageDraw, rng: np.random.Generator, x: float, y: float, w: float,
               h: float, ppmm: float) -> None:
    t = np.linspace(0, 1, 120)
    xs = x + w * t + rng.uniform(0.02, 0.08) * w * np.sin(2 * np.pi * rng.uniform(3, 8) * t)
    ys = y + h * (0.5 + 0.4 * np.sin(2 * np.pi * rng.uniform(1.5, 5) * t + rng.uniform(0, 6)) * np.exp(-t))
    colour = (int(rng.integers(10, 60)), int(rng.integers(20, 60)), int(rng.integers(80, 160)))
    draw.line(list(zip(xs.tolist(), ys.tolist())), fill=colour, width=max(1, int(0.2 * ppmm)))


def _fields(doc: Document, rng: np.random.Generator) -> list[tuple[str, str]]:
    sex = "X" if doc.sex == "<" else doc.sex
    style = int(rng.integers(3))
    dates = lambda d: doc.birth_viz(style) if d is None else (  # noqa: E731
        f"{d.day:02d}.{d.month:02d}.{d.year}" if style == 1 else d.strftime("%d %b %Y").upper())
    nat = (doc.nationality + "<<")[:3] if len(doc.nationality) < 3 else doc.nationality
    rows = [
        ("Surname / Nom", doc.surname),
        ("Given names / Prénoms", doc.given_names or "-"),
        ("Nationality / Nationalité", "DEUTSCH" if nat.startswith("D<") else nat),
        ("Date of birth / Date de naissance", dates(None)),
        ("Sex / Sexe", sex),
        ("Place of birth / Lieu de naissance", doc.extras.get("place_of_birth", "")),
        ("Date of issue / Date de délivrance", dates(doc.issue_date)),
        ("Date of expiry / Date d'expiration", dates(doc.expiry_date)),
        ("Authority / Autorité", doc.extras.get("authority", "")),
    ]
    if doc.format == "TD1":
        rows = [rows[i] for i in (0, 1, 3, 4, 2, 7)]
    elif doc.format.startswith("MRV"):
        rows = [rows[i] for i in (0, 1, 3, 4, 2, 7)] + [("Type / Catégorie", "C  MULT")]
    return rows


def render_document(doc: Document, rng: np.random.Generator, ppmm: float = 12.0,
                    booklet: bool = False) -> RenderedPage:
    """Render ``doc`` as an upright page at ``ppmm`` pixels per millimetre.

    ``booklet`` (TD3 only) adds the facing page above the data page, as when a passport lies open.
    """
    spec = PAGES[doc.format]
    w, h = int(round(spec.width_mm * ppmm)), int(round(spec.height_mm * ppmm))
    top = h if booklet else 0
    tint_img = _background(rng, w, h + top)
    im = Image.fromarray(tint_img)
    draw = ImageDraw.Draw(im)
    tint = tint_img[top + h // 2, w // 2].astype(np.float32)
    _guilloche(draw, rng, w, h + top, ppmm, tint)
    mm = ppmm

    # MRZ geometry (computed first so the clear band can be kept light)
    n_lines = len(doc.lines)
    pitch = MRZ_PITCH_MM * mm
    cap = MRZ_CAP_MM * rng.uniform(0.96, 1.04) * mm
    step = spec.line_mm * rng.uniform(0.95, 1.05) * mm
    length = len(doc.lines[0])
    x0 = (w - length * pitch) / 2 + rng.uniform(-0.8, 0.8) * mm
    last_base = top + h - (spec.mrz_bottom_mm + rng.uniform(-0.5, 0.5)) * mm
    base0 = last_base - (n_lines - 1) * step
    band_top = int(base0 - cap - 1.5 * mm)
    if rng.random() < 0.7:  # MRZ clear band: most issuers keep the pattern faint under the MRZ
        arr = np.asarray(im).copy()
        region = arr[band_top:top + h].astype(np.float32)
        paper = _pastel(rng, 225, 250)
        keep = rng.uniform(0.15, 0.5)
        arr[band_top:top + h] = np.clip(region * keep + paper * (1 - keep), 0, 255).astype(np.uint8)
        im = Image.fromarray(arr)
        draw = ImageDraw.Draw(im)

    if booklet:
        _facing_page(draw, rng, w, h, mm)

    # header
    label_col = (int(rng.integers(20, 70)), int(rng.integers(30, 80)), int(rng.integers(70, 130)))
    small = 1.25 if doc.format == "TD1" else 1.5
    title_cap = (1.7 if doc.format == "TD1" else 2.4) * mm
    draw.text((5 * mm, top + 2.2 * mm), ISSUERS.get(doc.issuing_state, doc.issuing_state),
              font=viz_font("sans_bold", title_cap), fill=label_col, anchor="lt")
    title = _TITLES.get(doc.document_code, spec.title)
    draw.text((5 * mm, top + 2.2 * mm + title_cap * 1.6), title, font=viz_font("sans", title_cap * 0.7),
              fill=label_col, anchor="lt")
    emblem_r = 3.5 * mm if doc.format != "TD1" else 2.5 * mm
    ex, ey = w - 5 * mm - emblem_r, top + 2 * mm + emblem_r
    draw.ellipse((ex - emblem_r, ey - emblem_r, ex + emblem_r, ey + emblem_r), outline=label_col,
                 width=max(1, int(0.25 * mm)))
    draw.text((ex, ey), doc.issuing_state.ljust(3, "<")[:3].replace("<", ""),
              font=viz_font("sans_bold", emblem_r * 0.6), fill=label_col, anchor="mm")

    # photo and fields
    content_top = top + 2.2 * mm + title_cap * 2.8
    content_bottom = band_top - 1.0 * mm
    avail = content_bottom - content_top
    photo_w = min(0.27 * w, avail / 1.3)
    photo_box = (5 * mm, content_top, 5 * mm + photo_w, content_top + photo_w * 1.28)
    _photo(im, rng, photo_box)
    fields_x = photo_box[2] + 4 * mm
    rows = _fields(doc, rng)
    number_text = doc.document_number
    rows.insert(0, ("Type / Code / Document No.", f"{doc.document_code}   {doc.issuing_state}   {number_text}"))
    row_h = avail / len(rows)
    value_font_name = str(rng.choice(["sans_bold", "sans_cond_bold", "ocrb", "serif_bold"]))
    label_cap = min(small * mm, row_h * 0.28)
    value_cap = min((2.0 if doc.format == "TD1" else 2.5) * mm, row_h * 0.42)
    lf = viz_font("sans_cond", label_cap)
    vf = viz_font(value_font_name, value_cap)
    ink = (int(rng.integers(0, 40)),) * 3
    vf_fallback = viz_font("sans_bold", value_cap)
    for i, (label, value) in enumerate(rows):
        y = content_top + i * row_h
        draw.text((fields_x, y), label, font=lf, fill=label_col, anchor="lt")
        # OCR-B has no accented capitals (É, Ø, Č ...): such values fall back to a sans face
        font = vf if value_font_name != "ocrb" or value.isascii() else vf_fallback
        draw.text((fields_x, y + label_cap * 1.45), value, font=font, fill=ink, anchor="lt")
    if doc.format != "TD1" and rng.random() < 0.7:  # ghost image
        gw = photo_w * 0.45
        gx = w - 6 * mm - gw
        _photo(im, rng, (gx, content_bottom - gw * 1.3, gx + gw, content_bottom), faded=True)
    _signature(draw, rng, photo_box[0], photo_box[3] + 0.5 * mm, photo_w,
               max(1.0, content_bottom - photo_box[3] - 0.5 * mm), mm)
    specimen = rng.random() < 0.25
    if specimen:
        _specimen(im, rng, w, h, top, mm)
        draw = ImageDraw.Draw(im)

    # MRZ
    mrz_ink = (int(rng.integers(0, 45)),) * 3
    heavy = 1 if cap >= 28 and rng.random() < 0.25 else 0  # some printers lay down bolder strokes
    boxes = draw_mrz(draw, doc.lines, x0, base0, pitch, step, cap, mrz_ink, stroke_width=heavy)
    quad = np.array(
        [[x0, base0 - cap], [x0 + length * pitch, base0 - cap],
         [x0 + length * pitch, last_base], [x0, last_base]], dtype=np.float64)

    mask = Image.new("L", (w, h + top), 0)
    radius = spec.rounded_mm * mm
    ImageDraw.Draw(mask).rounded_rectangle((0, 0, w - 1, h + top - 1), radius=radius, fill=255)
    return RenderedPage(
        image=np.asarray(im).copy(),
        mask=np.asarray(mask).copy(),
        ppmm=ppmm,
        mrz_quad=quad,
        char_boxes=boxes,
        cap_px=cap,
        pitch_px=pitch,
        style={"value_font": value_font_name, "specimen": specimen, "booklet": booklet, "mrz_heavy": bool(heavy)},
    )


def _facing_page(draw: ImageDraw.ImageDraw, rng: np.random.Generator, w: int, h: int, mm: float) -> None:
    """The facing page of an open passport: a few lines of print and a fold shadow."""
    col = (int(rng.integers(60, 120)),) * 3
    for _ in range(int(rng.integers(2, 6))):
        y = rng.uniform(0.15, 0.8) * h
        text = str(rng.choice(["OBSERVATIONS", "AMENDMENTS / MODIFICATIONS", "ENDORSEMENTS",
                               "THIS PASSPORT CONTAINS 32 PAGES", "SIGNATURE OF BEARER"]))
        draw.text((rng.uniform(5, 30) * mm, y), text, font=viz_font("sans", 1.6 * mm), fill=col, anchor="lt")
    for k in range(int(1.5 * mm)):  # fold: darker lines towards the seam
        shade = int(70 + 120 * k / max(1, 1.5 * mm))
        draw.line([(0, h - k), (w, h - k)], fill=(shade, shade, shade), width=1)


def _specimen(im: Image.Image, rng: np.random.Generator, w: int, h: int, top: int, mm: float) -> None:
    """A diagonal translucent SPECIMEN overprint."""
    layer = Image.new("L", (w, h), 0)
    ImageDraw.Draw(layer).text((w / 2, h / 2), "SPECIMEN", font=viz_font("sans_bold", 9 * mm), fill=255,
                               anchor="mm")
    layer = layer.rotate(float(rng.uniform(10, 30)), resample=Image.Resampling.BILINEAR)
    alpha = np.asarray(layer, dtype=np.float32)[..., None] / 255.0 * rng.uniform(0.15, 0.35)
    arr = np.asarray(im).astype(np.float32)
    colour = np.array([200, 40, 40], np.float32)
    arr[top:top + h] = arr[top:top + h] * (1 - alpha) + colour * alpha
    im.paste(Image.fromarray(arr.astype(np.uint8)))
