"""`demo`: build the demo project (refusing a real database), then open the console."""

from __future__ import annotations

import argparse
import sys
from collections.abc import Callable

from bot.cli.common import FILES_HELP, OK, load_settings, open_db, takes_demo, takes_platform
from bot.cli.console import chat
from demo import build_demo


def add(sub: argparse._SubParsersAction) -> None:
    """Add the `demo` command."""
    demo = sub.add_parser("demo", help="build a demo project, then open the console")
    demo.add_argument("--no-console", action="store_true", help="only build the database")
    demo.add_argument("--items", type=int, default=3000, help="how many items to raise")
    demo.add_argument("--files", help=FILES_HELP)
    takes_platform(demo, "the platform whose offline stand-in the console runs on")
    demo.set_defaults(fn=cmd_demo)
    takes_demo(demo)


def cmd_demo(args: argparse.Namespace) -> int:
    """Build the demo project (refusing a real database), then open the console."""
    settings = load_settings(args)
    db = open_db(settings)
    print(f"Building the demo in {settings.database_url} ...", file=sys.stderr)
    summary = build_demo(
        db,
        items=args.items,
        progress=progress_bar(live=sys.stderr.isatty()),
        repair_days=settings.repair_days,
        rework_days=settings.rework_days,
    )
    print(
        f"Demo ready: {summary.project}, {summary.units} flats, {summary.contractors} "
        f"contractors, {sum(summary.items_by_state.values())} items.",
        file=sys.stderr,
    )
    if args.no_console:
        return OK
    return chat(args.platform, settings, db, persona=None, files=args.files)


def progress_bar(*, live: bool) -> Callable[[int, int], None]:
    """Return a progress callback drawing a bar on stderr (one line per tenth in a log file)."""
    shown = {"tenth": -1}

    def progress(done: int, total: int) -> None:
        width = 30
        filled = width * done // max(total, 1)
        tenth = 10 * done // max(total, 1)
        if not live and tenth == shown["tenth"]:
            return  # in a log file, one line per tenth is enough
        shown["tenth"] = tenth
        bar = f"  [{'#' * filled}{'.' * (width - filled)}] {done}/{total}"
        sys.stderr.write(f"\r{bar}" if live else f"{bar}\n")
        if live and done >= total:
            sys.stderr.write("\n")
        sys.stderr.flush()

    return progress
