"""``python -m idcheck.synth --out DIR --count 300 --seed 0 --levels easy,medium,hard``."""

from __future__ import annotations

import argparse
import sys
import time
from datetime import date

from .camera import LEVELS
from .dataset import write_set
from .identity import DEFAULT_TODAY, FORMATS


def _csv(text: str) -> list[str]:
    return [part.strip() for part in text.split(",") if part.strip()]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m idcheck.synth", description=__doc__)
    parser.add_argument("--out", required=True, help="output folder (images/ and truth.jsonl)")
    parser.add_argument("--count", type=int, default=300)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--levels", type=_csv, default=list(LEVELS), help="comma list of easy,medium,hard")
    parser.add_argument("--formats", type=_csv, default=list(FORMATS), help=f"comma list of {','.join(FORMATS)}")
    parser.add_argument("--today", type=date.fromisoformat, default=DEFAULT_TODAY,
                        help="date the truth (over 18, expired) refers to (default %(default)s)")
    parser.add_argument("--jobs", type=int, default=1, help="worker processes (output is identical)")
    parser.add_argument("--quiet", action="store_true")
    args = parser.parse_args(argv)
    started = time.perf_counter()
    try:
        records = write_set(args.out, args.count, args.seed, args.levels, args.formats, args.today,
                            jobs=args.jobs, progress=not args.quiet)
    except ValueError as exc:
        parser.error(str(exc))
    elapsed = time.perf_counter() - started
    if not args.quiet:
        print(f"wrote {len(records)} images to {args.out} in {elapsed:.1f} s "
              f"({elapsed / max(1, len(records)):.3f} s/image)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
