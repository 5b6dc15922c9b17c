"""Random but plausible document holders and documents, with the truth a reader should recover.

Everything here is drawn from a ``numpy.random.Generator`` so a seed fixes the whole document.
Ages are spread on purpose around the 18th birthday (see :data:`AGE_MIX`); the expected age
decision uses idcheck's own date rules (:mod:`idcheck.mrz.dates`, :mod:`idcheck.age`).
"""

from __future__ import annotations

import calendar
import unicodedata
from dataclasses import dataclass, field
from datetime import date, timedelta

import numpy as np

from ..mrz.generate import build_lines
from .truth import MIN_AGE, mrz_truth

FORMATS = ("TD1", "TD2", "TD3", "MRV-A", "MRV-B")
DEFAULT_TODAY = date(2026, 11, 28)

#: Share of each age group: within ±10 days of the 18th birthday, minors 10-17, adults 18-95.
AGE_MIX = (("near18", 0.30), ("minor", 0.20), ("adult", 0.50))
EXPIRED_SHARE = 0.10
UNKNOWN_BIRTH_SHARE = 0.06  # some day or month unknown (``<`` in the MRZ, ``XX`` in the VIZ)

# Issuer code (as written in the MRZ before padding; Germany is "D") -> English name.
ISSUERS: dict[str, str] = {
    "D": "BUNDESREPUBLIK DEUTSCHLAND",
    "UTO": "UTOPIA",
    "FRA": "RÉPUBLIQUE FRANÇAISE",
    "NLD": "KONINKRIJK DER NEDERLANDEN",
    "GBR": "UNITED KINGDOM",
    "IRL": "ÉIRE / IRELAND",
    "USA": "UNITED STATES OF AMERICA",
    "CAN": "CANADA",
    "ITA": "REPUBBLICA ITALIANA",
    "ESP": "REINO DE ESPAÑA",
    "PRT": "REPÚBLICA PORTUGUESA",
    "POL": "RZECZPOSPOLITA POLSKA",
    "CZE": "ČESKÁ REPUBLIKA",
    "SWE": "SVERIGE / SWEDEN",
    "NOR": "NORGE / NORWAY",
    "FIN": "SUOMI / FINLAND",
    "AUT": "REPUBLIK ÖSTERREICH",
    "CHE": "SCHWEIZ / SUISSE",
    "BEL": "BELGIQUE / BELGIË",
    "IND": "REPUBLIC OF INDIA",
    "CHN": "PEOPLE'S REPUBLIC OF CHINA",
    "JPN": "JAPAN",
    "KOR": "REPUBLIC OF KOREA",
    "BRA": "REPÚBLICA FEDERATIVA DO BRASIL",
    "MEX": "ESTADOS UNIDOS MEXICANOS",
    "NGA": "FEDERAL REPUBLIC OF NIGERIA",
    "ZAF": "REPUBLIC OF SOUTH AFRICA",
    "AUS": "AUSTRALIA",
    "TUR": "TÜRKIYE CUMHURIYETI",
    "UKR": "UKRAINE",
    "EGY": "ARAB REPUBLIC OF EGYPT",
    "PHL": "REPUBLIC OF THE PHILIPPINES",
    "XXA": "STATELESS",
}
_ISSUER_CODES = tuple(ISSUERS)

