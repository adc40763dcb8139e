"""The one way a notice is sent, for pushes and for what flows tell people at once: part by part,
a rate limit waited out, a server failure tried again, each outcome recorded; one failure never
stops the rest."""

from __future__ import annotations

import asyncio
import html
import logging
import os
import re
import socket
import time
from collections.abc import AsyncIterator, Awaitable, Callable, Sequence
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from typing import Any, Protocol

from handlers import watch
from handlers.screens import Limits
from jobs.notices import Notice
from jobs.pacing import SharedLimits
from models import clock, people, pushes
from models.db import Database
from models.tables import PushKind, PushStatus, Undelivered

log = logging.getLogger(__name__)
# Who claimed a push, in the log: this host and process.
PROCESS = f"{socket.gethostname()}:{os.getpid()}"
# Recipients in flight at once: enough to keep ~30 sends a second going whatever the latency;
# the platform's rate limiter (bot.telegram.common.SlidingRateLimiter) sets the overall pace.
CONCURRENCY = 64
# How long what a flow tells people (not a push) is tried while the platform fails: after
# that the person has it on their list anyway, and the admin sees it in /pushes.
NOTICE_WINDOW = timedelta(minutes=30)
# A push outside the daily beat (no window of its own) is tried as long.
PUSH_WINDOW = NOTICE_WINDOW


class Blocked(Exception):
    """The person cannot be reached there (blocked the bot, left, no account): skip them."""

    def __init__(self, detail: str, why: Undelivered = Undelivered.blocked) -> None:
        super().__init__(detail)
        self.why = why


class RetryLater(Exception):
    """The platform asked us to wait (Telegram's 429): wait `seconds`, then send again."""

    def __init__(self, seconds: float) -> None:
        super().__init__(f"retry after {seconds} s")
        self.seconds = seconds


class Unavailable(Exception):
    """The platform failed as a server does (5xx, a time-out, no route): try again later."""


class DeliveryFailed(Exception):
    """The platform refused this message for another reason (kept in the log)."""


def parts(notice: Notice) -> int:
    """Return how many messages a notice takes: the text with its choices, then each file."""
    return 1 + len(notice.attachments)


@dataclass(frozen=True)
class Backoff:
    """The pauses before trying again a part the platform failed: `first`, doubled, at most
    `most` seconds."""

    first: float = 1.0
    most: float = 60.0

    def pause(self, failures: int) -> float:
        """Return the pause after this many failures in a row."""
        return min(self.most, self.first * 2 ** max(0, failures - 1))


class ChatPacer:
    """Keep the sends to one chat `interval` apart (the platform's Limits.chat_interval), across
    notices and pushes of a process.

    A chat is named by the person (AppUser.id): one delivery reaches a person at one account.
    The clock and the sleep are injectable, as MemberPacer's (a test skips the waits). With
    `shared`, every process keeps the pause together (and every hold).
    """

    KIND = "chat"

    def __init__(
        self,
        interval: float,
        *,
        clock: Callable[[], float] = time.monotonic,
        sleep: Callable[[float], Awaitable[Any]] = asyncio.sleep,
        shared: SharedLimits | None = None,
    ) -> None:
        self.interval = interval
        self._clock = clock
        self._sleep = sleep
        self.shared = shared
        self._free_at: dict[int, float] = {}
        self._locks: dict[int, asyncio.Lock] = {}

    @asynccontextmanager
    async def turn(self, chat: int) -> AsyncIterator[None]:
        """Wait until this chat may get its next message; its pause starts when the send ends."""
        # From the end of a send: the server saw it arrive no later, so it sees the gap whole.
        async with self._locks.setdefault(chat, asyncio.Lock()):
            while (wait := self._free_at.get(chat, 0.0) - self._clock()) > 0:
                await self._sleep(wait)
            place = None
            if self.shared is not None:
                window = ((self.interval, 1),) if self.interval > 0 else ()
                place = await self.shared.place(self.KIND, chat, window, self._sleep)
            try:
                yield
            finally:
                self._free_at[chat] = max(
                    self._free_at.get(chat, 0.0), self._clock() + self.interval
                )
                if place is not None:
                    await self.shared.end(place)  # type: ignore[union-attr]

    def hold(self, chat: int, seconds: float) -> None:
        """Send nothing more to this chat for `seconds` (the platform asked us to wait)."""
        self._free_at[chat] = max(self._free_at.get(chat, 0.0), self._clock() + seconds)
        if self.shared is not None:
            self.shared.hold(self.KIND, chat, seconds)


