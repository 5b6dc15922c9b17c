"""Debug overlays: where the zone candidates are and what was read. Returns arrays; never writes."""

from __future__ import annotations

from collections.abc import Sequence

import cv2
import numpy as np

from .io import LoadedImage
from .locate import Candidate

__all__ = ["draw_debug"]

_THIN = (255, 160, 0)  # BGR: candidates
_CHOSEN = (0, 0, 255)
_TEXT = (0, 140, 0)


def draw_debug(
    img: LoadedImage | np.ndarray,
    candidates: Sequence[Candidate],
    chosen: Candidate | int | np.ndarray | Sequence[Sequence[float]] | None = None,
    lines_text: Sequence[str] | None = None,
    *,
    max_side: int | None = 1600,
) -> np.ndarray:
    """A BGR image: every candidate thin (with its rank and score), the chosen one thick with its
    reading direction marked, and ``lines_text`` (the read MRZ lines) written under the zone.

    ``chosen`` is a :class:`Candidate`, an index into ``candidates`` or a 4x2 quadrilateral (TL, TR,
    BR, BL in full-resolution coordinates, e.g. the quad of the reading that was kept).

    ``img`` is a :class:`LoadedImage` (its full-resolution gray) or any gray/BGR array in the
    candidates' coordinates. The overlay is shrunk to ``max_side`` (None: full size).
    """
    base = img.gray if isinstance(img, LoadedImage) else np.asarray(img)
    if base.ndim == 2:
        canvas = cv2.cvtColor(base, cv2.COLOR_GRAY2BGR)
    elif base.ndim == 3 and base.shape[2] == 4:
        canvas = cv2.cvtColor(base, cv2.COLOR_BGRA2BGR)
    else:
        canvas = base.copy()
    s = 1.0
    if max_side and max(canvas.shape[:2]) > max_side:
        s = max_side / max(canvas.shape[:2])
        canvas = cv2.resize(canvas, None, fx=s, fy=s, interpolation=cv2.INTER_AREA)
    chosen_quad: np.ndarray | None = None
    chosen_lines: Sequence[np.ndarray] = ()
    if isinstance(chosen, (int, np.integer)) and not isinstance(chosen, bool):
        chosen = candidates[int(chosen)] if 0 <= int(chosen) < len(candidates) else None
    if isinstance(chosen, Candidate):
        chosen_quad, chosen_lines = np.asarray(chosen.quad, np.float64), chosen.lines
    elif chosen is not None:
        arr = np.asarray(chosen, np.float64)
        if arr.shape == (4, 2):
            chosen_quad = arr
    unit = max(1, int(round(max(canvas.shape[:2]) / 800)))

    for rank, cand in enumerate(candidates):
        q = np.round(np.asarray(cand.quad) * s).astype(np.int32)
        cv2.polylines(canvas, [q], True, _THIN, unit, cv2.LINE_AA)
        label = f"#{rank} {cand.score:.2f} {cand.n_lines}L"
        cv2.putText(canvas, label, tuple(int(v) for v in q[0] + np.array([0, -4 * unit])),
                    cv2.FONT_HERSHEY_SIMPLEX, 0.4 * unit, _THIN, unit, cv2.LINE_AA)

    if chosen_quad is not None:
        q = chosen_quad * s
        qi = np.round(q).astype(np.int32)
        cv2.polylines(canvas, [qi], True, _CHOSEN, 3 * unit, cv2.LINE_AA)
        for ln in chosen_lines:
            cv2.polylines(canvas, [np.round(np.asarray(ln) * s).astype(np.int32)], True, _CHOSEN, unit, cv2.LINE_AA)
        # reading direction: a short arrow along the top edge, from the top-left corner
        width = float(np.linalg.norm(q[1] - q[0]))
        height = float(np.linalg.norm(q[3] - q[0]))
        start = q[0]
        end = q[0] + min(0.15, 2.0 * height / max(width, 1.0)) * (q[1] - q[0])
        cv2.arrowedLine(canvas, tuple(int(v) for v in start), tuple(int(v) for v in end), _CHOSEN, 2 * unit,
                        cv2.LINE_AA, tipLength=0.35)
        if lines_text:
            longest = max(lines_text, key=len) or " "
            (tw, th), _ = cv2.getTextSize(longest, cv2.FONT_HERSHEY_SIMPLEX, 1.0, 1)
            scale = max(0.3, min(1.5 * unit, 0.9 * max(width, 40.0) / max(tw, 1)))
            x = int(max(0, min(q[:, 0].min(), canvas.shape[1] - 10)))
            y = int(q[:, 1].max() + 1.6 * th * scale)
            for text in lines_text:
                y = min(y, canvas.shape[0] - 4)
                cv2.putText(canvas, text, (x, y), cv2.FONT_HERSHEY_SIMPLEX, scale, (255, 255, 255), 2 * unit,
                            cv2.LINE_AA)
                cv2.putText(canvas, text, (x, y), cv2.FONT_HERSHEY_SIMPLEX, scale, _TEXT, unit, cv2.LINE_AA)
                y += int(1.6 * th * scale)
    return canvas
