"""A cheap camera model: put a rendered page on a background and photograph it.

Geometry: scale (MRZ character height in the final image), tilt (3-D rotation about the page's
axes, projected with a pinhole camera), in-plane rotation, placement. Photometry: background,
uneven light, glare, Gaussian or motion blur, sensor noise. JPEG and EXIF are applied by the caller
(:mod:`idcheck.synth.dataset`), which owns the file format.
"""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass

import cv2
import numpy as np

from .render import MRZ_CAP_MM, RenderedPage

MAX_SIDE = 3000  # px; larger canvases only cost time


@dataclass(frozen=True)
class Level:
    """Ranges the camera parameters are drawn from."""

    name: str
    char_height: tuple[float, float]  # MRZ cap height in the final image, px
    angle: str  # "small": ±5°, "right": k·90° ± 20°, "any": uniform 0-360°
    tilt_max: float  # degrees of perspective tilt
    blur_rel: tuple[float, float]  # Gaussian sigma as a fraction of the character height
    motion_prob: float
    motion_rel: tuple[float, float]  # motion-blur length as a fraction of the character height
    noise: tuple[float, float]  # sensor noise sigma (0-255 scale)
    jpeg: tuple[int, int]
    light: float  # strength of uneven lighting, 0-1
    glare_prob: float
    exif_prob: float
    clutter_prob: float  # background with text and other objects


LEVELS: dict[str, Level] = {
    "easy": Level("easy", (22, 44), "small", 0.0, (0.0, 0.025), 0.0, (0.0, 0.0), (0.0, 3.0), (85, 95),
                  0.15, 0.0, 0.0, 0.2),
    "medium": Level("medium", (16, 48), "right", 8.0, (0.01, 0.05), 0.3, (0.05, 0.15), (2.0, 6.0),
                    (60, 95), 0.35, 0.15, 0.2, 0.4),
    "hard": Level("hard", (12, 16), "any", 15.0, (0.03, 0.075), 0.4, (0.1, 0.25), (4.0, 10.0),
                  (30, 60), 0.6, 0.5, 0.25, 0.6),
}


@dataclass(frozen=True)
class CameraParams:
    """Everything the camera drew for one image (serialisable with :meth:`to_dict`)."""

    level: str
    char_height_px: float
    rotation_deg: float  # counter-clockwise as seen on screen, of the page in the upright image
    tilt_x_deg: float
    tilt_y_deg: float
    focal_rel: float
    blur_sigma: float
    motion_len: float
    motion_angle_deg: float
    noise_sigma: float
    light: float
    glare: bool
    background: str
    jpeg_quality: int
    exif_orientation: int | None

    def to_dict(self) -> dict[str, object]:
        return {k: (round(v, 3) if isinstance(v, float) else v) for k, v in asdict(self).items()}


def sample_params(rng: np.random.Generator, level: Level) -> CameraParams:
    h = float(rng.uniform(*level.char_height))
    if level.angle == "small":
        angle = float(rng.uniform(-5, 5))
    elif level.angle == "right":
        k = int(rng.choice(4, p=[0.4, 0.2, 0.2, 0.2]))
        angle = 90.0 * k + (0.0 if rng.random() < 0.3 else float(rng.uniform(-20, 20)))
    else:
        angle = float(90 * rng.integers(4)) if rng.random() < 0.25 else float(rng.uniform(0, 360))
    angle %= 360.0
    tilt = float(rng.uniform(0, level.tilt_max))
    direction = float(rng.uniform(0, 2 * math.pi))
    motion = rng.random() < level.motion_prob
    exif = int(rng.choice([3, 6, 8, 1], p=[0.3, 0.3, 0.3, 0.1])) if rng.random() < level.exif_prob else None
    background = str(rng.choice(["clutter", "texture", "solid"], p=[level.clutter_prob,
                                                                    (1 - level.clutter_prob) / 2,
                                                                    (1 - level.clutter_prob) / 2]))
    return CameraParams(
        level=level.name,
        char_height_px=h,
        rotation_deg=angle,
        tilt_x_deg=tilt * math.cos(direction),
        tilt_y_deg=tilt * math.sin(direction),
        focal_rel=float(rng.uniform(0.9, 2.0)),
        blur_sigma=float(rng.uniform(*level.blur_rel) * h),
        motion_len=float(rng.uniform(*level.motion_rel) * h) if motion else 0.0,
        motion_angle_deg=float(rng.uniform(0, 180)),
        noise_sigma=float(rng.uniform(*level.noise)),
        light=float(rng.uniform(0.3, 1.0) * level.light),
        glare=bool(rng.random() < level.glare_prob),
        background=background,
        jpeg_quality=int(rng.integers(level.jpeg[0], level.jpeg[1] + 1)),
        exif_orientation=exif,
    )


