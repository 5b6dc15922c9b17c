"""Command line: ``python -m benchmarks run ...`` and ``python -m benchmarks make-set ...``."""

from __future__ import annotations

import argparse
import sys
import time
from datetime import date
from pathlib import Path

RESULTS = Path(__file__).resolve().parent / "results"
DEFAULT_TODAY = date(2026, 11, 28)


def _csv(text: str) -> list[str]:
    return [p.strip() for p in text.split(",") if p.strip()]


def cmd_run(args: argparse.Namespace) -> int:
    from .harness import run_engine
    from .metrics import summarise_all
    from .report import dump_rows, markdown_report, plot, text_report
    from .sets import load_set

    bench = load_set(args.set, args.today)
    records = bench.records[: args.limit] if args.limit else bench.records
    if args.levels:
        records = [r for r in records if r.get("level") in args.levels]
    rows, notes = [], []
    for engine in args.engines:
        started = time.perf_counter()

        def progress(n: int, total: int, engine: str = engine) -> None:
            if not args.quiet and (n % 25 == 0 or n == total):
                print(f"  {engine}: {n}/{total}", file=sys.stderr, flush=True)

        got, note = run_engine(bench, engine, args.today, records=records, progress=progress)
        if note:
            notes.append(note)
            print(note, file=sys.stderr)
            continue
        notes.append(f"{engine}: {len(got)} images in {time.perf_counter() - started:.1f} s (after one warm-up read)")
        rows.extend(got)
    header = f"idcheck benchmark: set {bench.name} ({len(records)} images), today {args.today.isoformat()}"
    if not rows:
        print(header + "\nno engine produced results", file=sys.stderr)
        for n in notes:
            print(f"note: {n}", file=sys.stderr)
        return 1
    summary = summarise_all(rows)
    print(text_report(summary, header, notes))
    out_dir = Path(args.out) if args.out else RESULTS
    out_dir.mkdir(parents=True, exist_ok=True)
    stem = bench.name
    plots = [] if args.no_plots else plot(summary, rows, out_dir, stem)
    (out_dir / f"{stem}.md").write_text(markdown_report(summary, header, notes, plots), encoding="utf-8")
    dump_rows(rows, out_dir / f"{stem}_images.jsonl", redact=args.redact)
    print(f"wrote {out_dir / (stem + '.md')}, {len(plots)} plots, {stem}_images.jsonl")
    return 0


def cmd_make_set(args: argparse.Namespace) -> int:
    from idcheck.synth import write_set

    started = time.perf_counter()
    records = write_set(args.out, args.count, args.seed, args.levels, args.formats, args.today,
                        jobs=args.jobs, progress=not args.quiet)
    print(f"wrote {len(records)} images to {args.out} in {time.perf_counter() - started:.1f} s")
    return 0


def cmd_speed(args: argparse.Namespace) -> int:
    from .speed import measure, report

    from .sets import load_set

    bench = load_set(args.set, args.today)
    result = measure(bench, args.engine, args.today, args.megapixels, args.limit)
    print(report(result, args.engine, args.megapixels, min(args.limit or len(bench.records), len(bench.records))))
    return 0


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m benchmarks", description=__doc__)
    sub = parser.add_subparsers(dest="command", required=True)
    run = sub.add_parser("run", help="run engines over a set and report")
    run.add_argument("--set", required=True, help="realdata, samples, a name under benchmarks/sets/, or a folder")
    run.add_argument("--engines", type=_csv, default=["native"], help="comma list, e.g. native,tesseract,passporteye")
    run.add_argument("--today", type=date.fromisoformat, default=DEFAULT_TODAY)
    run.add_argument("--limit", type=int, default=0, help="only the first N images")
    run.add_argument("--levels", type=_csv, default=[], help="only these levels (e.g. easy,medium)")
    run.add_argument("--out", default="", help=f"results folder (default {RESULTS})")
    run.add_argument("--no-plots", action="store_true")
    run.add_argument("--redact", action="store_true", help="leave MRZ text and birth dates out of the dump")
    run.add_argument("--quiet", action="store_true")
    run.set_defaults(func=cmd_run)

    speed = sub.add_parser("speed", help="per-stage latency with images re-encoded at a fixed size")
    speed.add_argument("--set", required=True)
    speed.add_argument("--engine", default="native")
    speed.add_argument("--megapixels", type=float, default=2.0)
    speed.add_argument("--limit", type=int, default=60)
    speed.add_argument("--today", type=date.fromisoformat, default=DEFAULT_TODAY)
    speed.set_defaults(func=cmd_speed)

    from idcheck.synth import FORMATS, LEVELS

    make = sub.add_parser("make-set", help="write a synthetic set (idcheck.synth)")
    make.add_argument("--out", default="benchmarks/sets/gen300")
    make.add_argument("--count", type=int, default=300)
    make.add_argument("--seed", type=int, default=0)
    make.add_argument("--levels", type=_csv, default=list(LEVELS))
    make.add_argument("--formats", type=_csv, default=list(FORMATS))
    make.add_argument("--today", type=date.fromisoformat, default=DEFAULT_TODAY)
    make.add_argument("--jobs", type=int, default=1)
    make.add_argument("--quiet", action="store_true")
    make.set_defaults(func=cmd_make_set)
    args = parser.parse_args(argv)
    return int(args.func(args))


if __name__ == "__main__":
    sys.exit(main())
