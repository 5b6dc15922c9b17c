"""Cut one upright, normalised strip per MRZ line, with the x centre of every character.

The output follows the contract in :mod:`idcheck.ocr.cells`: ``STRIP_HEIGHT`` px high, OCR-B
capitals ``CAP_HEIGHT`` px tall and vertically centred, dark ink on light paper
(:func:`normalise_strip`), plus ``centers`` and ``pitch``. The strip is resampled so that the pitch
is the same everywhere (``CAP_HEIGHT / CAP_PER_PITCH`` px), even on a photo where perspective makes
the far end of a line smaller; ``centers`` are then ``left + i * pitch`` up to a small correction.

How:

1. An affine map takes the candidate's quadrilateral to a small working canvas (characters ~16 px
   tall, taken from the search image when it is sharp enough).
2. On the canvas each line's top and bottom are measured per chunk and fitted as straight lines
   (residual tilt), and the slant of vertical strokes is measured (camera tilt makes text look
   italic).
3. All lines of the zone share pitch and left margin (Doc 9303 Part 3 §4: fixed 2.54 mm pitch), so
   their column profiles are added and a comb of N teeth is fitted: ink at the teeth, paper at the
   gaps between glyphs (OCR-B glyphs are ~0.68 pitch wide) and in the quiet zones beyond both ends.
   This fixes N (30, or 44 vs 36 for two lines), the pitch and the phase, and, from the pitch in the
   left and right halves, the foreshortening along the line.
4. Each line is resampled once (``cv2.remap``) from the full-resolution image (area-reduced first
   when the characters are much larger than the strip needs) straight into its strip.
"""

from __future__ import annotations

import math
import weakref
from dataclasses import dataclass
from statistics import median

import cv2
import numpy as np

from ..ocr.cells import CAP_HEIGHT, STRIP_HEIGHT, normalise_strip
from .io import LoadedImage
from .locate import Candidate

__all__ = ["LineStrip", "line_strips", "LINE_LENGTHS", "GLYPH_WIDTH", "CAP_PER_PITCH", "STRIP_PITCH"]

LINE_LENGTHS = {3: (30,), 2: (44, 36)}  # characters per line by line count (Doc 9303 Parts 4-7)
GLYPH_WIDTH = 0.68  # OCR-B ink width as a fraction of the 2.54 mm pitch
CAP_PER_PITCH = 0.98  # OCR-B capital height as a fraction of the pitch
STRIP_PITCH = CAP_HEIGHT / CAP_PER_PITCH  # px between character centres in a strip (~24.5)
STRIP_MARGIN = 1.5  # pitches of paper left and right of the ink in a strip
WORK_HEIGHT = 16.0  # character height on the working canvas, px
BAND_PER_PITCH = 1.07  # measured ink band (capitals and digits) per pitch on flat scans


@dataclass(frozen=True, eq=False)
class LineStrip:
    """One rectified MRZ line (see :mod:`idcheck.ocr.cells` for the geometry contract)."""

    image: np.ndarray  # uint8, STRIP_HEIGHT x width, dark ink on light paper
    centers: np.ndarray  # float32 (n_chars,), x centre of each character in ``image``
    pitch: float  # mean px between centres in ``image``
    n_chars: int
    alternatives: tuple[int, ...]  # other plausible character counts, most likely first
    quad: np.ndarray  # float32 4x2, the line's ink in full-resolution coordinates (TL, TR, BR, BL)
    char_height: float  # capital height in full-resolution px (mean over the line)

    @property
    def width(self) -> int:
        return int(self.image.shape[1])


# ------------------------------------------------------------------------------------------ helpers
def _order_for(cand: Candidate, flip: bool) -> tuple[np.ndarray, list[np.ndarray]]:
    quad = np.asarray(cand.quad, np.float64)
    lines = [np.asarray(q, np.float64) for q in cand.lines] or [quad]
    if flip:
        quad = quad[[2, 3, 0, 1]]
        lines = [q[[2, 3, 0, 1]] for q in reversed(lines)]
    return quad, lines


def _affine_fit(src: np.ndarray, dst: np.ndarray) -> np.ndarray:
    """Least-squares 3x3 affine map of 4 points (a parallelogram fit: no spurious perspective)."""
    X = np.column_stack([src, np.ones(len(src))])
    P, *_ = np.linalg.lstsq(X, dst, rcond=None)
    return np.vstack([P.T, [0.0, 0.0, 1.0]])


def _ink(canvas: np.ndarray, char_h: float) -> np.ndarray:
    """Float darkness relative to the local paper (black-hat), 0 on paper."""
    k = max(3, int(round(char_h * 0.45)) | 1)
    kern = cv2.getStructuringElement(cv2.MORPH_RECT, (k, k))
    return cv2.morphologyEx(canvas, cv2.MORPH_BLACKHAT, kern).astype(np.float32)


def _normalise(strip: np.ndarray) -> np.ndarray:
    """Exactly :func:`idcheck.ocr.cells.normalise_strip` for uint8 input, with the two percentiles
    read off a 256-bin histogram instead of a sort (the same linear-interpolation definition as
    ``np.percentile``); the equality is pinned by a test."""
    if strip.dtype != np.uint8 or strip.size == 0:
        return normalise_strip(strip)
    cum = np.cumsum(cv2.calcHist([strip], [0], None, [256], [0, 256]).ravel().astype(np.int64))
    n = strip.size

    def pct(q: float) -> np.float64:
        pos = (n - 1) * q / 100.0
        lo_i = int(math.floor(pos))
        hi_i = min(lo_i + 1, n - 1)
        v_lo = int(np.searchsorted(cum, lo_i, side="right"))
        v_hi = int(np.searchsorted(cum, hi_i, side="right"))
        return np.float64(v_lo + (v_hi - v_lo) * (pos - lo_i))

    lo, hi = pct(2.0), pct(98.0)
    if hi - lo < 1:
        return np.full_like(strip, 255)
    # the same float32 arithmetic on the 256 possible values, applied as a lookup table
    levels = (np.arange(256, dtype=np.float32) - lo) * (255.0 / (hi - lo))
    return cv2.LUT(strip, np.clip(levels, 0, 255).astype(np.uint8))


