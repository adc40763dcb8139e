"""The one sender of scheduled pushes: claim, send, record; one failure never stops the rest."""

from __future__ import annotations

import asyncio
import logging
import os
import socket
import time
from collections.abc import AsyncIterator, Sequence
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from datetime import date
from typing import Protocol

from jobs.notices import Notice
from models import pushes
from models.db import Database
from models.tables import PushKind, PushStatus

log = logging.getLogger(__name__)
# Who claimed a push, in the log: this host and process.
PROCESS = f"{socket.gethostname()}:{os.getpid()}"
# Telegram: no more than one message a second to one chat (a notice is several messages).
CHAT_INTERVAL = 1.0
# Recipients in flight at once: enough to keep ~30 sends a second going whatever the latency;
# the platform's rate limiter (PTB's AIORateLimiter) sets the overall pace.
CONCURRENCY = 64


class Blocked(Exception):
    """The person blocked the bot (or left): skip them until they write again."""


class RetryLater(Exception):
    """The platform asked us to wait (Telegram's 429): wait `seconds`, then send again."""

    def __init__(self, seconds: float) -> None:
        super().__init__(f"retry after {seconds} s")
        self.seconds = seconds


class DeliveryFailed(Exception):
    """The platform refused this push for another reason (kept in the log)."""


def parts(notice: Notice) -> int:
    """Return how many messages a notice takes: the text with its choices, then each file."""
    return 1 + len(notice.attachments)


class ChatPacer:
    """Keep the sends to one chat `interval` apart, across notices and pushes of a process.

    A chat is named by the person (AppUser.id): one delivery reaches a person at one account.
    """

    def __init__(self, interval: float = CHAT_INTERVAL) -> None:
        self.interval = interval
        self._free_at: dict[int, float] = {}
        self._locks: dict[int, asyncio.Lock] = {}

    @asynccontextmanager
    async def turn(self, chat: int) -> AsyncIterator[None]:
        """Wait until this chat may get its next message; its pause starts when the send ends."""
        # From the end of a send: the server saw it arrive no later, so it sees the gap whole.
        async with self._locks.setdefault(chat, asyncio.Lock()):
            while (wait := self._free_at.get(chat, 0.0) - time.monotonic()) > 0:
                await asyncio.sleep(wait)
            try:
                yield
            finally:
                self._free_at[chat] = max(
                    self._free_at.get(chat, 0.0), time.monotonic() + self.interval
                )

    def hold(self, chat: int, seconds: float) -> None:
        """Send nothing more to this chat for `seconds` (the platform asked us to wait)."""
        self._free_at[chat] = max(self._free_at.get(chat, 0.0), time.monotonic() + seconds)


class Delivery(Protocol):
    """A chat platform's way of sending a notice, one part (one message) at a time."""

    # The platform's pause between two messages to one chat: one per bot, shared by its pushes.
    pacer: ChatPacer
    # Where it sends: a models.tables.Platform value (people are reached by their account there).
    platform: str

    def item_link(self, item_id: int) -> str | None:
        """Return a link that opens this item's card in the chat, where the platform has one."""

    async def reach(self, user_ids: Sequence[int]) -> None:
        """Find where these people are on the platform, once, before a run sends to them."""

    async def deliver(self, notice: Notice, part: int) -> None:
        """Send part `part` (see `parts`); raise Blocked, RetryLater or DeliveryFailed."""


@dataclass
class PushResult:
    """What one push run did, by person (AppUser.id), in the order of the notices."""

    sent: list[int] = field(default_factory=list)
    failed: list[int] = field(default_factory=list)
    blocked: list[int] = field(default_factory=list)
    taken: list[int] = field(default_factory=list)  # claimed by another process already


@dataclass(frozen=True)
class _Outcome:
    status: PushStatus
    reason: str | None
    attempts: int


