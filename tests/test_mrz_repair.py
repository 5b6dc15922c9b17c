"""Tolerant reading of MRZ text and type-aware OCR repair (idcheck.mrz.repair.read_mrz_text, verify_mrz)."""

from __future__ import annotations

from datetime import date

import pytest

from idcheck import verify_mrz
from idcheck.mrz.decode import text_options
from idcheck.mrz.generate import build_lines
from idcheck.mrz.layouts import LAYOUTS
from idcheck.mrz.parse import MRZFormatError, clean_line
from idcheck.mrz.repair import read_mrz_text

TODAY = date(2026, 11, 28)
TD3 = ("P<UTOERIKSSON<<ANNA<MARIA<<<<<<<<<<<<<<<<<<<", "L898902C36UTO7408122F1204159ZE184226B<<<<<10")
TD1 = ("I<UTOD231458907<<<<<<<<<<<<<<<", "7408122F1204159UTO<<<<<<<<<<<6", "ERIKSSON<<ANNA<MARIA<<<<<<<<<<")
SWISS = ("IDCHEA1234567<6<<<<<<<<<<<<<<<", "7510256M2009018CHE<<<<<<<<<<<8", "SMITH<<JOHN<ALBERT<<<<<<<<<<<<")


def _text(lines) -> str:
    return "\n".join(lines)


# --- tolerant input: the clean MRZ comes back, nothing counts as a repair ----------------------------

TOLERANT = {
    "lower-case": _text(TD3).lower(),
    "stray-spaces": "  " + TD3[0][:10] + " " + TD3[0][10:] + "\n" + " ".join(TD3[1][i:i + 4] for i in range(0, 44, 4)),
    "blank-lines": "\n\n" + TD3[0] + "\n\n\n" + TD3[1] + "\n\n",
    "crlf": TD3[0] + "\r\n" + TD3[1] + "\r\n",
    "line-1-one-short": TD3[0][:-1] + "\n" + TD3[1],
    "line-1-one-long": TD3[0] + "<\n" + TD3[1],
    "line-2-one-long-trailing-filler": TD3[0] + "\n" + TD3[1] + "<",
    "line-2-one-long-leading-noise": TD3[0] + "\n" + "<" + TD3[1],
    "noise-lines-around": "REPUBLIC OF UTOPIA - PASSPORT / PASSEPORT 12345\nSurname ERIKSSON\n"
                          + _text(TD3) + "\nsignature of bearer .................",
    "filler-lookalikes": TD3[0].replace("<<<<", "««<<") + "\n" + TD3[1],
    "td1-lower-and-spaces": "\n".join(" ".join(x.lower()) for x in TD1),
}


@pytest.mark.parametrize("text", TOLERANT.values(), ids=TOLERANT.keys())
def test_tolerant_input_reads_the_clean_mrz(text: str) -> None:
    mrz = read_mrz_text(text)
    expected = TD1 if mrz.format == "TD1" else TD3
    assert mrz.lines == expected
    assert mrz.valid
    assert mrz.repairs == ()
    assert "repaired" not in verify_mrz(text, today=TODAY).reasons


def test_clean_line() -> None:
    assert clean_line(" p<uto erik«sson ") == "P<UTOERIK<SSON"
    assert clean_line("L898-902.C3") == "L898902C3"


@pytest.mark.parametrize("text", ["", "\n\n", "hello world", "P<UTO\nL898902C3", TD3[0], TD3[1] + "\n" + TD3[0][:30],
                                  TD3[0] + "\n" + TD3[1][:20] + TD3[1][23:]])
def test_no_mrz_raises_format_error_and_verify_retries(text: str) -> None:
    with pytest.raises(MRZFormatError):
        read_mrz_text(text)
    result = verify_mrz(text, today=TODAY)
    assert result.decision.value == "retry"
    assert result.reasons == ("mrz_not_found",)


def test_mrz_shaped_garbage_is_retry() -> None:
    result = verify_mrz("x" * 44 + "\n" + "y" * 44, today=TODAY)
    assert result.decision.value == "retry"
    assert "check_digit_failed:birth_date" in result.reasons


