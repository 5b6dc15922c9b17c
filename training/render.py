"""Render synthetic MRZ lines in OCR-B and cut them into classifier windows exactly as at run time.

One line goes through the same stages a photographed MRZ goes through before the rectifier hands it
to the classifier (see :mod:`idcheck.ocr.cells` for the contract):

1. glyphs drawn one by one at a fixed pitch (ICAO Doc 9303 Part 3 §4.4: 2.54 mm pitch, OCR-B cap
   height about 2.4 mm, so pitch = 0.98-1.12 x cap height) at ``HI_CAP`` px cap height, with a small
   rotation, stroke-width change and per-character vertical offset;
2. paper (brightness, uneven light, optional guilloche / mottled texture), ink contrast, glare;
3. optics: Gaussian and motion blur;
4. the camera: downsampling so the source cap height is 6-80 px, sensor noise, JPEG 30-95;
5. the rectifier: resampling to a ``STRIP_HEIGHT`` strip whose cap height is ``CAP_HEIGHT`` +-15 %
   (a quarter of lines 0.72-1.4x), centred +-3 px (a fifth +-5 px), then :func:`normalise_strip` and :func:`cell_windows` with centre jitter
   (+-0.15 pitch) and pitch jitter (+-8 %).

Everything is driven by one ``numpy.random.Generator`` so a seed reproduces the data exactly.
No PyTorch here: the tests render lines with this module.
"""

from __future__ import annotations

import functools
import math
import os
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass
from pathlib import Path

import cv2
import numpy as np
from PIL import Image, ImageDraw, ImageFont

from idcheck.mrz.generate import build_lines
from idcheck.mrz.layouts import LAYOUTS, Kind
from idcheck.ocr.cells import (
    CAP_HEIGHT,
    CELL_H,
    CELL_W,
    CHARSET,
    STRIP_HEIGHT,
    cell_windows,
    normalise_strip,
)

FONT_PATH = Path(os.environ.get("IDCHECK_OCRB_FONT", "/usr/share/fonts/opentype/ocr-b/OCRB.otf"))
HI_CAP = 64  # px, cap height of the "ideal" rendering; sources above this are rendered at HI_CAP
GLYPH_BOX = 2 * HI_CAP  # square glyph canvas, advance centre and cap centre in its middle
CHAR_INDEX = {c: i for i, c in enumerate(CHARSET)}
NEGATIVE_LINES = {"flip": 0.05, "half": 0.03}  # fraction of lines cut into "not a character" windows
RECIPE_VERSION = "r4"  # bump when the rendering changes (names the cached npz files)
RECIPE = {
    "font": "OCR-B (Debian fonts-ocr-b OCRB.otf), glyphs drawn one by one at a fixed pitch",
    "text": "50 % valid MRZ lines of random format (idcheck.mrz.generate.build_lines, random field values), "
            "50 % random runs of digits / letters / alnum / '<' (lengths 12-44)",
    "geometry": "pitch 0.98-1.12 x cap; strip cap height 24 px x 0.85-1.15 (75 %) or 0.72-1.4 (25 %); "
                "vertical offset +-3 px (80 %) or +-5 px (20 %), with optional tilt along the line; glyph rotation +-2 deg; centre jitter up to +-0.15 pitch "
                "(line shift +-0.07 + per char +-0.08); reported pitch error +-8 %; strip margins 0.1-1.5 pitch",
    "source_cap_px": "log-uniform 6-80 (rendered at 64 px and area-downsampled; above 64 px the strip is identical)",
    "degradations": "stroke width (blur+threshold 0.3-0.7), paper 0.55-1.0, ink 0-0.7 of paper, uneven light "
                    "(60 %), guilloche (25 %) or mottled texture (15 %), glare (10 %), horizontal rules / frame edges "
                    "13-23 px above or below the centre (12 %), ink fading (10 %), "
                    "Gaussian blur sigma 0-1.4 strip px (60 %) and 0.2-0.9 source px (80 %), unsharp mask (25 %), motion blur 1-4 px (15 %), Gaussian noise "
                    "sigma 0-14 grey levels (80 %), JPEG quality 30-95 (70 %), resampling linear/cubic/area",
    "windows": "normalise_strip + cell_windows exactly as at run time; label = character at each centre",
    "negatives": "5 % of lines read upside down (label: the glyph it then resembles for H N O X, else "
                 "'not a character'), 3 % cut with the comb 0.42-0.5 pitch off ('not a character'); "
                 "'not a character' is trained towards uniform probabilities",
}