class Accounts:
    """People's accounts on one platform: found in one query for a run's recipients (`reach`),
    or at a notice's first part; never a database call on the event loop itself."""

    def __init__(self, db: Database, platform: str) -> None:
        self.db = db
        self.platform = platform
        self._found: dict[int, str] = {}

    async def reach(self, user_ids: Sequence[int]) -> None:
        """Find these people's accounts in one query (in a worker thread)."""
        found = await asyncio.to_thread(
            self.db.run, people.accounts, user_ids=list(user_ids), platform=self.platform
        )
        for user_id in user_ids:
            self._found.pop(user_id, None)
        self._found.update(found)

    async def of(self, user_id: int) -> str:
        """Return the person's account; Blocked (no_account) when they have none there."""
        if user_id not in self._found:
            await self.reach([user_id])
        if user_id not in self._found:
            detail = f"user {user_id} has no {self.platform} account"
            raise Blocked(detail, Undelivered.no_account)
        return self._found[user_id]

    def known(self, user_id: int) -> str | None:
        """Return the person's account if it was found already (no database call)."""
        return self._found.get(user_id)


class ChatsOfPeople:
    """A chat pacer keyed by person (the sender's `turn(notice.user_id)`) over one keyed by the
    platform's chat, which the replies drawn in that chat keep too: one count a chat, whoever
    sends to it."""

    def __init__(self, chats: ChatPacer, accounts: Accounts) -> None:
        self.chats = chats
        self.accounts = accounts

    @asynccontextmanager
    async def turn(self, user_id: int) -> AsyncIterator[None]:
        """Wait for the person's chat's turn (Blocked when they have no chat here)."""
        async with self.chats.turn(int(await self.accounts.of(user_id))):
            yield

    def hold(self, user_id: int, seconds: float) -> None:
        """Send the person's chat nothing more for `seconds`."""
        chat = self.accounts.known(user_id)
        if chat is not None:
            self.chats.hold(int(chat), seconds)


class Delivery(Protocol):
    """A chat platform's way of sending a notice, one part (one message) at a time."""

    # The platform's pause between two messages to one chat: one per bot, shared by its pushes.
    pacer: ChatPacer | ChatsOfPeople
    # Where it sends: a models.tables.Platform value (people are reached by their account there).
    platform: str
    # The pauses between tries of a part the platform failed (5xx, time-outs).
    backoff: Backoff
    # Where a push's text must fit: the platform's own (its adapter's LIMITS).
    limits: Limits
    # And, where the assembly gives one, `meter`: the handlers.watch.Meter every try is counted
    # on (bot.metrics); without it, nothing is counted (watch.meter_of).

    def item_link(self, item_id: int) -> str | None:
        """Return a link that opens this item's card in the chat, where the platform has one."""

    async def reach(self, user_ids: Sequence[int]) -> None:
        """Find where these people are on the platform, once, before a run sends to them."""

    async def deliver(self, notice: Notice, part: int) -> None:
        """Send part `part` (see `parts`); raise Blocked, RetryLater, Unavailable or
        DeliveryFailed."""


@dataclass(frozen=True)
class Outcome:
    """How one notice went: its status, why not (and what the platform said), its tries, and
    how many of its parts went."""

    status: PushStatus
    why: Undelivered | None
    reason: str | None
    attempts: int
    parts_sent: int


