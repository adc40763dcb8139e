"""WeCom's side of the sender: a neutral notice as text, template cards, images and files.

WeCom lets one app send a member at most 30 messages a minute and 1,000 an hour and drops the
rest without an error, so every message to a member waits its turn in a `MemberPacer` with
those two sliding windows (shared with whatever else sends to members, e.g. chat replies, and
with every other process on the database).
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import dataclass, field

from bot.wecom.adapter import LIMITS
from bot.wecom.api import SlowDown, WeComAPI, WeComError
from bot.wecom.render import Step, WeComRenderer, plain
from jobs.notices import Notice
from jobs.pacing import MemberPacer, SharedLimits
from jobs.sender import (
    Accounts,
    Backoff,
    Blocked,
    ChatPacer,
    DeliveryFailed,
    RetryLater,
    Unavailable,
)
from models.db import Database
from models.tables import Platform

log = logging.getLogger(__name__)

# (window in seconds, messages in it) an app may send one member.
MEMBER_WINDOWS = LIMITS.member_windows
MEDIA_MIN = 6  # every upload: more than 5 bytes
# When WeCom answers HTTP 429 (no errcode, no wait named), wait this long.
BUSY_WAIT = 5.0


# -- the delivery ----------------------------------------------------------------------------


@dataclass
class _Progress:
    """What of one part already went, so a retried part never sends a message twice."""

    notice: Notice  # kept so its id() stays this notice's while the part is retried
    done: int = 0
    steps: list[Step] = field(default_factory=list)


class WeComDelivery:
    """Send notices through one WeCom app; each message waits its member's turn."""

    platform = Platform.wecom
    limits = LIMITS  # where a push's text must fit

    def __init__(
        self,
        api: WeComAPI,
        db: Database,
        renderer: WeComRenderer | None = None,
        *,
        pacer: ChatPacer | None = None,
        busy_wait: float = BUSY_WAIT,
        backoff: Backoff | None = None,
    ) -> None:
        self.api = api
        # One renderer (and its member pacer) for chat replies and notices alike.
        self.renderer = renderer or WeComRenderer(
            api, MemberPacer(MEMBER_WINDOWS, shared=SharedLimits(db, self.platform))
        )
        # WeCom's own limits, message by message, per member (shared with chat replies).
        self.members = self.renderer.members
        # The sender's turn per recipient: no pause of its own (the member windows do the
        # pacing), but it keeps one notice at a time per person and honours RetryLater holds,
        # on the members' clock.
        self.pacer = pacer or ChatPacer(
            LIMITS.chat_interval, clock=self.members.clock, sleep=self.members.sleep
        )
        self.busy_wait = busy_wait
        self.backoff = backoff or Backoff()
        # Members' userids, found in one query a run (or at a notice's first part).
        self.accounts = Accounts(db, self.platform)
        self._progress: dict[tuple[int, int], _Progress] = {}

    def item_link(self, item_id: int) -> str | None:
        """Return None: no WeCom link opens an app's chat (the printed id is typed instead)."""
        return None

    async def reach(self, user_ids: Sequence[int]) -> None:
        """Find these people's WeCom userids in one query, before a run sends to them."""
        await self.accounts.reach(user_ids)

    async def deliver(self, notice: Notice, part: int) -> None:
        """Send one part: 0 the text and a card for its choices, then each attachment in turn."""
        account = await self.accounts.of(notice.user_id)
        key = (id(notice), part)
        progress = self._progress.get(key)
        if progress is None or progress.notice is not notice:
            progress = _Progress(notice, steps=self._steps(account, notice, part))
            self._progress[key] = progress
        try:
            while progress.done < len(progress.steps):
                await progress.steps[progress.done]()
                progress.done += 1
        except SlowDown as exc:
            self.members.hold(account, exc.seconds)
            raise RetryLater(exc.seconds) from exc
        except WeComError as exc:
            # Retried, the part goes on from the message that failed, never from its first.
            if exc.status == 429:
                raise RetryLater(self.busy_wait) from exc
            if exc.retryable:
                # A 5xx or a time-out after WeCom may have taken the message: it is sent again
                # (message/send has no idempotency key; its duplicate check compares contents
                # and would drop a legitimate repeat), as a message twice is better than a
                # rework notice or a morning list lost.
                raise Unavailable(str(exc)) from exc
            self._progress.pop(key, None)
            if exc.unreachable:
                raise Blocked(str(exc)) from exc
            raise DeliveryFailed(str(exc)) from exc
        except BaseException:
            self._progress.pop(key, None)
            raise
        self._progress.pop(key, None)

    def _steps(self, account: str, notice: Notice, part: int) -> list[Step]:
        """Return the messages of one part, in order, drawn as a chat reply's screen is."""
        screen = notice.screen
        if part == 0:
            return self.renderer.text_steps(
                account, plain(screen.text), screen.choices, notice.lang
            )
        return self.renderer.file_steps(account, screen.files[part - 1])
