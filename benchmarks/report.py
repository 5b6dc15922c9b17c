"""Tables (plain text and Markdown), plots and the per-image dump for a benchmark run."""

from __future__ import annotations

import json
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from .metrics import COMBINED, EXPECTED, FIELDS, GOT, STAGES


def _p(rate: float | None) -> str:
    return "-" if rate is None else f"{100 * rate:.1f}%"


def _ms(v: float | None) -> str:
    return "-" if v is None else (f"{v:.0f}" if v >= 100 else f"{v:.1f}")


def table(headers: Sequence[str], rows: Sequence[Sequence[Any]], markdown: bool = False) -> str:
    cells = [[str(c) for c in headers]] + [[str(c) for c in r] for r in rows]
    if markdown:
        out = ["| " + " | ".join(cells[0]) + " |", "|" + "|".join("---" for _ in headers) + "|"]
        out += ["| " + " | ".join(r) + " |" for r in cells[1:]]
        return "\n".join(out)
    widths = [max(len(r[i]) for r in cells) for i in range(len(headers))]
    line = lambda r: "  ".join(c.rjust(w) if i else c.ljust(w) for i, (c, w) in enumerate(zip(r, widths)))  # noqa: E731
    return "\n".join([line(cells[0]), "  ".join("-" * w for w in widths)] + [line(r) for r in cells[1:]])


_MAIN = ("n", "MRZ found", "exact MRZ", "DOB correct", "decision = expected", "minors accepted",
         "unsafe accepts", "retry", "errors", "p50 ms", "p95 ms", "img/s")


def _main_row(label: Any, s: dict[str, Any]) -> list[Any]:
    return [label, s["n"], _p(s["found_rate"]), _p(s["exact_rate"]), _p(s["dob_rate"]), _p(s["decision_rate"]),
            s["minors_accepted"], s["unsafe_accepts"], _p(s["retry_rate"]), s["errors"],
            _ms(s["wall_ms"]["p50"]), _ms(s["wall_ms"]["p95"]),
            "-" if s["images_per_s"] is None else f"{s['images_per_s']:.2f}"]


def sections(summary: dict[str, Any], markdown: bool = False) -> list[tuple[str, str]]:
    """(title, table) pairs for everything in ``summary`` (from :func:`metrics.summarise_all`)."""
    out: list[tuple[str, str]] = []
    engines = list(summary["engine"])
    out.append(("Overall, per engine", table(("engine",) + _MAIN,
                                              [_main_row(e, summary["engine"][e]) for e in engines], markdown)))
    minors = "\n".join(
        f"minors accepted ({e}): {s['minors_accepted']} of {s['minors']} minors"
        + ("" if s["minors_accepted"] == 0 else "   <-- MUST BE 0")
        for e, s in summary["engine"].items())
    out.append(("Minors accepted (must be 0)", minors))
    out.append(("Per level", table(("engine / level",) + _MAIN,
                                    [_main_row(f"{e} / {lv}", s) for (e, lv), s in sorted(summary["level"].items())],
                                    markdown)))
    out.append(("Per format", table(("engine / format",) + _MAIN,
                                     [_main_row(f"{e} / {f}", s) for (e, f), s in sorted(summary["format"].items())],
                                     markdown)))
    out.append(("Field accuracy (MRZ slice equals truth)", table(
        ("engine",) + FIELDS,
        [[e] + [_p(s["fields"][f]["rate"]) for f in FIELDS] for e, s in summary["engine"].items()], markdown)))
    for e, s in summary["engine"].items():
        rows = [[f"expected {exp}"] + [s["confusion"].get(exp, {}).get(g, 0) for g in GOT]
                for exp in EXPECTED if sum(s["confusion"].get(exp, {}).values())]
        out.append((f"Decisions, {e} (rows: expected, columns: got)", table(("",) + GOT, rows, markdown)))
    out.append(("Latency per stage, ms (p50 / p95)", table(
        ("engine",) + STAGES + tuple(COMBINED) + ("wall",),
        [[e] + [f"{_ms(s['latency_ms'][st]['p50'])} / {_ms(s['latency_ms'][st]['p95'])}" for st in STAGES + tuple(COMBINED)]
         + [f"{_ms(s['wall_ms']['p50'])} / {_ms(s['wall_ms']['p95'])}"] for e, s in summary["engine"].items()],
        markdown)))
    return out


