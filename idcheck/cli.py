"""Command line: ``idcheck mrz`` (MRZ text) and ``idcheck verify`` (images).

Exit status: 0 when it ran, whatever the decisions; 2 for usage or input errors; 3 when an OCR
engine is unavailable.
"""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Sequence
from datetime import date
from pathlib import Path
from typing import Any

from .check import AgeCheck, verify_mrz
from .errors import IdcheckError


def _today(text: str) -> date:
    try:
        return date.fromisoformat(text)
    except ValueError as exc:
        raise argparse.ArgumentTypeError(f"--today wants YYYY-MM-DD, got {text!r}") from exc


def _add_policy(p: argparse.ArgumentParser) -> None:
    p.add_argument("--json", action="store_true", help="one JSON object per input")
    p.add_argument("--personal-data", action="store_true",
                   help="also output MRZ lines, names, document number, birth date and age")
    p.add_argument("--today", type=_today, default=None,
                   help="decide as of this date (default: the earliest date in force anywhere, UTC-12)")
    p.add_argument("--min-age", type=int, default=18, help="minimum age in completed years (default 18)")
    p.add_argument("--allow-expired", action="store_true", help="accept expired documents as proof of age")


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="idcheck", description="Age checks from the MRZ of identity documents.")
    sub = parser.add_subparsers(dest="command", required=True)
    p_mrz = sub.add_parser("mrz", help="check MRZ text given as an argument or on stdin ('-')")
    _add_policy(p_mrz)
    p_mrz.add_argument("text", nargs="?", default="-", help="MRZ lines separated by newlines, or - for stdin")
    p_verify = sub.add_parser("verify", help="check photos or scans of documents")
    _add_policy(p_verify)
    p_verify.add_argument("--engine", default="native", choices=("native", "tesseract", "passporteye"))
    p_verify.add_argument("--debug-dir", type=Path, default=None,
                          help="write an overlay per image showing the MRZ candidates and the reading")
    p_verify.add_argument("files", nargs="+", type=Path)
    return parser


def summary(result: AgeCheck, label: str | None = None) -> str:
    """One human-readable line without personal data."""
    doc = result.document
    what = f"{doc.format} {doc.document_code} {doc.issuing_state}" if doc else "no MRZ"
    reasons = ", ".join(result.reasons) or "-"
    head = f"{label}: " if label else ""
    return f"{head}{result.decision.value.upper():6} {what:16} reasons: {reasons}"


def _emit(result: AgeCheck, args: argparse.Namespace, extra: dict[str, Any] | None = None) -> None:
    if args.json:
        out = dict(extra or {})
        out.update(result.to_dict(personal_data=args.personal_data))
        if "timings_ms" in (extra or {}) or result.timings_ms:
            out["timings_ms"] = {k: round(v, 2) for k, v in result.timings_ms.items()}
        print(json.dumps(out, ensure_ascii=False), flush=True)
    else:
        label = str(extra.get("file")) if extra and "file" in extra else None
        line = summary(result, label)
        if args.personal_data and result.date_of_birth:
            line += f"; born {result.date_of_birth.isoformat()}, age {result.age}"
        print(line, flush=True)


def _run_mrz(args: argparse.Namespace) -> int:
    text = sys.stdin.read() if args.text == "-" else args.text
    result = verify_mrz(text, min_age=args.min_age, today=args.today, allow_expired=args.allow_expired)
    _emit(result, args)
    return 0


def _run_verify(args: argparse.Namespace) -> int:
    from .reader import get_reader  # OpenCV only when images are involved

    reader = get_reader(args.engine)
    status = 0
    for path in args.files:
        try:
            result = reader.verify(path, min_age=args.min_age, today=args.today, allow_expired=args.allow_expired,
                                   debug_dir=args.debug_dir)
        except IdcheckError as exc:
            if args.json:
                print(json.dumps({"file": str(path), "error": exc.code, "message": str(exc)}), flush=True)
            else:
                print(f"{path}: ERROR {exc.code}: {exc}", file=sys.stderr)
            status = max(status, exc.exit_code)
            continue
        _emit(result, args, {"file": str(path)})
    return status


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    try:
        args = parser.parse_args(argv)
    except SystemExit as exc:  # argparse exits 2 on usage errors, 0 on --help
        return int(exc.code or 0)
    if args.min_age < 0 or args.min_age > 150:
        print("idcheck: error: --min-age must be between 0 and 150", file=sys.stderr)
        return 2
    try:
        return _run_mrz(args) if args.command == "mrz" else _run_verify(args)
    except IdcheckError as exc:
        print(f"idcheck: error: {exc}", file=sys.stderr)
        return exc.exit_code
    except OSError as exc:
        print(f"idcheck: error: {exc}", file=sys.stderr)
        return 2


if __name__ == "__main__":  # pragma: no cover
    raise SystemExit(main())