def render_ppmm(params: CameraParams) -> float:
    """Page resolution for these params: a little finer than the final image, within 5-20 px/mm."""
    return float(np.clip(1.15 * params.char_height_px / MRZ_CAP_MM, 5.0, 20.0))


@dataclass
class Shot:
    image: np.ndarray  # upright (as displayed) RGB uint8
    mrz_quad: np.ndarray  # 4 x 2, TL TR BR BL of the MRZ text
    document_quad: np.ndarray  # 4 x 2, the page corners
    homography: np.ndarray  # page pixels -> image pixels


def _apply(h: np.ndarray, pts: np.ndarray) -> np.ndarray:
    p = np.hstack([pts, np.ones((len(pts), 1))]) @ h.T
    return p[:, :2] / p[:, 2:3]


def page_homography(page_w: int, page_h: int, scale: float, params: CameraParams) -> np.ndarray:
    """Page pixels -> image pixels before placement: scale, tilt (pinhole), rotate about the centre."""
    corners = np.array([[0, 0], [page_w, 0], [page_w, page_h], [0, page_h]], np.float64)
    centred = (corners - [page_w / 2, page_h / 2]) * scale
    rx, ry = math.radians(params.tilt_x_deg), math.radians(params.tilt_y_deg)
    rot_x = np.array([[1, 0, 0], [0, math.cos(rx), -math.sin(rx)], [0, math.sin(rx), math.cos(rx)]])
    rot_y = np.array([[math.cos(ry), 0, math.sin(ry)], [0, 1, 0], [-math.sin(ry), 0, math.cos(ry)]])
    pts3 = np.hstack([centred, np.zeros((4, 1))]) @ (rot_y @ rot_x).T
    focal = params.focal_rel * max(page_w, page_h) * scale
    projected = focal * pts3[:, :2] / (pts3[:, 2:3] + focal)
    # Keep the MRZ scale: normalise so the projected page has the same area as the flat one.
    area = cv2.contourArea(projected.astype(np.float32))
    projected *= math.sqrt(abs(cv2.contourArea(centred.astype(np.float32))) / max(abs(area), 1e-6))
    theta = math.radians(params.rotation_deg)
    # counter-clockwise on screen (y axis points down)
    rot = np.array([[math.cos(theta), math.sin(theta)], [-math.sin(theta), math.cos(theta)]])
    dst = projected @ rot.T
    return cv2.getPerspectiveTransform(corners.astype(np.float32), dst.astype(np.float32)).astype(np.float64)