SURNAMES = (
    "MUSTERMANN", "MÜLLER", "SCHÄFER", "GARCÍA", "NÚÑEZ", "O'BRIEN", "D'ARTAGNAN", "VAN DER BERG",
    "DE LA CRUZ", "SMITH-JONES", "NGUYEN", "WANG", "KOWALSKI", "ØSTERGAARD", "ERIKSSON", "ROSSI",
    "DUPONT", "BERTHIER", "SILVA", "SANTOS", "OKAFOR", "ADEYEMI", "PATEL", "SHARMA", "KIM", "PARK",
    "TANAKA", "SATO", "IVANENKO", "NOVÁK", "DVOŘÁK", "HÄMÄLÄINEN", "YILMAZ", "ÖZTÜRK", "LEBLANC",
    "MACDONALD", "FITZGERALD", "HERNÁNDEZ", "GONZÁLEZ", "RODRÍGUEZ", "ABDELRAHMAN", "REYES",
    "SCHWARZENEGGER", "WOLFESCHLEGELSTEINHAUSEN", "PAPADOPOULOS", "ANDERSSON", "JENSEN", "MURPHY",
    "KAUR", "CHOWDHURY", "DA SILVA PEREIRA", "ZHANG", "LI", "EK", "BØ",
)
GIVEN = (
    "ERIKA", "ANNA", "MARIA", "JOSÉ", "JEAN-PIERRE", "CORINNE", "LUCAS", "NOAH", "EMMA", "SOFÍA",
    "MOHAMMED", "FATIMA", "AISHA", "CHIDI", "OLUWASEUN", "PRIYA", "ARJUN", "MIN-JUN", "JI-WOO",
    "HIROSHI", "YUKI", "OLEKSANDR", "KATEŘINA", "JIŘÍ", "ZOË", "BJÖRN", "SØREN", "ÅSA", "LEA",
    "MATEUSZ", "ZOFIA", "GIUSEPPE", "FRANCESCA", "JOÃO", "INÊS", "LIAM", "OLIVIA", "CHLOÉ",
    "MAXIMILIAN", "ALEXANDRA", "KONSTANTINOS", "BARTHOLOMEW", "ELIZABETH", "WEI", "XIAO", "AL",
)

# Doc 9303 Part 3 §6 transliterations for the characters in the name pools; the rest lose accents.
_TRANSLIT = {
    "Ä": "AE", "Ö": "OE", "Ü": "UE", "ß": "SS", "Å": "AA", "Ø": "OE", "Æ": "AE", "Ñ": "N",
    "Ł": "L", "Ð": "D", "Þ": "TH",
}

_MONTHS = ("JAN", "FEB", "MAR", "APR", "MAY", "JUN", "JUL", "AUG", "SEP", "OCT", "NOV", "DEC")


def transliterate(text: str) -> str:
    """Latin letters with diacritics to MRZ letters (Part 3 §6: Ü→UE, Ø→OE, É→E ...)."""
    out = []
    for ch in text.upper():
        if ch in _TRANSLIT:
            out.append(_TRANSLIT[ch])
            continue
        base = unicodedata.normalize("NFKD", ch)
        out.append("".join(c for c in base if not unicodedata.combining(c)))
    return "".join(out)


@dataclass(frozen=True)
class Document:
    """One synthetic document: the data printed on it and the truth a reader should recover."""

    format: str
    document_code: str
    issuing_state: str  # as in the MRZ before padding ("D" for Germany)
    nationality: str
    surname: str  # as printed in the visual zone (may have diacritics)
    given_names: str
    document_number: str
    birth_date: date  # the real date; the MRZ may hide parts of it
    birth_yymmdd: str  # as in the MRZ, ``<`` for unknown parts
    sex: str  # M, F or <
    issue_date: date
    expiry_date: date
    optional_data: str
    lines: tuple[str, ...]
    age_group: str
    today: date
    extras: dict[str, str] = field(default_factory=dict)

    @property
    def birth_known(self) -> bool:
        return "<" not in self.birth_yymmdd

    def birth_viz(self, style: int = 0) -> str:
        """Birth date as the visual zone prints it; unknown parts are ``XX`` (Part 3 §3.8)."""
        return format_viz_date(self.birth_date, self.birth_yymmdd, style)

    def truth(self) -> dict[str, object]:
        """The reader's expected answers on ``today`` (see :mod:`idcheck.synth.truth`)."""
        out = mrz_truth(self.lines, self.format, self.today)
        out.update(
            {
                "age_group": self.age_group,
                "document_code": self.document_code,
                "issuing_state": self.issuing_state,
                "nationality": self.nationality,
                "document_number": self.document_number,
                "sex": self.sex,
            }
        )
        return out


def format_viz_date(d: date, yymmdd: str, style: int = 0) -> str:
    """``12 AUG 1974`` (style 0), ``12.08.1974`` (1) or ``12 AUG/AUG 74`` (2); unknown parts as X."""
    day = "XX" if "<" in yymmdd[4:6] else f"{d.day:02d}"
    mon_known = "<" not in yymmdd[2:4]
    year_known = "<" not in yymmdd[0:2]
    year = f"{d.year:04d}" if year_known else "XXXX"
    if style == 1:
        return f"{day}.{d.month:02d}.{year}" if mon_known else f"{day}.XX.{year}"
    mon = _MONTHS[d.month - 1] if mon_known else "XXX"
    if style == 2:
        return f"{day} {mon}/{mon} {year[2:]}"
    return f"{day} {mon} {year}"


