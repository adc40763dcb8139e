"""/report end to end at a million items: the figures, the picture and its words, timed.

Reuses the big site of bench/report.py (built once under data/bench/). What a manager waits
for is the sum: the SQL figures, then the PNG drawn in the packaged font, then the caption.
"""

from __future__ import annotations

import argparse
import statistics
import sys
from collections.abc import Callable

from bench import timed
from bench.report import CACHE, DAY, build
from handlers.report_text import daily_picture, report_texts, rework_caption, rework_picture
from models.report import daily_report, rework_report


def report_path_bench(items: int, runs: int, lang: str = "zh") -> str:
    """Time /report's work (figures + picture + words) on the big site; return Markdown."""
    CACHE.mkdir(parents=True, exist_ok=True)
    print(f"the report's site ({items:,} items) in {CACHE}...", file=sys.stderr, flush=True)
    site = build(CACHE / f"report-{items}.db", items)
    db, pid = site.db, site.project_id
    daily = db.run(daily_report, project_id=pid, day=DAY)
    rework = db.run(rework_report, project_id=pid, day=DAY)

    def whole_daily() -> object:
        figures = db.run(daily_report, project_id=pid, day=DAY)
        return daily_picture(lang, figures), report_texts(lang, figures)

    def whole_rework() -> object:
        figures = db.run(rework_report, project_id=pid, day=DAY)
        return rework_picture(lang, figures), rework_caption(lang, figures)

    cases: list[tuple[str, Callable[[], object]]] = [
        ("daily picture (PNG) only", lambda: daily_picture(lang, daily)),
        ("rework picture (PNG) only", lambda: rework_picture(lang, rework)),
        ("/report: figures + picture + caption", whole_daily),
        ("/report rework: figures + picture + caption", whole_rework),
    ]
    lines = [
        f"{items:,} items, {site.events:,} events, {len(daily.contractors)} contractors",
        "",
        "| operation | runs | min ms | median ms | max ms | cold ms |",
        "|---|--:|--:|--:|--:|--:|",
    ]
    try:
        for name, fn in cases:
            cold = timed(fn)  # the first picture also loads matplotlib's font cache
            samples = [timed(fn) for _ in range(runs)]
            lines.append(
                f"| {name} | {runs} | {min(samples) * 1000:.0f} "
                f"| {statistics.median(samples) * 1000:.0f} | {max(samples) * 1000:.0f} "
                f"| {cold * 1000:.0f} |"
            )
    finally:
        db.dispose()
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> None:
    """Time /report's whole work on a big site; print Markdown."""
    parser = argparse.ArgumentParser(prog="python -m bench.charts", description=__doc__)
    parser.add_argument("--items", type=int, default=1_000_000)
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--lang", choices=("zh", "en"), default="zh")
    args = parser.parse_args(argv)
    print(report_path_bench(args.items, args.runs, args.lang))


if __name__ == "__main__":
    main()
