"""Hiding parts of a YYMMDD birth field the way Doc 9303 Part 3 §4.8 does (unknown parts are ``<``).

Shared by the property tests (a helper module, not a test file)."""

from __future__ import annotations

#: mask name -> positions of the YYMMDD field that become ``<``
UNKNOWN_POSITIONS: dict[str, tuple[int, ...]] = {
    "": (),
    "DD": (4, 5),
    "MM": (2, 3),
    "MMDD": (2, 3, 4, 5),
    "YYMMDD": (0, 1, 2, 3, 4, 5),
    "Y0": (0,),
    "Y1": (1,),
}
UNKNOWN_POSITIONS["Y"] = UNKNOWN_POSITIONS["Y0"]


def hide(field: str, mask: str) -> str:
    """``field`` with the positions named by ``mask`` replaced by ``<``."""
    hidden = set(UNKNOWN_POSITIONS[mask])
    return "".join("<" if i in hidden else c for i, c in enumerate(field))
