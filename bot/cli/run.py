"""`run`: serve on a chat platform of the registry until stopped."""

from __future__ import annotations

import argparse

from bot import platforms
from bot.cli.common import (
    FAILED,
    load_settings,
    log,
    log_to_stderr,
    open_db,
    takes_demo,
    takes_platform,
)


def add(sub: argparse._SubParsersAction) -> None:
    """Add the `run` command."""
    run = sub.add_parser("run", help="serve on a chat platform until stopped")
    takes_platform(run, "the platform to serve on")
    run.set_defaults(fn=cmd_run)
    takes_demo(run)


def cmd_run(args: argparse.Namespace) -> int:
    """Serve on the chosen platform until stopped; a missing setting is refused first."""
    settings = load_settings(args)
    chosen = platforms.adapter(args.platform)
    chosen.check(settings)  # before anything is opened: a missing token is one line
    log_to_stderr(*chosen.secrets(settings), form=settings.log_format)
    try:
        db = open_db(settings)
    except Exception:
        # Through the log, not Python's own traceback print: the log masks the secrets.
        log.exception("the bot stopped on an unexpected error")
        return FAILED
    return chosen.serve(settings, db)
