"""The WeCom front end over the offline WeCom: for the console, the demo, tests, benchmarks."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Self

from pydantic import SecretStr

from bot.console import log_to_file
from bot.wecom.delivery import MemberPacer
from bot.wecom.offline import OfflineWeCom
from bot.wecom.serve import WeComServer, build_wecom
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
    """The real WeCom front end over the offline WeCom, its API client closed on leaving."""

    server: WeComServer
    wecom: OfflineWeCom

    async def __aenter__(self) -> Self:
        """Nothing to start: callbacks are posted to `server.app` (aiohttp's test client)."""
        return self

    async def __aexit__(self, *exc: object) -> None:
        """Wait for what is still being sent, then close the API client."""
        await self.server.chat.idle()
        await self.server.api.aclose()


def offline(
    settings: Settings,
    db: Database,
    *,
    wecom: OfflineWeCom | None = None,
    members: MemberPacer | None = None,
    rhythm_timer: bool = False,
) -> OfflineRun:
    """Return the WeCom front end over the offline WeCom (a new one unless given)."""
    wecom = wecom or OfflineWeCom()
    server = build_wecom(
        offline_settings(settings, wecom),
        db,
        client=wecom.client(),
        rhythm_timer=rhythm_timer,
        members=members,
    )
    return OfflineRun(server, wecom)


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
    async with offline(settings, db) as running:
        files = files_dir or settings.media_dir.parent / "console-files"
        return await run_wecom_console(
            running.server, running.wecom, db, persona=persona, files_dir=files
        )