def _shift_years(d: date, years: int) -> date:
    """Same calendar day ``years`` earlier/later; 29 February becomes 28 February."""
    y = d.year + years
    return date(y, d.month, min(d.day, calendar.monthrange(y, d.month)[1]))


def _pick(rng: np.random.Generator, seq: tuple[str, ...] | list[str]) -> str:
    return seq[int(rng.integers(len(seq)))]


def _weighted(rng: np.random.Generator, pairs: tuple[tuple[str, float], ...]) -> str:
    names = [p[0] for p in pairs]
    weights = np.array([p[1] for p in pairs], dtype=float)
    return names[int(rng.choice(len(names), p=weights / weights.sum()))]


def birth_date_for(rng: np.random.Generator, group: str, today: date) -> date:
    """A birth date in ``group``: near18 (±10 days of the 18th birthday), minor (10-17), adult (18-95)."""
    eighteenth = _shift_years(today, -MIN_AGE)  # born on or before this day: 18 today
    if group == "near18":
        return eighteenth + timedelta(days=int(rng.integers(-10, 11)))
    if group == "minor":
        lo = eighteenth + timedelta(days=11)
        hi = _shift_years(today, -10)
    else:
        lo = _shift_years(today, -95) - timedelta(days=364)
        hi = eighteenth - timedelta(days=11)
    return lo + timedelta(days=int(rng.integers(0, (hi - lo).days + 1)))


_LETTERS = "ABCDEFGHIJKLMNOPQRSTUVWXYZ"
_CLEAR_LETTERS = "ABCDEFGHJKLMNPRTUVWXYZ"  # many issuers avoid I, O, Q, S in numbers


def _alnum(rng: np.random.Generator, n: int, letters: float = 0.3, alphabet: str = _LETTERS) -> str:
    out = []
    for _ in range(n):
        if rng.random() < letters:
            out.append(alphabet[int(rng.integers(len(alphabet)))])
        else:
            out.append(str(int(rng.integers(10))))
    return "".join(out)


def _names(rng: np.random.Generator, long: bool) -> tuple[str, str]:
    if long:
        surname = " ".join(_pick(rng, SURNAMES) for _ in range(int(rng.integers(2, 4))))
        given = " ".join(_pick(rng, GIVEN) for _ in range(int(rng.integers(2, 5))))
    else:
        surname = _pick(rng, SURNAMES)
        given = _pick(rng, GIVEN)
        if rng.random() < 0.3:
            given += " " + _pick(rng, GIVEN)
    if rng.random() < 0.02:
        given = ""  # single-part name (primary identifier only)
    return surname, given


def _document_code(rng: np.random.Generator, fmt: str) -> str:
    if fmt == "TD3":
        return _pick(rng, ("P", "P", "PP", "PP", "PD", "PO"))
    if fmt == "TD1":
        return _pick(rng, ("I", "ID", "ID", "IR", "AC", "C"))
    if fmt == "TD2":
        return _pick(rng, ("I", "ID", "IR", "A", "C"))
    return _pick(rng, ("V", "V", "VN", "VI", "VT"))


def _unknown_birth_parts(rng: np.random.Generator, yymmdd: str) -> str:
    kind = rng.random()
    if kind < 0.6:
        return yymmdd[:4] + "<<"  # unknown day
    return yymmdd[:2] + "<<<<"  # unknown month and day


