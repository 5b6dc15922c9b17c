"""The public checks: ``verify_mrz(text)`` and ``verify(image)`` → :class:`AgeCheck`."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from datetime import date
from types import MappingProxyType
from typing import TYPE_CHECKING, Any

from .age import AgeVerdict, Decision, decide, earliest_today, expiry_status
from .mrz.dates import DateRange, InvalidDate, birth_date_range, expiry_date_range
from .mrz.parse import MRZ, MRZFormatError
from .mrz.repair import read_mrz_text

if TYPE_CHECKING:
    from .reader import ImageSource, Reader

#: The whole read must be at least this sure of every check-covered character (image engines).
MIN_CONFIDENCE = 0.20


@dataclass(frozen=True)
class DocumentInfo:
    """What the MRZ says about the document itself."""

    format: str
    document_code: str
    issuing_state: str
    expiry_date: DateRange | None
    expired: bool | None
    expiry_estimated: bool = False

    def to_dict(self, personal_data: bool = False) -> dict[str, Any]:
        out: dict[str, Any] = {
            "format": self.format,
            "document_code": self.document_code,
            "issuing_state": self.issuing_state,
            "expired": self.expired,
        }
        if personal_data:
            out["expiry_date"] = self.expiry_date.isoformat() if self.expiry_date else None
            out["expiry_estimated"] = self.expiry_estimated
        return out


@dataclass(frozen=True)
class AgeCheck:
    """The answer: a decision with reason codes, and what it was based on."""

    decision: Decision
    reasons: tuple[str, ...]
    over_min_age: bool | None
    min_age: int
    today: date
    age: int | None = None
    date_of_birth: DateRange | None = None
    document: DocumentInfo | None = None
    mrz: MRZ | None = None
    timings_ms: Mapping[str, float] = field(default_factory=lambda: MappingProxyType({}))

    def to_dict(self, personal_data: bool = False) -> dict[str, Any]:
        """A JSON-ready dict; names, numbers, dates and MRZ lines only with ``personal_data=True``."""
        out: dict[str, Any] = {
            "decision": self.decision.value,
            "reasons": list(self.reasons),
            "over_min_age": self.over_min_age,
            "min_age": self.min_age,
            "today": self.today.isoformat(),
            "document": self.document.to_dict(personal_data) if self.document else None,
            "checks": {c.name: c.ok for c in self.mrz.checks} if self.mrz else None,
        }
        if self.mrz is not None and self.mrz.confidence is not None:
            out["confidence"] = round(self.mrz.confidence, 4)
        if personal_data:
            mrz = self.mrz
            out["mrz"] = list(mrz.lines) if mrz else None
            out["date_of_birth"] = self.date_of_birth.isoformat() if self.date_of_birth else None
            out["age"] = self.age
            out["document_number"] = mrz.document_number if mrz else None
            out["primary_identifier"] = mrz.primary_identifier if mrz else None
            out["secondary_identifier"] = mrz.secondary_identifier if mrz else None
            out["nationality"] = mrz.fields.get("nationality") if mrz else None
            out["sex"] = mrz.fields.get("sex") if mrz else None
            out["repairs"] = list(mrz.repairs) if mrz else []
        return out


def _french_expiry(mrz: MRZ) -> DateRange | None:
    # Pre-2021 French cards carry no expiry; the card number starts with the issue YYMM. Cards
    # issued from 2004 to adults are valid 15 years, earlier ones 10 (standards.md §1.10).
    issued = mrz.fields["document_number"][:4]
    if not issued.isdigit() or not 1 <= int(issued[2:]) <= 12:
        return None
    year = 1900 + int(issued[:2]) if int(issued[:2]) >= 88 else 2000 + int(issued[:2])
    years = 15 if year >= 2004 else 10
    start = date(year + years, int(issued[2:]), 1)
    end = date(year + years + (int(issued[2:]) // 12), int(issued[2:]) % 12 + 1, 1)
    return DateRange(start, date.fromordinal(end.toordinal() - 1))


def _document(mrz: MRZ, today: date, expiry_field: str | None = None) -> tuple[DocumentInfo, str | None]:
    estimated = False
    reason = None
    if "expiry_date" in mrz.fields:
        try:
            expiry: DateRange | None = expiry_date_range(expiry_field or mrz.fields["expiry_date"], today)
        except InvalidDate:
            expiry, reason = None, "expiry_date_invalid"
    else:
        expiry, estimated = _french_expiry(mrz), True
        if expiry is None:
            reason = "expiry_date_invalid"
    expired, _ = expiry_status(expiry, today)
    if reason:
        expired = True
    info = DocumentInfo(mrz.format, mrz.fields["document_code"].rstrip("<"), mrz.fields["issuing_state"].rstrip("<"),
                        expiry, expired, estimated)
    return info, reason


@dataclass(frozen=True)
class _Dated:
    """One reading's verdict (with the document's expiry problems folded in) and what it was made from."""

    verdict: AgeVerdict
    birth: DateRange
    document: DocumentInfo


def _decide_dates(mrz: MRZ, birth_field: str, document: DocumentInfo, expiry_problem: str | None, *,
                  today: date, min_age: int, allow_expired: bool) -> _Dated | None:
    """The decision for one reading of the birth field and of the document (expiry); None when the birth
    date is no date."""
    try:
        birth = birth_date_range(birth_field, today)
    except InvalidDate:
        return None
    expiry = None if expiry_problem else document.expiry_date
    verdict = decide(birth, today=today, min_age=min_age, expiry=expiry, allow_expired=allow_expired)
    if expiry_problem and not allow_expired:
        verdict = replace(verdict, decision=Decision.REJECT, reasons=verdict.reasons + (expiry_problem,))
    if document.expiry_estimated:
        verdict = replace(verdict, reasons=verdict.reasons + ("expiry_estimated",))
    return _Dated(verdict, birth, document)


def check_mrz(mrz: MRZ | None, *, min_age: int = 18, today: date | None = None, allow_expired: bool = False,
              min_confidence: float | None = None, not_found_reason: str = "mrz_not_found",
              timings_ms: Mapping[str, float] | None = None) -> AgeCheck:
    """The decision for an already-read MRZ (``None`` when nothing was found)."""
    today = today or earliest_today()
    timings = MappingProxyType(dict(timings_ms or {}))
    if mrz is None:
        return AgeCheck(Decision.RETRY, (not_found_reason,), None, min_age, today, timings_ms=timings)
    # expiry reading -> (DocumentInfo, problem); None = the expiry as read
    documents: dict[str | None, tuple[DocumentInfo, str | None]] = {None: _document(mrz, today)}
    document = documents[None][0]
    extra = ("repaired",) if mrz.repaired else ()

    def retry(*reasons: str) -> AgeCheck:
        return AgeCheck(Decision.RETRY, reasons + extra, None, min_age, today, document=document, mrz=mrz,
                        timings_ms=timings)

    if not mrz.valid:
        return retry(*(f"check_digit_failed:{name}" for name in mrz.failed_checks))
    if min_confidence is not None and mrz.confidence is not None and mrz.confidence < min_confidence:
        return retry("low_confidence")
    # Every reading the check digits cannot rule out (decode.Decoded.alternatives) must lead to the
    # same decision; otherwise a better photo has to settle it.
    births = (mrz.fields["birth_date"],) + tuple(mrz.alternatives.get("birth_date", ()))
    for expiry in mrz.alternatives.get("expiry_date", ()):
        documents[expiry] = _document(mrz, today, expiry)
    outcomes = [_decide_dates(mrz, b, doc, problem, today=today, min_age=min_age, allow_expired=allow_expired)
                for b in births for doc, problem in documents.values()]
    main = outcomes[0]
    if main is None:
        return retry("birth_date_invalid")
    if any(o is None or o.verdict.decision is not main.verdict.decision for o in outcomes[1:]):
        return retry(*(f"ambiguous_reading:{f}" for f in ("birth_date", "expiry_date") if f in mrz.alternatives))
    v = main.verdict
    return AgeCheck(v.decision, v.reasons + extra, v.over_min_age, min_age, today, age=v.age,
                    date_of_birth=main.birth, document=main.document, mrz=mrz, timings_ms=timings)


def verify_mrz(text: str, *, min_age: int = 18, today: date | None = None, allow_expired: bool = False) -> AgeCheck:
    """Check MRZ text (lines separated by newlines). ``today=None`` is the earliest date in force (UTC−12)."""
    if not isinstance(text, str):
        raise TypeError("verify_mrz expects the MRZ as a str")
    try:
        mrz: MRZ | None = read_mrz_text(text)
    except MRZFormatError:
        mrz = None
    return check_mrz(mrz, min_age=min_age, today=today, allow_expired=allow_expired)


def verify(image: ImageSource, *, min_age: int = 18, today: date | None = None, allow_expired: bool = False,
           engine: str | Reader | None = None) -> AgeCheck:
    """Check a photo or scan: a path, bytes, a binary file, a numpy array or a PIL image.

    ``engine`` is an engine name ("native", "tesseract", "passporteye") or a :class:`Reader` built once
    and reused (the fast path for services and batches).
    """
    from .reader import get_reader

    return get_reader(engine).verify(image, min_age=min_age, today=today, allow_expired=allow_expired)
