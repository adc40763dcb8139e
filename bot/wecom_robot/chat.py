"""The robot's chat: a callback becomes the core's input, its Reply the robot's messages.

One input at a time per member. The first message of a reply answers the member's message
(its req_id: markdown as a finished stream, with the card that follows it if any, or a card);
the rest go as proactive sends to the same chat, in order. A pressed card is updated at once
(only the pressed button left, marked ✓), and a second press of the same card (its task id)
changes nothing. A message the gateway delivers twice (its msgid) is handled once. A reply is
drawn the one way (bot.front.draw) by a MemberRenderer.
"""

from __future__ import annotations

import logging
from collections import OrderedDict
from collections.abc import Callable
from pathlib import Path
from typing import Any

import aiohttp

from bot import front
from bot.front import MemberChat, Seen
from bot.wecom_robot import render
from bot.wecom_robot.adapter import LIMITS
from bot.wecom_robot.delivery import RobotDelivery, Sender
from bot.wecom_robot.inbound import (
    DISCONNECTED,
    PLATFORM,
    MediaBook,
    account_of,
    incomings,
)
from bot.wecom_robot.protocol import (
    EVENT,
    MESSAGE,
    UPDATE,
    Closed,
    Frame,
    GatewayError,
    download,
    req_id_of,
)
from bot.wecom_robot.render import Out
from handlers import watch
from handlers.core import Core
from handlers.i18n import t
from handlers.screens import FileIn, Incoming, Reply, Screen

log = logging.getLogger(__name__)
CARDS_KEPT = 2000  # cards sent, remembered to update when pressed


class RobotPlatform:
    """What the core asks of the robot: the files members sent (downloaded and decrypted)."""

    name = PLATFORM
    limits = LIMITS

    def __init__(self, session: Callable[[], aiohttp.ClientSession], media: MediaBook) -> None:
        self.session = session
        self.media = media

    async def fetch(self, file: FileIn) -> bytes:
        """Download a member's image or file by the URL and key its message carried."""
        found = self.media.get(file.ref)
        if found is None:
            raise LookupError(f"media {file.ref} is no longer known")
        return await download(self.session(), found.url, found.aeskey)

    def invite_link(self, code: str) -> str | None:
        """Return None: no link opens the robot's chat with a code (`/start CODE` is typed)."""
        return None

    def item_link(self, item_id: int) -> str | None:
        """Return None: no link opens the robot's chat at an item (the id is typed instead)."""
        return None