def test_line_missing_its_last_digit_is_not_made_up() -> None:
    # Padding a short line may not invent the lost composite digit.
    result = verify_mrz(TD3[0] + "\n" + TD3[1][:-1], today=TODAY)
    assert result.decision.value == "retry"
    assert "check_digit_failed:composite" in result.reasons


# --- OCR repairs: kept when the check digit then verifies, and reported ------------------------------

REPAIRS = {
    # name: (text, repaired field, expected clean lines)
    "O-for-0-in-dob": (_text((TD3[0], TD3[1].replace("740812", "74O812"))), "birth_date", TD3),
    "D-for-0-in-dob": (_text((TD3[0], TD3[1].replace("740812", "74D812"))), "birth_date", TD3),
    "K-and-X-for-filler-in-personal-number": (_text((TD3[0], TD3[1].replace("B<<<<<10", "BKK<X<10"))), "optional_data", TD3),
    "S-for-5-in-dob": (_text((SWISS[0], SWISS[1].replace("751025", "7S1025"), SWISS[2])), "birth_date", SWISS),
    "I-for-1-in-expiry": (_text((TD3[0], TD3[1].replace("120415", "I20415"))), "expiry_date", TD3),
}


@pytest.mark.parametrize("case", REPAIRS.values(), ids=REPAIRS.keys())
def test_ocr_confusion_is_repaired_and_reported(case) -> None:
    text, field, clean = case
    mrz = read_mrz_text(text)
    assert mrz.lines == clean
    assert mrz.valid
    assert field in mrz.repairs
    assert mrz.repaired
    result = verify_mrz(text, today=TODAY, allow_expired=True)
    assert "repaired" in result.reasons
    assert result.decision.value == "accept"
    assert result.to_dict()["checks"] == {c.name: True for c in mrz.checks}


def test_s_in_a_number_is_read_as_8_when_only_8_verifies() -> None:
    # 8 and S have the same 7-3-1 value mod 10 (S = 28), so the check cannot tell them apart in an
    # alphanumeric field; in a digit-only field (the DOB) S must become a digit that verifies.
    lines = build_lines("TD3", dict(document_code="P", issuing_state="UTO", primary="A", secondary="B",
                                    document_number="X1", nationality="UTO", birth_date="880101", sex="M",
                                    expiry_date="300101"))
    text = _text((lines[0], lines[1][:13] + "S" + lines[1][14:]))
    mrz = read_mrz_text(text)
    assert mrz.fields["birth_date"] == "880101"
    assert "birth_date" in mrz.repairs


def test_repair_needs_a_look_alike_not_any_digit() -> None:
    # A digit read as another digit is never "repaired": the DOB check fails and the result is retry.
    text = _text((TD3[0], TD3[1].replace("740812", "740813")))
    mrz = read_mrz_text(text)
    assert mrz.fields["birth_date"] == "740813"
    assert not mrz.valid
    result = verify_mrz(text, today=TODAY, allow_expired=True)
    assert result.decision.value == "retry"
    assert "check_digit_failed:birth_date" in result.reasons
    assert result.over_min_age is None


def test_wrong_check_digit_is_not_repaired() -> None:
    text = _text((TD3[0], TD3[1][:19] + "3" + TD3[1][20:]))  # DOB check 2 -> 3
    result = verify_mrz(text, today=TODAY, allow_expired=True)
    assert result.decision.value == "retry"
    assert "check_digit_failed:birth_date" in result.reasons


def test_dob_repair_that_does_not_verify_is_retry() -> None:
    # 4 read as S: neither 5 nor 8 satisfies the DOB check digit.
    text = _text((TD1[0], TD1[1].replace("740812", "7S0812"), TD1[2]))
    result = verify_mrz(text, today=TODAY, allow_expired=True)
    assert result.decision.value == "retry"
    assert "check_digit_failed:birth_date" in result.reasons


def test_unverified_repair_is_not_kept() -> None:
    text = _text((TD1[0], TD1[1].replace("740812", "7S0812"), TD1[2]))
    mrz = read_mrz_text(text)
    assert "birth_date" not in mrz.repairs


