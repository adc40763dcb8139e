"""People of the small world chatting over the offline WeCom, for flows tested on both platforms.

`wecom_desk(settings, db, {telegram_id: wecom_userid})` links the world's people to WeCom
accounts and serves the real WeCom front end on the offline WeCom; `desk.member(userid)` then
writes, sends photos and presses card buttons as that person, returning what they read.
"""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator
from dataclasses import dataclass

from aiohttp.test_utils import TestClient, TestServer
from pydantic import SecretStr

from bot.wecom.offline import OfflineWeCom, Sent
from bot.wecom.sender_side import image_message, template_card_event, text_message
from bot.wecom.serve import build_wecom
from models import people
from models.db import Database
from models.settings import Settings
from tests.test_wecom_chat import AES_KEY, TOKEN, WeComDriver, waiting_skips_ahead
from tests.test_wecom_chat import _visible as visible


@dataclass
class Member:
    """One WeCom member of the desk, and what the app sent them in their last step."""

    driver: WeComDriver
    account: str
    last: list[Sent]

    @property
    def wecom(self) -> OfflineWeCom:
        """Return the offline WeCom the member is on."""
        return self.driver.wecom

    async def _step(self, message: str) -> str:
        mark = len(self.wecom.messages_to(self.account))
        assert await self.driver.post(message) == 200
        self.last = self.wecom.messages_to(self.account)[mark:]
        return "\n".join(visible(m) for m in self.last)

    async def send(self, text: str) -> str:
        """Write a text (or /command) and return what the member reads back."""
        corp = self.wecom.corp_id
        return await self._step(text_message(corp_id=corp, user=self.account, content=text))

    async def photo(self, data: bytes) -> str:
        """Send a photo (WeCom's image message has no caption) and return what comes back."""
        media = self.wecom.add_member_media(data, "photo.png")
        corp = self.wecom.corp_id
        return await self._step(image_message(corp_id=corp, user=self.account, media_id=media))

    def buttons(self) -> list[str]:
        """Return the button keys of the cards of the last step, in order."""
        return [k for m in self.last if m.msgtype == "template_card" for k in m.keys]

    async def press(self, key: str) -> str:
        """Press the button `key` on a card of the last step and return what comes back."""
        card = next(m for m in self.last if m.msgtype == "template_card" and key in m.keys)
        click = self.wecom.press(self.account, key, card=card)
        event = template_card_event(
            corp_id=self.wecom.corp_id,
            user=self.account,
            event_key=click.key,
            task_id=click.task_id,
            response_code=click.response_code,
        )
        return await self._step(event)


@dataclass
class Desk:
    """The WeCom front end served on the offline WeCom, with the members linked to it."""

    driver: WeComDriver

    def member(self, account: str) -> Member:
        """Return the member with this WeCom userid."""
        return Member(self.driver, account, [])


@contextlib.asynccontextmanager
async def wecom_desk(
    settings: Settings, db: Database, accounts: dict[int, str]
) -> AsyncIterator[Desk]:
    """Serve WeCom for the world's people given by Telegram id -> WeCom userid."""
    offline = OfflineWeCom()
    with db.session() as s:
        for telegram_id, account in accounts.items():
            person = people.find_person(s, platform="telegram", account=str(telegram_id))
            people.link_identity(s, user_id=person.id, platform="wecom", account=account)
    offline.add_member(*accounts.values())
    app_settings = settings.model_copy(
        update={
            "wecom_corp_id": offline.corp_id,
            "wecom_agent_id": str(offline.agent_id),
            "wecom_secret": SecretStr(offline.secret),
            "wecom_token": SecretStr(TOKEN),
            "wecom_encoding_aes_key": SecretStr(AES_KEY),
        }
    )
    with waiting_skips_ahead() as members:
        server = build_wecom(
            app_settings, db, client=offline.client(), rhythm_timer=False, members=members
        )
        async with TestClient(TestServer(server.app)) as client:
            yield Desk(WeComDriver(offline, server, client))
    # Nothing was dropped over WeCom's 30 a minute per member, nor cut over its limits.
    offline.assert_clean()
