"""The WeCom adapter: a callback's fields become an Incoming, a Reply becomes messages and cards.

What WeCom cannot do as Telegram does, decided here:
- no albums, no markup (bot.wecom.render draws a screen, a reply's and a push's alike);
- no editing a sent message: a screen that replaces another is sent as a new one;
- a pressed card is answered with update_template_card (its ResponseCode) so that it cannot be
  pressed again, and a second press of the same card (TaskId) changes nothing;
- no files from members (a self-built app receives text, image, voice, video, location, link):
  `/upload` answers with a one-time upload page (bot.wecom.upload);
- no per-person command menu: Reply.menus is left alone;
- no name in a member's messages: a joiner's name is read from the directory (user/get).
Everything sent to a member waits its turn in the same MemberPacer as the delivery's.
"""

from __future__ import annotations

import dataclasses
import logging
from typing import Any

import httpx

from bot import front
from bot.front import MemberChat, Seen
from bot.wecom import cards
from bot.wecom.adapter import LIMITS
from bot.wecom.api import WeComAPI, WeComError
from bot.wecom.delivery import WeComDelivery
from bot.wecom.render import MemberRenderer
from bot.wecom.upload import REF_PREFIX, Uploads
from handlers.core import Core
from handlers.i18n import t
from handlers.screens import FileIn, Incoming, Reply
from models.tables import Platform

PLATFORM = Platform.wecom
CARD_EVENT = "template_card_event"
log = logging.getLogger(__name__)


class WeComPlatform:
    """What the core asks of WeCom: files people sent (by media_id, or through an upload page)."""

    name = PLATFORM
    limits = LIMITS

    def __init__(self, api: WeComAPI, uploads: Uploads) -> None:
        self.api = api
        self.uploads = uploads

    async def fetch(self, file: FileIn) -> bytes:
        """Download a photo a member sent, or take a file that came through an upload page."""
        if file.ref.startswith(REF_PREFIX):
            return self.uploads.take(file.ref)
        content, _name, _mime = await self.api.get_media(file.ref)
        return content

    def invite_link(self, code: str) -> str | None:
        """Return None: no WeCom link opens the app with a code (`/start CODE` is typed)."""
        return None

    def item_link(self, item_id: int) -> str | None:
        """Return None: no WeCom link opens an app's chat (the printed id is typed instead)."""
        return None


def incoming(fields: dict[str, str]) -> Incoming | None:
    """Return a callback's fields as the core's input; None for what no flow takes."""
    account = fields.get("FromUserName")
    if not account:
        return None
    base: dict[str, Any] = {"platform": PLATFORM, "account": account}
    kind = fields.get("MsgType")
    if kind == "text":
        return Incoming(**base, text=fields.get("Content", ""))
    if kind == "image" and fields.get("MediaId"):
        return Incoming(**base, photo=FileIn(fields["MediaId"], None, None, "image/jpeg"))
    if kind == "file" and fields.get("MediaId"):  # not sent by WeCom itself; the offline one
        size = fields.get("FileSize", "")
        found = FileIn(
            fields["MediaId"], fields.get("FileName"), int(size) if size.isdigit() else None
        )
        return Incoming(**base, document=found)
    if kind == "event" and fields.get("Event") == CARD_EVENT and fields.get("EventKey"):
        return Incoming(**base, choice=fields["EventKey"])
    return None  # voice, video, location, link, entering the app...


class WeComChat(MemberChat):
    """Feed callbacks to the core, one input at a time per member, and draw the replies."""

    platform = PLATFORM
    card_seen = "card:"

    def __init__(
        self,
        core: Core,
        api: WeComAPI,
        delivery: WeComDelivery,
        seen: Seen,
        uploads: Uploads,
    ) -> None:
        super().__init__(core, seen)  # `handled` counts callbacks and uploads
        self.api = api
        self.delivery = delivery
        self.uploads = uploads
        self.renderer = delivery.renderer  # one renderer, one pacer: replies and notices alike
        self.members = delivery.members
        self._names: dict[str, str] = {}  # members' directory names, once read

    async def on_message(self, fields: dict[str, str]) -> None:
        """Handle one callback (the receiver answered WeCom already)."""
        with self.working():
            await self._on_message(fields)

    async def _on_message(self, fields: dict[str, str]) -> None:
        found = incoming(fields)
        if found is None:
            if fields.get("MsgType") in ("voice", "video", "location", "link"):
                account = fields["FromUserName"]
                lang = self.lang(await self.person(account))
                await self.renderer.say(account, t(lang, "bot.not_understood"))
            return
        async with self.turn(found.account):
            if found.choice is not None and not await self.first_press(fields.get("TaskId")):
                return
            await self.handle(found, pressed=fields.get("ResponseCode"))

    async def on_upload(self, account: str, file: FileIn) -> None:
        """Handle a file that came through an upload page as the member's own file message."""
        with self.working():
            try:
                async with self.turn(account):
                    await self.handle(Incoming(platform=PLATFORM, account=account, document=file))
            finally:
                self.uploads.forget(file.ref)  # not fetched (refused, not a workbook): let go

    async def handle(self, found: Incoming, *, pressed: str | None = None) -> None:
        """Run one input through the core and show its reply (`pressed`: the card's code)."""
        if found.command is not None and found.command[0] == "upload":
            await self._upload_link(found)
            return
        if found.command is not None and found.command[0] == "start" and not found.name:
            found = dataclasses.replace(found, name=await self._member_name(found.account))
        reply = await self.core.handle(found)
        # The person's language after the input (a join or /language may have set it), as the
        # core found it: nobody is looked up again here.
        lang = reply.lang or self.lang(None)
        if pressed:
            await self._grey(found.account, pressed, lang)
        await self.draw(found.account, reply)

    async def _grey(self, account: str, code: str, lang: str) -> None:
        """Grey out a pressed card's buttons, before anything of its reply is shown."""
        try:
            async with self.members.turn(account):
                await self.api.update_card(account, code, cards.pressed(t(lang, "wecom.pressed")))
        except WeComError:  # the press still counts; the card stays as it was
            log.warning("wecom: could not update a pressed card", exc_info=True)

    async def _upload_link(self, found: Incoming) -> None:
        """Answer /upload with a one-time upload page for this member (people who joined only)."""
        person = await self.person(found.account)
        lang = self.lang(person)
        if person is None:
            await self.renderer.say(found.account, t(lang, "error.not_registered"))
            return
        link = await self.uploads.link(found.account, lang)
        await self.renderer.say(found.account, t(lang, "wecom.upload_link", link=link))

    async def _member_name(self, account: str) -> str:
        """Return a member's name in WeCom's directory ("" when it cannot be read now)."""
        name = self._names.get(account)
        if name is None:
            try:
                name = (await self.api.member_name(account)).strip()
            except (WeComError, httpx.HTTPError):
                # Joining goes on: the welcome then names nobody, and the person is listed
                # under their userid until an admin sees who it is.
                log.warning("wecom: could not read the name of %s", account, exc_info=True)
                return ""
            self._names[account] = name
        return name

    async def draw(self, account: str, reply: Reply) -> None:
        """Show a reply in a member's chat, in its language, the one way (bot.front.draw)."""
        renderer = MemberRenderer(self.renderer, account, reply.lang or self.lang(None))
        await front.draw(
            reply, renderer, db=self.core.db, delivery=self.delivery, later=self.background.later
        )