def text_report(summary: dict[str, Any], header: str, notes: Sequence[str] = ()) -> str:
    parts = [header, ""] + [f"note: {n}" for n in notes]
    for title, body in sections(summary):
        parts += ["", f"== {title}", body]
    return "\n".join(parts) + "\n"


def markdown_report(summary: dict[str, Any], header: str, notes: Sequence[str] = (),
                    plots: Sequence[str] = ()) -> str:
    parts = [f"# {header}", ""] + [f"- {n}" for n in notes]
    parts += ["", "Definitions: `benchmarks/metrics.py`. *Unsafe accepts* = accepted although the truth expects "
              "no acceptance (minor, undecidable age, expired, failing check digits or no MRZ)."]
    for title, body in sections(summary, markdown=True):
        parts += ["", f"## {title}", "", body if "|" in body else body.replace("\n", "  \n")]
    for p in plots:
        parts += ["", f"![{p}]({p})"]
    return "\n".join(parts) + "\n"


def plot(summary: dict[str, Any], rows: Sequence[dict[str, Any]], out_dir: Path, stem: str) -> list[str]:
    """Accuracy by level and engine; latency distribution per engine. Returns the file names."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    import numpy as np

    files = []
    engines = list(summary["engine"])
    levels = sorted({lv for (_e, lv) in summary["level"]})
    metrics = (("exact_rate", "exact MRZ"), ("dob_rate", "DOB correct"), ("decision_rate", "decision = expected"))
    fig, axes = plt.subplots(1, len(metrics), figsize=(4.2 * len(metrics), 3.6), sharey=True)
    width = 0.8 / max(1, len(engines))
    for ax, (key, title) in zip(np.atleast_1d(axes), metrics):
        for i, e in enumerate(engines):
            vals = [summary["level"].get((e, lv), {}).get(key) or 0.0 for lv in levels]
            ax.bar(np.arange(len(levels)) + i * width - 0.4 + width / 2, [100 * v for v in vals], width, label=e)
        ax.set_xticks(np.arange(len(levels)), levels)
        ax.set_title(title)
        ax.set_ylim(0, 100)
        ax.grid(axis="y", alpha=0.3)
    np.atleast_1d(axes)[0].set_ylabel("%")
    np.atleast_1d(axes)[0].legend(fontsize=8)
    fig.suptitle(f"{stem}: accuracy by level and engine")
    fig.tight_layout()
    name = f"{stem}_accuracy.png"
    fig.savefig(out_dir / name, dpi=110)
    plt.close(fig)
    files.append(name)

    fig, ax = plt.subplots(figsize=(6, 3.6))
    data = [[r["wall_ms"] for r in rows if r["engine"] == e and r.get("wall_ms")] or [0.0] for e in engines]
    ax.boxplot(data, showfliers=True)
    ax.set_xticks(range(1, len(engines) + 1), engines)
    ax.set_yscale("log")
    ax.set_ylabel("ms per image (wall)")
    ax.set_title(f"{stem}: latency per engine")
    ax.grid(axis="y", alpha=0.3, which="both")
    fig.tight_layout()
    name = f"{stem}_latency.png"
    fig.savefig(out_dir / name, dpi=110)
    plt.close(fig)
    files.append(name)
    return files


def dump_rows(rows: Sequence[dict[str, Any]], path: Path, redact: bool = False) -> None:
    """Per-image results as JSON lines; ``redact`` drops MRZ text and birth dates."""
    with open(path, "w", encoding="utf-8") as fh:
        for r in rows:
            out = dict(r)
            if redact:
                for k in ("truth_mrz", "mrz", "truth_dob", "date_of_birth"):
                    out.pop(k, None)
            fh.write(json.dumps(out, ensure_ascii=False) + "\n")