Went = Callable[[int], Awaitable[None]]  # told how many parts went, after each but the last


async def deliver(
    delivery: Delivery,
    notice: Notice,
    *,
    deadline: float,
    start: int = 0,
    went: Went | None = None,
) -> Outcome:
    """Send a notice part by part from part `start`; a part that went is never sent again.

    A rate limit is waited out however long it asks (never dropped). A part the platform failed
    (5xx, a time-out, no route) is tried again after growing pauses until `deadline` (on
    time.monotonic), then given up. A refusal or an unreachable person ends the notice at once.
    """
    pacer = delivery.pacer
    sent = _counter(delivery)
    attempts, part, total, failures = 0, start, parts(notice), 0
    while part < total:
        attempts += 1
        try:
            async with pacer.turn(notice.user_id):
                await delivery.deliver(notice, part)
        except RetryLater as wait:
            # Never dropped: this part waits as long as the platform asks, then goes again.
            sent("429")
            log.info("to user %s: waiting %.1f s (rate limit)", notice.user_id, wait.seconds)
            pacer.hold(notice.user_id, wait.seconds)
            continue
        except Unavailable as exc:
            sent("5xx")
            failures += 1
            left = deadline - time.monotonic()
            if left <= 0:
                log.warning("to user %s: given up: %s", notice.user_id, exc)
                why = Undelivered.unavailable
                return _ended(PushStatus.failed, why, exc, part, total, attempts)
            pause = min(delivery.backoff.pause(failures), left)
            log.info("to user %s: %s; again in %.1f s", notice.user_id, exc, pause)
            await asyncio.sleep(pause)
            continue
        except Blocked as exc:
            sent(exc.why.value)  # blocked, no_account
            return _ended(PushStatus.blocked, exc.why, exc, part, total, attempts)
        except DeliveryFailed as exc:
            sent("refused")
            log.warning("to user %s refused: %s", notice.user_id, exc)
            return _ended(PushStatus.failed, Undelivered.refused, exc, part, total, attempts)
        except Exception as exc:
            # A bug or a broken file for one person must not stop the others.
            sent("error")
            log.exception("to user %s failed unexpectedly", notice.user_id)
            return _ended(PushStatus.failed, Undelivered.error, exc, part, total, attempts)
        sent("ok")
        part, failures = part + 1, 0
        if went is not None and part < total:
            await went(part)
    return Outcome(PushStatus.sent, None, None, attempts, total)


def _counter(delivery: Delivery) -> Callable[[str], None]:
    """Return how one try's outcome is counted on the delivery's meter (handlers.watch)."""
    meter, platform = watch.meter_of(delivery), str(delivery.platform)

    def count(outcome: str) -> None:
        meter.sent(platform=platform, outcome=outcome)

    return count


def _ended(
    status: PushStatus, why: Undelivered, exc: Exception, part: int, total: int, attempts: int
) -> Outcome:
    """Return how a notice ended short of its last part, with what the platform said."""
    named = why is Undelivered.error
    said = f"{type(exc).__name__}: {exc}" if named else str(exc) or type(exc).__name__
    reason = f"part {part + 1} of {total}: {said}" if total > 1 else said
    return Outcome(status, why, reason, attempts, part)


def deadline_of(until: datetime) -> float:
    """Return the instant `until` (on the product's clock) on time.monotonic, for `deliver`."""
    return time.monotonic() + max(0.0, (until - clock.now()).total_seconds())


# -- what a flow tells people at once ---------------------------------------------------------


async def tell(
    *,
    db: Database,
    delivery: Delivery,
    notices: Sequence[Notice],
    window: timedelta = NOTICE_WINDOW,
) -> list[Outcome]:
    """Send what a flow tells other people, each notice on its own, side by side; never raises.

    Each is logged in the database before it goes and when it ended (an admin sees in /pushes
    what did not arrive, and why); a person found blocked is skipped by the next pushes.
    """
    deadline = deadline_of(clock.now() + window)
    return list(await asyncio.gather(*(_tell_one(db, delivery, n, deadline) for n in notices)))


