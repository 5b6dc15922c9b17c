"""Decode an image with limits: magic bytes, header size check, EXIF orientation, search pyramid.

Only JPEG, PNG, WebP, TIFF and BMP are decoded (OpenCV ``imdecode``). The header dimensions are read
with Pillow *without* decoding the pixels, so a decompression bomb is refused before any memory is
spent. OpenCV applies the EXIF orientation itself for every mode we use (verified for JPEG, PNG and
WebP with ``IMREAD_GRAYSCALE`` and ``IMREAD_REDUCED_GRAYSCALE_*``; see tests/test_vision.py), so the
arrays here are always upright as a viewer would show them. Nothing is ever written to disk.

Speed note (OpenCV 5.0, one core): decoding a 2 MP JPEG to full-resolution gray costs ~4 ms and the
reduced decodes are barely cheaper (3.5 ms at 1/2), while ``cv2.resize(INTER_AREA)`` by an integer
factor costs < 0.3 ms. Since the zone is rectified from full resolution anyway, the default decodes
full gray once and shrinks it for the search; the reduced-decode fast path is used only for very large
JPEGs (``reduced_min_pixels``), where full resolution is then decoded lazily on first use.
"""

from __future__ import annotations

import io
import math
import os
import warnings
from collections.abc import Callable
from functools import cached_property
from pathlib import Path
from typing import Any, BinaryIO

import cv2
import numpy as np

from ..errors import ImageTooLargeError, InputError, UnsupportedMediaError

__all__ = ["LoadedImage", "load_image", "sniff_format", "SEARCH_LONG_SIDE"]

SEARCH_LONG_SIDE = 1200  # the search image's long side is at most this (and > half of it)
REDUCED_MIN_PIXELS = 12_000_000  # JPEGs above this use IMREAD_REDUCED_GRAYSCALE_* for the search

_REDUCED_FLAGS = {2: cv2.IMREAD_REDUCED_GRAYSCALE_2, 4: cv2.IMREAD_REDUCED_GRAYSCALE_4, 8: cv2.IMREAD_REDUCED_GRAYSCALE_8}


def sniff_format(head: bytes) -> str | None:
    """The image format named by the magic bytes at the start of ``head``, or None."""
    if head.startswith(b"\xff\xd8\xff"):
        return "jpeg"
    if head.startswith(b"\x89PNG\r\n\x1a\n"):
        return "png"
    if len(head) >= 12 and head[:4] == b"RIFF" and head[8:12] == b"WEBP":
        return "webp"
    if head[:4] in (b"II*\x00", b"MM\x00*"):
        return "tiff"
    if head.startswith(b"BM"):
        return "bmp"
    return None


class LoadedImage:
    """A decoded, upright image: ``gray`` at full resolution, ``search`` shrunk by ``scale``.

    Coordinates in ``search`` map to full resolution by multiplying by ``scale`` (pixel centres:
    ``full = (search + 0.5) * scale - 0.5``; the locator does this for you).
    """

    def __init__(
        self,
        search: np.ndarray,
        scale: float,
        size: tuple[int, int],
        *,
        gray: np.ndarray | None = None,
        decode_full: Callable[[], np.ndarray] | None = None,
        orientation: int = 1,
        fmt: str = "array",
    ) -> None:
        if gray is None and decode_full is None:
            raise ValueError("need gray or decode_full")
        self.search = search
        self.scale = float(scale)
        self.width, self.height = size  # full resolution, after orientation
        self.orientation = orientation  # EXIF orientation tag (1 = upright / none); already applied
        self.format = fmt
        self._decode_full = decode_full
        if gray is not None:
            self.__dict__["gray"] = gray

    @cached_property
    def gray(self) -> np.ndarray:
        """Full-resolution uint8 gray (decoded on first use when only the search image was decoded)."""
        assert self._decode_full is not None
        gray = self._decode_full()
        self._decode_full = None
        if gray is None or gray.shape[:2] != (self.height, self.width):
            raise InputError("image could not be decoded at full resolution")
        return gray

    @property
    def full_decoded(self) -> bool:
        return "gray" in self.__dict__

    def __repr__(self) -> str:
        return (
            f"LoadedImage({self.width}x{self.height}, {self.format}, search={self.search.shape[1]}x"
            f"{self.search.shape[0]}, scale={self.scale:g}, orientation={self.orientation})"
        )