def _background(rng: np.random.Generator, kind: str, w: int, h: int) -> np.ndarray:
    base = rng.integers(20, 235, size=3).astype(np.float32)
    low = np.clip(base + rng.normal(0, 18, size=(8, 8, 3)), 0, 255).astype(np.uint8)
    img = cv2.resize(low, (w, h), interpolation=cv2.INTER_CUBIC)
    if kind == "texture":
        # wood grain or fabric: a stretched noise field
        sw, sh = (max(2, w // 64), max(8, h // 4)) if rng.random() < 0.5 else (max(4, w // 6), max(4, h // 6))
        grain = np.clip(128 + rng.normal(0, 1, size=(sh, sw)) * rng.uniform(6, 20), 0, 255).astype(np.uint8)
        grain = cv2.resize(grain, (w, h), interpolation=cv2.INTER_LINEAR)
        img = cv2.add(img.astype(np.int16), cv2.merge([grain, grain, grain]).astype(np.int16) - 128,
                      dtype=cv2.CV_8U)
    if kind == "clutter":
        _clutter(img, rng)
    return img


_WORDS = ("TOTAL", "INVOICE", "RECEIPT", "DATE", "AMOUNT", "VAT", "THANK YOU", "No.", "EUR", "ORDER",
          "Meeting notes", "page 2 of 4", "REF 20260311", "tel +44 20 7946 0000", "Lorem ipsum dolor",
          "SUBTOTAL 12.40", "CARD ****1234", "Boarding pass", "GATE B12", "SEAT 14C")


def _clutter(img: np.ndarray, rng: np.random.Generator) -> None:
    """Other paper and printed text lying around (in place)."""
    h, w = img.shape[:2]
    for _ in range(int(rng.integers(1, 4))):
        x0, y0 = int(rng.integers(0, w)), int(rng.integers(0, h))
        pw, ph = int(rng.uniform(0.2, 0.7) * w), int(rng.uniform(0.2, 0.7) * h)
        shade = int(rng.integers(200, 250))
        cv2.rectangle(img, (x0, y0), (x0 + pw, y0 + ph), (shade, shade, shade - 5), -1)
        scale = rng.uniform(0.4, 1.6) * max(1.0, min(w, h) / 900)
        line_h = int(30 * scale) + 4
        for k in range(int(rng.integers(3, 14))):
            text = " ".join(str(rng.choice(_WORDS)) for _ in range(int(rng.integers(1, 4))))
            y = y0 + (k + 1) * line_h
            if y > h:
                break
            cv2.putText(img, text, (x0 + 10, y), cv2.FONT_HERSHEY_SIMPLEX, scale, (30, 30, 30),
                        max(1, int(scale * 2)), cv2.LINE_AA)


def _motion_kernel(length: float, angle_deg: float) -> np.ndarray:
    size = int(math.ceil(length)) | 1
    k = np.zeros((size, size), np.float32)
    c = size // 2
    dx, dy = math.cos(math.radians(angle_deg)), math.sin(math.radians(angle_deg))
    for t in np.linspace(-length / 2, length / 2, 2 * size + 1):
        k[int(round(c + t * dy)), int(round(c + t * dx))] += 1
    return k / k.sum()


def photograph(page: RenderedPage, params: CameraParams, rng: np.random.Generator) -> Shot:
    """Place ``page`` in a photo taken with ``params``; returns the upright image and the quads."""
    ph, pw = page.image.shape[:2]
    scale = params.char_height_px / page.cap_px
    hom = page_homography(pw, ph, scale, params)
    corners = np.array([[0, 0], [pw, 0], [pw, ph], [0, ph]], np.float64)
    doc = _apply(hom, corners)
    mrz = _apply(hom, page.mrz_quad)
    lo, hi = doc.min(axis=0), doc.max(axis=0)
    span = hi - lo
    margins = rng.uniform(0.03, 0.25, size=4) * span.max()
    if params.level == "hard" and rng.random() < 0.3:
        margins[int(rng.integers(4))] = -rng.uniform(0.0, 0.15) * span.max()  # page runs off the frame
    left, top, right, bottom = margins
    # keep the MRZ (plus a character of clearance) inside the frame
    pad = 1.5 * params.char_height_px
    left = max(left, lo[0] - mrz[:, 0].min() + pad)
    top = max(top, lo[1] - mrz[:, 1].min() + pad)
    right = max(right, mrz[:, 0].max() - hi[0] + pad)
    bottom = max(bottom, mrz[:, 1].max() - hi[1] + pad)
    width, height = span[0] + left + right, span[1] + top + bottom
    if max(width, height) > MAX_SIDE:  # trim the margins, never the MRZ clearance
        excess = max(width, height) / MAX_SIDE
        left, right, top, bottom = (m / excess if m > 0 else m for m in (left, right, top, bottom))
        left = max(left, lo[0] - mrz[:, 0].min() + pad)
        top = max(top, lo[1] - mrz[:, 1].min() + pad)
        right = max(right, mrz[:, 0].max() - hi[0] + pad)
        bottom = max(bottom, mrz[:, 1].max() - hi[1] + pad)
        width, height = span[0] + left + right, span[1] + top + bottom
    out_w, out_h = int(math.ceil(width)), int(math.ceil(height))
    shift = np.array([[1, 0, left - lo[0]], [0, 1, top - lo[1]], [0, 0, 1]], np.float64)
    hom = shift @ hom

    # Downscale the page first with area averaging (warpPerspective would alias), then warp the rest.
    src, src_mask, pre = page.image, page.mask, np.eye(3)
    if scale < 0.85:
        f = scale * 1.1
        src = cv2.resize(page.image, (max(2, int(pw * f)), max(2, int(ph * f))), interpolation=cv2.INTER_AREA)
        src_mask = cv2.resize(page.mask, (src.shape[1], src.shape[0]), interpolation=cv2.INTER_AREA)
        pre = np.diag([src.shape[1] / pw, src.shape[0] / ph, 1.0])
    warp = hom @ np.linalg.inv(pre)
    size = (out_w, out_h)
    fg = cv2.warpPerspective(src, warp, size, flags=cv2.INTER_LINEAR, borderMode=cv2.BORDER_CONSTANT)
    alpha = cv2.warpPerspective(src_mask, warp, size, flags=cv2.INTER_LINEAR, borderMode=cv2.BORDER_CONSTANT)
    bg = _background(rng, params.background, out_w, out_h)
    weight = alpha.astype(np.float32) * (1.0 / 255.0)
    img = cv2.blendLinear(fg, bg, weight, 1.0 - weight)

    # uneven light: a tilted plane times a soft vignette, with a colour cast (uint8 field, 200 = x1)
    if params.light > 0:
        yy, xx = np.mgrid[0:8, 0:8].astype(np.float32) / 7.0
        gdir = rng.uniform(0, 2 * math.pi)
        plane = 1.0 - params.light * 0.45 * ((xx * math.cos(gdir) + yy * math.sin(gdir)) + 1) / 2
        vign = 1.0 - params.light * 0.25 * ((xx - 0.5) ** 2 + (yy - 0.5) ** 2) * 2
        cast = 1.0 + rng.uniform(-0.06, 0.06, 3).astype(np.float32) * params.light
        low = np.clip((plane * vign)[..., None] * cast * 200.0, 0, 255).astype(np.uint8)
        field = cv2.resize(low, size, interpolation=cv2.INTER_CUBIC)
        img = cv2.multiply(img, field, scale=1.0 / 200.0)
    if params.glare:
        if rng.random() < 0.4:  # right on the MRZ
            centre = _apply(shift, mrz).mean(axis=0)
        else:
            centre = _apply(shift, doc).mean(axis=0) + rng.normal(0, 0.25, 2) * span
        radius = rng.uniform(0.05, 0.25) * span.max()
        rx, ry = radius, radius * rng.uniform(0.4, 1.0)
        strength = rng.uniform(0.4, 0.95)
        x0, x1 = int(max(0, centre[0] - 3 * rx)), int(min(out_w, centre[0] + 3 * rx + 1))
        y0, y1 = int(max(0, centre[1] - 3 * ry)), int(min(out_h, centre[1] + 3 * ry + 1))
        if x1 > x0 and y1 > y0:
            yy, xx = np.ogrid[y0:y1, x0:x1]
            blob = np.exp(-(((xx - centre[0]) / rx) ** 2 + ((yy - centre[1]) / ry) ** 2)).astype(np.float32)
            roi = img[y0:y1, x0:x1].astype(np.float32)
            roi += (255.0 - roi) * (blob * strength)[..., None]
            img[y0:y1, x0:x1] = np.clip(roi, 0, 255).astype(np.uint8)
    if params.blur_sigma > 0.15:
        img = cv2.GaussianBlur(img, (0, 0), params.blur_sigma)
    if params.motion_len > 1.0:
        img = cv2.filter2D(img, -1, _motion_kernel(params.motion_len, params.motion_angle_deg))
    if params.noise_sigma > 0:
        # luminance noise, drawn at half resolution (phone pipelines leave it spatially correlated)
        half = rng.standard_normal(((out_h + 1) // 2, (out_w + 1) // 2), dtype=np.float32)
        noise = cv2.resize(half * (params.noise_sigma * 1.4), size, interpolation=cv2.INTER_LINEAR)
        noise16 = noise.astype(np.int16)
        img = cv2.add(img, cv2.merge([noise16, noise16, noise16]), dtype=cv2.CV_8U)
    out = img
    return Shot(out, _apply(shift, mrz), _apply(shift, doc), hom)
