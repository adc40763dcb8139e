"""Messages out: each waits its member's turn (30 a minute, 1,000 an hour, replies and pushes
together), images and files are uploaded first; and the pushes' Delivery over proactive sends.

The robot may send a member a message unasked (`aibot_send_msg`) once the member has written
to it: everyone who joined on the robot has (`/start CODE` is a message). A person with no
account on the robot (joined on Telegram or the self-built app only) is recorded in /pushes as
"no account there" (Undelivered.no_account) and not tried.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable, Sequence

from bot.wecom_robot import render
from bot.wecom_robot.adapter import LIMITS
from bot.wecom_robot.inbound import PLATFORM
from bot.wecom_robot.protocol import (
    RESPOND,
    SEND,
    Closed,
    Connection,
    GatewayError,
    new_req_id,
    upload,
)
from bot.wecom_robot.render import Out
from jobs.notices import Notice
from jobs.pacing import MemberPacer
from jobs.sender import Backoff, Blocked, ChatPacer, DeliveryFailed, RetryLater, Unavailable
from models.db import Database
from models.people import accounts
from models.tables import Undelivered

log = logging.getLogger(__name__)

# (window in seconds, messages in it) the robot may send one member, replies and sends together.
MEMBER_WINDOWS = LIMITS.member_windows
# WeCom's "API frequency out of limit": wait this long and send again.
FREQUENCY_ERRCODES = frozenset({45009})
FREQUENCY_WAIT = 60.0
SINGLE_CHAT = 1  # aibot_send_msg chat_type: a one-to-one chat (its chatid is the userid)


class Sender:
    """Send a member the robot's messages: a reply to their message, else proactive sends."""

    def __init__(
        self, link: Callable[[], Connection | None], members: MemberPacer | None = None
    ) -> None:
        self.link = link
        self.members = members or MemberPacer(MEMBER_WINDOWS)

    def connection(self) -> Connection:
        """Return the open connection, or raise Closed."""
        found = self.link()
        if found is None or not found.is_open:
            raise Closed("the robot is not connected")
        return found

    async def send(self, account: str, out: Out, *, reply_to: str | None = None) -> bool:
        """Send one message; True when it went as the reply to `reply_to` (used up)."""
        connection = self.connection()
        if reply_to is not None:
            reply = render.reply_body(out, new_req_id("stream"))
            if reply is not None:
                try:
                    async with self.members.turn(account):
                        await connection.request(RESPOND, reply, req_id=reply_to)
                    return True
                except GatewayError as exc:
                    # The member's message can no longer be answered (too late, or it came
                    # on a connection since replaced): the message goes as a send instead.
                    log.info("wecom robot: reply refused (%s), sent instead", exc)
                    for part in render.apart(out):
                        await self.send(account, part)
                    return True
        if out.kind == "markdown" and out.card is not None:  # only a reply carries both
            for part in render.apart(out):
                await self.send(account, part)
            return False
        media = None
        if out.kind in ("image", "file"):
            data = out.data if out.data is not None else await _read(out)
            media = await upload(connection, out.kind, out.filename, data)
        body = {"chatid": account, "chat_type": SINGLE_CHAT, **render.body(out, media)}
        async with self.members.turn(account):
            await connection.request(SEND, body)
        return False


async def _read(out: Out) -> bytes:
    assert out.path is not None
    return await asyncio.to_thread(out.path.read_bytes)


class RobotDelivery:
    """Send notices and pushes as proactive messages, each waiting its member's turn."""

    platform = PLATFORM
    limits = LIMITS  # where a push's text must fit

    def __init__(self, sender: Sender, db: Database, *, backoff: Backoff | None = None) -> None:
        self.sender = sender
        self.db = db
        # One notice at a time per person (the member windows do the pacing), on their clock.
        members = sender.members
        self.pacer = ChatPacer(0.0, clock=members.clock, sleep=members.sleep)
        self.backoff = backoff or Backoff()
        self._accounts: dict[int, str] = {}
        # Messages of a part already sent (the notice kept: its id() stays its own meanwhile).
        self._done: dict[tuple[int, int], tuple[Notice, int]] = {}

    def item_link(self, item_id: int) -> str | None:
        """Return None: no link opens the robot's chat at an item (the id is typed instead)."""
        return None

    async def reach(self, user_ids: Sequence[int]) -> None:
        """Find these people's robot accounts, in one query, off the event loop."""
        wanted = [u for u in user_ids if u not in self._accounts]
        if wanted:
            found = await asyncio.to_thread(
                self.db.run, accounts, user_ids=wanted, platform=PLATFORM
            )
            self._accounts.update(found)

    async def deliver(self, notice: Notice, part: int) -> None:
        """Send one part: 0 the text and its cards, then each attachment (and its caption)."""
        await self.reach([notice.user_id])
        account = self._accounts.get(notice.user_id)
        if not account:
            raise Blocked(f"user {notice.user_id} has no robot account", Undelivered.no_account)
        outs = self._outs(notice, part)
        key = (id(notice), part)
        kept = self._done.get(key)
        done = kept[1] if kept is not None and kept[0] is notice else 0
        try:
            # Retried, a part goes on from the message that failed, never from its first.
            for out in outs[done:]:
                await self.sender.send(account, out)
                done += 1
                self._done[key] = (notice, done)
        except GatewayError as exc:
            if exc.errcode in FREQUENCY_ERRCODES:
                raise RetryLater(FREQUENCY_WAIT) from exc
            self._done.pop(key, None)
            raise DeliveryFailed(str(exc)) from exc
        except Closed as exc:
            raise Unavailable(str(exc)) from exc
        self._done.pop(key, None)

    def _outs(self, notice: Notice, part: int) -> list[Out]:
        if part == 0:
            return render.screen(notice.text, notice.choices, lang=notice.lang)
        return render.screen("", (), lang=notice.lang, files=(notice.attachments[part - 1],))