def _runs(mask: np.ndarray) -> list[tuple[int, int]]:
    """[start, stop) of the True runs of a 1-D boolean array."""
    edges = (np.flatnonzero(mask[1:] != mask[:-1]) + 1).tolist()
    if mask.size and mask[0]:
        edges.insert(0, 0)
    if mask.size and mask[-1]:
        edges.append(int(mask.size))
    return list(zip(edges[::2], edges[1::2]))


def _line_fit(x: np.ndarray, y: np.ndarray) -> tuple[float, float]:
    """Least-squares (slope, intercept) of y = a + b x, closed form (np.polyfit costs ~20x more
    for the handful of points here)."""
    xm, ym = float(x.mean()), float(y.mean())
    dx = x - xm
    den = float(dx @ dx)
    b = float(dx @ (y - ym)) / den if den > 0 else 0.0
    return b, ym - b * xm


def _fit(xs: list[float], ys: list[float], fallback: float) -> tuple[float, float]:
    """Robust straight line y = a + b x (b limited to a small residual tilt)."""
    if len(xs) >= 3:
        x = np.asarray(xs)
        y = np.asarray(ys)
        b, a = _line_fit(x, y)
        resid = np.abs(y - (a + b * x))
        keep = resid <= max(1.0, 2.5 * median(resid.tolist()))
        if 3 <= keep.sum() < len(xs):
            b, a = _line_fit(x[keep], y[keep])
        if abs(b) < 0.08:
            return float(a), float(b)
        return median(ys), 0.0
    if xs:
        return median(ys), 0.0
    return fallback, 0.0


@dataclass
class _Line:
    """A line measured on the working canvas."""

    top: tuple[float, float]  # y = a + b x of the ink top
    bottom: tuple[float, float]
    left: float  # rough ink extent (the comb fit decides the final one)
    right: float
    profile: np.ndarray  # ink per canvas column inside the band, minus the ink just outside it

    def centre(self, x: np.ndarray | float) -> np.ndarray | float:
        return 0.5 * (self.top[0] + self.bottom[0]) + 0.5 * (self.top[1] + self.bottom[1]) * x

    @property
    def centre_y(self) -> float:
        return float(self.centre(0.5 * (self.left + self.right)))

    @property
    def height(self) -> float:
        xm = 0.5 * (self.left + self.right)
        return (self.bottom[0] + self.bottom[1] * xm) - (self.top[0] + self.top[1] * xm)


