"""``idcheck mrz`` through ``idcheck.cli.main([...])``: output, JSON keys, personal data, exit codes."""

from __future__ import annotations

import io
import json

import pytest

from idcheck.cli import main

L1 = "P<UTOERIKSSON<<ANNA<MARIA<<<<<<<<<<<<<<<<<<<"
L2 = "L898902C36UTO7408122F1204159ZE184226B<<<<<10"
TEXT = L1 + "\n" + L2
PERSONAL = ["ERIKSSON", "ANNA", "MARIA", "L898902C3", "740812", "1974-08-12", "ZE184226B", L1, L2]


def run(capsys: pytest.CaptureFixture[str], argv: list[str]) -> tuple[int, str, str]:
    code = main(argv)
    out, err = capsys.readouterr()
    return code, out, err


def test_mrz_argument_text_output(capsys) -> None:
    code, out, _ = run(capsys, ["mrz", "--today", "2026-11-28", TEXT])
    assert code == 0
    assert out.startswith("REJECT")
    assert "TD3" in out and "document_expired" in out
    assert len(out.strip().splitlines()) == 1


def test_mrz_stdin(capsys, monkeypatch) -> None:
    monkeypatch.setattr("sys.stdin", io.StringIO(TEXT + "\n"))
    code, out, _ = run(capsys, ["mrz", "--json", "--today", "2026-11-28", "--allow-expired"])
    assert code == 0
    assert json.loads(out)["decision"] == "accept"


def test_mrz_stdin_dash(capsys, monkeypatch) -> None:
    monkeypatch.setattr("sys.stdin", io.StringIO(TEXT))
    code, out, _ = run(capsys, ["mrz", "-", "--json", "--today", "2026-11-28"])
    assert code == 0
    assert json.loads(out)["reasons"] == ["document_expired"]


def test_json_keys_and_no_personal_data_by_default(capsys) -> None:
    code, out, _ = run(capsys, ["mrz", "--json", "--today", "2026-11-28", TEXT])
    assert code == 0
    data = json.loads(out)
    assert {"decision", "reasons", "over_min_age", "document"} <= set(data)
    assert data["decision"] == "reject"
    assert data["reasons"] == ["document_expired"]
    assert data["over_min_age"] is True
    assert data["document"]["format"] == "TD3"
    assert data["document"]["expired"] is True
    for secret in PERSONAL:
        assert secret not in out, secret
    for key in ("mrz", "date_of_birth", "document_number", "primary_identifier", "secondary_identifier", "age"):
        assert key not in data


def test_text_output_has_no_personal_data_by_default(capsys) -> None:
    code, out, err = run(capsys, ["mrz", "--today", "2026-11-28", "--allow-expired", TEXT])
    assert code == 0
    for secret in PERSONAL + ["52"]:
        assert secret not in out + err, secret


def test_personal_data_on_request(capsys) -> None:
    code, out, _ = run(capsys, ["mrz", "--json", "--personal-data", "--today", "2026-11-28", TEXT])
    assert code == 0
    data = json.loads(out)
    assert data["mrz"] == [L1, L2]
    assert data["document_number"] == "L898902C3"
    assert data["primary_identifier"] == "ERIKSSON"
    assert data["secondary_identifier"] == "ANNA MARIA"
    assert data["date_of_birth"] == "1974-08-12"
    assert data["age"] == 52
    code, out, _ = run(capsys, ["mrz", "--personal-data", "--today", "2026-11-28", TEXT])
    assert "born 1974-08-12, age 52" in out


@pytest.mark.parametrize("argv,decision", [
    (["--today", "2026-11-28"], "reject"),                              # expired
    (["--today", "2026-11-28", "--allow-expired"], "accept"),
    (["--today", "2026-11-28", "--allow-expired", "--min-age", "60"], "reject"),
    (["--today", "1992-08-11", "--allow-expired"], "reject"),           # 17, 18 tomorrow
    (["--today", "1992-08-12", "--allow-expired"], "accept"),           # 18 today
])
def test_exit_zero_for_every_decision(capsys, argv, decision) -> None:
    code, out, _ = run(capsys, ["mrz", "--json", *argv, TEXT])
    assert code == 0
    assert json.loads(out)["decision"] == decision


@pytest.mark.parametrize("text", ["not an mrz", "", L1 + "\n" + L2.replace("740812", "740813")])
def test_retry_exits_zero(capsys, text) -> None:
    code, out, _ = run(capsys, ["mrz", "--json", "--today", "2026-11-28", text])
    assert code == 0
    data = json.loads(out)
    assert data["decision"] == "retry"
    assert data["reasons"]
    assert "740813" not in out


@pytest.mark.parametrize("argv", [
    ["mrz", "--today", "2026-13-01", TEXT],
    ["mrz", "--today", "yesterday", TEXT],
    ["mrz", "--no-such-option", TEXT],
    ["mrz", "--min-age", "-1", TEXT],
    ["mrz", "--min-age", "old", TEXT],
    ["frobnicate"],
    [],
])
def test_usage_errors_exit_2(capsys, argv) -> None:
    code, out, err = run(capsys, argv)
    assert code == 2
    assert out == ""
    assert err  # argparse / our message on stderr


def test_bad_today_message_names_the_format(capsys) -> None:
    _, _, err = run(capsys, ["mrz", "--today", "28/11/2026", TEXT])
    assert "YYYY-MM-DD" in err


def test_help_exits_zero(capsys) -> None:
    code, out, _ = run(capsys, ["mrz", "--help"])
    assert code == 0
    assert "--personal-data" in out
