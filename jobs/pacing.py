"""Sends within a platform's limits: sliding windows, each send counted from when it ended."""

from __future__ import annotations

import asyncio
import time
from collections import deque
from collections.abc import AsyncIterator, Awaitable, Callable, Hashable, Sequence
from contextlib import asynccontextmanager
from typing import Any


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


class MemberPacer:
    """Hold the messages to one member within sliding windows (WeCom: 30 a minute, 1,000 an
    hour, for its self-built app and its robot alike), each counted from when its send ended.

    Same interface as jobs.sender.ChatPacer (`turn`, `hold`); the clock and the sleep are
    injectable so a test can run an hour of sends without waiting for it.
    """

    def __init__(
        self,
        windows: Sequence[tuple[float, int]],
        *,
        clock: Callable[[], float] = time.monotonic,
        sleep: Callable[[float], Awaitable[Any]] = asyncio.sleep,
    ) -> None:
        self._sent = SlidingWindows(windows, clock=clock)
        self.windows = self._sent.windows
        self.clock = clock
        self.sleep = sleep
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
            try:
                yield
            finally:
                # Counted even if the send failed: the platform may have taken it all the same.
                self._sent.ended(member)

    def hold(self, member: Hashable, seconds: float) -> None:
        """Send `member` nothing more for `seconds` (the platform asked us to slow down)."""
        until = self.clock() + seconds
        self._free_at[member] = max(self._free_at.get(member, 0.0), until)

    def sent_within(self, member: Hashable, seconds: float) -> int:
        """Return how many messages went to `member` in the last `seconds`."""
        return self._sent.within(member, seconds)