def random_document(rng: np.random.Generator, fmt: str, today: date = DEFAULT_TODAY) -> Document:
    """Draw a complete document of format ``fmt`` (TD1, TD2, TD3, MRV-A, MRV-B)."""
    if fmt not in FORMATS:
        raise ValueError(f"unknown format {fmt!r}; expected one of {FORMATS}")
    group = _weighted(rng, AGE_MIX)
    birth = birth_date_for(rng, group, today)
    yymmdd = birth.strftime("%y%m%d")
    if rng.random() < UNKNOWN_BIRTH_SHARE:
        yymmdd = _unknown_birth_parts(rng, yymmdd)

    issuer = _pick(rng, _ISSUER_CODES)
    code = _document_code(rng, fmt)
    if fmt.startswith("MRV") or code in ("IR", "AC") or rng.random() < 0.08:
        nationality = _pick(rng, _ISSUER_CODES)  # visa or residence permit: usually a foreigner
    else:
        nationality = issuer

    surname, given = _names(rng, long=rng.random() < 0.15)
    sex = _weighted(rng, (("M", 0.47), ("F", 0.47), ("<", 0.06)))

    if rng.random() < EXPIRED_SHARE:
        expiry = today - timedelta(days=int(rng.integers(2, 5 * 365)))
    else:
        expiry = today + timedelta(days=int(rng.integers(2, 10 * 365)))
    validity_years = 5 if group == "minor" or fmt.startswith("MRV") else 10
    issue = _shift_years(expiry, -validity_years) + timedelta(days=1)
    if issue < birth:
        issue = birth + timedelta(days=30)

    number = _alnum(rng, 9, letters=0.35, alphabet=_CLEAR_LETTERS if rng.random() < 0.75 else _LETTERS)
    if fmt in ("TD1", "TD2") and rng.random() < (0.25 if fmt == "TD1" else 0.08):
        # long document number (Part 5/6 note j): spills into the optional data
        number += _alnum(rng, int(rng.integers(1, 5 if fmt == "TD1" else 3)), letters=0.0)
    optional = ""
    overflow = max(0, len(number) - 9)
    if fmt == "TD3" and rng.random() < 0.4:
        optional = _alnum(rng, int(rng.integers(6, 15)), letters=0.1)
    elif fmt == "TD1" and rng.random() < 0.5:
        optional = _alnum(rng, int(rng.integers(3, 15 - overflow - 2)), letters=0.2)
    elif fmt == "TD2" and overflow == 0 and rng.random() < 0.3:
        optional = _alnum(rng, int(rng.integers(2, 8)), letters=0.0)
    elif fmt.startswith("MRV") and rng.random() < 0.5:
        optional = _alnum(rng, int(rng.integers(4, 9)), letters=0.5)

    values = {
        "document_code": code,
        "issuing_state": issuer,
        "primary": transliterate(surname),
        "secondary": transliterate(given),
        "document_number": number,
        "nationality": nationality,
        "birth_date": yymmdd,
        "sex": sex,
        "expiry_date": expiry.strftime("%y%m%d"),
        "optional_data": optional,
    }
    if fmt == "TD1" and rng.random() < 0.3:
        values["optional_data_2"] = _alnum(rng, int(rng.integers(3, 12)), letters=0.2)
    lines = build_lines(fmt, values)
    return Document(
        format=fmt,
        document_code=code,
        issuing_state=issuer,
        nationality=nationality,
        surname=surname,
        given_names=given,
        document_number=number,
        birth_date=birth,
        birth_yymmdd=yymmdd,
        sex=sex,
        issue_date=issue,
        expiry_date=expiry,
        optional_data=optional,
        lines=lines,
        age_group=group,
        today=today,
        extras={"place_of_birth": _pick(rng, _PLACES), "authority": _pick(rng, _AUTHORITIES)},
    )


_PLACES = (
    "BERLIN", "KÖLN", "PARIS", "LYON", "AMSTERDAM", "LONDON", "DUBLIN", "NEW YORK", "TORONTO",
    "MILANO", "MADRID", "LISBOA", "WARSZAWA", "PRAHA", "STOCKHOLM", "OSLO", "HELSINKI", "WIEN",
    "ZÜRICH", "BRUXELLES", "MUMBAI", "BEIJING", "TOKYO", "SEOUL", "SÃO PAULO", "LAGOS", "CAPE TOWN",
)
_AUTHORITIES = (
    "MINISTRY OF INTERIOR", "STADT KÖLN", "PRÉFECTURE", "HM PASSPORT OFFICE", "DEPARTMENT OF STATE",
    "POLICE", "CONSULATE GENERAL", "EMBASSY", "MUNICIPALITY", "FEDERAL OFFICE",
)
