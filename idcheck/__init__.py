"""idcheck: age checks from the machine-readable zone (ICAO Doc 9303) of identity documents.

>>> from datetime import date
>>> r = verify_mrz("P<UTOERIKSSON<<ANNA<MARIA<<<<<<<<<<<<<<<<<<<\\n"
...                "L898902C36UTO7408122F1204159ZE184226B<<<<<10", today=date(2026, 11, 28))
>>> r.decision.value, r.reasons
('reject', ('document_expired',))
"""

from __future__ import annotations

from .age import Decision
from .check import AgeCheck, DocumentInfo, check_mrz, verify, verify_mrz
from .errors import EngineError, IdcheckError, ImageTooLargeError, InputError, UnsupportedMediaError
from .mrz.parse import MRZ, CheckResult

__all__ = [
    "AgeCheck",
    "CheckResult",
    "Decision",
    "DocumentInfo",
    "EngineError",
    "IdcheckError",
    "ImageTooLargeError",
    "InputError",
    "MRZ",
    "UnsupportedMediaError",
    "check_mrz",
    "verify",
    "verify_mrz",
]
__version__ = "0.1.0"