@dataclass(frozen=True)
class Glyphs:
    """Ink coverage (float32, 0..1) of every CHARSET glyph, cap centre at the box centre."""

    masks: dict[str, np.ndarray]
    cap: float  # measured cap height (of "H") in px


@functools.lru_cache(maxsize=2)
def load_glyphs(font_path: str = str(FONT_PATH), cap: int = HI_CAP) -> Glyphs:
    """Draw every glyph once; OCR-B is monospaced, so the advance centre is the cell centre."""
    probe = ImageFont.truetype(font_path, 400)
    h_mask = _draw(probe, "H", 800)
    rows = np.nonzero(h_mask.max(axis=1) > 0.5)[0]
    cap_ratio = (rows.max() - rows.min() + 1) / 400.0
    size = cap / cap_ratio
    font = ImageFont.truetype(font_path, size)
    masks = {c: _draw(font, c, GLYPH_BOX, cap=cap) for c in CHARSET}
    # Re-measure the real cap height at this size (rounding of the font's hinting).
    rows = np.nonzero(masks["H"].max(axis=1) > 0.5)[0]
    return Glyphs(masks=masks, cap=float(rows.max() - rows.min() + 1))


def _draw(font: ImageFont.FreeTypeFont, char: str, box: int, cap: float | None = None) -> np.ndarray:
    img = Image.new("L", (box, box), 0)
    draw = ImageDraw.Draw(img)
    advance = font.getlength(char)
    if cap is None:
        cap = box / 4
    # anchor "ls": left edge of the advance box on the baseline.
    draw.text((box / 2 - advance / 2, box / 2 + cap / 2), char, font=font, fill=255, anchor="ls")
    return np.asarray(img, dtype=np.float32) / 255.0


# --------------------------------------------------------------------------------------- text


def _random_word(rng: np.random.Generator, lo: int, hi: int) -> str:
    letters = "ABCDEFGHIJKLMNOPQRSTUVWXYZ"
    return "".join(rng.choice(list(letters), size=int(rng.integers(lo, hi + 1))))


def _random_value(rng: np.random.Generator, kind: Kind, width: int) -> str:
    alnum = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ"
    if kind in (Kind.CODE,):
        return "".join(rng.choice(list("PIACVD"), size=1)) + ("" if rng.random() < 0.5 else _random_word(rng, 1, 1))
    if kind == Kind.ALPHA:
        return _random_word(rng, 1, 3) if rng.random() < 0.2 else _random_word(rng, 3, 3)
    if kind == Kind.DATE:
        y, m, d = int(rng.integers(0, 100)), int(rng.integers(1, 13)), int(rng.integers(1, 29))
        return f"{y:02d}{m:02d}{d:02d}"
    if kind == Kind.SEX:
        return str(rng.choice(["M", "F", "<", "X"], p=[0.45, 0.45, 0.07, 0.03]))
    if kind == Kind.DIGIT:
        return "".join(rng.choice(list("0123456789"), size=width))
    # ALNUM: document numbers, optional data: often empty, digits-heavy, sometimes letters.
    if rng.random() < 0.35:
        return ""
    n = int(rng.integers(1, width + 1))
    pool = list("0123456789") if rng.random() < 0.5 else list(alnum)
    return "".join(rng.choice(pool, size=n))


