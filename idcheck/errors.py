"""Exceptions raised by idcheck.

"Nothing found" is a value (``decision="retry"``); bad input is an exception::

    IdcheckError                 root; exit_code 1, http_status 500
    ├── InputError               the input is not a usable image or MRZ text (exit 2, HTTP 400)
    │   └── UnsupportedMediaError  bytes that are not an image format we decode (exit 2, HTTP 415)
    ├── ImageTooLargeError       dimensions or byte size over the configured limits (exit 2, HTTP 413)
    └── EngineError              an OCR engine is missing or broken (exit 3, HTTP 503)
"""

from __future__ import annotations


class IdcheckError(Exception):
    """Root of every error idcheck raises on purpose."""

    exit_code: int = 1
    http_status: int = 500
    code: str = "internal_error"


class InputError(IdcheckError, ValueError):
    """The input cannot be used (corrupt image, not MRZ text, bad argument)."""

    exit_code = 2
    http_status = 400
    code = "invalid_input"


class UnsupportedMediaError(InputError):
    """The bytes are not an image in a format idcheck decodes."""

    http_status = 415
    code = "unsupported_media"


class ImageTooLargeError(InputError):
    """The image is larger than the configured byte or pixel limits."""

    http_status = 413
    code = "image_too_large"


class EngineError(IdcheckError, RuntimeError):
    """An OCR engine is not installed or failed; the message says how to fix it."""

    exit_code = 3
    http_status = 503
    code = "engine_unavailable"
