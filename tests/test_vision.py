"""idcheck.vision: decoding with limits, finding the MRZ at any rotation, rectified strips, overlays.

Rotation tests render their own MRZ (PIL + OCR-B, char by char at the fixed pitch) so they do not
depend on the synthetic document generator; one test also runs the generator when it is present.
Real photos come from ../shared/realdata when it exists (skipped otherwise). No timing asserts here:
speed is measured by ``python -m idcheck.vision.measure``.
"""

from __future__ import annotations

import io
import json
import math
import struct
import zlib
from pathlib import Path

import cv2
import numpy as np
import pytest
from PIL import Image, ImageDraw, ImageFont

from idcheck.errors import ImageTooLargeError, InputError, UnsupportedMediaError
from idcheck.ocr.cells import CAP_HEIGHT, STRIP_HEIGHT, cell_windows, normalise_strip
from idcheck.vision import draw_debug, find_candidates, line_strips, load_image, locate
from idcheck.vision.io import LoadedImage
from idcheck.vision.measure import first_candidate_fits
from idcheck.vision.rectify import STRIP_PITCH, _normalise

OCRB = Path("/usr/share/fonts/opentype/ocr-b/OCRB.otf")
SANS = Path("/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf")
REAL = Path(__file__).resolve().parents[2] / "shared" / "realdata"
if not REAL.exists():
    REAL = Path("/work/shared/realdata")

TD3 = ("P<UTOERIKSSON<<ANNA<MARIA<<<<<<<<<<<<<<<<<<<", "L898902C36UTO7408122F1204159ZE184226B<<<<<10")
TD2 = ("I<UTOERIKSSON<<ANNA<MARIA<<<<<<<<<<<", "D231458907UTO7408122F1204159<<<<<<<6")
TD1 = ("I<UTOD231458907<<<<<<<<<<<<<<<", "7408122F1204159UTO<<<<<<<<<<<6", "ERIKSSON<<ANNA<MARIA<<<<<<<<<<")

needs_font = pytest.mark.skipif(not OCRB.exists(), reason="fonts-ocr-b not installed")