def random_mrz_lines(rng: np.random.Generator) -> tuple[str, ...]:
    """Valid MRZ lines of a random format with random field values (check digits computed)."""
    layout = LAYOUTS[str(rng.choice(sorted(LAYOUTS)))]
    values: dict[str, str] = {}
    for field in layout.fields:
        if field.name in ("names", "primary_identifier", "secondary_identifier"):
            values["primary"] = "<".join(_random_word(rng, 2, 12) for _ in range(int(rng.integers(1, 3))))
            values["secondary"] = "<".join(_random_word(rng, 2, 9) for _ in range(int(rng.integers(0, 4))))
        elif field.name == "document_number":
            n = int(rng.integers(6, min(field.width, 9) + 1))
            values[field.name] = "".join(rng.choice(list("0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ"), size=n))
        else:
            values[field.name] = _random_value(rng, field.kind, field.width)
    try:
        return build_lines(layout, values)
    except ValueError:
        return build_lines(layout, {k: v for k, v in values.items() if k in ("primary", "secondary")})


def random_text(rng: np.random.Generator) -> str:
    """A line of MRZ-like text: half real MRZ lines, half runs of digits, letters, alnum and ``<``.

    The random half keeps every class frequent (the real half is dominated by ``<`` and a few
    letters) and puts every character next to every other, including ``<`` runs.
    """
    if rng.random() < 0.5:
        lines = random_mrz_lines(rng)
        return lines[int(rng.integers(0, len(lines)))]
    length = int(rng.choice([30, 36, 44, int(rng.integers(12, 45))]))
    pools = ["0123456789", "ABCDEFGHIJKLMNOPQRSTUVWXYZ", CHARSET[:-1], CHARSET, "<"]
    weights = np.array([0.25, 0.25, 0.25, 0.15, 0.10])
    out: list[str] = []
    while len(out) < length:
        pool = pools[int(rng.choice(len(pools), p=weights))]
        run = int(rng.integers(1, 10)) if pool != "<" else int(rng.integers(1, 6))
        out.extend(rng.choice(list(pool), size=run))
    return "".join(out[:length])


# ------------------------------------------------------------------------------------- render


@dataclass(frozen=True)
class Degrade:
    """Parameters of one rendered line (all in strip pixels unless stated)."""

    src_cap: float  # cap height in the simulated photo (6-80 px)
    pitch_ratio: float  # pitch / cap height
    cap_scale: float  # rectifier's cap-height error: strip cap = CAP_HEIGHT * cap_scale
    angle: float  # residual rotation of the glyphs, degrees
    dy_left: float  # vertical offset of the cap centre at the first / last character
    dy_right: float
    stroke: float  # threshold of the blurred glyph: < 0.5 bolder, > 0.5 thinner
    paper: float  # paper brightness 0..1
    ink: float  # ink level as a fraction of the paper level
    light: float  # amplitude of uneven illumination
    texture: int  # 0 none, 1 guilloche, 2 mottled
    glare: float  # 0 none, else strength of a bright blob
    rule: float  # 0 none, else darkness of a horizontal rule / frame edge above or below the text
    dropout: float  # 0 none, else fraction of faded ink (worn print, security background over ink)
    blur: float  # Gaussian sigma before sampling (defocus, relative to the glyphs), strip px
    src_blur: float  # Gaussian sigma in source px (lens / demosaicing, matters most for small sources)
    sharpen: float  # unsharp-mask amount applied by the "camera" (0 = none)
    motion: float  # motion blur length, strip px (0 = none)
    motion_angle: float
    noise: float  # Gaussian sensor noise sigma, grey levels
    jpeg: int  # JPEG quality (0 = none)
    up_interp: int  # OpenCV interpolation used by the "rectifier"
    centre_jitter: float  # max per-character centre error, fraction of pitch
    centre_shift: float  # common centre error for the line, fraction of pitch
    pitch_error: float  # relative error of the pitch given to cell_windows
    margin_left: float  # strip margin around the text, pitches
    margin_right: float


