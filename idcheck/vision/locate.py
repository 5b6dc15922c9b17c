"""Find the machine-readable zone: 2 or 3 long, evenly spaced, parallel lines of fixed-pitch dark text.

The search runs on the shrunken ``LoadedImage.search`` (long side <= 1200 px):

1. *Ink*: black-hat (15x15 closing minus image) divided by the local paper level (floored, so dark
   surroundings do not turn noise into ink); Otsu threshold with a cheap hysteresis (weak ink only
   near strong ink). Insensitive to illumination, glare and colour backgrounds.
2. *Pyramid*: up to 4 levels (x1/2 each, a 3x3 median first against specks), so that every zone has
   a level where its characters are 3-12 px tall.
3. *Orientation*: a 3x3 closing fuses the characters of a text line into elongated blobs; their
   second moments (vectorised over all blobs) vote for directions, weighted by length. The peaks of
   the histogram (mod 180 degrees) are the page's text orientations; no image is ever rotated.
   When noise floods the coarse levels (no elongated blob left), the finer levels vote instead.
4. *Lines*, per orientation and level: pieces far too tall across the text to be characters
   (frames, ellipses drawn round the zone, page edges, photos) are removed, keeping their rows that
   are dense along the text (characters touching a frame). A closing with a 5-px line kernel along
   the text direction fuses characters into line blobs without merging neighbouring lines; long thin
   blobs are measured from their pixels (centre line, residual tilt, thickness, extent). Pieces of a
   line broken by glare or a stain are joined.
5. *Zone*: two or three lines of equal length and thickness, aligned ends, spacing 1.15-3.3
   thicknesses (Doc 9303 Part 3 §4: fixed 2.54 mm pitch, lines ~4 mm apart); three-line groups need
   equal spacing and ends within 1.5 thicknesses (TD1). Scored by geometry, then by texture: the
   darkness profile along each line must be periodic at about one character height (fixed pitch)
   and have no blank stretches.
6. *Merge*: the same zone found on several levels and orientations is one candidate (its best
   score; geometry from the finest level scoring nearly as well and seeing nearly the whole lines).
   A TD1 seen as two of its lines gets its third line searched for. Coarse levels are tried first;
   level 0, extra orientations and levels below a convincing find are skipped.

Everything is rotation invariant up to the 180-degree ambiguity, which the reader resolves by trying
``flip`` in :func:`idcheck.vision.rectify.line_strips`.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from statistics import median

import cv2
import numpy as np

from .io import LoadedImage

__all__ = ["Candidate", "find_candidates", "ink_map"]

PAPER_FLOOR = 80.0  # gray level below which the local background is not treated as paper
INK_KERNEL = 15  # px in the search image: strokes up to ~7 px wide (chars up to ~50 px tall)
MAX_ANGLES = 3  # orientation peaks examined
MIN_LINE_ASPECT = 14.0  # length / thickness of a line blob (an MRZ line is ~30-48)
FRAGMENT_ASPECT = 5.0  # shorter pieces are only kept to be joined into a line
JOIN_GAP = 10.0  # the widest gap (in line thicknesses) bridged when joining pieces of a line
MAX_TEXTURES = 3  # zones whose texture is measured when ranking (the best-looking first)
THICK_PER_CAP = 1.27  # line blob thickness / capital height, measured on the real set
TD1_MAX_ASPECT = 41.0  # capital heights: a TD1 line (30 characters) is ~33, TD2 ~40, TD3 ~48
STRONG = 0.75  # a candidate this good stops the search from trying the costly options
SETTLED_THICK = 3.0  # level px of line thickness: a strong zone this well resolved needs no finer level


@dataclass(frozen=True, eq=False)
class Candidate:
    """A possible MRZ. Coordinates are full-resolution pixels of ``LoadedImage.gray``.

    ``quad`` is 4x2 float32: top-left, top-right, bottom-right, bottom-left of the ink, in reading
    order assuming the text is upright (it may be upside down: try ``flip``). ``lines`` holds one such
    quad per text line, top to bottom. ``angle_deg`` is the direction of the lines (TL -> TR), degrees
    counter-clockwise from the image x axis as displayed, in (-90, 90]. ``char_height`` estimates the
    capital height in full-resolution px (the quads cover the whole ink band, a little taller).
    """

    quad: np.ndarray
    n_lines: int
    char_height: float
    angle_deg: float
    score: float
    lines: tuple[np.ndarray, ...] = field(default=())
    level: int = 0  # pyramid level of the search image it was found on (diagnostics)

    @property
    def line_length(self) -> float:
        """Mean length of the lines in full-resolution pixels."""
        return float(np.mean([np.linalg.norm(q[1] - q[0]) for q in self.lines])) if self.lines else 0.0

    def to_dict(self) -> dict[str, object]:
        return {
            "quad": np.round(self.quad, 1).tolist(),
            "n_lines": self.n_lines,
            "char_height": round(self.char_height, 2),
            "angle_deg": round(self.angle_deg, 2),
            "score": round(self.score, 3),
        }


# --------------------------------------------------------------------------------------------- ink
_K5 = cv2.getStructuringElement(cv2.MORPH_RECT, (5, 5))
_K3 = cv2.getStructuringElement(cv2.MORPH_RECT, (3, 3))

def ink_map(gray: np.ndarray, kernel: int = INK_KERNEL, adaptive: bool = True) -> np.ndarray:
    """Binary uint8 map (255 = ink): pixels much darker than the paper around them."""
    k = cv2.getStructuringElement(cv2.MORPH_RECT, (kernel, kernel))
    closed = cv2.morphologyEx(gray, cv2.MORPH_CLOSE, k)
    # relative to the paper, but not below a floor: in dark surroundings (a table, a shadow) the
    # ratio would turn sensor noise into 'ink'
    contrast = cv2.divide(cv2.subtract(closed, gray), cv2.max(closed, PAPER_FLOOR), scale=255)
    thr, binary = cv2.threshold(contrast, 0, 255, cv2.THRESH_BINARY | cv2.THRESH_OTSU)
    if thr < 20:  # nearly flat image: Otsu splits noise; demand real contrast
        thr, binary = cv2.threshold(contrast, 40, 255, cv2.THRESH_BINARY)
    local = _local_thresholds(contrast, thr) if adaptive else None
    if local is not None:
        # glare or a faded print: where even the strongest ink around is weak, the thresholds
        # follow it down (to half the global one at most)
        weak_map, strong_map = local
        binary = cv2.compare(contrast, weak_map, cv2.CMP_GE)
        strong = cv2.compare(contrast, strong_map, cv2.CMP_GE)
    else:
        strong = cv2.threshold(contrast, min(1.6 * thr, 250.0), 255, cv2.THRESH_BINARY)[1]
    # Hysteresis, cheaply: keep weak ink only within 2 px of strong ink. Printed characters have
    # strong cores; faint background patterns and sensor noise do not, and would otherwise glue
    # lines to their surroundings on the coarser levels.
    near = cv2.dilate(strong, _K5)
    return cv2.bitwise_and(binary, near)


LOCAL_CELL = 8  # px of the search image per cell of the local ink-strength map
LOCAL_REF = 2.2  # strong ink reaches about this many global thresholds
LOCAL_MIN = 0.5  # the local threshold is at least this fraction of the global one
LOCAL_NOISE = 2.0  # ... and at least this many times the median contrast (noise)


def _local_thresholds(contrast: np.ndarray, thr: float) -> tuple[np.ndarray, np.ndarray] | None:
    """Per-pixel (weak, strong) thresholds, lowered where the strongest ink within ~3 cells is weak
    (glare washes characters out); None when nowhere is weak enough to matter."""
    f = LOCAL_CELL
    h, w = contrast.shape
    if h < 4 * f or w < 4 * f:
        return None
    # the floor stays well above the sensor noise, which the median contrast measures (most of an
    # image is not ink; a sparse sample is plenty)
    sample = contrast[::4, ::4]
    median = float(np.searchsorted(np.cumsum(np.bincount(sample.ravel(), minlength=256)), 0.5 * sample.size))
    floor = max(LOCAL_MIN * thr, LOCAL_NOISE * median)
    if floor >= thr - 0.5:
        return None
    d = cv2.dilate(contrast, cv2.getStructuringElement(cv2.MORPH_RECT, (f, f)))
    pooled = cv2.dilate(d[f // 2 :: f, f // 2 :: f], _K3).astype(np.float32)
    weak = np.clip(pooled * (1.0 / LOCAL_REF), floor, thr)
    strong = np.minimum(1.6 * weak, 250.0)
    size = (w, h)
    return (cv2.resize(weak.astype(np.uint8), size, interpolation=cv2.INTER_LINEAR),
            cv2.resize(strong.astype(np.uint8), size, interpolation=cv2.INTER_LINEAR))


def _down(binary: np.ndarray) -> np.ndarray:
    """Half size by 2x2 coverage (an odd last row/column is dropped: an exact factor of 2 keeps
    OpenCV on its fast integer INTER_AREA path)."""
    h, w = binary.shape
    hs, ws = max(1, h // 2), max(1, w // 2)
    src = binary[: 2 * hs, : 2 * ws] if h >= 2 and w >= 2 else binary
    small = cv2.resize(src, (ws, hs), interpolation=cv2.INTER_AREA)
    return cv2.threshold(small, 63, 255, cv2.THRESH_BINARY)[1]


def _despeckle(binary: np.ndarray) -> np.ndarray:
    """Ink pixels with at least two ink neighbours (8-connected): isolated specks and pairs go, thin
    strokes stay (a 3x3 median would erase the 1-px strokes of small characters)."""
    mean = cv2.boxFilter(binary, -1, (3, 3), borderType=cv2.BORDER_CONSTANT)  # 255 * count / 9
    return cv2.bitwise_and(binary, cv2.threshold(mean, 84, 255, cv2.THRESH_BINARY)[1])


def _pyramid(binary: np.ndarray, min_side: int = 24, max_levels: int = 4) -> list[np.ndarray]:
    """Level 0 is the ink map itself; coarser levels are built from it after a 3x3 median, which
    removes isolated specks (sensor noise, paper texture) that the coverage-based downsampling
    would otherwise grow into blobs, at the price of 1-px strokes, which only level 0 needs."""
    levels = [binary]
    src = _despeckle(binary) if min(binary.shape) // 2 >= min_side else binary
    while len(levels) < max_levels and min(levels[-1].shape) // 2 >= min_side:
        levels.append(_down(src if len(levels) == 1 else levels[-1]))
    return levels


# ------------------------------------------------------------------------------------- orientation
_K3 = cv2.getStructuringElement(cv2.MORPH_RECT, (3, 3))
_CCL = cv2.CCL_GRANA  # ~2.5x faster than the default with stats in OpenCV 5.0
_MAX_U16_LABELS = 65_535


def _components(binary: np.ndarray) -> tuple[int, np.ndarray, np.ndarray]:
    """8-connected components with stats: (count, labels, stats as OpenCV returns them).

    16-bit labels where they cannot overflow: OpenCV's stats pass costs about twice as much with
    32-bit labels. Separate 8-connected components need a pixel of gap on every side, so an h x w
    image holds at most ceil(h/2) * ceil(w/2) of them.
    """
    h, w = binary.shape[:2]
    ltype = cv2.CV_16U if ((h + 1) // 2) * ((w + 1) // 2) < _MAX_U16_LABELS else cv2.CV_32S
    n, labels, stats, _ = cv2.connectedComponentsWithStatsWithAlgorithm(binary, 8, ltype, _CCL)
    return n, labels, stats


def _votes(level: np.ndarray, lev: int) -> np.ndarray:
    """Length-weighted votes of one pyramid level's elongated blobs for line directions (180 bins of
    1 degree, image coordinates, y down)."""
    fused = cv2.morphologyEx(level, cv2.MORPH_CLOSE, _K3)
    n, labels = cv2.connectedComponentsWithAlgorithm(fused, 8, cv2.CV_32S, _CCL)
    if n <= 1:
        return np.zeros(180, np.float64)
    # second moments of every blob at once (vectorised; no per-contour Python loop)
    idx = np.flatnonzero(fused)
    lab = labels.ravel()[idx]
    ys, xs = np.divmod(idx, fused.shape[1])
    xs = xs.astype(np.float64)
    ys = ys.astype(np.float64)
    m0 = np.bincount(lab, minlength=n).astype(np.float64)
    m0[0] = 1.0
    mx = np.bincount(lab, xs, n) / m0
    my = np.bincount(lab, ys, n) / m0
    cxx = np.bincount(lab, xs * xs, n) / m0 - mx * mx
    cyy = np.bincount(lab, ys * ys, n) / m0 - my * my
    cxy = np.bincount(lab, xs * ys, n) / m0 - mx * my
    half_tr = 0.5 * (cxx + cyy)
    disc = np.sqrt(np.maximum(0.25 * (cxx - cyy) ** 2 + cxy * cxy, 0.0))
    lam1 = half_tr + disc
    lam2 = np.maximum(half_tr - disc, 0.0)
    long_ = np.sqrt(12.0 * lam1) + 1.0  # a uniform bar of length L has variance L^2 / 12
    short = np.sqrt(12.0 * lam2) + 1.0
    ok = (long_ >= 12) & (short >= 2) & (long_ >= 3 * short)
    ok[0] = False
    if not ok.any():
        return np.zeros(180, np.float64)
    direction = 0.5 * np.degrees(np.arctan2(2.0 * cxy[ok], cxx[ok] - cyy[ok]))  # y down
    weight = long_[ok] * float(1 << lev) * np.minimum(long_[ok] / short[ok], 12.0)
    return np.bincount(np.round(direction).astype(np.intp) % 180, weight, 180)


def _orientations(levels: list[np.ndarray], first_level: int, max_peaks: int = MAX_ANGLES) -> list[tuple[float, float]]:
    """Dominant text-line directions as (degrees in [0, 180) in image coordinates, y down; weight)."""
    hist = np.zeros(180, np.float64)
    for lev in range(first_level, len(levels)):
        hist += _votes(levels[lev], lev)
    # Noise that the ink map lets through (a dark, grainy background) floods the coarse levels
    # until no blob there is elongated; the finer levels still show the text lines: vote there.
    lev = first_level
    while not hist.any() and lev > 0:
        lev -= 1
        hist += _votes(levels[lev], lev)
    if not hist.any():
        return [(0.0, 1.0)]
    x = np.arange(-6, 7)
    kern = np.exp(-0.5 * (x / 1.5) ** 2)
    smooth = np.convolve(np.concatenate([hist[-6:], hist, hist[:6]]), kern, mode="valid")
    peaks: list[tuple[float, float]] = []
    work = smooth.copy()
    top = float(work.max())
    for _ in range(max_peaks):
        i = int(np.argmax(work))
        if work[i] < 0.15 * top:
            break
        idx = np.arange(i - 3, i + 4) % 180
        wts = smooth[idx]
        refined = (i + float((wts * np.arange(-3, 4)).sum() / max(float(wts.sum()), 1e-9))) % 180.0
        peaks.append((refined, float(work[i]) / top))
        work[np.arange(i - 12, i + 13) % 180] = 0.0
    return peaks


def _line_kernel(angle: float, length: int = 5) -> np.ndarray:
    """A 1-px line of ``length`` pixels along ``angle`` (degrees, y down) as a structuring element."""
    a = math.radians(angle)
    dx, dy = math.cos(a), math.sin(a)
    m = max(abs(dx), abs(dy))
    c = length // 2
    k = np.zeros((length, length), np.uint8)
    p0 = (int(round(c - c * dx / m)), int(round(c - c * dy / m)))
    p1 = (int(round(c + c * dx / m)), int(round(c + c * dy / m)))
    cv2.line(k, p0, p1, 1, 1)
    return k


@dataclass
class _Line:
    cx: float  # centre, rotated level-0 (search) coordinates: u along the text, v across (down)
    cy: float
    x0: float  # ink extent along the line (u)
    x1: float
    thick: float  # ink thickness across the line (~ character height)
    tilt: float  # residual slope dv/du
    fill: float
    lev: int
    texture: tuple[float, float, float] | None = None

    @property
    def length(self) -> float:
        return self.x1 - self.x0


class _Frame:
    """Rotation taking search-image coordinates to (u, v): u along lines at ``angle``, v across."""

    def __init__(self, angle: float) -> None:
        self.angle = angle
        a = math.radians(angle)
        self.c, self.s = math.cos(a), math.sin(a)

    def to_uv(self, x: np.ndarray, y: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        return x * self.c + y * self.s, -x * self.s + y * self.c

    def to_search(self, pts: np.ndarray) -> np.ndarray:
        pts = np.asarray(pts, np.float64).reshape(-1, 2)
        u, v = pts[:, 0], pts[:, 1]
        return np.stack([u * self.c - v * self.s, u * self.s + v * self.c], axis=1)


MAX_CROSS = 16  # level px: ink pieces wider than this across the text direction are not characters


class _Level:
    """One pyramid level of the ink map with its connected components (computed once)."""

    def __init__(self, binary: np.ndarray, lev: int, origin: tuple[int, int] = (0, 0)) -> None:
        self.binary = binary  # the whole level, or a crop of it whose top-left is ``origin`` (level px)
        self.lev = lev
        self.origin = origin
        self.n, self.labels, self.stats = _components(binary)

    def characters_only(self, frame: _Frame) -> np.ndarray:
        """The ink map without pieces that extend too far across the text direction to be characters
        (page edges, frames, annotation ellipses, photos): they would fuse with MRZ lines."""
        st = self.stats
        w = st[:, 2].astype(np.float64)
        h = st[:, 3].astype(np.float64)
        # Bounding-box extent across the text: exact for axis-aligned text, an over-estimate when
        # rotated (by up to 1 + 2|cos*sin| for a compact character); suspects are measured exactly.
        cross = np.abs(w * frame.s) + np.abs(h * frame.c)
        bad = cross > MAX_CROSS * (1.0 + 2.0 * abs(frame.c * frame.s))
        bad[0] = True
        # Only pieces long enough along the text to hold a few characters are looked at closely;
        # shorter ones are just characters too large for this level (the next level handles them).
        along = np.abs(w * frame.c) + np.abs(h * frame.s)
        suspect = np.flatnonzero(bad & (along >= 2 * MAX_CROSS))
        suspect = suspect[suspect > 0]
        keep_y: list[np.ndarray] = []
        keep_x: list[np.ndarray] = []
        for i in suspect:
            x, y, bw, bh = (int(v) for v in st[i, :4])
            ys, xs = np.nonzero(self.labels[y : y + bh, x : x + bw] == i)
            v = ys * frame.c - xs * frame.s
            vmin = float(v.min())
            if float(v.max()) - vmin + 1.0 <= MAX_CROSS:
                bad[i] = False  # a rotated run of merged characters: keep
                continue
            # Characters touching a frame, an ellipse or a page edge: keep the rows (across the text
            # direction) where the piece is dense along the text, i.e. where it is text.
            u = xs * frame.c + ys * frame.s
            rows = (v - vmin).astype(np.intp)
            counts = np.bincount(rows)
            dense = counts >= max(6.0, 0.2 * (float(u.max() - u.min()) + 1.0))
            if dense.any():
                sel = dense[rows]
                keep_y.append(ys[sel] + y)
                keep_x.append(xs[sel] + x)
        if not bad[1:].any():
            return self.binary
        lut = np.where(bad, 0, 255).astype(np.uint8)
        out = lut.take(self.labels)
        if keep_y:
            out[np.concatenate(keep_y), np.concatenate(keep_x)] = 255
        return out


def _lines_on_level(level: _Level, frame: _Frame) -> list[_Line]:
    lev = level.lev
    closed = cv2.morphologyEx(level.characters_only(frame), cv2.MORPH_CLOSE, _line_kernel(frame.angle))
    n, labels, stats = _components(closed)
    if n <= 1:
        return []
    w = stats[1:, 2].astype(np.float64)
    h = stats[1:, 3].astype(np.float64)
    area = stats[1:, 4].astype(np.float64)
    # length along the text direction from the bounding box (exact for a thin line)
    length = np.abs(w * frame.c) + np.abs(h * frame.s)
    thick_est = area / np.maximum(length, 1.0)
    # lines, and shorter pieces that may be parts of a line broken by glare or a stain
    keep = np.flatnonzero((length >= 20) & (length >= FRAGMENT_ASPECT * np.maximum(thick_est, 2.5))) + 1
    if keep.size < 2:
        return []
    keep = keep[np.argsort(-area[keep - 1])][:60]
    # Cheap pre-selection on bounding boxes: only blobs with a plausible partner line (parallel,
    # overlapping along the text) or a collinear neighbour (another piece of the same line) get
    # measured.
    cu, cv = frame.to_uv(stats[keep, 0] + stats[keep, 2] / 2.0, stats[keep, 1] + stats[keep, 3] / 2.0)
    ln = length[keep - 1]
    te = np.maximum(thick_est[keep - 1], 1.5)
    dv = np.abs(cv[:, None] - cv[None, :])
    tmax = np.maximum(te[:, None], te[None, :])
    u_gap = np.abs(cu[:, None] - cu[None, :]) - 0.5 * (ln[:, None] + ln[None, :])
    is_long = ln >= MIN_LINE_ASPECT * te
    parallel = (dv >= 0.9 * tmax) & (dv <= 6.0 * tmax) & (u_gap < 0)
    parallel &= is_long[:, None] & is_long[None, :]
    collinear = (dv <= 0.6 * tmax) & (u_gap > -2.0 * tmax) & (u_gap <= JOIN_GAP * tmax)
    np.fill_diagonal(collinear, False)
    ok = (parallel.any(axis=1) & is_long) | collinear.any(axis=1)
    keep = keep[ok]
    out: list[_Line] = []
    f = float(1 << lev)
    ox, oy = level.origin
    for i in keep:
        bx, by, bw, bh, ba = (int(v) for v in stats[i])
        ys, xs = np.nonzero(labels[by : by + bh, bx : bx + bw] == i)
        if ys.size > 2400:  # a sample is plenty for a line's geometry
            step = ys.size // 1200
            ys, xs = ys[::step], xs[::step]
        # level pixel centres -> search (level-0) pixel centres, then into the (u, v) frame
        u, v = frame.to_uv((xs + (bx + ox + 0.5)) * f - 0.5, (ys + (by + oy + 0.5)) * f - 0.5)
        n_px = u.size  # sum / n: numpy's mean without its per-call overhead (the same arithmetic)
        mu, mv = u.sum() / n_px, v.sum() / n_px
        du = u - mu
        slope = float((du * (v - mv)).sum() / n_px / max(float((du * du).sum() / n_px), 1e-9))
        if abs(slope) > 0.15:
            continue
        resid = v - mv - slope * du
        k = int(0.015 * (resid.size - 1))
        part = np.partition(resid, (k, resid.size - 1 - k))
        lo, hi = float(part[k]), float(part[resid.size - 1 - k])
        thick = float(hi - lo) + f
        u0, u1 = float(u.min()) - 0.5 * f, float(u.max()) + 0.5 * f
        if thick < 2.5 * f or (u1 - u0) < FRAGMENT_ASPECT * thick:
            continue
        fill = ba * f * f / ((u1 - u0) * thick)
        if fill < 0.3:
            continue
        out.append(_Line(cx=float(mu), cy=float(mv + (lo + hi) / 2.0), x0=u0, x1=u1, thick=thick,
                         tilt=slope, fill=float(fill), lev=lev))
    if 1 < len(out) <= 60:
        out += _join_broken(out)
    out = [l for l in out if l.length >= MIN_LINE_ASPECT * l.thick]
    return out


def _join_broken(lines: list[_Line]) -> list[_Line]:
    """Pieces of one text line split by glare, a stain or faded print, joined (the pieces stay too).

    Two pieces join when they lie on the same straight line (the longer one's centre line passes
    within 0.35 thickness of the shorter one's centre, tilt alike), are about as thick, and the gap
    between them is at most JOIN_GAP thicknesses (~characters).
    """
    joined: list[_Line] = []
    pieces = sorted(lines, key=lambda l: l.x0)
    for i, a in enumerate(pieces):
        for b in pieces[i + 1 :]:
            t = max(a.thick, b.thick)
            if min(a.thick, b.thick) < 0.6 * t or abs(a.tilt - b.tilt) > 0.05:
                continue
            gap = b.x0 - a.x1
            if gap < -t or gap > JOIN_GAP * t:
                continue
            # the longer piece's centre line extended to the shorter one's centre: a piece of a few
            # characters measures its own tilt poorly (glare leaves stubs at the ends of a line)
            lng, sht = (a, b) if a.length >= b.length else (b, a)
            if abs(lng.cy + lng.tilt * (sht.cx - lng.cx) - sht.cy) > 0.35 * t:
                continue
            la, lb = a.length, b.length
            x0, x1 = min(a.x0, b.x0), max(a.x1, b.x1)
            w = la / (la + lb)
            joined.append(_Line(
                cx=0.5 * (x0 + x1),
                cy=a.cy + a.tilt * (0.5 * (x0 + x1) - a.cx) if la >= lb else b.cy + b.tilt * (0.5 * (x0 + x1) - b.cx),
                x0=x0, x1=x1,
                thick=w * a.thick + (1 - w) * b.thick,
                tilt=w * a.tilt + (1 - w) * b.tilt,
                fill=(a.fill * la + b.fill * lb) / (x1 - x0),
                lev=a.lev,
            ))
    if joined and len(joined) < len(lines):  # a line broken in three: join the joins once more
        joined += [j for j in _join_broken(joined) if j.length > max(l.length for l in joined)]
    return joined


def _compatible(a: _Line, b: _Line) -> float:
    """0 if b cannot be the MRZ line right below a, else a score in (0, 1]."""
    t = 0.5 * (a.thick + b.thick)
    if max(a.thick, b.thick) > 1.6 * min(a.thick, b.thick):
        return 0.0
    dy = b.cy - a.cy
    if not (1.15 * t <= dy <= 3.3 * t):
        return 0.0
    la, lb = a.length, b.length
    ratio = min(la, lb) / max(la, lb)
    if ratio < 0.7:
        return 0.0
    if abs(a.x0 - b.x0) > 2.5 * t + 0.15 * max(la, lb) or abs(a.x1 - b.x1) > 2.5 * t + 0.15 * max(la, lb):
        return 0.0
    if abs(a.tilt - b.tilt) > 0.06:
        return 0.0
    align = math.exp(-abs(a.x0 - b.x0) / (2.0 * t)) * 0.5 + 0.5
    return ratio**2 * align * (min(a.thick, b.thick) / max(a.thick, b.thick))


def _groups(lines: list[_Line]) -> list[tuple[list[_Line], float]]:
    lines = sorted(lines, key=lambda l: l.cy)
    n = len(lines)
    pair = {}
    for i in range(n):
        for j in range(i + 1, n):
            if lines[j].cy - lines[i].cy > 3.5 * max(lines[i].thick, lines[j].thick):
                break
            s = _compatible(lines[i], lines[j])
            if s > 0:
                pair[(i, j)] = s
    groups: list[tuple[list[_Line], float]] = []
    for (i, j), s1 in pair.items():
        for (j2, k), s2 in pair.items():
            if j2 != j:
                continue
            d1 = lines[j].cy - lines[i].cy
            d2 = lines[k].cy - lines[j].cy
            if abs(d1 - d2) > 0.2 * max(d1, d2):
                continue
            l3 = [lines[i], lines[j], lines[k]]
            # TD1: three lines of 30 characters, same start and end (Doc 9303 Part 5 §4.2)
            t = max(l.thick for l in l3)
            if min(l.length for l in l3) < 0.88 * max(l.length for l in l3):
                continue
            if max(l.x0 for l in l3) - min(l.x0 for l in l3) > 1.5 * t:
                continue
            if max(l.x1 for l in l3) - min(l.x1 for l in l3) > 1.5 * t:
                continue
            groups.append((l3, 0.5 * (s1 + s2)))
    for (i, j), s in pair.items():
        groups.append(([lines[i], lines[j]], s))
    return groups


def _texture(search: np.ndarray, frame: _Frame, ln: _Line) -> tuple[float, float, float]:
    """(periodicity, pitch, uniformity) of the darkness along a line, from the search gray image.

    MRZ characters sit on a fixed pitch of about one character height (OCR-B, 2.54 mm pitch,
    Doc 9303 Part 3 §4.3), so the column profile has a strong autocorrelation peak there; ordinary
    proportional print, page edges and photos do not.
    """
    if ln.texture is not None:
        return ln.texture
    # sample the line at ~1/6 character height: enough for a profile, cheap for big text
    step = max(1.0, ln.thick / 6.0)
    t = ln.thick / step  # in samples
    width = int(ln.length / step)
    height = max(3, int(round(t)))
    if width < 16:
        ln.texture = (0.0, 0.0, 0.0)
        return ln.texture
    # strip sample (i, j) -> (u, v) -> search (x, y)
    u0 = ln.x0
    v0 = ln.cy + ln.tilt * (u0 - ln.cx) - ln.thick / 2.0
    du = np.array([step, ln.tilt * step])  # d(u, v)/di
    dv = np.array([0.0, ln.thick / height])  # d(u, v)/dj
    c, s = frame.c, frame.s
    rot = np.array([[c, -s], [s, c]])
    a = rot @ np.column_stack([du, dv])
    b = rot @ np.array([u0, v0])
    M = np.hstack([a, b[:, None]])
    strip = cv2.warpAffine(search, M, (width, height), flags=cv2.INTER_LINEAR | cv2.WARP_INVERSE_MAP,
                           borderMode=cv2.BORDER_REPLICATE)
    prof = 255.0 - strip.mean(axis=0)
    prof -= prof.mean()
    energy = float(prof @ prof)
    lo, hi = max(2, int(0.55 * t)), min(width // 3, int(1.6 * t) + 1)
    if energy <= 1e-6 or hi <= lo:
        ln.texture = (0.0, 0.0, 0.0)
        return ln.texture
    acf = np.array([float(prof[:-k] @ prof[k:]) for k in range(lo, hi + 1)]) / energy
    k = int(np.argmax(acf))
    # the first lag nearly as strong as the best: digits often correlate best at two pitches
    first = int(np.flatnonzero(acf >= 0.85 * acf[k])[0]) if acf[k] > 0 else k
    # text all along: pieces of ~2 characters that are blank mean the line is fused with something
    # else (a frame, an ellipse drawn round the zone, a page edge)
    n_seg = max(4, min(24, int(width / (2.0 * t))))
    seg_w = width // n_seg
    blocks = strip[:, : seg_w * n_seg].astype(np.float32).reshape(height, n_seg, seg_w)
    seg = blocks.std(axis=(0, 2)).tolist()
    floor = 0.3 * median(seg)  # a few dozen values: plain Python beats numpy's per-call overhead
    blank = sum(v < floor for v in seg) / len(seg)
    uniform = max(0.0, 1.0 - 3.0 * blank)
    ln.texture = (float(acf[k]), float(lo + first) * step, uniform)
    return ln.texture


def _avg(values: list[float]) -> float:
    """Mean of a few floats; for fewer than 8 values exactly what ``np.mean`` gives (numpy sums short
    runs in order), without its per-call cost."""
    return sum(values) / len(values)


def _geometry_score(group: list[_Line], compat: float) -> float:
    t = _avg([l.thick for l in group])
    length = _avg([l.length for l in group])
    aspect = length / t
    # An MRZ line is 30, 36 or 44 characters at a pitch of ~1 character height: aspect ~25-50.
    s_len = min(1.0, aspect / 20.0) * min(1.0, 75.0 / aspect)
    s_fill = min(1.0, _avg([l.fill for l in group]) / 0.5)
    bonus = 1.1 if len(group) == 3 else 1.0
    return float(compat * s_len * s_fill * bonus)


def _texture_score(group: list[_Line], search: np.ndarray, frame: _Frame) -> float:
    s_tex = 1.0
    for ln in group:
        # (the pitch itself is not trusted here: the strongest peak is often at 2 pitches on digits)
        period, _pitch, uniform = _texture(search, frame, ln)
        s_tex = min(s_tex, min(1.0, max(0.0, (period - 0.1) / 0.4)) * uniform)
    return s_tex


@dataclass
class _Group:
    """Lines that may form a zone, found on one level for one orientation."""

    lines: list[_Line]
    frame: _Frame
    lev: int
    geo: float
    tex: float | None = None
    centre: tuple[float, float] = (0.0, 0.0)  # search coordinates
    length: float = 0.0
    thick: float = 0.0
    angle: float = 0.0  # degrees mod 180, y down

    @property
    def score(self) -> float:
        return self.geo * (self.tex if self.tex is not None else 1.0)


def _make_group(group: list[_Line], frame: _Frame, lev: int, geo: float) -> _Group:
    cx = _avg([l.cx for l in group])
    cy = _avg([l.cy for l in group])
    centre = frame.to_search(np.array([[cx, cy]]))[0]
    tilt = _avg([l.tilt for l in group])
    return _Group(lines=group, frame=frame, lev=lev, geo=geo, centre=(float(centre[0]), float(centre[1])),
                  length=_avg([l.length for l in group]), thick=_avg([l.thick for l in group]),
                  angle=(frame.angle + math.degrees(math.atan(tilt))) % 180.0)


def _same_zone(a: _Group, b: _Group) -> bool:
    d_ang = abs(a.angle - b.angle) % 180.0
    if min(d_ang, 180.0 - d_ang) > 8.0:
        return False
    dx, dy = b.centre[0] - a.centre[0], b.centre[1] - a.centre[1]
    ang = math.radians(a.angle)
    along = abs(dx * math.cos(ang) + dy * math.sin(ang))
    across = abs(-dx * math.sin(ang) + dy * math.cos(ang))
    # a TD1 seen as a pair and as a triple: centres half a line spacing (~1 thickness) apart
    return across <= 1.3 * max(a.thick, b.thick) and along <= 0.3 * max(a.length, b.length)


def _line_quad(frame: _Frame, ln: _Line, scale: float) -> np.ndarray:
    """Four corners (TL, TR, BR, BL) of a line in full-resolution coordinates."""
    half = ln.thick / 2.0
    pts = []
    for x, side in ((ln.x0, -1), (ln.x1, -1), (ln.x1, 1), (ln.x0, 1)):
        y = ln.cy + ln.tilt * (x - ln.cx) + side * half
        pts.append((x, y))
    search = frame.to_search(np.array(pts))
    return ((search + 0.5) * scale - 0.5).astype(np.float32)


def _make_candidate(frame: _Frame, group: list[_Line], score: float, scale: float, lev: int) -> Candidate:
    quads = [_line_quad(frame, ln, scale) for ln in group]
    x0 = min(ln.x0 for ln in group)
    x1 = max(ln.x1 for ln in group)
    first, last = group[0], group[-1]
    # block corners: first line's top edge, last line's bottom edge, common left/right extents
    pts = []
    for x, ln, side in ((x0, first, -1), (x1, first, -1), (x1, last, 1), (x0, last, 1)):
        pts.append((x, ln.cy + ln.tilt * (x - ln.cx) + side * ln.thick / 2.0))
    quad = ((frame.to_search(np.array(pts)) + 0.5) * scale - 0.5).astype(np.float32)
    d = quad[1] - quad[0]
    angle = -math.degrees(math.atan2(d[1], d[0]))  # counter-clockwise on screen
    if angle <= -90.0 or angle > 90.0:  # prefer the more upright reading; flip resolves the rest
        quad = quad[[2, 3, 0, 1]]
        quads = [q[[2, 3, 0, 1]] for q in reversed(quads)]
        angle = angle + 180.0 if angle <= -90.0 else angle - 180.0
    # the fused line is thicker than the capitals (digits, blur, the coarse level's dilation)
    char_h = float(np.mean([ln.thick for ln in group])) * scale / THICK_PER_CAP
    return Candidate(quad=quad, n_lines=len(group), char_height=char_h, angle_deg=angle, score=score,
                     lines=tuple(quads), level=lev)



# ----------------------------------------------------------------------------- completing a zone


def _sample(img: np.ndarray, frame: _Frame, u0: float, v0: float, tilt: float, step: float,
            width: int, height: int, border: int = cv2.BORDER_CONSTANT) -> np.ndarray:
    """Strip of ``img`` sampled in the (u, v) frame: column i at u0 + i * step, row j at
    v0 + tilt * i * step + j * step (a sheared, upright view of a band along the text)."""
    du = np.array([step, tilt * step])
    dv = np.array([0.0, step])
    rot = np.array([[frame.c, -frame.s], [frame.s, frame.c]])
    a = rot @ np.column_stack([du, dv])
    b = rot @ np.array([u0, v0])
    M = np.hstack([a, b[:, None]])
    return cv2.warpAffine(img, M, (max(1, width), max(1, height)), flags=cv2.INTER_LINEAR | cv2.WARP_INVERSE_MAP,
                          borderMode=border, borderValue=0)


def _third_line_windows(mid: float, d: float, t: float) -> list[tuple[float, float, tuple[float, ...]]]:
    """Where the missing line of a pair (centre ``mid``, spacing ``d``, thickness ``t``; v at the
    pair's start) may lie: (lowest v, highest v, offsets from the band's centre that must be paper)."""
    out: list[tuple[float, float, tuple[float, ...]]] = []
    for sign in (-1.0, 1.0):
        near = mid + sign * 0.5 * d  # the pair line on this side
        lo, hi = sorted((near + sign * 0.8 * d, near + sign * 1.3 * d))
        out.append((lo, hi, (-sign * 0.5 * d, sign * 0.75 * d)))  # towards the pair, and beyond
    # The pair may be a TD1's first and last lines, its middle one lost on this level (a coarse
    # level blurs the line gaps so that adjacent lines fail the spacing test, a fine one may break
    # the middle line up); such a pair is spaced widely enough to hold a line between, with paper
    # on either side of it (an adjacent pair's gap holds no band of a line's thickness).
    if d >= 2.0 * t:
        out.append((mid - 0.15 * d, mid + 0.15 * d, (-0.25 * d, 0.25 * d)))
    return out


def _third_line(binary: np.ndarray, search: np.ndarray, frame: _Frame, pair: list[_Line]) -> _Line | None:
    """The missing line of a TD1 seen as two of its lines: a band of ink just above or below the pair,
    at the same spacing (within reason: the top line may be a little apart or tilted), or midway
    between the pair when it is the first and last line, covering the same extent along the text."""
    a, b = pair
    t = 0.5 * (a.thick + b.thick)
    d = b.cy - a.cy
    tilt = 0.5 * (a.tilt + b.tilt)
    x0, x1 = min(a.x0, b.x0), max(a.x1, b.x1)
    step = max(1.0, t / 8.0)
    width = int((x1 - x0) / step)
    if width < 24:
        return None
    cx = 0.5 * (x0 + x1)
    mid = 0.5 * (a.cy + a.tilt * (x0 - a.cx) + b.cy + b.tilt * (x0 - b.cx))  # pair centre at u = x0
    span = 2.0 * d + 1.0 * t  # rows above and below the pair centre examined
    v_top = mid - span
    height = int(2.0 * span / step)
    strip = _sample(binary, frame, x0, v_top, tilt, step, width, height).astype(np.float32) / 255.0
    half = width // 2
    rows = [strip[:, :half].mean(axis=1), strip[:, half:].mean(axis=1)]
    k = max(1, round(0.6 * t / step))
    box = np.ones(k, np.float32) / k
    rows = [np.convolve(r, box, mode="same") for r in rows]
    v_rows = v_top + np.arange(height) * step  # v at u = x0 along the tilt
    # the pair's own band strength, for reference
    ref = [max(float(r[np.abs(v_rows - (mid - 0.5 * d)) <= 0.3 * t].max(initial=0.0)),
               1e-3) for r in rows]
    best: _Line | None = None
    best_val = 0.0
    for lo, hi, offsets in _third_line_windows(mid, d, t):
        win = (v_rows >= lo) & (v_rows <= hi)
        if not win.any():
            continue
        centres, vals = [], []
        for r, rf in zip(rows, ref):
            rr = np.where(win, r, -1.0)
            j = int(np.argmax(rr))
            centres.append(float(v_rows[j]))
            vals.append(float(rr[j]) / rf)
        if min(vals) < 0.45:
            continue
        # a separate band: paper between it and the pair, and beyond it (not an edge or a shadow)
        sep = True
        for r, c in zip(rows, centres):
            peak = float(np.interp(c, v_rows, r))
            for off in offsets:
                if float(np.interp(c + off, v_rows, r, left=0.0, right=0.0)) > 0.6 * peak:
                    sep = False
        if not sep:
            continue
        # the halves' centres give the line's own tilt (relative to the pair's)
        u_l, u_r = 0.25 * width * step, 0.75 * width * step
        dtilt = (centres[1] - centres[0]) / (u_r - u_l)
        if abs(dtilt) > 0.05:
            continue
        cy0 = centres[0] - dtilt * u_l  # at u = x0 in the sheared frame
        # ink along the band: few blank stretches, and reaching both ends of the pair
        band = _sample(binary, frame, x0 - 2.0 * t, cy0 - (tilt + dtilt) * 2.0 * t - 0.5 * t, tilt + dtilt, step,
                       int((x1 - x0 + 4.0 * t) / step), max(3, int(t / step))).astype(np.float32) / 255.0
        cols = band.mean(axis=0)
        seg = max(2, int(1.5 * t / step))
        inner = cols[int(2.0 * t / step): int(2.0 * t / step) + width]
        n_seg = inner.size // seg
        if n_seg < 6:
            continue
        occ = inner[: n_seg * seg].reshape(n_seg, seg).mean(axis=1)
        if float(np.mean(occ < 0.05)) > 0.3:
            continue
        # ink reaching both ends of the pair (ink beyond them may be anything)
        end = max(2, int(1.5 * t / step))
        if float(inner[:end].max()) < 0.05 or float(inner[-end:].max()) < 0.05:
            continue
        # back to unsheared (u, v): the sample's v at column i was v0 + tilt * i * step
        cy = cy0 + tilt * (cx - x0) + dtilt * (cx - x0)
        score = min(vals)
        if score <= best_val:
            continue
        line = _Line(cx=cx, cy=cy, x0=x0, x1=x1, thick=t, tilt=tilt + dtilt, fill=min(a.fill, b.fill), lev=a.lev)
        # text at the MRZ pitch, not an edge or a shadow (dark on the ink map, blank in the image)
        period, _pitch, uniform = _texture(search, frame, line)
        ref_period = min(_texture(search, frame, a)[0], _texture(search, frame, b)[0])
        if period < max(0.2, 0.5 * ref_period) or uniform < 0.5:
            continue
        best_val, best = score, line
    return best


def _settled(g: _Group) -> bool:
    """A strong zone whose lines are resolved well enough on their level (SETTLED_THICK level px)
    that a finer level adds nothing the rectifier does not measure again; a two-line zone short
    enough to be a TD1 missing a line still gets the finer level (which may show the third)."""
    if g.tex is None or g.score < STRONG or g.thick / float(1 << g.lev) < SETTLED_THICK:
        return False
    return len(g.lines) == 3 or g.length / g.thick * THICK_PER_CAP > TD1_MAX_ASPECT


ZONE_BOX_LINES = 1.3  # line spacings above and below a found zone searched again on a finer level
ZONE_BOX_ENDS = 0.1  # ... and this fraction of its length beyond either end


def _zone_box(groups: list[_Group], shape: tuple[int, ...], lev: int) -> tuple[int, int, int, int]:
    """Level-``lev`` pixel box (x0, y0, x1, y1) around the zones of ``groups``, with room for one more
    line above and below them (a TD1 line a coarse level merged away) and for ends it cut short."""
    corners = []
    for g in groups:
        lines = g.lines
        thick = max(ln.thick for ln in lines)
        spacing = (max(ln.cy for ln in lines) - min(ln.cy for ln in lines)) / max(1, len(lines) - 1)
        pad_v = ZONE_BOX_LINES * max(spacing, 1.5 * thick) + thick
        u0, u1 = min(ln.x0 for ln in lines), max(ln.x1 for ln in lines)
        pad_u = ZONE_BOX_ENDS * (u1 - u0) + 2.0 * thick
        vs = [ln.cy + ln.tilt * (u - ln.cx) for ln in lines for u in (u0, u1)]
        v0, v1 = min(vs) - pad_v, max(vs) + pad_v
        corners.append(g.frame.to_search(np.array([[u0 - pad_u, v0], [u1 + pad_u, v0], [u1 + pad_u, v1], [u0 - pad_u, v1]])))
    pts = np.concatenate(corners)
    f = float(1 << lev)  # search pixel centre x lies in level pixel floor((x + 0.5) / f)
    h, w = shape[:2]
    x0 = min(w, max(0, int(math.floor((float(pts[:, 0].min()) + 0.5) / f))))
    y0 = min(h, max(0, int(math.floor((float(pts[:, 1].min()) + 0.5) / f))))
    x1 = min(w, max(x0, int(math.ceil((float(pts[:, 0].max()) + 0.5) / f)) + 1))
    y1 = min(h, max(y0, int(math.ceil((float(pts[:, 1].max()) + 0.5) / f)) + 1))
    return x0, y0, x1, y1


def find_candidates(img: LoadedImage, max_candidates: int = 4) -> list[Candidate]:
    """Possible MRZ zones in ``img``, best first; ``[]`` when there is none."""
    search = img.search
    if min(search.shape) < 16:
        return []
    binary = ink_map(search)
    levels = _pyramid(binary)
    # orientation votes: level 0 only matters for small images (tiny text); it is the costly one
    first = 0 if search.size <= 120_000 else (1 if search.size <= 400_000 else 2)
    level_ccs: dict[int, _Level] = {}
    found: list[_Group] = []

    def best() -> float:
        return max((g.score for g in found if g.tex is not None), default=0.0)

    for k, (angle, weight) in enumerate(_orientations(levels, min(first, len(levels) - 1))):
        if k > 0 and best() >= STRONG and weight < 0.5:
            break
        frame = _Frame(angle)
        # coarse to fine; the finest level (the costliest) only when nothing convincing was found,
        # since any zone with characters >= 6 px tall in the search image shows on level 1 already
        for lev in range(len(levels) - 1, -1, -1):
            # once a convincing zone shows, one finer level still refines it (and finds the third
            # line of a TD1 that a coarse level may merge away); further levels add nothing but
            # cost (level 0 is the costliest)
            strong = [g.lev for g in found if g.tex is not None and g.score >= STRONG]
            if strong and (lev == 0 or lev < max(strong) - 1):
                continue
            if any(_settled(g) for g in found):
                continue
            refining = [g for g in found if g.frame is frame and g.tex is not None and g.score >= STRONG]
            if refining:
                # a zone this orientation already found, seen once more on the finer level: only the
                # part of the level around it is searched (with room for a line the coarser level missed)
                x0, y0, x1, y1 = _zone_box(refining, levels[lev].shape, lev)
                level = _Level(levels[lev][y0:y1, x0:x1], lev, (x0, y0))
            else:
                if lev not in level_ccs:
                    level_ccs[lev] = _Level(levels[lev], lev)
                level = level_ccs[lev]
            new = []
            for group, compat in _groups(_lines_on_level(level, frame)):
                geo = _geometry_score(group, compat)
                if geo >= 0.15:  # geometry alone rules out the rest; spare the texture measurement
                    new.append(_make_group(group, frame, lev, geo))
            # texture (the costly part) for the best-looking group of the level only; the other
            # zones get theirs when ranked (``_merge``)
            for g in sorted(new, key=lambda g: -g.geo)[:1]:
                g.tex = _texture_score(g.lines, search, frame)
            found.extend(new)
    return _merge(found, search, img.scale, max_candidates, binary)


def _merge(found: list[_Group], search: np.ndarray, scale: float, max_candidates: int,
           binary: np.ndarray | None = None) -> list[Candidate]:
    """One candidate per zone: the same MRZ shows on several levels and orientations.

    The zone's texture is measured once (on its best-looking group) and shared; its score is the
    best group score; the geometry comes from the finest level that scored nearly as well (more
    precise) and saw nearly as much of the lines, and three lines beat two when they scored as well
    (TD1 read as its first two lines).
    """
    clusters: list[list[_Group]] = []
    for g in sorted(found, key=lambda g: -g.geo):
        for cl in clusters:
            if _same_zone(g, cl[0]):
                cl.append(g)
                break
        else:
            clusters.append([g])
    scored: list[tuple[float, list[_Group], float]] = []
    # clusters in order of their best geometry, which bounds their score (texture <= 1): stop
    # measuring textures once enough clusters beat every bound still to come
    measured = 0
    for cl in sorted(clusters, key=lambda c: -max(g.geo for g in c)):
        bound = max(g.geo for g in cl)
        best = max((r[0] for r in scored), default=0.0)
        if len(scored) >= max_candidates and sorted(r[0] for r in scored)[-max_candidates] >= bound:
            break
        if bound < 0.3 * best:
            break  # cannot come near the best zone
        known = [g.tex for g in cl if g.tex is not None]
        if not known:
            if measured >= MAX_TEXTURES:
                continue
            cl[0].tex = _texture_score(cl[0].lines, search, cl[0].frame)
            measured += 1
            known = [cl[0].tex]
        tex = max(known)
        top = max(g.geo * (g.tex if g.tex is not None else tex) for g in cl)
        if top > 0.05:
            scored.append((top, cl, tex))
    scored.sort(key=lambda r: -r[0])
    out: list[Candidate] = []
    for top, cl, tex in scored[:max_candidates]:
        def sc(g: _Group, tex: float = tex) -> float:
            return g.geo * (g.tex if g.tex is not None else tex)

        # three lines when they score nearly as well as the best pair (a TD1 seen as two of its
        # lines on a coarse level), else two; then the finest level that scores nearly as well
        best_by_n = {k: max((sc(g) for g in cl if len(g.lines) == k), default=0.0) for k in (2, 3)}
        n_pick = 3 if best_by_n[3] >= 0.75 * best_by_n[2] else 2
        good = [g for g in cl if len(g.lines) == n_pick and sc(g) >= 0.75 * best_by_n[n_pick]]
        # not a part of the zone, though: glare may break the lines up on one level only
        top_len = max(good, key=sc).length
        good = [g for g in good if g.length >= 0.85 * top_len]
        pick = max(good, key=lambda g: (-g.lev, g.geo))
        aspect = pick.length / pick.thick * THICK_PER_CAP  # line length in capital heights
        if binary is not None and len(pick.lines) == 2 and aspect <= TD1_MAX_ASPECT:
            # a TD1 whose first (or last) line is apart, tilted or faint: complete the triple, and
            # read it first (two lines of 30 characters are no MRZ format)
            extra = _third_line(binary, search, pick.frame, pick.lines)
            if extra is not None:
                three = sorted([*pick.lines, extra], key=lambda l: l.cy)
                out.append(_make_candidate(pick.frame, three, min(top, 1.0), scale, pick.lev))
        out.append(_make_candidate(pick.frame, pick.lines, min(top, 1.0), scale, pick.lev))
    return out[:max_candidates + 1]
