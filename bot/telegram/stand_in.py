"""The real application on the offline Telegram: for the console, the demo, tests, benchmarks."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Self

from telegram.ext import Application, BaseRateLimiter

from bot.console import log_to_file
from bot.telegram.app import build_application
from bot.telegram.offline import OfflineTelegram
from models.db import Database
from models.settings import Settings

CONSOLE_BOT = "handover_demo_bot"


def build_offline(
    settings: Settings,
    db: Database,
    transport: OfflineTelegram,
    *,
    limiter: BaseRateLimiter | None = None,
    beat: bool = True,
) -> Application:
    """Assemble the bot on the in-process Telegram (console, demo, tests, benchmarks)."""
    app = build_application(settings, db, request=transport, limiter=limiter, beat=beat)
    transport.bind(app.bot)
    return app


@dataclass
class OfflineBot:
    """The real application on the in-process Telegram, running while entered."""

    app: Application
    transport: OfflineTelegram

    async def __aenter__(self) -> Self:
        """Start the application (its job queue, and the daily beat unless built without)."""
        await self.app.initialize()
        await self.app.start()
        return self

    async def __aexit__(self, *exc: object) -> None:
        """Stop the application."""
        await self.app.stop()
        await self.app.shutdown()


def offline(
    settings: Settings,
    db: Database,
    *,
    transport: OfflineTelegram | None = None,
    limiter: BaseRateLimiter | None = None,
    beat: bool = True,
) -> OfflineBot:
    """Return the real application on the offline Telegram (a new one unless given); `beat`:
    the daily beat ticks while it runs."""
    transport = transport or OfflineTelegram(bot_username=CONSOLE_BOT)
    app = build_offline(settings, db, transport, limiter=limiter, beat=beat)
    return OfflineBot(app, transport)


async def console(
    settings: Settings,
    db: Database,
    *,
    persona: int | None = None,
    files_dir: Path | None = None,
) -> int:
    """Chat with the bot in this terminal over the offline Telegram."""
    from bot.telegram.console import run_console

    log_to_file(settings)
    # The console is for trying the flows: the daily beat's pushes would land in the middle
    # of the conversation. `python -m bot report --out DIR` shows what they carry.
    async with offline(settings, db, beat=False) as running:
        # Documents the bot sends (exports, templates) land beside the data unless told.
        files = files_dir or settings.media_dir.parent / "console-files"
        return await run_console(
            running.app, running.transport, db, persona=persona, files_dir=files
        )
