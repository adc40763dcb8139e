"""The WeCom front end over the offline WeCom: for the console, the demo, tests, benchmarks."""

from __future__ import annotations

import asyncio
from dataclasses import dataclass, field
from pathlib import Path
from typing import Self

from pydantic import SecretStr

from bot.console import log_to_file
from bot.wecom.delivery import MemberPacer
from bot.wecom.offline import OfflineWeCom
from bot.wecom.serve import WeComServer, build_wecom
from jobs import rhythm
from models.db import Database
from models.settings import Settings


def offline_settings(settings: Settings, wecom: OfflineWeCom) -> Settings:
    """Return the settings with the offline app's own corp, agent and secret."""
    # The callback keys only need to agree between the stand-in and the receiver.
    return settings.model_copy(
        update={
            "wecom_corp_id": wecom.corp_id,
            "wecom_agent_id": str(wecom.agent_id),
            "wecom_secret": SecretStr(wecom.secret),
            "wecom_token": SecretStr("offline"),
            "wecom_encoding_aes_key": SecretStr("A" * 43),
        }
    )


@dataclass
class OfflineRun:
    """The real WeCom front end over the offline WeCom, running while entered: callbacks are
    posted to `server.app` (aiohttp's test client); the daily beat ticks unless `beat` is off."""

    server: WeComServer
    wecom: OfflineWeCom
    beat: bool = True
    _beat: asyncio.Task[None] | None = field(default=None, init=False)

    async def __aenter__(self) -> Self:
        """Start the daily beat, if it runs here."""
        if self.beat:
            chat = self.server.chat
            self._beat = rhythm.start(
                db=chat.core.db, delivery=self.server.delivery, settings=chat.core.settings
            )
        return self

    async def __aexit__(self, *exc: object) -> None:
        """Stop the beat, wait for what is still being sent, then close the API client."""
        await rhythm.stop(self._beat)
        await self.server.chat.idle()
        await self.server.api.aclose()


def offline(
    settings: Settings,
    db: Database,
    *,
    wecom: OfflineWeCom | None = None,
    members: MemberPacer | None = None,
    beat: bool = True,
) -> OfflineRun:
    """Return the WeCom front end over the offline WeCom (a new one unless given); `beat`:
    the daily beat ticks while it runs, as on the offline Telegram."""
    wecom = wecom or OfflineWeCom()
    server = build_wecom(
        offline_settings(settings, wecom),
        db,
        client=wecom.client(),
        rhythm_timer=False,  # the stand-in starts it (no aiohttp runner here)
        members=members,
    )
    return OfflineRun(server, wecom, beat)


async def console(
    settings: Settings,
    db: Database,
    *,
    persona: int | None = None,
    files_dir: Path | None = None,
) -> int:
    """Chat with the bot in this terminal over the offline WeCom."""
    from bot.wecom.console import run_wecom_console

    log_to_file(settings)
    # No daily beat in the console (as on Telegram): `report --out DIR` shows what it carries.
    async with offline(settings, db, beat=False) as running:
        files = files_dir or settings.media_dir.parent / "console-files"
        return await run_wecom_console(
            running.server, running.wecom, db, persona=persona, files_dir=files
        )