def clean_degrade(src_cap: float = 48.0) -> Degrade:
    """A flawless line: sharp print, exact geometry (what the tests check first)."""
    return Degrade(
        src_cap=src_cap, pitch_ratio=1.05, cap_scale=1.0, angle=0.0, dy_left=0.0, dy_right=0.0,
        stroke=0.5, paper=0.95, ink=0.1, light=0.0, texture=0, glare=0.0, rule=0.0, dropout=0.0, blur=0.0, src_blur=0.0, sharpen=0.0, motion=0.0,
        motion_angle=0.0, noise=0.0, jpeg=0, up_interp=cv2.INTER_LINEAR, centre_jitter=0.0,
        centre_shift=0.0, pitch_error=0.0, margin_left=1.0, margin_right=1.0,
    )


def random_degrade(rng: np.random.Generator) -> Degrade:
    u = rng.uniform
    # Mostly the contract's +-3 px / +-15 %; a fifth beyond it (perspective the rectifier only
    # partly removed: a screenshot at an angle gives capitals 1.35x the nominal height).
    lim = 5.0 if rng.random() < 0.2 else 3.0
    dy = u(-lim, lim)
    tilt = u(-1.5, 1.5) if rng.random() < 0.5 else 0.0
    return Degrade(
        # log-uniform 6-80 px: 20 % below 10 px (real low-resolution specimens have 5-8 px caps)
        src_cap=float(math.exp(u(math.log(6), math.log(80)))),
        pitch_ratio=u(0.98, 1.12),
        cap_scale=u(0.85, 1.15) if rng.random() < 0.75 else u(0.72, 1.4),
        angle=u(-2, 2),
        dy_left=float(np.clip(dy - tilt, -lim, lim)),
        dy_right=float(np.clip(dy + tilt, -lim, lim)),
        stroke=u(0.3, 0.7),
        paper=u(0.55, 1.0),
        ink=u(0.0, 0.5) if rng.random() < 0.8 else u(0.5, 0.7),
        light=u(0, 0.4) if rng.random() < 0.6 else 0.0,
        texture=int(rng.choice(3, p=[0.6, 0.25, 0.15])),
        glare=u(0.3, 0.9) if rng.random() < 0.1 else 0.0,
        rule=u(0.3, 1.0) if rng.random() < 0.12 else 0.0,
        dropout=u(0.2, 0.6) if rng.random() < 0.1 else 0.0,
        blur=u(0, 1.4) if rng.random() < 0.6 else 0.0,
        src_blur=u(0.2, 0.9) if rng.random() < 0.8 else 0.0,
        sharpen=u(0.3, 1.5) if rng.random() < 0.25 else 0.0,
        motion=u(1, 4) if rng.random() < 0.15 else 0.0,
        motion_angle=u(0, 180),
        noise=u(0, 14) if rng.random() < 0.8 else 0.0,
        jpeg=int(rng.integers(30, 96)) if rng.random() < 0.7 else 0,
        up_interp=int(rng.choice([cv2.INTER_LINEAR, cv2.INTER_CUBIC, cv2.INTER_AREA])),
        centre_jitter=u(0, 0.08),
        centre_shift=u(-0.07, 0.07),
        pitch_error=u(-0.08, 0.08),
        margin_left=u(0.1, 1.5),
        margin_right=u(0.1, 1.5),
    )


def _stroke(mask: np.ndarray, threshold: float, sigma: float) -> np.ndarray:
    """Thicken (threshold < 0.5) or thin (> 0.5) a coverage mask, keeping soft edges."""
    if abs(threshold - 0.5) < 1e-3:
        return mask
    soft = cv2.GaussianBlur(mask, (0, 0), sigma)
    return np.clip((soft - threshold) / 0.25 + 0.5, 0.0, 1.0).astype(np.float32)


def _motion_kernel(length: float, angle_deg: float) -> np.ndarray:
    size = math.ceil(length) | 1
    size = max(size, 3)
    k = np.zeros((size, size), np.float32)
    c = (size - 1) / 2
    dx, dy = math.cos(math.radians(angle_deg)), math.sin(math.radians(angle_deg))
    for t in np.linspace(-length / 2, length / 2, num=max(2, int(length * 4))):
        x, y = c + t * dx, c + t * dy
        x0, y0 = math.floor(x), math.floor(y)
        fx, fy = x - x0, y - y0
        for xx, yy, w in ((x0, y0, (1 - fx) * (1 - fy)), (x0 + 1, y0, fx * (1 - fy)),
                          (x0, y0 + 1, (1 - fx) * fy), (x0 + 1, y0 + 1, fx * fy)):
            if 0 <= xx < size and 0 <= yy < size:
                k[yy, xx] += w
    return k / k.sum()


