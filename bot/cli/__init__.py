"""The command line, `python -m bot COMMAND`: one module per command (or close group) here,
what they share in common.py.

Serving and chatting: `run`, `console`, `demo` (each on a platform of the registry,
bot/platforms.py); a project and its people: `project`, `invite`, `migrate`; one item in an
admin's name: `reassign`, `cancel`, `reopen`; `fake-telegram`; the workbooks: `setup`,
`import`, `template`, `export`; the manager's `report`; and `backup`, `restore`.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence

from bot.adapter import SetupError
from bot.cli import backup, console, demo, fake_telegram, items, project, report, run, sheets
from bot.cli.common import INTERRUPTED, REFUSED, CliError
from handlers.i18n import t
from models.errors import DomainError

# In the order `python -m bot --help` lists them.
COMMANDS = (run, console, demo, project, items, fake_telegram, sheets, report, backup)


def parser() -> argparse.ArgumentParser:
    """Return the argument parser of every command."""
    p = argparse.ArgumentParser(prog="python -m bot", description="Handover repair bot")
    sub = p.add_subparsers(dest="command", required=True)
    for command in COMMANDS:
        command.add(sub)
    return p


def main(argv: Sequence[str] | None = None) -> int:
    """Run one command; problems are one line on stderr and exit code 2."""
    args = parser().parse_args(argv)
    try:
        return args.fn(args)
    except (CliError, SetupError) as exc:
        print(f"error: {exc}", file=sys.stderr)
    except DomainError as exc:
        print(f"error: {t('en', f'error.{exc.key}', **exc.params)}", file=sys.stderr)
    except KeyboardInterrupt:
        return INTERRUPTED
    return REFUSED