def _measure_line(ink: np.ndarray, cs: np.ndarray, y0: float, y1: float, x0: float, x1: float, hw: float) -> _Line | None:
    """Refine one line on the working canvas from its rough box [x0, x1] x [y0, y1]."""
    H, W = ink.shape
    pad = 0.6 * hw
    ya, yb = max(0, int(y0 - pad)), min(H, int(math.ceil(y1 + pad)))
    xa, xb = max(0, int(x0)), min(W, int(math.ceil(x1)))
    if yb - ya < 4 or xb - xa < 4 * hw:
        return None
    band = ink[ya:yb, xa:xb]
    # 1. top and bottom per chunk -> straight lines
    n_chunks = max(3, min(7, int((xb - xa) / (5 * hw))))
    edges = np.linspace(0, xb - xa, n_chunks + 1).astype(int)
    profs = np.add.reduceat(band, edges[:-1], axis=1)  # rows x chunks
    k20 = int(0.2 * (profs.shape[0] - 1))
    bases = np.partition(profs, k20, axis=0)[k20]  # background pattern or noise, on every row
    tops = profs.max(axis=0)
    xs_c: list[float] = []
    ty: list[float] = []
    by: list[float] = []
    centre_row = 0.5 * (y0 + y1) - ya
    for c in range(n_chunks):
        prof, base, top_v = profs[:, c], float(bases[c]), float(tops[c])
        if top_v <= base:
            continue
        runs = _runs(prof >= base + 0.25 * (top_v - base))
        # the run at (or nearest) the expected centre, merged with neighbours across 1-2 px gaps
        lo, hi = min(runs, key=lambda r: 0 if r[0] <= centre_row < r[1] else min(abs(r[0] - centre_row), abs(r[1] - centre_row)))
        for r0, r1 in runs:
            if r1 <= lo and lo - r1 <= 2:
                lo = r0
            if r0 >= hi and r0 - hi <= 2:
                hi = r1
        if hi - lo < 0.5 * hw or hi - lo > 1.8 * hw:
            continue
        xs_c.append(xa + 0.5 * (edges[c] + edges[c + 1]))
        ty.append(ya + lo - 0.5)
        by.append(ya + hi - 0.5)
    if len(xs_c) < 2:
        return None
    top = _fit(xs_c, ty, y0)
    bottom = _fit(xs_c, by, y1)
    if abs(top[1] - bottom[1]) > 0.01:
        # top and bottom of a line are parallel up to mild perspective: one slope for both
        x = np.concatenate([xs_c, xs_c])
        yv = np.concatenate([ty, by])
        off = np.concatenate([np.zeros(len(xs_c)), np.ones(len(xs_c))])
        (a, d, b), *_ = np.linalg.lstsq(np.column_stack([np.ones_like(x), off, x]), yv, rcond=None)
        if abs(b) >= 0.08:
            a, b, d = median(ty), 0.0, median(by) - median(ty)
        top, bottom = (float(a), float(b)), (float(a + d), float(b))
    # 2. columns with more ink inside the band than just above and below it: background patterns
    #    and noise are on both sides, text only inside
    h_line = median([b_ - t_ for b_, t_ in zip(by, ty)])
    xs = np.arange(W, dtype=np.float64)
    t_rows = top[0] + top[1] * xs
    b_rows = bottom[0] + bottom[1] * xs
    inside, n_in = _band_sum(cs, t_rows - 1.0, b_rows + 1.0)
    above, n_a = _band_sum(cs, t_rows - 0.65 * h_line, t_rows - 0.2 * h_line)
    below, n_b = _band_sum(cs, b_rows + 0.2 * h_line, b_rows + 0.65 * h_line)
    # a background pattern is on both sides; a frame line or an ellipse drawn round the zone on
    # one side only: the cleaner side is the reference
    col = inside / n_in - np.minimum(above / n_a, below / n_b)
    profile = np.maximum(col, 0.0).astype(np.float64) * n_in
    # rough extent: the densest run of text columns (smoothed over ~1 pitch)
    k = max(3, int(round(0.9 * h_line)) | 1)
    smooth = np.convolve(col, np.ones(k) / k, mode="same")
    ref = float(np.median(smooth[xa:xb])) if xb > xa else 0.0
    if ref <= 0:
        return None
    merged: list[list[int]] = []
    for r0, r1 in _runs(smooth >= 0.3 * ref):
        if merged and r0 - merged[-1][1] <= 0.9 * h_line:
            merged[-1][1] = r1
        else:
            merged.append([r0, r1])
    seg = max(merged, key=lambda sg: float(np.maximum(smooth[sg[0] : sg[1]], 0).sum()))
    left = seg[0] + (k // 2) * 0.5 - 0.5  # the box filter widened the run by half its width
    right = seg[1] - 1 - (k // 2) * 0.5 + 0.5
    return _Line(top=top, bottom=bottom, left=float(left), right=float(right), profile=profile)


def _column_cumsum(ink: np.ndarray) -> np.ndarray:
    """Integral image (``cv2.integral``): rows [a, b) of column x sum to
    (S[b, x+1] - S[b, x]) - (S[a, x+1] - S[a, x])."""
    return cv2.integral(ink, sdepth=cv2.CV_64F)


def _band_sum(cs: np.ndarray, y0: np.ndarray, y1: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Ink per column between rows ``y0`` and ``y1`` (arrays over x, inclusive), and the row count."""
    H = cs.shape[0] - 1
    a = np.clip(np.ceil(y0), 0, H).astype(np.intp)
    b = np.clip(np.floor(y1) + 1, 0, H).astype(np.intp)
    b = np.maximum(a, b)
    cols = np.arange(cs.shape[1] - 1)
    sums = (cs[b, cols + 1] - cs[b, cols]) - (cs[a, cols + 1] - cs[a, cols])
    return sums, np.maximum(b - a, 1).astype(np.float64)


def _shear(ink: np.ndarray, lines: list[_Line]) -> float:
    """Slant of the characters' vertical strokes, dx/dy (camera tilt leaves text italic-looking).

    From the orientation of near-vertical edges inside the line bands: an upright stroke has a
    horizontal gradient only; a stroke leaning by s has gy/gx = -s. Round and diagonal strokes
    (O, A, V, <) are symmetric and cancel out in the weighted median.
    """
    H, W = ink.shape
    bands = []
    for ln in lines:
        a, b = int(max(0, ln.left)), int(min(W, ln.right + 1))
        xm = 0.5 * (ln.left + ln.right)
        y0 = int(max(0, math.floor(ln.top[0] + ln.top[1] * xm) + 1))
        y1 = int(min(H, math.ceil(ln.bottom[0] + ln.bottom[1] * xm)))
        if b - a >= 8 and y1 - y0 >= 3:
            bands.append((y0, y1, a, b))
    if not bands:
        return 0.0
    # gradients on the bands' bounding box plus a 1-px rim (the 3x3 kernel's reach): inside it they
    # equal the whole canvas's, where the box meets the canvas edge the border rule is the same
    ry0, rx0 = max(0, min(b[0] for b in bands) - 1), max(0, min(b[2] for b in bands) - 1)
    ry1, rx1 = min(H, max(b[1] for b in bands) + 1), min(W, max(b[3] for b in bands) + 1)
    roi = ink[ry0:ry1, rx0:rx1]
    gx = cv2.Sobel(roi, cv2.CV_32F, 1, 0, ksize=3)
    gy = cv2.Sobel(roi, cv2.CV_32F, 0, 1, ksize=3)
    vals: list[np.ndarray] = []
    wts: list[np.ndarray] = []
    for y0, y1, a, b in bands:
        bx = gx[y0 - ry0:y1 - ry0, a - rx0:b - rx0].ravel()
        by = gy[y0 - ry0:y1 - ry0, a - rx0:b - rx0].ravel()
        sel = (np.abs(bx) > 2.5 * np.abs(by)) & (np.abs(bx) > 0.25 * float(np.abs(bx).max() + 1e-6))
        if sel.sum() < 20:
            continue
        vals.append(-by[sel] / bx[sel])
        wts.append(bx[sel] ** 2)
    if not vals:
        return 0.0
    v = np.concatenate(vals)
    w = np.concatenate(wts)
    # weighted median on a 0.005 grid over [-0.5, 0.5] (a histogram: no sort)
    bins = np.clip(np.round((v + 0.5) / 0.005).astype(np.intp), 0, 200)
    cum = np.cumsum(np.bincount(bins, w, 201))
    med = float(np.searchsorted(cum, 0.5 * cum[-1])) * 0.005 - 0.5
    return med if abs(med) <= 0.4 else 0.0


# --------------------------------------------------------------------------------------- comb fit
def _comb_positions(t: np.ndarray, mid: float, pitch: float, curve: float, n: int) -> np.ndarray:
    """x of character index ``t`` (may be fractional): ``mid`` is the x of the middle character;
    ``curve`` is the relative change of pitch per pixel (foreshortening), 0 for a flat view."""
    d = t - 0.5 * (n - 1)
    return mid + pitch * d + 0.5 * curve * pitch * pitch * d * d


def _fit_comb(
    profile: np.ndarray, n: int, pitch: float, mid: float, *, rel: float, off: float, curve: float = 0.0,
    refine: int = 2,
) -> tuple[float, float, float]:
    """Best (score, pitch, mid) of a comb of ``n`` teeth on ``profile``.

    Score: mean ink at the teeth minus mean ink at the n + 1 gaps between and around them, minus the
    ink one pitch beyond either end (the quiet zone; without it a comb off by one character scores
    nearly as well). Pitches within ``rel`` (a fraction) of ``pitch``, middles within ``off`` pitches
    of ``mid``; a coarse grid, then a fine one around the best.
    """
    if pitch <= 1.0 or n < 2 or profile.size < 4:
        return (-math.inf, 0.0, 0.0)
    # teeth read the ink over a glyph's body (many glyphs - D, N, 0, H - are hollow in the middle),
    # gaps and quiet zones a narrow slot
    k_wide = max(1, int(round(0.55 * pitch)))
    k_narrow = max(1, int(round(0.2 * pitch)))
    wide = np.concatenate([np.convolve(profile, np.ones(k_wide) / k_wide, mode="same"), [0.0, 0.0]])
    narrow = np.concatenate([np.convolve(profile, np.ones(k_narrow) / k_narrow, mode="same"), [0.0, 0.0]])
    last = profile.size - 1

    def sample(pos: np.ndarray, arr: np.ndarray) -> np.ndarray:
        # linear interpolation on the unit grid, 0 outside (np.interp bisects: much slower); ``pos``
        # is a temporary of the caller's and is overwritten
        np.clip(pos, -1.0, last + 1.0, out=pos)
        i = np.floor(pos)
        f = np.subtract(pos, i, out=pos)
        i = i.astype(np.intp)
        lo = arr.take(i)
        i += 1
        hi = arr.take(i)
        lo *= 1.0 - f
        hi *= f
        lo += hi
        return lo

    teeth = np.arange(n, dtype=np.float64)
    gaps = np.arange(n + 1, dtype=np.float64) - 0.5
    quiet = np.array([-1.25, -1.0, -0.75, n - 0.25, n, n + 0.25], dtype=np.float64)

    def evaluate(ps: np.ndarray, offs: np.ndarray) -> tuple[float, float, float]:
        P = ps[:, None, None]
        M = mid + offs[None, :, None] * P  # (pitches, offsets, 1)
        # sums / counts: numpy's mean without its per-call overhead (the same arithmetic)
        on = sample(_comb_positions(teeth, M, P, curve, n), wide).sum(-1) / n
        gap = sample(_comb_positions(gaps, M, P, curve, n), narrow).sum(-1) / (n + 1)
        q = sample(_comb_positions(quiet, M, P, curve, n), narrow)
        score = on - gap - 0.5 * (q[..., :3].sum(-1) / 3 + q[..., 3:].sum(-1) / 3)
        i, j = np.unravel_index(int(np.argmax(score)), score.shape)
        return float(score[i, j]), float(ps[i]), float(mid + offs[j] * ps[i])

    # coarse grid (2 % of pitch, 1/8 pitch), then two finer ones around the best
    n_p = 2 * int(math.ceil(rel / 0.02)) + 1
    n_o = 2 * int(math.ceil(off / 0.125)) + 1
    ps = pitch * np.linspace(1.0 - rel, 1.0 + rel, n_p)
    offs = np.linspace(-off, off, n_o)
    best = evaluate(ps, offs)
    step_p = 2.0 * rel * pitch / max(1, n_p - 1)
    step_o = 2.0 * off / max(1, n_o - 1)
    for _ in range(refine):
        _, p_best, m_best = best
        ps = p_best + np.linspace(-step_p, step_p, 5)
        offs = (m_best - mid) / p_best + np.linspace(-step_o, step_o, 5)
        cand = evaluate(ps, offs)
        if cand[0] >= best[0]:
            best = cand
        step_p *= 0.5
        step_o *= 0.5
    return best


# --------------------------------------------------------------------------------------------- main
def _extend(quad: np.ndarray, lines: list[np.ndarray], left: float, right: float) -> tuple[np.ndarray, list[np.ndarray]]:
    """The quads lengthened along the text by ``left`` / ``right`` times their length."""

    def ext(q: np.ndarray) -> np.ndarray:
        d_top, d_bot = q[1] - q[0], q[2] - q[3]
        return np.array([q[0] - left * d_top, q[1] + right * d_top, q[2] + right * d_bot, q[3] - left * d_bot])

    return ext(quad), [ext(q) for q in lines]


def _work(
    img: LoadedImage, quad: np.ndarray, rough_lines: list[np.ndarray], char_h: float
) -> tuple[np.ndarray, int, np.ndarray, np.ndarray, list[_Line]] | None:
    """The working canvas (an affine map of the block, characters ~WORK_HEIGHT px tall) and the
    lines measured on it: (full-res -> canvas matrix, canvas width, ink, its integral, lines)."""
    hw = WORK_HEIGHT
    r = hw / char_h
    Lb = 0.5 * (float(np.linalg.norm(quad[1] - quad[0])) + float(np.linalg.norm(quad[2] - quad[3]))) * r
    Hb = 0.5 * (float(np.linalg.norm(quad[3] - quad[0])) + float(np.linalg.norm(quad[2] - quad[1]))) * r
    mx, my = max(3.0 * hw, 0.45 * Lb), 1.0 * hw  # room for a line the locator saw only in part
    Wc, Hc = int(math.ceil(Lb + 2 * mx)), int(math.ceil(Hb + 2 * my))
    if Wc * Hc > 4_000_000 or Wc < 8 or Hc < 8:
        return None
    rect = np.array([[mx, my], [mx + Lb, my], [mx + Lb, my + Hb], [mx, my + Hb]])
    A = _affine_fit(quad, rect)  # full-res -> canvas
    if img.scale > 1 and char_h / img.scale >= 0.6 * hw:  # the search image is sharp enough
        s = img.scale
        S = np.array([[s, 0, 0.5 * s - 0.5], [0, s, 0.5 * s - 0.5], [0, 0, 1]])  # search -> full
        src, M = img.search, A @ S
    else:
        src, M = img.gray, A
    canvas = cv2.warpAffine(src, M[:2], (Wc, Hc), flags=cv2.INTER_LINEAR, borderMode=cv2.BORDER_REPLICATE)
    ink = _ink(canvas, hw)
    cs = _column_cumsum(ink)
    lines: list[_Line] = []
    for q in rough_lines:
        qc = q @ A[:2, :2].T + A[:2, 2]
        ln = _measure_line(ink, cs, 0.5 * (qc[0, 1] + qc[1, 1]), 0.5 * (qc[2, 1] + qc[3, 1]),
                           min(qc[0, 0], qc[3, 0]), max(qc[1, 0], qc[2, 0]), hw)
        if ln is None:
            return None
        lines.append(ln)
    return A, Wc, ink, cs, lines


def line_strips(
    img: LoadedImage,
    cand: Candidate,
    flip: bool = False,
    *,
    n_chars: int | None = None,
) -> list[LineStrip]:
    """Upright strips for the lines of ``cand`` (top to bottom); ``flip`` reads it rotated 180 degrees.

    ``n_chars`` forces the number of characters per line (e.g. 36 or 44 for a 2-line zone);
    otherwise it is 30 for three lines and measured (44 or 36) for two, the other value being
    listed in ``LineStrip.alternatives``. Returns ``[]`` when the lines cannot be measured.

    The measurement is done once per (image, candidate, ``n_chars``) and remembered: the other
    orientation is the same strips turned by 180 degrees, in reverse order (the reader tries both).
    """
    key = (id(img), n_chars)
    cache = _CACHE.get(cand)
    if cache is None or cache[0] is not img:
        cache = (img, {})
        _CACHE[cand] = cache
    if key not in cache[1]:
        cache[1][key] = _line_strips(img, cand, n_chars)
    strips = cache[1][key]
    return [_turned(s) for s in reversed(strips)] if flip else list(strips)


# measured strips per candidate (weakly held: they go with the candidate)
_CACHE: "weakref.WeakKeyDictionary[Candidate, tuple[LoadedImage, dict]]" = weakref.WeakKeyDictionary()


def _turned(s: LineStrip) -> LineStrip:
    """The strip rotated by 180 degrees (read from the other side)."""
    image = np.ascontiguousarray(s.image[::-1, ::-1])
    centers = (np.float32(s.width - 1) - s.centers[::-1]).astype(np.float32)
    return LineStrip(image=image, centers=centers, pitch=s.pitch, n_chars=s.n_chars, alternatives=s.alternatives,
                     quad=np.ascontiguousarray(s.quad[[2, 3, 0, 1]]), char_height=s.char_height)


def _line_strips(img: LoadedImage, cand: Candidate, n_chars: int | None) -> list[LineStrip]:
    """The strips as the candidate's quad reads them (``flip=False``)."""
    flip = False
    quad, rough_lines = _order_for(cand, flip)
    char_h = max(2.0, float(cand.char_height))
    hw = WORK_HEIGHT

    # ---- 1-2. working canvas and the lines on it; once more at the right scale when the
    # locator's character height (a coarse-level estimate) was far off
    work = _work(img, quad, rough_lines, char_h)
    if work is not None:
        h_med = median([ln.height for ln in work[4]])
        if not 0.75 * hw <= h_med <= 1.6 * hw:
            char_h = char_h * h_med / hw
            work = _work(img, quad, rough_lines, char_h) or work
    if work is not None:
        # the text runs into the canvas edge: the locator saw only part of the lines; look further
        _, Wc, _, _, lines = work
        grow_left = any(ln.left <= hw for ln in lines)
        grow_right = any(ln.right >= Wc - 1 - hw for ln in lines)
        if grow_left or grow_right:
            quad, rough_lines = _extend(quad, rough_lines, 0.7 if grow_left else 0.0, 0.7 if grow_right else 0.0)
            work = _work(img, quad, rough_lines, char_h) or work
    if work is None:
        return []
    A, Wc, ink, _, lines = work
    shear = _shear(ink, lines)

    # ---- 3. one comb for all lines: N, pitch, phase, foreshortening
    ref_y = lines[0].centre_y
    xs = np.arange(Wc, dtype=np.float64)
    left = median([ln.left for ln in lines])
    right = median([ln.right for ln in lines])
    p_guess = (right - left) / (max(LINE_LENGTHS.get(len(lines), (44,))) - 0.32)
    # a lower line's characters sit shear * dy to the right of the upper line's (the slant); the
    # exact offset is measured by correlating the profiles within +-0.6 pitch of that
    shifts = [0.0]
    for ln in lines[1:]:
        pred = shear * (ln.centre_y - ref_y)
        shifts.append(_align(lines[0].profile, ln.profile, pred, 0.6 * p_guess))
    joint = np.zeros(Wc, np.float64)
    for ln, shift in zip(lines, shifts):
        scale = float(ln.profile.max()) if ln.profile.size else 1.0
        joint += np.interp(xs + shift, xs, ln.profile, left=0.0, right=0.0) / max(scale, 1e-6)
    # the locator's ends too: glare or a stain may hide part of a line from the measurement above
    r_left = median([float(min(q[0] @ A[0, :2], q[3] @ A[0, :2])) for q in rough_lines]) + A[0, 2]
    r_right = median([float(max(q[1] @ A[0, :2], q[2] @ A[0, :2])) for q in rough_lines]) + A[0, 2]
    priors = [(left, right)]
    if abs(r_left - left) + abs(r_right - right) > 0.1 * (right - left):
        priors.append((r_left, r_right))
    # all lines of a zone are equally long and justified to the same left edge (Doc 9303 Part 3):
    # when glare or faded print hides part of one line, the union of the lines' extents is the
    # zone's (the median is not, and a comb fitted on it is off by whole characters)
    u_left = min(ln.left for ln in lines)
    u_right = max(ln.right for ln in lines)
    union = (u_left - left) + (right - u_right) < -2.0 * p_guess
    options = list(LINE_LENGTHS.get(len(lines), (44, 36)))
    if n_chars is not None:
        options = [int(n_chars)] + [o for o in options if o != int(n_chars)]
    # coarse comb for every candidate N, the finer search for the winner only
    # foreshortening first (local periods need no phase), then one comb per candidate N
    def curve_over(a: float, b: float) -> float:
        """Foreshortening measured over the extent [a, b], for pitches between the longest line
        length's and the shortest's."""
        p_short = (b - a) / (max(LINE_LENGTHS.get(len(lines), (44,))) - 0.32)
        p_long = (b - a) / (min(options) - (1.0 - GLYPH_WIDTH))  # the pitch if N is the smallest
        return _foreshortening(joint, a, b, p_short, max(p_short, p_long))

    curve = curve_over(left, right)
    priors_c = [(left, right, curve)]
    if len(priors) > 1:
        # the locator's ends, with this extent's foreshortening and with their own
        priors_c.append((r_left, r_right, curve))
        c_r = curve_over(r_left, r_right)
        if c_r != curve:
            priors_c.append((r_left, r_right, c_r))
    if union:
        priors_c.append((u_left, u_right, curve_over(u_left, u_right)))
    fits = {}
    for n in options:
        half = 0.5 * (n - (1.0 - GLYPH_WIDTH))  # ink half-extent in pitches
        # with foreshortening the middle character is off the middle of the extent: x(+-half) are
        # the ends, and x(half) + x(-half) = 2 mid + curve * pitch^2 * half^2
        fits[n] = max((_fit_comb(joint, n, (b - a) / (2.0 * half),
                                 0.5 * (a + b) - 0.5 * cv * ((b - a) / (2.0 * half)) ** 2 * half * half,
                                 rel=0.15, off=1.3, curve=cv, refine=0) + (cv,) for a, b, cv in priors_c),
                      key=lambda f: f[0])
    chosen = int(n_chars) if n_chars is not None else max(options, key=lambda n: fits[n][0])
    alternatives = tuple(sorted((o for o in options if o != chosen), key=lambda n: -fits[n][0]))
    _, p_coarse, m_coarse, curve = fits[chosen]
    if not p_coarse > 0:
        return []
    _, pitch_c, mid_c = _fit_comb(joint, chosen, p_coarse, m_coarse, rel=0.02, off=0.125, curve=curve, refine=2)
    if not pitch_c > 0:
        return []

    # ---- 4. one strip per line, resampled once from full resolution
    # Capitals are CAP_PER_PITCH pitches tall, so the pitch sets the scale both ways. A camera
    # tilted about the line direction squashes the height only: when the measured ink band is
    # clearly lower than a pitch (BAND_PER_PITCH on flat scans), stretch the strip vertically.
    band = median([ln.height for ln in lines]) / pitch_c
    squash = min(1.0, band / (0.85 * BAND_PER_PITCH))
    A_inv = np.linalg.inv(A)
    out = []
    for ln, shift in zip(lines, shifts):
        mid_line = mid_c + shift
        out.append(_cut_strip(img, A_inv, ln, chosen, alternatives, pitch_c, mid_line, curve, shear, squash,
                              char_h / hw))
    return out


def _align(ref: np.ndarray, prof: np.ndarray, pred: float, radius: float) -> float:
    """The shift d (within ``pred`` +- ``radius``) that best lines ``prof(x + d)`` up with ``ref(x)``."""
    lags = np.arange(math.floor(pred - radius), math.ceil(pred + radius) + 1)
    if lags.size == 0:
        return pred
    n = ref.size
    scores = np.empty(lags.size)
    for j, d in enumerate(lags):
        d = int(d)
        if d >= 0:
            scores[j] = float(ref[: n - d] @ prof[d:])
        else:
            scores[j] = float(ref[-d:] @ prof[: n + d])
    j = int(np.argmax(scores))
    if 0 < j < lags.size - 1:  # parabolic sub-pixel peak
        a, b, c = scores[j - 1], scores[j], scores[j + 1]
        den = a - 2 * b + c
        return float(lags[j] + (0.5 * (a - c) / den if den < 0 else 0.0))
    return float(lags[j])


def _local_period(profile: np.ndarray, a: int, b: int, p_guess: float, p_hi: float | None = None) -> float:
    """Period of ``profile[a:b]`` near ``p_guess`` .. ``p_hi`` (autocorrelation peak, sub-pixel);
    0 if none."""
    p_hi = p_guess if p_hi is None else p_hi
    seg = profile[max(0, a) : min(profile.size, b)].astype(np.float64)
    if seg.size < 4 * p_guess:
        return 0.0
    seg = seg - seg.mean()
    lags = np.arange(max(2, int(0.75 * p_guess)), int(1.3 * p_hi) + 2)
    if lags[-1] >= seg.size - 1:
        return 0.0
    acf = np.array([float(seg[:-k] @ seg[k:]) / (seg.size - k) for k in lags])
    j = int(np.argmax(acf))
    if not 0 < j < lags.size - 1:
        return 0.0
    y0, y1, y2 = acf[j - 1], acf[j], acf[j + 1]
    den = y0 - 2 * y1 + y2
    return float(lags[j] + (0.5 * (y0 - y2) / den if den < 0 else 0.0))


def _foreshortening(profile: np.ndarray, left: float, right: float, p_guess: float, p_hi: float | None = None) -> float:
    """Relative change of pitch per canvas px (a line seen at an angle), from the local periods of
    its left and right thirds; 0 when not clearly measurable."""
    length = right - left
    if length < 20 * p_guess:
        return 0.0
    third = length / 3.0
    p_l = _local_period(profile, int(left), int(left + third), p_guess, p_hi)
    p_r = _local_period(profile, int(right - third), int(right), p_guess, p_hi)
    if not (p_l > 0 and p_r > 0):
        return 0.0
    if abs(p_r - p_l) < 0.02 * 0.5 * (p_l + p_r):
        return 0.0
    curve = (p_r - p_l) / (0.5 * (p_l + p_r) * (2.0 * third))  # centres of the thirds are 2/3 apart
    if abs(curve * length) > 0.4:
        return 0.0  # implausibly strong: a wrong period somewhere
    return float(curve)


def _cut_strip(
    img: LoadedImage,
    A_inv: np.ndarray,
    ln: _Line,
    n: int,
    alternatives: tuple[int, ...],
    pitch_c: float,
    mid_c: float,
    curve: float,
    shear: float,
    squash: float,
    canvas_to_full: float,
) -> LineStrip:
    P = STRIP_PITCH
    margin = STRIP_MARGIN * P
    u0 = margin + 0.5 * GLYPH_WIDTH * P  # strip x of the first character's centre
    width = int(math.ceil(2 * u0 + (n - 1) * P))
    cy = (STRIP_HEIGHT - 1) / 2.0
    # strip (u, v) -> canvas (x, y): x follows the comb (uniform pitch in the strip), y the line's
    # centre line; both axes scale with the local pitch; the slant is undone.
    u = np.arange(width, dtype=np.float64)
    t = (u - u0) / P
    x = _comb_positions(t, mid_c, pitch_c, curve, n)
    local = (pitch_c + curve * pitch_c * pitch_c * (t - 0.5 * (n - 1))) / P  # canvas px per strip px
    yc = np.asarray(ln.centre(x), np.float64)
    # canvas point of strip pixel (u, v): (x + shear * dv * local, yc + dv * local), dv = v - cy,
    # i.e. base(u) + dv * slope(u) per coordinate; then canvas -> full res -> source, all affine
    F = np.asarray(A_inv, np.float64)
    base_fx = F[0, 0] * x + F[0, 1] * yc + F[0, 2]
    base_fy = F[1, 0] * x + F[1, 1] * yc + F[1, 2]
    slope_fx = (F[0, 0] * shear + F[0, 1]) * local * squash
    slope_fy = (F[1, 0] * shear + F[1, 1]) * local * squash
    char_full = CAP_HEIGHT * float(np.mean(local)) * squash * canvas_to_full
    dv = np.array([-cy, STRIP_HEIGHT - 1 - cy])
    corners = np.array([
        [base_fx[0] + dv[0] * slope_fx[0], base_fy[0] + dv[0] * slope_fy[0]],
        [base_fx[-1] + dv[0] * slope_fx[-1], base_fy[-1] + dv[0] * slope_fy[-1]],
        [base_fx[-1] + dv[1] * slope_fx[-1], base_fy[-1] + dv[1] * slope_fy[-1]],
        [base_fx[0] + dv[1] * slope_fx[0], base_fy[0] + dv[1] * slope_fy[0]],
    ])
    src, T = _source_for(img, corners, char_full, float(CAP_HEIGHT))
    bx = (T[0, 0] * base_fx + T[0, 1] * base_fy + T[0, 2]).astype(np.float32)
    by = (T[1, 0] * base_fx + T[1, 1] * base_fy + T[1, 2]).astype(np.float32)
    sx = (T[0, 0] * slope_fx + T[0, 1] * slope_fy).astype(np.float32)
    sy = (T[1, 0] * slope_fx + T[1, 1] * slope_fy).astype(np.float32)
    rows = (np.arange(STRIP_HEIGHT, dtype=np.float32) - np.float32(cy))[:, None]
    map_x = bx[None, :] + rows * sx[None, :]
    map_y = by[None, :] + rows * sy[None, :]
    strip = cv2.remap(src, map_x, map_y, cv2.INTER_LINEAR, borderMode=cv2.BORDER_REPLICATE)
    strip = _normalise(strip)
    centers = _refine_centers(strip, u0 + np.arange(n) * P, P)
    pitch = float(centers[-1] - centers[0]) / (n - 1) if n > 1 else P
    # the ink box of the line (first glyph's left edge .. last glyph's right edge, cap height)
    half_w = 0.5 * GLYPH_WIDTH * P
    box_u = np.array([centers[0] - half_w, centers[-1] + half_w])
    h = CAP_HEIGHT / 2.0
    quad = []
    for uu, vv in ((box_u[0], -h), (box_u[1], -h), (box_u[1], h), (box_u[0], h)):
        tt = (uu - u0) / P
        xx = float(_comb_positions(np.array(tt), mid_c, pitch_c, curve, n))
        ll = (pitch_c + curve * pitch_c * pitch_c * (tt - 0.5 * (n - 1))) / P * squash
        yy = float(ln.centre(xx)) + vv * ll
        xx += shear * (yy - float(ln.centre(xx)))
        quad.append(((A_inv[:2, :2] @ np.array([xx, yy])) + A_inv[:2, 2]))
    return LineStrip(image=strip, centers=centers.astype(np.float32), pitch=pitch, n_chars=n,
                     alternatives=alternatives, quad=np.array(quad, np.float32), char_height=char_full)


def _source_for(img: LoadedImage, corners: np.ndarray, char_full: float, cap: float) -> tuple[np.ndarray, np.ndarray]:
    """The image to sample from and the 3x3 matrix taking full-res coordinates into it."""
    if img.scale > 1 and char_full / img.scale >= 1.2 * cap and not img.full_decoded:
        s = img.scale  # the search image is sharp enough: no full decode needed
        return img.search, np.array([[1 / s, 0, 0.5 / s - 0.5], [0, 1 / s, 0.5 / s - 0.5], [0, 0, 1]])
    gray = img.gray
    factor = int(char_full / (1.5 * cap))
    if factor < 2:
        return gray, np.eye(3)
    # crop around the line and reduce by an integer factor with INTER_AREA (no aliasing)
    pad = 2.0 * char_full
    x0 = int(max(0, math.floor(corners[:, 0].min() - pad)))
    y0 = int(max(0, math.floor(corners[:, 1].min() - pad)))
    x1 = int(min(gray.shape[1], math.ceil(corners[:, 0].max() + pad)))
    y1 = int(min(gray.shape[0], math.ceil(corners[:, 1].max() + pad)))
    if x1 - x0 < 2 * factor or y1 - y0 < 2 * factor:
        return gray, np.eye(3)
    small = cv2.resize(gray[y0:y1, x0:x1], ((x1 - x0) // factor, (y1 - y0) // factor), interpolation=cv2.INTER_AREA)
    fx = small.shape[1] / (x1 - x0)
    fy = small.shape[0] / (y1 - y0)
    return small, np.array([[fx, 0, fx * (0.5 - x0) - 0.5], [0, fy, fy * (0.5 - y0) - 0.5], [0, 0, 1]])


def _refine_centers(strip: np.ndarray, centers: np.ndarray, pitch: float) -> np.ndarray:
    """Small correction ``a + b i`` of the nominal centres from the ink centroid of each cell."""
    n = len(centers)
    idx = np.arange(n, dtype=np.float64)
    band = strip[STRIP_HEIGHT // 4 : STRIP_HEIGHT - STRIP_HEIGHT // 4]
    # the strip is normalised (paper ~255): darkness beyond a little noise is ink
    col = np.maximum(255.0 * band.shape[0] - band.sum(axis=0, dtype=np.float64) - 20.0 * band.shape[0], 0.0)
    c0 = np.concatenate([[0.0], np.cumsum(col)])
    c1 = np.concatenate([[0.0], np.cumsum(col * np.arange(col.size))])
    centers = centers.astype(np.float64)
    lo = np.clip(np.floor(centers - 0.5 * pitch), 0, col.size).astype(np.intp)
    hi = np.clip(np.ceil(centers + 0.5 * pitch), 0, col.size).astype(np.intp)
    mass = c0[hi] - c0[lo]
    ok = mass > 0
    if ok.sum() < max(6, n // 3):
        return centers
    resid = (c1[hi] - c1[lo]) / np.where(ok, mass, 1.0) - centers
    keep = ok & (np.abs(resid - median(resid[ok].tolist())) <= 0.2 * pitch)
    if keep.sum() < max(6, n // 3):
        return centers
    xk, yk = idx[keep], resid[keep]
    xm, ym = float(xk.mean()), float(yk.mean())
    slope = float(((xk - xm) * (yk - ym)).sum() / max(float(((xk - xm) ** 2).sum()), 1e-9))
    corr = ym + slope * (idx - xm)
    if np.abs(corr).max() > 0.25 * pitch:
        return centers
    return centers + corr
