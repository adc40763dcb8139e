"""The one clock: "now" and "today for a project" are read here and nowhere else.

Everything that needs the time asks this module; tests pin it with `pinned(...)`, so a test
means the same at 10:00 and at 23:59 and under any machine time zone.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import UTC, date, datetime, timedelta
from functools import lru_cache
from zoneinfo import ZoneInfo


def system() -> datetime:
    """Return the machine's time: the clock's source unless something pinned it."""
    return datetime.now(UTC)


_source: Callable[[], datetime] = system


def wall() -> float:
    """Return the machine's seconds since the epoch, never pinned: a duration clock that other
    processes on this machine read alike (send limits shared through the database)."""
    return time.time()


def now() -> datetime:
    """Return the current instant, timezone-aware in UTC."""
    return _source()


@lru_cache(maxsize=64)
def zone(tz: str) -> ZoneInfo:
    """Return the time zone of this name (a project's, e.g. Asia/Shanghai)."""
    return ZoneInfo(tz)


def aware(at: datetime) -> datetime:
    """Return `at` as an aware instant; SQLite hands stored UTC times back naive."""
    return at if at.tzinfo else at.replace(tzinfo=UTC)


def local(at: datetime, tz: str) -> datetime:
    """Return a stored instant as the wall-clock time of the zone `tz`."""
    return aware(at).astimezone(zone(tz))


def local_now(tz: str) -> datetime:
    """Return the wall-clock time now in the zone `tz`."""
    return now().astimezone(zone(tz))


def today(tz: str) -> date:
    """Return today's date in the zone `tz` (a project's day, not the machine's)."""
    return local_now(tz).date()


def local_date(at: datetime, tz: str) -> date:
    """Return the date an instant falls on in the zone `tz`."""
    return local(at, tz).date()


@contextmanager
def pinned(at: datetime, *, ticking: bool = False) -> Iterator[None]:
    """Set the clock to `at` (aware) while the block runs; for tests and replays.

    A ticking clock starts at `at` and moves on with real time, so events written one after
    the other keep their order while "today" stays the day of `at`.
    """
    if at.tzinfo is None:
        raise ValueError("pin the clock to an aware datetime")
    start, began = at.astimezone(UTC), time.monotonic()
    if ticking:
        before = set_source(lambda: start + timedelta(seconds=time.monotonic() - began))
    else:
        before = set_source(lambda: start)
    try:
        yield
    finally:
        set_source(before)


def set_source(source: Callable[[], datetime]) -> Callable[[], datetime]:
    """Replace where the time comes from (a test clock that moves); return the old source."""
    global _source
    before, _source = _source, source
    return before