# ------------------------------------------------------------------------------------- rendering
def render_page(lines: tuple[str, ...], cap: float = 20.0, seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    """A light page with some ordinary print and a photo block above an OCR-B MRZ.

    Returns the gray page and the MRZ ink quad (TL, TR, BR, BL). OCR-B at size S: capitals from
    0.235 S to 0.945 S below the drawing origin, ink 0.115 S .. 0.60 S into each 0.723 S cell.
    """
    rng = np.random.default_rng(seed)
    size = int(round(cap / 0.71))
    font = ImageFont.truetype(str(OCRB), size)
    pitch = font.getlength("A")
    n = len(lines[0])
    spacing = 1.75 * 0.71 * size
    mx, top = int(3 * pitch), int(8 * cap)
    width, height = int(n * pitch + 2 * mx), int(top + len(lines) * spacing + 2 * cap)
    page = Image.new("L", (width, height), int(rng.integers(205, 240)))
    d = ImageDraw.Draw(page)
    if SANS.exists():
        sans = ImageFont.truetype(str(SANS), max(8, int(cap * 0.8)))
        words = ["PASSPORT", "SURNAME", "ERIKSSON", "GIVEN NAMES", "ANNA MARIA", "UTOPIA", "12 AUG 74"]
        y = int(cap * 0.8)
        while y < top - 3 * cap:
            x = int(width * 0.35)
            while x < width - 5 * cap:
                w = words[int(rng.integers(len(words)))]
                d.text((x, y), w, font=sans, fill=int(rng.integers(20, 90)))
                x += int(sans.getlength(w) + 1.5 * cap)
            y += int(1.6 * cap)
    d.rectangle([int(0.7 * mx), int(cap), int(width * 0.3), int(top - 2.5 * cap)], fill=int(rng.integers(60, 160)))
    for li, text in enumerate(lines):
        y0 = top + li * spacing
        for i, ch in enumerate(text):
            d.text((mx + i * pitch, y0), ch, font=font, fill=int(rng.integers(0, 40)))
    y_top = top + 0.235 * size
    y_bot = top + (len(lines) - 1) * spacing + 0.945 * size
    x0, x1 = mx + 0.115 * size, mx + (n - 1) * pitch + 0.60 * size
    quad = np.array([[x0, y_top], [x1, y_top], [x1, y_bot], [x0, y_bot]], np.float64)
    return np.asarray(page), quad


def photograph(page: np.ndarray, quad: np.ndarray, angle: float, persp: float = 0.0, seed: int = 0,
               blur: float = 0.6, noise: float = 3.0) -> tuple[np.ndarray, np.ndarray]:
    """The page rotated ``angle`` degrees counter-clockwise (on screen) on a darker background,
    optionally with a perspective jitter of ``persp`` (fraction of the page size) at each corner."""
    rng = np.random.default_rng(seed)
    h, w = page.shape
    src = np.float32([[0, 0], [w, 0], [w, h], [0, h]])
    dst = src + (persp * min(w, h) * rng.uniform(-1, 1, (4, 2))).astype(np.float32)
    a = math.radians(angle)
    rot = np.array([[math.cos(a), math.sin(a)], [-math.sin(a), math.cos(a)]])
    dst = (dst - dst.mean(0)) @ rot.T
    margin = 0.12 * max(w, h)
    dst = dst - dst.min(0) + margin
    size = (int(dst[:, 0].max() + margin), int(dst[:, 1].max() + margin))
    M = cv2.getPerspectiveTransform(src, dst.astype(np.float32))
    out = cv2.warpPerspective(page, M, size, flags=cv2.INTER_LINEAR, borderValue=90)
    if blur:
        out = cv2.GaussianBlur(out, (0, 0), blur)
    if noise:
        out = np.clip(out + rng.normal(0, noise, out.shape), 0, 255).astype(np.uint8)
    return out, cv2.perspectiveTransform(quad[None].astype(np.float32), M)[0].astype(np.float64)


def iou(a: np.ndarray, b: np.ndarray) -> float:
    a32, b32 = np.float32(a), np.float32(b)
    inter, _ = cv2.intersectConvexConvex(a32, b32)
    return float(inter / (cv2.contourArea(a32) + cv2.contourArea(b32) - inter + 1e-9))


def jpeg_bytes(gray: np.ndarray, quality: int = 92, orientation: int | None = None) -> bytes:
    buf = io.BytesIO()
    kwargs: dict[str, object] = {"quality": quality}
    if orientation is not None:
        exif = Image.Exif()
        exif[274] = orientation
        kwargs["exif"] = exif.tobytes()
    Image.fromarray(gray).save(buf, "JPEG", **kwargs)
    return buf.getvalue()


def check_zone(img: LoadedImage, truth_quad: np.ndarray, lines: tuple[str, ...]) -> None:
    """The best candidate covers the zone, has its line count, and cuts strips of the right N."""
    cands = find_candidates(img)
    assert cands, "no candidate"
    best = cands[0]
    # the locator may see only part of a line (a long run of fillers on a coarse level): the
    # rectifier finds the ends itself; its strips' quads must then cover the zone
    assert iou(best.quad, truth_quad) > 0.5, (best.quad, truth_quad)
    assert best.n_lines == len(lines)
    # reading direction along the truth's, or exactly against it (upside down: flip resolves that)
    d_c = best.quad[1] - best.quad[0]
    d_t = truth_quad[1] - truth_quad[0]
    cos = float(d_c @ d_t / (np.linalg.norm(d_c) * np.linalg.norm(d_t)))
    assert abs(cos) > 0.99
    flip = cos < 0
    strips = line_strips(img, best, flip=flip)
    assert len(strips) == len(lines)
    hull = cv2.convexHull(np.concatenate([s.quad for s in strips]).astype(np.float32))[:, 0]
    assert iou(hull, truth_quad) > 0.75, (hull, truth_quad)
    for s, text in zip(strips, lines):
        assert s.n_chars == len(text)
        assert s.image.shape[0] == STRIP_HEIGHT and s.image.dtype == np.uint8
        assert len(s.centers) == len(text)
        assert abs(s.pitch - STRIP_PITCH) < 0.1 * STRIP_PITCH
        assert np.all(np.diff(s.centers) > 0.8 * s.pitch)
        assert s.centers[0] > 0.5 * s.pitch and s.centers[-1] < s.width - 0.5 * s.pitch
    # the strip's text really starts where the first centre says: ink there, paper a pitch before
    s = strips[0]
    col = (255.0 - s.image[12:36].astype(np.float32)).mean(axis=0)
    first = int(round(s.centers[0]))
    before = int(round(s.centers[0] - s.pitch))
    assert col[max(0, first - 6): first + 6].max() > 3 * col[max(0, before - 3): before + 3].mean() + 5


# ---------------------------------------------------------------------------------------- io
def test_sources_all_decode_to_the_same_gray(tmp_path: Path) -> None:
    gray = (np.arange(120 * 90, dtype=np.uint32).reshape(90, 120) % 251).astype(np.uint8)
    png = io.BytesIO()
    Image.fromarray(gray).save(png, "PNG")
    data = png.getvalue()
    path = tmp_path / "a.png"
    path.write_bytes(data)
    bgr = cv2.cvtColor(gray, cv2.COLOR_GRAY2BGR)
    sources = [data, bytearray(data), str(path), path, io.BytesIO(data), gray, bgr, Image.fromarray(gray)]
    for src in sources:
        img = load_image(src)
        assert img.gray.shape == (90, 120) and img.gray.dtype == np.uint8
        assert np.array_equal(img.gray, gray), type(src)
        assert img.scale == 1.0 and img.search.shape == img.gray.shape


@pytest.mark.parametrize("fmt", ["PNG", "BMP", "TIFF", "WEBP"])
def test_other_formats(fmt: str) -> None:
    gray = np.full((40, 50), 128, np.uint8)
    buf = io.BytesIO()
    Image.fromarray(gray).save(buf, fmt, **({"lossless": True} if fmt == "WEBP" else {}))
    img = load_image(buf.getvalue())
    assert img.gray.shape == (40, 50)
    assert img.format == fmt.lower().replace("tiff", "tiff")


def test_big_image_is_searched_small_and_kept_sharp() -> None:
    gray = np.full((1500, 2000), 200, np.uint8)
    img = load_image(jpeg_bytes(gray))
    assert max(img.search.shape) <= 1200 and max(img.search.shape) > 600
    assert img.gray.shape == (1500, 2000)
    assert img.scale == pytest.approx(2000 / img.search.shape[1])


def test_odd_sized_image_is_shrunk_by_an_exact_factor() -> None:
    """An odd width or height drops the last partial block: search pixel i covers full pixels
    [f*i, f*i + f) exactly, which is what the locator's coordinate mapping assumes."""
    gray = np.full((1273, 1571), 255, np.uint8)
    gray[600:610, 1000:1004] = 0  # a dark mark at full-resolution (1001.5, 604.5)
    img = load_image(gray)
    f = 2
    assert img.scale == f and img.search.shape == (1273 // f, 1571 // f)
    ys, xs = np.nonzero(img.search < 128)
    # search pixel centres map to full-resolution centres by (x + 0.5) * f - 0.5
    assert (xs.mean() + 0.5) * f - 0.5 == pytest.approx(1001.5, abs=0.01)
    assert (ys.mean() + 0.5) * f - 0.5 == pytest.approx(604.5, abs=0.01)


def test_pyramid_halves_exactly() -> None:
    """Each pyramid level is the previous one halved by 2x2 coverage, an odd last row or column
    dropped, so level pixel i covers pixels [2i, 2i + 2) of the level below."""
    from idcheck.vision.locate import _down

    binary = np.zeros((9, 11), np.uint8)
    binary[4:6, 6:8] = 255  # exactly level-1 pixel (2, 3)
    half = _down(binary)
    assert half.shape == (4, 5)
    assert list(zip(*np.nonzero(half))) == [(2, 3)]


@pytest.mark.parametrize("reduced", [False, True])
def test_exif_orientation_is_applied(reduced: bool) -> None:
    stored = np.full((300, 400), 255, np.uint8)
    stored[:60, :80] = 0  # a dark block at the stored top-left
    # orientation 6: the viewer turns the stored image 90 degrees clockwise
    data = jpeg_bytes(stored, orientation=6)
    img = load_image(data, reduced_min_pixels=0 if reduced else 10**9, search_long_side=200 if reduced else 1200)
    assert img.orientation == 6
    assert img.gray.shape == (400, 300)
    assert img.gray[:60, -60:].mean() < 60  # now top-right
    assert img.search.shape[0] > img.search.shape[1]
    small = img.search
    h, w = small.shape
    assert small[: h // 8, -w // 8 :].mean() < 90


def test_reduced_decode_path_decodes_full_resolution_lazily() -> None:
    gray = np.tile(np.linspace(0, 255, 1600, dtype=np.float32), (1200, 1)).astype(np.uint8)
    img = load_image(jpeg_bytes(gray), reduced_min_pixels=0)
    assert not img.full_decoded
    assert max(img.search.shape) <= 1200
    assert img.gray.shape == (1200, 1600) and img.full_decoded


def test_not_an_image_is_unsupported_media() -> None:
    with pytest.raises(UnsupportedMediaError):
        load_image(b"Name,Surname\nANNA,ERIKSSON\n")
    with pytest.raises(UnsupportedMediaError):
        load_image(b"%PDF-1.7 not an image")
    assert issubclass(UnsupportedMediaError, InputError)


def test_corrupt_and_empty_data_are_input_errors(tmp_path: Path) -> None:
    with pytest.raises(InputError):
        load_image(b"\xff\xd8\xff\xe0" + bytes(range(256)) * 4)
    with pytest.raises(InputError):
        load_image(b"\x89PNG\r\n\x1a\n" + b"\x00" * 40)
    with pytest.raises(InputError):
        load_image(b"")
    with pytest.raises(InputError):
        load_image(tmp_path / "missing.jpg")
    with pytest.raises(InputError):
        load_image(np.zeros((0, 0), np.uint8))
    with pytest.raises(InputError):
        load_image(12345)


def _png_claiming(width: int, height: int) -> bytes:
    """A valid small PNG whose header claims ``width`` x ``height`` (a decompression bomb)."""
    buf = io.BytesIO()
    Image.fromarray(np.zeros((8, 8), np.uint8)).save(buf, "PNG")
    data = bytearray(buf.getvalue())
    ihdr = 8  # chunk: length(4) type(4) data(13) crc(4)
    data[ihdr + 8 : ihdr + 16] = struct.pack(">II", width, height)
    crc = zlib.crc32(bytes(data[ihdr + 4 : ihdr + 8 + 13])) & 0xFFFFFFFF
    data[ihdr + 8 + 13 : ihdr + 8 + 17] = struct.pack(">I", crc)
    return bytes(data)


def test_huge_images_are_refused_before_decoding() -> None:
    with pytest.raises(ImageTooLargeError):
        load_image(_png_claiming(30000, 30000))
    with pytest.raises(ImageTooLargeError):
        load_image(_png_claiming(9000, 9000), max_pixels=40_000_000)
    with pytest.raises(ImageTooLargeError):
        load_image(jpeg_bytes(np.zeros((64, 64), np.uint8)), max_bytes=100)
    with pytest.raises(ImageTooLargeError):
        load_image(np.zeros((10, 10), np.uint8), max_pixels=50)
    assert issubclass(ImageTooLargeError, InputError)


def test_tiny_and_flat_images_give_no_candidates() -> None:
    for shape in [(1, 1), (8, 64), (64, 64), (40, 300)]:
        img = load_image(np.full(shape, 180, np.uint8))
        assert find_candidates(img) == []
    rng = np.random.default_rng(3)
    img = load_image(rng.integers(0, 256, (64, 48), dtype=np.uint8))
    assert find_candidates(img) == []


# ----------------------------------------------------------------------------------- negatives
def test_random_texture_and_gradient_have_no_zone() -> None:
    rng = np.random.default_rng(1)
    noise = cv2.GaussianBlur(rng.integers(0, 256, (600, 800), dtype=np.uint8), (0, 0), 1.5)
    assert find_candidates(load_image(noise)) == []
    gradient = np.tile(np.linspace(30, 230, 900), (700, 1)).astype(np.uint8)
    assert find_candidates(load_image(gradient)) == []


# ----------------------------------------------------------------------------------- rotation
@needs_font
@pytest.mark.parametrize("lines", [TD3, TD1], ids=["2-lines", "3-lines"])
@pytest.mark.parametrize("angle", list(range(0, 360, 15)))
def test_zone_found_at_any_rotation(angle: int, lines: tuple[str, ...]) -> None:
    page, quad = render_page(lines, cap=18.0, seed=angle)
    image, truth = photograph(page, quad, angle, seed=angle)
    check_zone(load_image(image), truth, lines)


@needs_font
@pytest.mark.parametrize("angle", [0, 90, 180, 270])
def test_right_angles_through_jpeg_and_exif_free_path(angle: int) -> None:
    page, quad = render_page(TD2, cap=22.0, seed=angle + 1)
    image, truth = photograph(page, quad, angle, seed=angle, blur=0.0, noise=0.0)
    check_zone(load_image(jpeg_bytes(image, quality=90)), truth, TD2)


@needs_font
@pytest.mark.parametrize("seed", [1, 2, 3])
def test_perspective_and_blur(seed: int) -> None:
    page, quad = render_page(TD3, cap=24.0, seed=seed)
    image, truth = photograph(page, quad, angle=20.0 * seed - 30.0, persp=0.08, seed=seed, blur=1.0, noise=5.0)
    check_zone(load_image(image), truth, TD3)


@needs_font
@pytest.mark.parametrize("cap", [10.0, 40.0, 70.0])
def test_character_sizes(cap: float) -> None:
    page, quad = render_page(TD3, cap=cap, seed=int(cap))
    image, truth = photograph(page, quad, angle=7.0, seed=int(cap))
    check_zone(load_image(image), truth, TD3)


# ----------------------------------------------------------------------------- locator internals
@needs_font
@pytest.mark.parametrize("angle", [8, 35])
def test_third_line_is_found_between_the_first_and_last_lines_of_a_td1(angle: int) -> None:
    # a TD1 seen as its first and last lines (a coarse level merges the line gaps away, a fine one
    # breaks the middle line up): the search must look midway too, not only beyond the pair
    page, quad = render_page(TD1, cap=18.0, seed=1)
    image, _ = photograph(page, quad, angle, seed=1)
    img = load_image(image)
    binary = locate.ink_map(img.search)
    levels = locate._pyramid(binary)
    frame = locate._Frame(locate._orientations(levels, 1)[0][0])
    lines = locate._lines_on_level(locate._Level(levels[1], 1), frame)
    longest = max(ln.length for ln in lines)
    first, middle, last = sorted((ln for ln in lines if ln.length >= 0.95 * longest), key=lambda ln: ln.cy)
    found = locate._third_line(binary, img.search, frame, [first, last])
    assert found is not None
    assert abs(found.cy - middle.cy) < 0.3 * middle.thick
    assert found.x0 <= middle.x0 + middle.thick and found.x1 >= middle.x1 - middle.thick
    # beyond the pair, as before
    below = locate._third_line(binary, img.search, frame, [first, middle])
    assert below is not None and abs(below.cy - last.cy) < 0.3 * last.thick


@needs_font
@pytest.mark.parametrize("angle", [0, 30, 100])
def test_a_crop_of_a_level_finds_the_same_lines_as_the_whole_level(angle: int) -> None:
    # refining a found zone searches only a box of the finer level around it; the lines found there
    # must be the whole level's, in the same (search image) coordinates
    page, quad = render_page(TD3, cap=18.0, seed=2)
    image, _ = photograph(page, quad, angle, seed=2)
    img = load_image(image)
    levels = locate._pyramid(locate.ink_map(img.search))
    frame = locate._Frame(locate._orientations(levels, 1)[0][0])
    whole = locate._lines_on_level(locate._Level(levels[1], 1), frame)
    coarse = locate._lines_on_level(locate._Level(levels[2], 2), frame)
    groups = [locate._make_group(g, frame, 2, 1.0) for g, _ in locate._groups(coarse)]
    zone = max(groups, key=lambda g: g.length * len(g.lines))
    x0, y0, x1, y1 = locate._zone_box([zone], levels[1].shape, 1)
    assert 0 <= x0 < x1 <= levels[1].shape[1] and 0 <= y0 < y1 <= levels[1].shape[0]
    assert (x1 - x0) * (y1 - y0) < levels[1].size  # a part of the level, not all of it
    crop = locate._lines_on_level(locate._Level(levels[1][y0:y1, x0:x1], 1, (x0, y0)), frame)

    def key(ln: locate._Line) -> tuple[float, ...]:
        return (round(ln.cy, 6), round(ln.x0, 6), round(ln.x1, 6), round(ln.thick, 6))

    def inside(ln: locate._Line) -> bool:  # the line's box, in level-1 px, well inside the crop
        ends = [(u, ln.cy + side * ln.thick) for u in (ln.x0, ln.x1) for side in (-1, 1)]
        pts = (frame.to_search(np.array(ends)) + 0.5) / 2.0
        return bool((pts[:, 0] > x0 + 2).all() and (pts[:, 0] < x1 - 2).all()
                    and (pts[:, 1] > y0 + 2).all() and (pts[:, 1] < y1 - 2).all())

    expected = {key(ln) for ln in whole if inside(ln)}
    assert sum(ln.length >= 0.6 * zone.length for ln in whole if inside(ln)) >= 2  # the MRZ lines are in it
    assert expected <= {key(ln) for ln in crop}


def test_zone_box_leaves_room_for_a_missing_line_and_stays_inside_the_level() -> None:
    frame = locate._Frame(0.0)
    pair = [locate._Line(cx=200.0, cy=100.0 + 30.0 * i, x0=100.0, x1=300.0, thick=16.0, tilt=0.0, fill=0.6, lev=2)
            for i in range(2)]
    group = locate._make_group(pair, frame, 2, 1.0)
    x0, y0, x1, y1 = locate._zone_box([group], (200, 200), 1)  # level 1: search px / 2
    # one line spacing (30 search px) and a line's thickness beyond the pair, in level-1 px
    assert y0 * 2 <= 100 - 8 - 30 and y1 * 2 >= 130 + 8 + 30
    assert x0 * 2 <= 100 and x1 * 2 >= 300
    assert locate._zone_box([group], (40, 60), 1) == (x0, y0, 60, 40)  # clipped to the level


def test_orientation_votes_come_from_finer_levels_when_noise_floods_the_coarse_ones() -> None:
    fine = np.zeros((240, 320), np.uint8)
    a = math.radians(20.0)
    for y in range(20, 200, 24):
        cv2.line(fine, (20, y), (20 + int(120 * math.cos(a)), y + int(120 * math.sin(a))), 255, 3)
    flooded = np.full((120, 160), 255, np.uint8)  # no elongated blob left: nothing votes there
    peaks = locate._orientations([fine, flooded, flooded[::2, ::2]], 1)
    assert abs(peaks[0][0] - 20.0) < 2.0


def test_a_stub_left_by_glare_joins_its_line_along_the_longer_piece() -> None:
    # a few characters before the glare measure their own tilt poorly: extended along that tilt
    # their centre line misses the rest of the line; the long piece's line passes through the stub
    stub = locate._Line(cx=231.0, cy=-165.3, x0=159.0, x1=303.0, thick=19.4, tilt=0.0384, fill=0.8, lev=2)
    rest = locate._Line(cx=591.0, cy=-159.5, x0=383.0, x1=799.0, thick=18.9, tilt=0.0149, fill=0.8, lev=2)
    joined = locate._join_broken([stub, rest])
    assert [(j.x0, j.x1) for j in joined] == [(159.0, 799.0)]
    assert abs(joined[0].cy - (rest.cy + rest.tilt * (joined[0].cx - rest.cx))) < 1e-6


def test_merge_keeps_the_whole_zone_over_a_finer_level_that_sees_part_of_it() -> None:
    # glare broke the lines on the finer level only: its (shorter) pair scores nearly as well, but
    # the zone's geometry must come from the level that saw the whole lines
    frame = locate._Frame(0.0)

    def pair(x0: float, thick: float) -> list:
        return [locate._Line(cx=0.5 * (x0 + 800.0), cy=cy, x0=x0, x1=800.0, thick=thick, tilt=0.0, fill=0.7, lev=0)
                for cy in (100.0, 126.0)]

    whole = locate._make_group(pair(160.0, 19.0), frame, 2, 0.87)
    part = locate._make_group(pair(384.0, 16.0), frame, 1, 0.72)
    for g in (whole, part):
        g.tex = 1.0
    cands = locate._merge([whole, part], np.zeros((300, 900), np.uint8), 1.0, 4)
    assert len(cands) == 1 and cands[0].n_lines == 2
    assert cands[0].quad[:, 0].min() < 165.0 and cands[0].quad[:, 0].max() > 795.0


@needs_font
def test_two_line_count_can_be_forced_and_alternatives_are_listed() -> None:
    page, quad = render_page(TD3, cap=20.0)
    image, _ = photograph(page, quad, 0.0)
    img = load_image(image)
    cand = find_candidates(img)[0]
    auto = line_strips(img, cand)
    assert [s.n_chars for s in auto] == [44, 44] and auto[0].alternatives == (36,)
    forced = line_strips(img, cand, n_chars=36)
    assert [s.n_chars for s in forced] == [36, 36] and len(forced[0].centers) == 36
    assert forced[0].alternatives == (44,)


@needs_font
def test_strips_follow_the_cells_contract() -> None:
    page, quad = render_page(TD3, cap=30.0)
    image, truth = photograph(page, quad, 12.0, blur=0.0, noise=0.0)
    img = load_image(image)
    strips = line_strips(img, find_candidates(img)[0])
    s = strips[0]
    # dark ink on light paper, stretched: paper near 255, ink near 0
    assert np.percentile(s.image, 98) >= 250 and np.percentile(s.image, 2) <= 5
    # capitals about CAP_HEIGHT tall, vertically centred
    rows = (255.0 - s.image.astype(np.float32)).sum(axis=1)
    ink_rows = np.flatnonzero(rows > 0.25 * rows.max())
    assert abs((ink_rows[-1] - ink_rows[0] + 1) - CAP_HEIGHT) <= 4
    assert abs(0.5 * (ink_rows[0] + ink_rows[-1]) - (STRIP_HEIGHT - 1) / 2) <= 2.5
    windows = cell_windows(s.image, s.centers, s.pitch)
    assert windows.shape == (44, 32, 20)
    # the strip's quad is where the line is in the full image
    assert iou(s.quad, truth) > 0.25


def test_fast_normalise_is_exactly_normalise_strip() -> None:
    rng = np.random.default_rng(5)
    for i in range(60):
        a = rng.integers(0, 256, (48, int(rng.integers(5, 900))), dtype=np.uint8)
        if i % 3 == 0:
            a = (a // 64 * 64).astype(np.uint8)
        if i % 7 == 0:
            a[:] = 9
        assert np.array_equal(_normalise(a), normalise_strip(a))


# ------------------------------------------------------------------------------------ draw
@needs_font
def test_draw_debug_returns_an_overlay_and_writes_nothing(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    page, quad = render_page(TD1, cap=16.0)
    image, _ = photograph(page, quad, 30.0)
    img = load_image(image)
    cands = find_candidates(img)
    out = draw_debug(img, cands, cands[0], list(TD1))
    assert out.ndim == 3 and out.shape[2] == 3 and out.dtype == np.uint8
    assert draw_debug(img, cands, cands[0].quad).shape == out.shape
    assert draw_debug(img, cands, 0, max_side=None).shape[:2] == img.gray.shape
    assert draw_debug(image, []).shape[:2] == image.shape[:2]
    assert list(tmp_path.iterdir()) == []


# ---------------------------------------------------------------------------- synthetic set
@pytest.mark.parametrize("fmt,angle", [("TD3", 0.0), ("TD1", 90.0), ("TD2", 180.0), ("TD3", 270.0), ("TD1", 33.0)])
def test_synthetic_generator_documents(fmt: str, angle: float) -> None:
    synth = pytest.importorskip("idcheck.synth")
    try:
        sample = synth.make_sample(11, int(angle), "easy", fmt, overrides={"rotation_deg": angle})
        truth_quad = np.asarray(sample.truth["mrz_quad"], np.float64)
        lines = tuple(sample.truth["mrz"])
    except (TypeError, KeyError, ValueError) as exc:  # the generator's API moved on
        pytest.skip(f"synthetic generator API changed: {exc}")
    img = load_image(sample.data)
    check_zone(img, truth_quad, lines)


# ---------------------------------------------------------------------------------- real data
def _real_truth() -> list[dict[str, object]]:
    path = REAL / "truth.json"
    if not path.exists():
        return []
    return json.loads(path.read_text())


@pytest.mark.skipif(not (REAL / "truth.json").exists(), reason="../shared/realdata not present")
def test_real_images_zone_found_on_every_readable_one() -> None:
    missed = []
    for rec in _real_truth():
        img = load_image(REAL / str(rec["file"]))
        cands = find_candidates(img)
        if rec["negative"]:
            assert cands == [], rec["file"]
            continue
        assert isinstance(rec["mrz"], list)
        if not first_candidate_fits(img, cands, rec["mrz"]):
            missed.append(rec["file"])
    assert missed == []


@needs_font
def test_comb_spans_the_zone_when_glare_hides_opposite_halves_of_the_two_lines() -> None:
    # faded print on the right half of the upper line and the left half of the lower one, seen at
    # an angle: each line's own ink run covers half the zone and their median extent is no line's
    # (nor is a pitch or foreshortening measured on it). Lines of a zone are equally long and
    # left-justified, so the union of the runs is the zone: 36 characters from the first.
    seed, cap = 4, 20.0
    page, quad = render_page(TD2, cap=cap, seed=seed)
    paper = float(np.median(page[:, :5]))
    image, _ = photograph(page, quad, 7.0, persp=0.12, seed=seed, noise=0.0)
    cand = find_candidates(load_image(image))[0]  # the zone as the locator sees it without glare
    faded = page.astype(np.float32)
    size = int(round(cap / 0.71))
    top, spacing = int(8 * cap), 1.75 * 0.71 * size
    pitch = (quad[1, 0] - quad[0, 0]) / 36.0
    for li, (c0, c1) in enumerate(((18, 36), (0, 18))):
        y0, y1 = int(top + li * spacing), int(top + li * spacing + size)
        x0, x1 = int(quad[0, 0] + c0 * pitch) - 2, int(quad[0, 0] + c1 * pitch) + 2
        faded[y0:y1, x0:x1] = paper - 0.03 * (paper - faded[y0:y1, x0:x1])
    image, truth = photograph(faded.astype(np.uint8), quad, 7.0, persp=0.12, seed=seed, noise=0.0)
    strips = line_strips(load_image(image), cand)
    assert [s.n_chars for s in strips] == [36, 36]
    hull = cv2.convexHull(np.concatenate([s.quad for s in strips]).astype(np.float32))[:, 0]
    assert iou(hull, truth) > 0.8, (hull, truth)
    # each line's visible end is where its comb says: ink at the first centre of the upper line
    # and at the last centre of the lower one, paper a pitch beyond
    for s, idx, step in ((strips[0], 0, -1), (strips[1], -1, 1)):
        col = (255.0 - s.image[12:36].astype(np.float32)).mean(axis=0)
        at, beyond = int(round(s.centers[idx])), int(round(s.centers[idx] + step * s.pitch))
        assert col[max(0, at - 6): at + 6].max() > 3 * col[max(0, beyond - 3): beyond + 3].mean() + 5
