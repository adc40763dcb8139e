"""Telegram behind the one contract (bot.adapter): its limits and the adapter object."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from bot.adapter import Limits
from models.db import Database
from models.settings import Settings
from models.tables import Platform

LIMITS = Limits(
    text=4096,
    chunk=4000,  # a little under 4,096: the tags split_html closes and reopens fit
    caption=1024,
    file=20 * 1024 * 1024,  # the Bot API's getFile serves files up to 20 MB
    button_data=64,
    chat_interval=1.0,  # one message a second to one chat
    album=10,  # a media group holds 2 to 10 photos
    alert=200,  # answerCallbackQuery's text
    sends_per_second=30,
)


class TelegramAdapter:
    """The Telegram Bot API through python-telegram-bot: polling, HTML and inline keyboards."""

    platform = Platform.telegram
    limits = LIMITS

    def incoming(self, raw: Any) -> Any:
        """Return a PTB Update as the core's input; None for what no flow takes."""
        from bot.telegram.chat import incoming

        return incoming(raw)

    def check(self, settings: Settings) -> None:
        """Raise SetupError when there is no token to run with."""
        from bot.telegram.serve import check

        check(settings)

    def secrets(self, settings: Settings) -> tuple[str, ...]:
        """Return the bot token, for the log to mask."""
        from bot.telegram.serve import secrets

        return secrets(settings)

    def serve(self, settings: Settings, db: Database) -> int:
        """Poll Telegram until stopped."""
        from bot.telegram.serve import serve

        return serve(settings, db)

    def offline(self, settings: Settings, db: Database, **how: Any) -> Any:
        """Return the real application on the offline Telegram (bot.telegram.serve.offline)."""
        from bot.telegram.stand_in import offline

        return offline(settings, db, **how)

    async def console(
        self,
        settings: Settings,
        db: Database,
        *,
        persona: int | None = None,
        files_dir: Path | None = None,
    ) -> int:
        """Chat with the bot in this terminal over the offline Telegram."""
        from bot.telegram.stand_in import console

        return await console(settings, db, persona=persona, files_dir=files_dir)


ADAPTER = TelegramAdapter()
