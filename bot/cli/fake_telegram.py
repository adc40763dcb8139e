"""`fake-telegram`: a local stand-in for Telegram's Bot API over HTTP, for `run` to poll."""

from __future__ import annotations

import argparse


def add(sub: argparse._SubParsersAction) -> None:
    """Add the `fake-telegram` command (the one command with no database: no --demo)."""
    fake = sub.add_parser("fake-telegram", help="serve a local fake Telegram for `run`")
    fake.add_argument("--host", default="127.0.0.1", help="address to bind (default: loopback)")
    fake.add_argument("--port", type=int, default=8081)
    fake.add_argument("--token", help="refuse every other token, as Telegram does (default: any)")
    fake.set_defaults(fn=cmd_fake_telegram)


def cmd_fake_telegram(args: argparse.Namespace) -> int:
    """Serve an in-process Telegram over HTTP for `run` to poll (no Telegram needed)."""
    from bot.telegram.apiserver import main as serve_fake

    return serve_fake(args.host, args.port, args.token)