class RobotChat(MemberChat):
    """Feed the gateway's callbacks to the core and draw the replies."""

    platform = PLATFORM
    card_seen = "robot-card:"

    def __init__(
        self,
        core: Core,
        sender: Sender,
        delivery: RobotDelivery,
        seen: Seen,
        media: MediaBook,
    ) -> None:
        super().__init__(core, seen)  # `handled` counts callbacks
        self.sender = sender
        self.delivery = delivery
        self.media = media
        self._cards: OrderedDict[str, dict[str, Any]] = OrderedDict()

    async def on_frame(self, found: Frame) -> None:
        """Handle one callback of the gateway."""
        # Every line it causes names it: the message's msgid, else the callback's req_id.
        body = found.get("body") if isinstance(found.get("body"), dict) else {}
        with self.working(), watch.update(body.get("msgid") or req_id_of(found)):
            try:
                await self._on_frame(found)
            except (Closed, GatewayError):
                log.warning("wecom robot: a reply did not go", exc_info=True)
            finally:
                connection = self.sender.link()
                if connection is not None:
                    connection.forget(req_id_of(found))

    async def _on_frame(self, found: Frame) -> None:
        body = found.get("body") or {}
        event = body.get("event") if isinstance(body.get("event"), dict) else {}
        if found.get("cmd") == EVENT and event.get("eventtype") == DISCONNECTED:
            log.warning("wecom robot: another connection of this bot took over")
            return
        account = account_of(found)
        if account is None:
            return
        # The member's turn is taken before anything is awaited: their messages keep their order.
        async with self.turn(account):
            msgid = body.get("msgid")
            if msgid and await self.seen(f"robot:{msgid}"):
                return  # delivered again (after a reconnect): handled already
            inputs = incomings(found, self.media)
            reply_to = req_id_of(found) if found.get("cmd") == MESSAGE else None
            if not inputs:
                if found.get("cmd") == MESSAGE:  # a video, a link...: say so
                    lang = self.lang(await self.person(account))
                    await self._say(account, t(lang, "bot.not_understood"), reply_to)
                return
            if inputs[0].choice is not None and not await self._first_press(found, inputs[0]):
                return
            for one in inputs:
                reply = await self.core.handle(one)
                reply_to = await self.draw(account, reply, reply_to)

    async def _first_press(self, found: Frame, pressed: Incoming) -> bool:
        """Mark a pressed card; False when this card was pressed before (nothing to do)."""
        task = pressed.screen
        if not await self.first_press(task):
            return False
        card = self._cards.get(task)
        if card is not None and pressed.choice is not None:
            lang = self.lang(await self.person(pressed.account))
            update = {
                "response_type": "update_template_card",
                "template_card": render.pressed(card, pressed.choice, t(lang, "wecom.pressed")),
            }
            try:
                # Within 5 seconds of the press, on its req_id; the press counts either way.
                await self.sender.connection().request(UPDATE, update, req_id=req_id_of(found))
            except (Closed, GatewayError):
                log.warning("wecom robot: could not update a pressed card", exc_info=True)
        return True

    async def draw(self, account: str, reply: Reply, reply_to: str | None) -> str | None:
        """Show a reply in a member's chat, in its language, the one way (bot.front.draw).

        Return the member's req_id while no message has answered it yet.
        """
        lang = reply.lang or self.lang(None)
        renderer = MemberRenderer(self, account, lang, reply_to)
        await front.draw(
            reply,
            renderer,
            db=self.core.db,
            delivery=self.delivery,
            later=self.background.later,
        )
        return renderer.reply_to

    async def send(self, account: str, out: Out, reply_to: str | None) -> bool:
        """Send one message (remembering a card, to update it when pressed); True when it
        answered `reply_to`."""
        if out.card is not None:
            self._cards[out.card["task_id"]] = out.card
            while len(self._cards) > CARDS_KEPT:
                self._cards.popitem(last=False)
        try:
            return await self.sender.send(account, out, reply_to=reply_to)
        except (FileNotFoundError, GatewayError) as exc:
            # One photo or file that cannot go must not keep back the rest of the reply.
            log.warning("wecom robot: a %s did not go: %s", out.kind, exc)
            return False

    async def _say(self, account: str, text: str, reply_to: str | None) -> None:
        for chunk in render.split(text):
            if await self.send(account, Out("markdown", content=chunk), reply_to):
                reply_to = None


class MemberRenderer:
    """The robot's drawing of one reply in one member's chat (bot.front.Renderer)."""

    def __init__(self, chat: RobotChat, account: str, lang: str, reply_to: str | None) -> None:
        self.chat = chat
        self.account = account
        self.lang = lang
        self.reply_to = reply_to  # the member's message, until a message has answered it

    async def answer(self, text: str) -> None:
        """Answer the press (or the message) as a message."""
        await self._all([Out("markdown", content=c) for c in render.split(text)])

    async def busy(self, action: str) -> None:
        """Show nothing: the robot has no busy sign."""

    async def menu(self, user_id: int) -> None:
        """Do nothing: the robot has no per-person command menu."""

    async def screen(self, screen: Screen) -> None:
        """Show one screen: its photos, its text and cards, its files."""
        media_dir = Path(self.chat.core.settings.media_dir)
        photos = [media_dir / p.path for p in screen.photos if p.path]
        outs = render.screen(
            screen.text, screen.choices, lang=self.lang, photos=photos, files=screen.files
        )
        await self._all(render.with_card(outs) if self.reply_to is not None else outs)

    async def _all(self, outs: list[Out]) -> None:
        for out in outs:
            if await self.chat.send(self.account, out, self.reply_to):
                self.reply_to = None
