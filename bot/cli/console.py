"""`console`: chat with the bot in this terminal over a platform's offline stand-in."""

from __future__ import annotations

import argparse
import asyncio
from pathlib import Path

from bot import platforms
from bot.cli.common import FILES_HELP, load_settings, open_db, takes_demo, takes_platform
from models.db import Database
from models.settings import Settings

PERSONA_HELP = "the id of the person to chat as, as the console lists them (0: a newcomer)"


def add(sub: argparse._SubParsersAction) -> None:
    """Add the `console` command."""
    console = sub.add_parser("console", help="chat with the bot in this terminal")
    console.add_argument("--as", dest="persona", type=int, help=PERSONA_HELP)
    console.add_argument("--files", help=FILES_HELP)
    takes_platform(console, "the platform whose offline stand-in to chat on")
    console.set_defaults(fn=cmd_console)
    takes_demo(console)


def cmd_console(args: argparse.Namespace) -> int:
    """Chat with the bot in this terminal over the chosen platform's offline stand-in."""
    settings = load_settings(args)
    return chat(args.platform, settings, open_db(settings), persona=args.persona, files=args.files)


def chat(
    platform: str, settings: Settings, db: Database, *, persona: int | None, files: str | None
) -> int:
    """Run the platform's console until the person quits; return its exit code."""
    files_dir = Path(files) if files else None
    console = platforms.adapter(platform).console
    return asyncio.run(console(settings, db, persona=persona, files_dir=files_dir))