def _search_factor(width: int, height: int, long_side: int) -> int:
    return max(1, math.ceil(max(width, height) / long_side))


def _shrink(gray: np.ndarray, factor: int) -> np.ndarray:
    """Mean of each ``factor`` x ``factor`` block; a last partial row/column is dropped, so the scale
    is exactly ``factor`` and OpenCV takes its integer INTER_AREA path (~50x faster than a
    fractional one on a 2 MP image)."""
    if factor == 1:
        return gray
    h, w = gray.shape
    hs, ws = max(1, h // factor), max(1, w // factor)
    if h < factor or w < factor:
        return cv2.resize(gray, (ws, hs), interpolation=cv2.INTER_AREA)
    return cv2.resize(gray[: hs * factor, : ws * factor], (ws, hs), interpolation=cv2.INTER_AREA)


def _from_gray(gray: np.ndarray, orientation: int, fmt: str, long_side: int) -> LoadedImage:
    h, w = gray.shape
    factor = _search_factor(w, h, long_side)
    search = _shrink(gray, factor)
    scale = float(factor) if search.shape[1] * factor <= w else w / search.shape[1]
    return LoadedImage(search, scale, (w, h), gray=gray, orientation=orientation, fmt=fmt)


def _to_gray_array(arr: np.ndarray) -> np.ndarray:
    if arr.dtype == np.bool_:
        arr = arr.astype(np.uint8) * 255
    elif arr.dtype == np.uint16:
        arr = (arr >> 8).astype(np.uint8)
    elif np.issubdtype(arr.dtype, np.floating):
        finite = arr[np.isfinite(arr)]
        top = 1.0 if finite.size and finite.max() <= 1.0 else 255.0
        arr = np.clip(np.nan_to_num(arr) * (255.0 / top), 0, 255).astype(np.uint8)
    elif arr.dtype != np.uint8:
        raise InputError(f"unsupported array dtype {arr.dtype}")
    if arr.ndim == 2:
        return np.ascontiguousarray(arr)
    if arr.ndim == 3 and arr.shape[2] == 1:
        return np.ascontiguousarray(arr[:, :, 0])
    if arr.ndim == 3 and arr.shape[2] == 3:
        return cv2.cvtColor(np.ascontiguousarray(arr), cv2.COLOR_BGR2GRAY)
    if arr.ndim == 3 and arr.shape[2] == 4:
        return cv2.cvtColor(np.ascontiguousarray(arr), cv2.COLOR_BGRA2GRAY)
    raise InputError(f"unsupported array shape {arr.shape}")


def _read_source(source: Any, max_bytes: int) -> bytes:
    if isinstance(source, (bytes, bytearray, memoryview)):
        data = bytes(source)
    elif isinstance(source, (str, os.PathLike)):
        path = Path(source)
        try:
            size = path.stat().st_size
            if size > max_bytes:
                raise ImageTooLargeError(f"file is {size} bytes, limit {max_bytes}")
            data = path.read_bytes()
        except OSError as exc:
            raise InputError(f"cannot read {path}: {exc.strerror or exc}") from exc
    elif hasattr(source, "read"):
        data = source.read(max_bytes + 1)
        if not isinstance(data, (bytes, bytearray)):
            raise InputError("file object must be opened in binary mode")
        data = bytes(data)
    else:
        raise InputError(f"cannot load an image from {type(source).__name__}")
    if len(data) > max_bytes:
        raise ImageTooLargeError(f"image is more than {max_bytes} bytes")
    if not data:
        raise InputError("empty image data")
    return data


def _header(data: bytes) -> tuple[int, int, int]:
    """(width, height, EXIF orientation) from the header only; raises on corrupt or bomb-sized data."""
    from PIL import Image, UnidentifiedImageError

    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # Pillow's own bomb warning: we apply our own limit below
            with Image.open(io.BytesIO(data)) as im:
                width, height = im.size
                try:
                    orientation = int(im.getexif().get(274, 1) or 1)
                except Exception:  # malformed EXIF must not make the image unreadable
                    orientation = 1
    except Image.DecompressionBombError as exc:
        raise ImageTooLargeError(str(exc)) from exc
    except (UnidentifiedImageError, OSError, SyntaxError, ValueError, EOFError) as exc:
        raise InputError(f"corrupt or truncated image: {exc}") from exc
    if orientation not in range(1, 9):
        orientation = 1
    return width, height, orientation


def load_image(
    source: str | os.PathLike[str] | bytes | bytearray | memoryview | BinaryIO | np.ndarray | Any,
    *,
    max_bytes: int = 25_000_000,
    max_pixels: int = 40_000_000,
    search_long_side: int = SEARCH_LONG_SIDE,
    reduced_min_pixels: int = REDUCED_MIN_PIXELS,
) -> LoadedImage:
    """Decode ``source`` (path, bytes, binary file, numpy gray/BGR array or PIL image) to gray.

    Raises :class:`UnsupportedMediaError` for bytes that are not JPEG/PNG/WebP/TIFF/BMP,
    :class:`ImageTooLargeError` over ``max_bytes`` or ``max_pixels`` (checked on the header, before
    decoding), :class:`InputError` for corrupt data.
    """
    if isinstance(source, np.ndarray):
        if source.size == 0 or source.ndim < 2:
            raise InputError("empty image array")
        if source.shape[0] * source.shape[1] > max_pixels:
            raise ImageTooLargeError(f"image has {source.shape[0] * source.shape[1]} pixels, limit {max_pixels}")
        return _from_gray(_to_gray_array(source), 1, "array", search_long_side)
    if _is_pil_image(source):
        return _from_pil(source, max_pixels, search_long_side)

    data = _read_source(source, max_bytes)
    fmt = sniff_format(data[:16])
    if fmt is None:
        raise UnsupportedMediaError("not a JPEG, PNG, WebP, TIFF or BMP image")
    width, height, orientation = _header(data)
    if width <= 0 or height <= 0:
        raise InputError("image has no pixels")
    if width * height > max_pixels:
        raise ImageTooLargeError(f"image is {width}x{height} = {width * height} pixels, limit {max_pixels}")
    if orientation >= 5:  # EXIF 5-8 swap the axes; OpenCV applies the tag while decoding
        width, height = height, width
    buf = np.frombuffer(data, np.uint8)

    def decode_full() -> np.ndarray:
        try:
            gray = cv2.imdecode(buf, cv2.IMREAD_GRAYSCALE)
        except cv2.error as exc:
            raise InputError(f"corrupt image: {exc}") from exc
        if gray is None:
            raise InputError(f"corrupt or truncated {fmt} image")
        return gray

    factor = _search_factor(width, height, search_long_side)
    if fmt == "jpeg" and width * height >= reduced_min_pixels and factor > 1:
        # Fast path: libjpeg scales the DCT, so the search image costs a fraction of a full decode.
        red = max(f for f in (2, 4, 8) if f <= max(2, factor))
        try:
            reduced = cv2.imdecode(buf, _REDUCED_FLAGS[red])
        except cv2.error as exc:
            raise InputError(f"corrupt image: {exc}") from exc
        if reduced is None:
            raise InputError("corrupt or truncated jpeg image")
        rest = _search_factor(reduced.shape[1], reduced.shape[0], search_long_side)
        search = _shrink(reduced, rest)
        scale = width / reduced.shape[1] * rest
        return LoadedImage(search, scale, (width, height), decode_full=decode_full, orientation=orientation, fmt=fmt)

    gray = decode_full()
    if gray.shape != (height, width):  # header and decoder disagree: trust the decoder
        height, width = gray.shape
    return _from_gray(gray, orientation, fmt, search_long_side)


def _is_pil_image(obj: Any) -> bool:
    mod = type(obj).__module__
    return mod.startswith("PIL.") and hasattr(obj, "convert") and hasattr(obj, "size")


def _from_pil(im: Any, max_pixels: int, long_side: int) -> LoadedImage:
    from PIL import ImageOps

    width, height = im.size
    if width * height > max_pixels:
        raise ImageTooLargeError(f"image is {width}x{height} = {width * height} pixels, limit {max_pixels}")
    try:
        orientation = int(im.getexif().get(274, 1) or 1)
    except Exception:
        orientation = 1
    try:
        im = ImageOps.exif_transpose(im)
        gray = np.asarray(im.convert("L"), dtype=np.uint8)
    except (OSError, ValueError) as exc:
        raise InputError(f"cannot convert PIL image: {exc}") from exc
    if gray.size == 0:
        raise InputError("empty image")
    return _from_gray(np.ascontiguousarray(gray), orientation if orientation in range(1, 9) else 1, "pil", long_side)