def _background(rng: np.random.Generator, shape: tuple[int, int], d: Degrade, cap: float) -> np.ndarray:
    h, w = shape
    yy = np.linspace(-0.5, 0.5, h, dtype=np.float32)[:, None]
    xx = np.linspace(-0.5, 0.5, w, dtype=np.float32)[None, :]
    paper = np.full(shape, d.paper, np.float32)
    if d.light > 0:
        gx, gy = rng.uniform(-1, 1, size=2)
        cx, cy = rng.uniform(-0.6, 0.6), rng.uniform(-2, 2)
        r2 = ((xx - cx) * (w / max(h, 1)) / 8) ** 2 + (yy - cy) ** 2
        field = 0.6 * (gx * xx + gy * yy * 0.3) - 0.4 * np.minimum(r2, 1.5)
        paper = paper * (1 + d.light * (field - field.mean()))
    if d.texture == 1:  # guilloche: fine sinusoidal lines, a little darker than the paper
        canvas = np.zeros(shape, np.uint8)
        n_lines = int(rng.integers(3, 12))
        xs = np.arange(0, w, 2, dtype=np.float32)
        for _ in range(n_lines):
            amp = rng.uniform(0.1, 1.2) * cap
            period = rng.uniform(0.5, 6) * cap
            y0 = rng.uniform(0, h)
            phase = rng.uniform(0, 2 * math.pi)
            ys = y0 + amp * np.sin(2 * math.pi * xs / period + phase)
            pts = np.stack([xs, ys], axis=1).round().astype(np.int32)[None]
            thick = max(1, round(rng.uniform(0.02, 0.08) * cap))
            cv2.polylines(canvas, pts, False, 255, thickness=thick, lineType=cv2.LINE_AA)
        paper = paper * (1 - rng.uniform(0.08, 0.35) * (1 - d.ink) * canvas.astype(np.float32) / 255.0)
    elif d.texture == 2:  # mottled paper / security print
        small = rng.normal(0, 1, size=(max(2, h // 8), max(2, w // 8))).astype(np.float32)
        tex = cv2.resize(small, (w, h), interpolation=cv2.INTER_CUBIC)
        paper = paper * (1 + rng.uniform(0.03, 0.12) * tex)
    return paper


def render_line(rng: np.random.Generator, text: str | None = None, degrade: Degrade | None = None,
                glyphs: Glyphs | None = None) -> tuple[np.ndarray, np.ndarray, float, str, Degrade]:
    """Render one MRZ line the way the rectifier would deliver it.

    Returns ``(strip, centres, pitch, text, degrade)``: the raw (not yet normalised) uint8 strip of
    height ``STRIP_HEIGHT``, the true x centre of every character in it, the pitch the "rectifier"
    reports (with its error), the text and the parameters used.
    """
    g = glyphs or load_glyphs()
    text = text if text is not None else random_text(rng)
    d = degrade or random_degrade(rng)
    n = len(text)
    cap = g.cap
    strip_cap = CAP_HEIGHT * d.cap_scale  # cap height in the strip, px
    k = cap / strip_cap  # hi-res px per strip px
    pitch = cap * d.pitch_ratio
    margin = 2.0 * pitch
    width = math.ceil(2 * margin + n * pitch)
    height = math.ceil((STRIP_HEIGHT + 16) * k)
    yc = height / 2.0

    # 1. glyphs: same rotation and stroke for the whole line, vertical offsets along the line.
    box = GLYPH_BOX
    rot = cv2.getRotationMatrix2D((box / 2 - 0.5, box / 2 - 0.5), d.angle, 1.0)
    prepared: dict[str, np.ndarray] = {}
    ink = np.zeros((height, width), np.float32)
    dys = np.linspace(d.dy_left, d.dy_right, n) if n > 1 else np.array([d.dy_left])
    nominal = margin + (np.arange(n) + 0.5) * pitch
    # pixel-coordinate centre of each pasted glyph (box centre is pixel box/2 - 0.5)
    x0s = np.round(nominal - box / 2).astype(int)
    centres_hi = x0s + box / 2 - 0.5
    for i, ch in enumerate(text):
        m = prepared.get(ch)
        if m is None:
            m = g.masks[ch]
            if d.angle:
                m = cv2.warpAffine(m, rot, (box, box), flags=cv2.INTER_LINEAR)
            m = _stroke(m, d.stroke, 0.05 * cap)
            prepared[ch] = m
        x0 = int(x0s[i])
        y0 = round(yc + dys[i] * k - box / 2)  # cap centre row ~ yc - 0.5 + dy
        ys, xs = slice(max(0, y0), min(height, y0 + box)), slice(max(0, x0), min(width, x0 + box))
        sub = m[ys.start - y0: ys.stop - y0, xs.start - x0: xs.stop - x0]
        np.maximum(ink[ys, xs], sub, out=ink[ys, xs])
    if d.rule > 0:  # a printed rule, card edge or screen frame running along the line
        rows = np.arange(height, dtype=np.float32)
        for _ in range(1 + int(rng.random() < 0.3)):
            y = yc - 0.5 + rng.choice([-1.0, 1.0]) * rng.uniform(13, 23) * k  # 13-23 strip px off centre
            half = rng.uniform(0.4, 1.5) * k
            profile = np.clip(half + 0.5 - np.abs(rows - y), 0, 1) * d.rule
            xa = 0 if rng.random() < 0.6 else int(rng.uniform(0, 0.7) * width)
            xb = width if rng.random() < 0.6 else int(rng.uniform(xa + 0.2 * width, width + 1))
            np.maximum(ink[:, xa:xb], profile[:, None], out=ink[:, xa:xb])

    # 2. paper, ink, glare.
    if d.dropout > 0:  # blotchy fading of the ink
        small = rng.random((max(2, int(height / cap * 6)), max(2, int(width / cap * 6)))).astype(np.float32)
        field = cv2.resize(small, (width, height), interpolation=cv2.INTER_CUBIC)
        ink = ink * np.clip(1.0 - d.dropout * 2.0 * np.clip(field - 0.3, 0, 1), 0.15, 1.0)
    paper = _background(rng, (height, width), d, cap)
    img = paper * (1 - ink * (1 - d.ink))
    if d.glare > 0:
        gx, gy = rng.uniform(0, width), rng.uniform(0, height)
        sx, sy = rng.uniform(0.5, 3) * cap, rng.uniform(0.4, 1.5) * cap
        yy, xx = np.mgrid[0:height, 0:width].astype(np.float32)
        blob = np.exp(-(((xx - gx) / sx) ** 2 + ((yy - gy) / sy) ** 2) / 2)
        img = img + d.glare * blob * (1.0 - img)

    # 3. optics (blur given in strip px -> hi-res px).
    if d.blur > 0.05:
        img = cv2.GaussianBlur(img, (0, 0), d.blur * k)
    if d.motion > 0:
        img = cv2.filter2D(img, -1, _motion_kernel(d.motion * k, d.motion_angle))

    # 4. camera: downsample to the source cap height, noise, JPEG.
    src_cap = min(d.src_cap, cap)
    f = src_cap / cap
    sw, sh = max(2, round(width * f)), max(2, round(height * f))
    src = cv2.resize(img, (sw, sh), interpolation=cv2.INTER_AREA) if f < 1 else img
    fx, fy = sw / width, sh / height
    if d.src_blur > 0.05:
        src = cv2.GaussianBlur(src, (0, 0), d.src_blur)
    if d.sharpen > 0:
        src = src + d.sharpen * (src - cv2.GaussianBlur(src, (0, 0), 1.0))
    src = src * 255.0
    if d.noise > 0:
        src = src + rng.normal(0, d.noise, size=src.shape).astype(np.float32)
    src8 = np.clip(src, 0, 255).round().astype(np.uint8)
    if d.jpeg:
        _ok, buf = cv2.imencode(".jpg", src8, [cv2.IMWRITE_JPEG_QUALITY, d.jpeg])
        src8 = cv2.imdecode(buf, cv2.IMREAD_GRAYSCALE)

    # 5. rectifier: resample so the cap is strip_cap px, crop STRIP_HEIGHT rows around the line.
    gx_ = strip_cap / (cap * fx)
    gy_ = strip_cap / (cap * fy)
    dw, dh = max(2, round(sw * gx_)), max(2, round(sh * gy_))
    interp = d.up_interp
    if interp == cv2.INTER_AREA and dw > sw:
        interp = cv2.INTER_LINEAR  # OpenCV's AREA upsampling is nearest-like; not what a warp does
    big = cv2.resize(src8, (dw, dh), interpolation=interp)
    sx_, sy_ = dw / sw, dh / sh
    # hi-res coordinate -> strip-scale coordinate (pixel-centre convention of cv2.resize).
    def to_big(v: np.ndarray | float, a: float, b: float) -> np.ndarray | float:
        return ((v + 0.5) * a - 0.5 + 0.5) * b - 0.5

    cx_big = to_big(centres_hi, fx, sx_)
    cy_big = float(to_big(yc - 0.5, fy, sy_))  # cap centre of a glyph at row yc (box centre - 0.5)
    pitch_big = pitch * fx * sx_
    x_lo = float(cx_big[0] - pitch_big * (0.5 + d.margin_left))
    x_hi = float(cx_big[-1] + pitch_big * (0.5 + d.margin_right))
    out_w = max(2, round(x_hi - x_lo))
    x_lo = float(round(x_lo))
    # dst(x, y) = big(x + x_lo, y + top): the cap centre lands on the strip's centre row.
    top = cy_big - (STRIP_HEIGHT - 1) / 2.0
    shift = np.float32([[1, 0, x_lo], [0, 1, top]])
    strip = cv2.warpAffine(big, shift, (out_w, STRIP_HEIGHT), flags=cv2.INTER_LINEAR | cv2.WARP_INVERSE_MAP,
                           borderMode=cv2.BORDER_REPLICATE)
    centres = cx_big - x_lo
    # Rectifier errors: per-line shift, per-character jitter, pitch error.
    centres = centres + pitch_big * (d.centre_shift + rng.uniform(-1, 1, size=n) * d.centre_jitter)
    reported_pitch = pitch_big * (1 + d.pitch_error)
    return strip, centres.astype(np.float64), float(reported_pitch), text, d


def line_windows(rng: np.random.Generator, text: str | None = None, degrade: Degrade | None = None
                 ) -> tuple[np.ndarray, np.ndarray, Degrade]:
    """Windows ``(n, CELL_H, CELL_W)`` uint8 and labels ``(n,)`` for one rendered line."""
    strip, centres, pitch, text, d = render_line(rng, text, degrade)
    windows = cell_windows(normalise_strip(strip), centres, pitch)
    labels = np.array([CHAR_INDEX[c] for c in text], dtype=np.int64)
    return windows, labels, d


NOT_A_CHAR = -1  # label of a window that shows no upright character: trained towards uniform probabilities
_IGNORE = -2


@functools.lru_cache(maxsize=1)
def rot180_labels() -> np.ndarray:
    """Label of every glyph turned upside down: itself or another glyph where the two nearly coincide
    (H, N, O, X), "not a character" where they clearly differ, dropped (``_IGNORE``) in between."""
    g = load_glyphs()
    ink = {c: g.masks[c] > 0.5 for c in CHARSET}
    out = np.full(len(CHARSET), NOT_A_CHAR, dtype=np.int64)
    for i, c in enumerate(CHARSET):
        turned = np.rot90(ink[c], 2)  # the box centre is the cap centre: a 180 degree turn in place
        iou = {d: (turned & ink[d]).sum() / (turned | ink[d]).sum() for d in CHARSET}
        best = max(iou, key=iou.__getitem__)
        if iou[best] >= 0.8:
            out[i] = CHAR_INDEX[best]
        elif iou[best] >= 0.6:
            out[i] = _IGNORE
    return out


def negative_windows(rng: np.random.Generator, strip: np.ndarray, centres: np.ndarray, pitch: float,
                     labels: np.ndarray, kind: str) -> tuple[np.ndarray, np.ndarray]:
    """Windows the reader also produces but that show no upright character.

    ``"flip"``: the line read upside down (the reader tries ``rotate180`` on every zone);
    ``"half"``: a character comb half a pitch off, so windows straddle two glyphs or show paper.
    Labels are :data:`NOT_A_CHAR` except for glyphs that look the same upside down.
    """
    norm = normalise_strip(strip)
    if kind == "flip":
        turned = np.ascontiguousarray(norm[::-1, ::-1])
        windows = cell_windows(turned, (norm.shape[1] - 1) - centres[::-1], pitch)
        lab = rot180_labels()[labels[::-1]]
    else:
        shift = rng.uniform(0.42, 0.5) * rng.choice([-1.0, 1.0]) * pitch
        windows = cell_windows(norm, centres + shift, pitch)
        lab = np.full(len(centres), NOT_A_CHAR, dtype=np.int64)
    keep = lab != _IGNORE
    return windows[keep], lab[keep]


def _single_thread() -> None:
    # One process per core: OpenCV's own thread pool would oversubscribe the CPUs.
    cv2.setNumThreads(1)


def _render_chunk(args: tuple[int, int]) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    seed, n_windows = args
    rng = np.random.default_rng(seed)
    xs, ys, caps = [], [], []
    total = 0
    while total < n_windows:
        strip, centres, pitch, text, d = render_line(rng)
        labels = np.array([CHAR_INDEX[c] for c in text], dtype=np.int64)
        u = rng.random()
        if u < NEGATIVE_LINES["flip"]:
            w, lab = negative_windows(rng, strip, centres, pitch, labels, "flip")
        elif u < NEGATIVE_LINES["flip"] + NEGATIVE_LINES["half"]:
            w, lab = negative_windows(rng, strip, centres, pitch, labels, "half")
        else:
            w, lab = cell_windows(normalise_strip(strip), centres, pitch), labels
        xs.append(w)
        ys.append(lab)
        caps.append(np.full(len(lab), min(d.src_cap, 80.0), np.float32))
        total += len(lab)
    return np.concatenate(xs)[:n_windows], np.concatenate(ys)[:n_windows], np.concatenate(caps)[:n_windows]


def render_dataset(n_windows: int, seed: int, workers: int = 1, chunk: int = 4000
                   ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """``n_windows`` windows rendered with ``seed`` (deterministic for any ``workers``).

    Returns ``(windows uint8 (N, CELL_H, CELL_W), labels int64 (N,), source cap height float32 (N,))``;
    label :data:`NOT_A_CHAR` (-1) marks a window without an upright character (about 8 % of them).
    """
    seq = np.random.SeedSequence(seed)
    n_chunks = (n_windows + chunk - 1) // chunk
    seeds = [int(s.generate_state(1)[0]) for s in seq.spawn(n_chunks)]
    jobs = [(s, min(chunk, n_windows - i * chunk)) for i, s in enumerate(seeds)]
    if workers > 1:
        with ProcessPoolExecutor(workers, initializer=_single_thread) as pool:
            parts = list(pool.map(_render_chunk, jobs))
    else:
        parts = [_render_chunk(j) for j in jobs]
    x = np.concatenate([p[0] for p in parts])
    y = np.concatenate([p[1] for p in parts])
    c = np.concatenate([p[2] for p in parts])
    assert x.shape[1:] == (CELL_H, CELL_W)
    return x, y, c
