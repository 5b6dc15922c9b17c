"""PassportEye as a whole-image baseline: a grayscale photo in, PassportEye's raw MRZ text out.

PassportEye (MIT, ``pip install 'idcheck[passporteye]'``) finds the zone with its own morphology and
reads it with Tesseract. We keep only its raw OCR text, so our repair and check-digit decoding
(:func:`idcheck.mrz.repair.read_mrz_text`) runs on it exactly as on every other engine's text.

The image reaches PassportEye as PNG bytes in memory. PassportEye itself hands each crop to
Tesseract through temporary files; :func:`_ocr_through_pipe` replaces that one step with the same
Tesseract call over a pipe, so no image of a document is written to disk.
"""

from __future__ import annotations

import io
import logging
import os
import shutil
import subprocess
import warnings
from typing import Any

import cv2
import numpy as np

from ..errors import EngineError

_PIP = "pip install 'idcheck[passporteye]'"
# PassportEye's own Tesseract configuration (passporteye/util/ocr.py, mrz_mode=True).
_PE_CONFIG = ["--psm", "6", "-c", "tessedit_char_whitelist=ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789><",
              "-c", "load_system_dawg=F", "-c", "load_freq_dawg=F"]


class PassportEyeEngine:
    """Reads the MRZ text of a whole document image with PassportEye (``read_image``)."""

    name = "passporteye"

    def __init__(self) -> None:
        try:
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                from passporteye.mrz import image as pe_image
        except ImportError as exc:
            raise EngineError(f"the passporteye engine needs the PassportEye package: {_PIP} ({exc})") from exc
        command = shutil.which("tesseract")
        if command is None:
            raise EngineError("PassportEye needs the tesseract OCR engine, which is not on PATH; "
                              "install it with `apt-get install tesseract-ocr`")
        self._command = command
        self._env = {**os.environ, "OMP_THREAD_LIMIT": "1"}
        self._pe = pe_image
        # PassportEye calls ``ocr`` through its module global; route it through a pipe (see docstring).
        pe_image.ocr = self._ocr_through_pipe
        for name in ("passporteye", "PIL", "imageio", "skimage"):
            logging.getLogger(name).setLevel(logging.ERROR)

    def read_image(self, gray: np.ndarray) -> str | None:
        """PassportEye's raw MRZ text for ``gray`` (uint8, 2-D), or None when it finds no zone."""
        gray = np.asarray(gray)
        if gray.ndim == 3:
            gray = cv2.cvtColor(gray, cv2.COLOR_BGR2GRAY)
        ok, png = cv2.imencode(".png", np.ascontiguousarray(gray, dtype=np.uint8))
        if not ok:
            return None
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            try:
                mrz = self._pe.read_mrz(io.BytesIO(png.tobytes()))
            except EngineError:
                raise
            except Exception:  # noqa: BLE001 - PassportEye fails with many kinds of errors on odd images
                return None
        if mrz is None:
            return None
        text = mrz.aux.get("raw_text") or mrz.aux.get("text")
        return str(text) if text and str(text).strip() else None

    def _ocr_through_pipe(self, img: Any, mrz_mode: bool = True, extra_cmdline_params: str = "") -> str:
        """``passporteye.util.ocr.ocr`` with the image piped to Tesseract instead of written to a file."""
        if img is None or img.shape[-1] == 0:
            return ""
        img = np.asarray(img)
        if img.dtype.kind == "f":
            img = np.clip(img * 255.0 + 0.5, 0, 255) if np.nanmax(img) <= 1 else np.clip(img, 0, 255)
        ok, png = cv2.imencode(".png", np.nan_to_num(img).astype(np.uint8))
        if not ok:
            return ""
        config = (_PE_CONFIG if mrz_mode else []) + extra_cmdline_params.split()
        try:
            done = subprocess.run([self._command, "stdin", "stdout", *config], input=png.tobytes(),
                                  capture_output=True, timeout=60, env=self._env, check=False)
        except (OSError, subprocess.TimeoutExpired) as exc:
            raise EngineError(f"tesseract failed to run under PassportEye ({exc})") from exc
        if done.returncode != 0:
            raise EngineError("tesseract exited with status %d under PassportEye: %s"
                              % (done.returncode, done.stderr.decode("utf-8", "replace").strip()[-200:]))
        return done.stdout.decode("utf-8", "replace").strip()


__all__ = ["PassportEyeEngine"]
