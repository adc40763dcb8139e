"""WeCom (企业微信, a self-built app) behind the one contract (bot.adapter): limits, adapter."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from bot.adapter import Limits
from models.db import Database
from models.settings import Settings
from models.tables import Platform

LIMITS = Limits(
    text=2048,  # message/send text.content, in bytes
    chunk=2048,
    text_in_bytes=True,
    file=20 * 1024 * 1024,  # media/upload type=file
    photo=10 * 1024 * 1024,  # media/upload type=image: a JPG or PNG
    button_data=1024,  # a template card's button key, in bytes
    chat_interval=0.0,  # paced by the member windows instead
    buttons=6,  # button_list of a template card
    button_text=10,  # "建议不超过10个字"
    album=3,  # no albums: the latest photos, one message each
    member_windows=((60.0, 30), (3600.0, 1000)),  # an app to one member
)


class WeComAdapter:
    """A WeCom self-built app: the callback server, its crypto, the API, template cards."""

    platform = Platform.wecom
    limits = LIMITS

    def incoming(self, raw: Any) -> Any:
        """Return a callback's decrypted fields as the core's input; None for what no flow takes."""
        from bot.wecom.chat import incoming

        return incoming(raw)

    def check(self, settings: Settings) -> None:
        """Raise SetupError naming the WeCom settings still missing."""
        from bot.wecom.serve import check

        check(settings)

    def secrets(self, settings: Settings) -> tuple[str, ...]:
        """Return the app secret and the callback's token and key, for the log to mask."""
        from bot.wecom.serve import secrets

        return secrets(settings)

    def serve(self, settings: Settings, db: Database) -> int:
        """Serve WeCom's callback and the upload pages until stopped."""
        from bot.wecom.serve import serve

        return serve(settings, db)

    def offline(self, settings: Settings, db: Database, **how: Any) -> Any:
        """Return the WeCom front end over the offline WeCom (bot.wecom.serve.offline)."""
        from bot.wecom.stand_in import offline

        return offline(settings, db, **how)

    async def console(
        self,
        settings: Settings,
        db: Database,
        *,
        persona: int | None = None,
        files_dir: Path | None = None,
    ) -> int:
        """Chat with the bot in this terminal over the offline WeCom."""
        from bot.wecom.stand_in import console

        return await console(settings, db, persona=persona, files_dir=files_dir)


ADAPTER = WeComAdapter()