@pytest.mark.parametrize("given", ["ALEX", "MARK", "ERIK", "FELIX"])
def test_names_ending_in_k_or_x_are_kept(given: str) -> None:
    lines = build_lines("TD3", dict(document_code="P", issuing_state="UTO", primary="ERIKSSON", secondary=given,
                                    document_number="L898902C3", nationality="UTO", birth_date="740812", sex="F",
                                    expiry_date="340415"))
    mrz = read_mrz_text(_text(lines))
    assert (mrz.secondary_identifier, mrz.repairs) == (given, ())


def test_nationality_xxx_is_kept() -> None:
    lines = build_lines("TD1", dict(document_code="I", issuing_state="UTO", primary="DOE", secondary="J",
                                    document_number="D23145890", nationality="XXX", birth_date="740812", sex="F",
                                    expiry_date="340415"))
    mrz = read_mrz_text(_text(lines))
    assert mrz.fields["nationality"] == "XXX"
    assert mrz.repairs == ()


def test_personal_data_only_on_request() -> None:
    text = REPAIRS["O-for-0-in-dob"][0]
    mrz = read_mrz_text(text)
    public = mrz.to_dict()
    assert "repairs" not in public and "lines" not in public
    assert public["repaired"] is True
    assert mrz.to_dict(personal_data=True)["repairs"] == list(mrz.repairs)


@pytest.mark.parametrize("text", [
    _text((TD3[0], TD3[1].replace("L898902C3", "L89B902C3"))),
    _text((TD1[0].replace("D23145890", "D23145B9O"), TD1[1], TD1[2])),
])
def test_alphanumeric_fields_are_not_guessed(text: str) -> None:
    """Letters and digits are both legal in a document number: a swap there is not type-driven, so it stays."""
    mrz = read_mrz_text(text)
    assert "document_number" not in mrz.repairs
    assert "document_number" in mrz.failed_checks
    assert verify_mrz(text, today=TODAY, allow_expired=True).decision.value == "retry"


def test_o_for_zero_is_repaired_where_two_check_digits_vouch() -> None:
    """O and 0 in a document number: swapped only when the field's own check and the composite verify."""
    read = (TD1[0].replace("D23145890", "D2314589O"), TD1[1], TD1[2])
    mrz = read_mrz_text(_text(read))
    assert mrz.valid and tuple(mrz.lines) == TD1
    assert "document_number" in mrz.repairs
    assert verify_mrz(_text(read), today=TODAY, allow_expired=True).decision.value == "accept"


def test_o_for_zero_is_not_offered_without_a_second_check() -> None:
    """Optional data under the composite alone, and visa numbers (no composite), are taken as read."""
    td1 = LAYOUTS["TD1"]
    options = text_options(td1, (TD1[0][:15] + "AB0O" + TD1[0][19:], TD1[1], TD1[2]))
    assert [c for c, _ in options[0][15 + 2]] == ["0"] and [c for c, _ in options[0][15 + 3]] == ["O"]
    assert {c for c, _ in options[0][5 + 7]} == {"9"}  # a digit in the document number: kept
    doc_o = text_options(td1, (TD1[0].replace("D23145890", "D2314589O"), TD1[1], TD1[2]))
    assert {c for c, _ in doc_o[0][5 + 8]} == {"O", "0"}
    visa = build_lines("MRV-A", {"document_code": "V", "issuing_state": "UTO", "primary": "ERIKSSON",
                                 "document_number": "L0898902", "nationality": "UTO", "birth_date": "740812",
                                 "sex": "F", "expiry_date": "120415"})
    read = (visa[0], visa[1].replace("L0898902", "LO898902", 1))
    mrz = read_mrz_text(_text(read))
    assert "document_number" in mrz.failed_checks and "document_number" not in mrz.repairs


def test_o_for_zero_does_not_make_an_mrz_valid_that_the_composite_rejects() -> None:
    """The own check digit alone is not enough: with the composite digit wrong the MRZ stays invalid."""
    line1 = TD1[0].replace("D23145890", "D2314589O")
    line2 = TD1[1][:-1] + str((int(TD1[1][-1]) + 1) % 10)
    text = _text((line1, line2, TD1[2]))
    mrz = read_mrz_text(text)
    assert not mrz.valid and "composite" in mrz.failed_checks
    assert verify_mrz(text, today=TODAY, allow_expired=True).decision.value == "retry"
