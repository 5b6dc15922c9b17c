"""Image side: decoding, locating and rectifying the MRZ (OpenCV + numpy).

``load_image`` (io) -> ``find_candidates`` (locate) -> ``line_strips`` (rectify) -> the recogniser;
``draw_debug`` (draw) shows what happened. Submodules are imported on use, so that importing
``idcheck.vision`` stays cheap.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from .draw import draw_debug
    from .io import LoadedImage, load_image
    from .locate import Candidate, find_candidates
    from .rectify import LineStrip, line_strips

__all__ = ["Candidate", "LineStrip", "LoadedImage", "draw_debug", "find_candidates", "line_strips", "load_image"]

_HOME = {
    "LoadedImage": "io",
    "load_image": "io",
    "Candidate": "locate",
    "find_candidates": "locate",
    "LineStrip": "rectify",
    "line_strips": "rectify",
    "draw_debug": "draw",
}


def __getattr__(name: str) -> Any:
    if name in _HOME:
        from importlib import import_module

        return getattr(import_module(f".{_HOME[name]}", __name__), name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