async def _tell_one(db: Database, delivery: Delivery, notice: Notice, deadline: float) -> Outcome:
    try:
        logged: int | None = await asyncio.to_thread(
            db.run,
            pushes.notice_begins,
            user_id=notice.user_id,
            platform=delivery.platform,
            summary=summary(notice),
        )
    except Exception:
        # Telling them matters more than the log of it.
        log.exception("notice to user %s: not logged", notice.user_id)
        logged = None
    outcome = await deliver(delivery, notice, deadline=deadline)
    if outcome.status is not PushStatus.sent:
        log.warning("could not tell user %s: %s", notice.user_id, outcome.reason)
    if logged is not None:
        try:
            await asyncio.to_thread(
                db.run,
                pushes.notice_ends,
                notice_id=logged,
                status=outcome.status,
                attempts=outcome.attempts,
                why=outcome.why,
                reason=outcome.reason,
            )
        except Exception:
            log.exception("notice to user %s: outcome not logged", notice.user_id)
    return outcome


_TAG = re.compile(r"<[^<>]*>")


def summary(notice: Notice) -> str:
    """Return a notice's first line as plain text, for the admin to know what was missed."""
    first = next((line for line in notice.text.splitlines() if line.strip()), "")
    return html.unescape(_TAG.sub("", first)).strip()[:80]


# -- the daily pushes ------------------------------------------------------------------------


@dataclass
class PushResult:
    """What one push run did, by person (AppUser.id), in the order of the notices."""

    sent: list[int] = field(default_factory=list)
    failed: list[int] = field(default_factory=list)
    blocked: list[int] = field(default_factory=list)
    taken: list[int] = field(default_factory=list)  # claimed by another process already


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
    until: datetime | None = None,
) -> PushResult:
    """Send each notice once: claim it in the database, deliver it, record how it went.

    Claimed in order, a batch per transaction; sent side by side, `concurrency` at a time, each
    person's first message in the order of the notices. A part the platform fails is tried
    again until `until` (the end of the push's window; None: PUSH_WINDOW from now).
    """
    deadline = deadline_of(until or clock.now() + PUSH_WINDOW)
    gate = asyncio.Semaphore(concurrency)
    ends: dict[int, str] = {}  # position of a notice -> which list of the result
    key = {"kind": kind, "project_id": project_id, "day": day}

    async def send(position: int, notice: Notice, push_id: int, start: int) -> None:
        # Every line of this person's push names it: the run's id (jobs.rhythm), then its row.
        with watch.push(f"{watch.PUSH.get() or kind.value}#{push_id}"):
            await send_one(position, notice, push_id, start)

    async def send_one(position: int, notice: Notice, push_id: int, start: int) -> None:
        async def went(sent: int) -> None:
            try:
                await asyncio.to_thread(db.run, pushes.progress, push_id=push_id, parts_sent=sent)
            except Exception:  # only a takeover reads it: the send goes on
                log.exception("push %s to user %s: progress not noted", kind.value, notice.user_id)

        try:
            outcome = await deliver(delivery, notice, deadline=deadline, start=start, went=went)
            await asyncio.to_thread(
                db.run,
                pushes.record,
                push_id=push_id,
                status=outcome.status,
                attempts=outcome.attempts,
                platform=delivery.platform,
                why=outcome.why,
                reason=outcome.reason,
                parts_sent=outcome.parts_sent,
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
                task = send(position, notice, claimed.id, claimed.parts_sent)
                sending.append(asyncio.create_task(task))
    await asyncio.gather(*sending)
    result = PushResult()
    for position, notice in enumerate(notices):
        getattr(result, ends[position]).append(notice.user_id)
    return result
