"""Sends within a platform's limits: sliding windows, each send counted from when it ended,
kept by this process (SlidingWindows) and, when given a SharedLimits, by every process
together through the database (models.sends)."""

from __future__ import annotations

import asyncio
import logging
import time
from collections import deque
from collections.abc import AsyncIterator, Awaitable, Callable, Hashable, Sequence
from contextlib import asynccontextmanager
from typing import Any

from models import sends
from models.db import Database

log = logging.getLogger(__name__)
# How often a send waits to ask again when every place is held by a send in flight somewhere.
POLL = 0.05


class SlidingWindows:
    """At most `limit` sends in any `span` seconds, for each (span, limit), to each key.

    A send counts from when it ended: the platform saw it arrive no later, so a window counted
    from there is whole on its side too, whatever the latency. A send still in flight holds its
    place meanwhile (`flying`).
    """

    def __init__(
        self, windows: Sequence[tuple[float, int]], *, clock: Callable[[], float] = time.monotonic
    ) -> None:
        self.windows = tuple(sorted(windows))
        self.clock = clock
        self._span = max(span for span, _ in self.windows)
        self._depth = max(limit for _, limit in self.windows)
        self._ended: dict[Hashable, deque[float]] = {}

    def wait(self, key: Hashable, *, flying: int = 0) -> float | None:
        """Return the seconds until one more send to `key` fits (0: now).

        None: the `flying` sends fill a window by themselves; one of them must end first.
        """
        now = self.clock()
        ended = self._ended.get(key)
        while ended and ended[0] <= now - self._span:
            ended.popleft()
        wait = 0.0
        for span, limit in self.windows:
            room = limit - flying
            if room <= 0:
                return None
            if ended and len(ended) >= room:
                # The room-th latest send must leave the window before another may go.
                wait = max(wait, ended[-room] + span - now)
        return wait

    def ended(self, key: Hashable) -> None:
        """Count a send to `key` that has just ended."""
        self._ended.setdefault(key, deque(maxlen=self._depth)).append(self.clock())

    def within(self, key: Hashable, seconds: float) -> int:
        """Return how many sends to `key` ended in the last `seconds`."""
        now = self.clock()
        return sum(1 for at in self._ended.get(key, ()) if at > now - seconds)


class SharedLimits:
    """One platform's send limits kept by every process together, in the database.

    A send takes its place there before it goes (one short call in a worker thread, never on the
    event loop) and ends it after; a hold the platform asked for is written there too, so every
    process waits it out. `clock`: None counts on the database's clock (PostgreSQL) or the
    machine's wall clock (SQLite); a test gives its own, with the pacer's sleep that skips.
    """

    def __init__(
        self, db: Database, platform: str, *, clock: Callable[[], float] | None = None
    ) -> None:
        self.db = db
        self.platform = platform
        self.clock = clock
        self._writing: set[asyncio.Task[None]] = set()
        # One take at a time from this process, in the order asked (asyncio's locks are fair):
        # the database takes them one at a time anyway, and a push's first messages keep the
        # order of its notices.
        self._queue = asyncio.Lock()

    def _now(self) -> dict[str, float]:
        return {} if self.clock is None else {"now": self.clock()}

    async def place(
        self,
        kind: str,
        key: Hashable,
        windows: Sequence[tuple[float, int]],
        sleep: Callable[[float], Awaitable[Any]],
    ) -> int:
        """Wait until one more send to `key` fits in every process's count; return its place."""
        while True:
            async with self._queue:
                taken = await asyncio.to_thread(
                    self.db.run,
                    sends.take_place,
                    platform=self.platform,
                    kind=kind,
                    key=str(key),
                    windows=windows,
                    **self._now(),
                )
            if taken.place is not None:
                return taken.place
            await sleep(POLL if taken.wait is None else taken.wait)

    async def end(self, place: int) -> None:
        """Count the send at `place` as ended now."""
        # Shielded: a send cancelled after it went still ends its place (else it holds it
        # until sends.STALE).
        await asyncio.shield(
            asyncio.to_thread(self.db.run, sends.end_place, place=place, **self._now())
        )

    def hold(self, kind: str, key: Hashable, seconds: float) -> None:
        """Tell every process to send `key` nothing for `seconds` (written in the background)."""
        task = asyncio.get_running_loop().create_task(self._hold(kind, str(key), seconds))
        self._writing.add(task)
        task.add_done_callback(self._writing.discard)

    async def _hold(self, kind: str, key: str, seconds: float) -> None:
        try:
            await asyncio.to_thread(
                self.db.run,
                sends.hold,
                platform=self.platform,
                kind=kind,
                key=key,
                seconds=seconds,
                **self._now(),
            )
        except Exception:
            # This process holds it all the same; the others may meet the platform's 429 too.
            log.exception("a hold of %s s for %s %s not shared", seconds, kind, key)

    async def settled(self) -> None:
        """Wait for the holds still being written."""
        if self._writing:
            await asyncio.gather(*self._writing, return_exceptions=True)


class MemberPacer:
    """Hold the messages to one member within sliding windows (WeCom: 30 a minute, 1,000 an
    hour, for its self-built app and its robot alike), each counted from when its send ended.

    Same interface as jobs.sender.ChatPacer (`turn`, `hold`); the clock and the sleep are
    injectable so a test can run an hour of sends without waiting for it. With `shared`, every
    process keeps the windows together (this process's own count first spares it the asking).
    """

    KIND = "member"

    def __init__(
        self,
        windows: Sequence[tuple[float, int]],
        *,
        clock: Callable[[], float] = time.monotonic,
        sleep: Callable[[float], Awaitable[Any]] = asyncio.sleep,
        shared: SharedLimits | None = None,
    ) -> None:
        self._sent = SlidingWindows(windows, clock=clock)
        self.windows = self._sent.windows
        self.clock = clock
        self.sleep = sleep
        self.shared = shared
        self._free_at: dict[Hashable, float] = {}
        self._locks: dict[Hashable, asyncio.Lock] = {}

    def wait(self, member: Hashable) -> float:
        """Return how many seconds the next message to `member` must wait (0: it may go now)."""
        held = self._free_at.get(member, 0.0) - self.clock()
        return max(self._sent.wait(member) or 0.0, held, 0.0)

    @asynccontextmanager
    async def turn(self, member: Hashable) -> AsyncIterator[None]:
        """Wait until `member` may get one more message; it counts from when the send ends."""
        async with self._locks.setdefault(member, asyncio.Lock()):
            while (wait := self.wait(member)) > 0:
                await self.sleep(wait)
            place = None
            if self.shared is not None:
                place = await self.shared.place(self.KIND, member, self.windows, self.sleep)
            try:
                yield
            finally:
                # Counted even if the send failed: the platform may have taken it all the same.
                self._sent.ended(member)
                if place is not None:
                    await self.shared.end(place)  # type: ignore[union-attr]

    def hold(self, member: Hashable, seconds: float) -> None:
        """Send `member` nothing more for `seconds` (the platform asked us to slow down)."""
        until = self.clock() + seconds
        self._free_at[member] = max(self._free_at.get(member, 0.0), until)
        if self.shared is not None:
            self.shared.hold(self.KIND, member, seconds)

    def sent_within(self, member: Hashable, seconds: float) -> int:
        """Return how many messages went to `member` in the last `seconds`."""
        return self._sent.within(member, seconds)
