"""Sends within a platform's limits: sliding windows, each send counted from when it ended."""

from __future__ import annotations

import time
from collections import deque
from collections.abc import Callable, Hashable, Sequence


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