async def push(
    *,
    db: Database,
    delivery: Delivery,
    kind: PushKind,
    project_id: int,
    day: date,
    notices: Sequence[Notice],
    by: str = PROCESS,
    concurrency: int = CONCURRENCY,
) -> PushResult:
    """Send each notice once: claim it in the database, deliver it, record how it went.

    Claimed in order, a batch per transaction; sent side by side, `concurrency` at a time, each
    person's first message in the order of the notices.
    """
    pacer = delivery.pacer
    gate = asyncio.Semaphore(concurrency)
    ends: dict[int, str] = {}  # position of a notice -> which list of the result
    key = {"kind": kind, "project_id": project_id, "day": day}

    async def send(position: int, notice: Notice, push_id: int) -> None:
        try:
            outcome = await _deliver(delivery, pacer, notice)
            await asyncio.to_thread(
                db.run,
                pushes.record,
                push_id=push_id,
                status=outcome.status,
                attempts=outcome.attempts,
                platform=delivery.platform,
                reason=outcome.reason,
            )
            ends[position] = outcome.status.value
        except Exception:
            # The database failed us for this person: say so, and go on with the others.
            log.exception("push %s to user %s: not recorded", kind.value, notice.user_id)
            ends[position] = "failed"
        finally:
            gate.release()

    sending: list[asyncio.Task[None]] = []
    numbered = list(enumerate(notices))
    for first in range(0, len(numbered), concurrency):
        batch = numbered[first : first + concurrency]
        try:
            claims = await asyncio.to_thread(
                db.run,
                pushes.claim_all,
                user_ids=[n.user_id for _, n in batch],
                by=by,
                platform=delivery.platform,
                **key,
            )
        except Exception:
            log.exception("push %s: %d claims failed", kind.value, len(batch))
            ends.update((position, "failed") for position, _ in batch)
            continue
        try:
            # Their accounts before any send, so the first sends go in the notices' order.
            await delivery.reach([n.user_id for (_, n), c in zip(batch, claims, strict=True) if c])
        except Exception:
            log.exception("push %s: accounts of %d people not found", kind.value, len(batch))
        for (position, notice), claimed in zip(batch, claims, strict=True):
            if claimed is None:
                ends[position] = "taken"
            elif claimed.status is PushStatus.blocked:
                ends[position] = "blocked"  # blocked the bot earlier: recorded, not sent
            else:
                await gate.acquire()
                sending.append(asyncio.create_task(send(position, notice, claimed.id)))
    await asyncio.gather(*sending)
    result = PushResult()
    for position, notice in enumerate(notices):
        getattr(result, ends[position]).append(notice.user_id)
    return result


async def _deliver(delivery: Delivery, pacer: ChatPacer, notice: Notice) -> _Outcome:
    """Send the notice part by part; a part that went is never sent again."""
    attempts, part, total = 0, 0, parts(notice)
    while part < total:
        attempts += 1
        try:
            async with pacer.turn(notice.user_id):
                await delivery.deliver(notice, part)
        except RetryLater as wait:
            # Never dropped: this part waits as long as the platform asks, then goes again.
            log.info("push to user %s: waiting %.1f s (rate limit)", notice.user_id, wait.seconds)
            pacer.hold(notice.user_id, wait.seconds)
            continue
        except Blocked as exc:
            return _Outcome(PushStatus.blocked, _why(exc, part, total), attempts)
        except DeliveryFailed as exc:
            log.warning("push to user %s failed: %s", notice.user_id, exc)
            return _Outcome(PushStatus.failed, _why(exc, part, total), attempts)
        except Exception as exc:
            # A bug or a broken file for one person must not stop the others.
            log.exception("push to user %s failed unexpectedly", notice.user_id)
            return _Outcome(PushStatus.failed, _why(exc, part, total, named=True), attempts)
        part += 1
    return _Outcome(PushStatus.sent, None, attempts)


def _why(exc: Exception, part: int, total: int, *, named: bool = False) -> str:
    """Return the reason kept in the log: which part, and what the platform said."""
    said = f"{type(exc).__name__}: {exc}" if named else str(exc) or type(exc).__name__
    return f"part {part + 1} of {total}: {said}" if total > 1 else said
