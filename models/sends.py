"""The platforms' send limits, shared by every process through the database.

A send takes its place before it goes and ends it when its answer came; a limit is counted
from the ends, a send in flight holding its place meanwhile (as jobs.pacing.SlidingWindows
counts within one process). Places are taken one at a time per platform: under a transaction
lock on PostgreSQL (pg_advisory_xact_lock), under SQLite's one write lock. Times are seconds
on one clock every process reads alike: the database's on PostgreSQL (clock_timestamp()), the
machine's wall clock on SQLite (one file, one machine), or a test's own clock (`now`).
"""

from __future__ import annotations

import random
import zlib
from collections.abc import Sequence
from dataclasses import dataclass

from sqlalchemy import delete, func, select, text, update
from sqlmodel import Session

from models import clock
from models.tables import SendHold, SendPlace

# A place in flight this long is taken for lost (its process was killed mid-send): longer than
# any send waits for its answer (PTB's media uploads 20 s, the WeCom client's 30 s), short
# enough that the other processes' sends wait out a killed one's places within a minute.
STALE = 60.0
# Places are kept this long: longer than any platform's window (WeCom's is an hour).
KEEP = 2 * 3600.0
# One take in this many also clears the whole table of what is older than KEEP.
PRUNE_EVERY = 500

Windows = Sequence[tuple[float, int]]  # (seconds, sends at most in them)


@dataclass(frozen=True)
class Taken:
    """A take's answer: the place taken, else how long to wait (None: until a send in flight
    ends, as the sends in flight fill a window by themselves)."""

    place: int | None
    wait: float | None = None


def take_place(
    session: Session,
    *,
    platform: str,
    kind: str,
    key: str,
    windows: Windows,
    now: float | None = None,
) -> Taken:
    """Take a place for one more send to `key` if it fits in every window and no hold."""
    span = max((s for s, _ in windows), default=0.0)
    now = _locked(session, platform, kind, key, span, now)
    if random.randrange(PRUNE_EVERY) == 0:  # noqa: S311  (not a secret: only how often)
        prune(session, now=now)
    wait = _wait(session, platform, kind, key, windows, now)
    if wait != 0:
        return Taken(None, wait)
    place = SendPlace(platform=platform, kind=kind, key=key, taken_at=now)
    session.add(place)
    session.flush()
    assert place.id is not None
    return Taken(place.id)


def end_place(session: Session, *, place: int, now: float | None = None) -> None:
    """Count a send as ended now (whether or not it went: the platform may have taken it)."""
    ended = _now_sql(session) if now is None else now
    session.execute(update(SendPlace).where(SendPlace.id == place).values(ended_at=ended))


def hold(
    session: Session,
    *,
    platform: str,
    kind: str,
    key: str,
    seconds: float,
    now: float | None = None,
) -> None:
    """Send `key` nothing more for `seconds` (the platform asked us to wait), in every process."""
    now = _locked(session, platform, kind, key, 0.0, now)
    until = now + seconds
    found = session.get(SendHold, (platform, kind, key))
    if found is None:
        session.add(SendHold(platform=platform, kind=kind, key=key, until=until))
    elif found.until < until:
        found.until = until


def prune(session: Session, *, now: float) -> None:
    """Forget the places older than KEEP and the holds that are over."""
    session.execute(
        delete(SendPlace).where(func.coalesce(SendPlace.ended_at, SendPlace.taken_at) < now - KEEP)
    )
    session.execute(delete(SendHold).where(SendHold.until < now))


def _locked(
    session: Session, platform: str, kind: str, key: str, span: float, now: float | None
) -> float:
    """Take the platform's lock for this transaction; return the time, read under it."""
    if session.get_bind().dialect.name == "postgresql":
        lock = zlib.crc32(f"handover send limits {platform}".encode())
        session.execute(text("SELECT pg_advisory_xact_lock(:lock)"), {"lock": lock})
        return _now_sql(session) if now is None else now
    # SQLite: a write first, so the transaction holds the write lock before it reads (a read
    # first could not take it later without failing). The write clears this key's past.
    horizon = (clock.wall() if now is None else now) - max(span, STALE)
    session.execute(
        delete(SendPlace).where(
            SendPlace.platform == platform,
            SendPlace.kind == kind,
            SendPlace.key == key,
            SendPlace.ended_at < horizon,
        )
    )
    return clock.wall() if now is None else now


def _now_sql(session: Session) -> float:
    """Return the time every process agrees on: the database's on PostgreSQL."""
    if session.get_bind().dialect.name == "postgresql":
        return float(session.execute(text("SELECT extract(epoch FROM clock_timestamp())")).one()[0])
    return clock.wall()


def _wait(
    session: Session, platform: str, kind: str, key: str, windows: Windows, now: float
) -> float | None:
    """Return the seconds until one more send fits (0: now; None: a send in flight must end)."""
    held = session.execute(
        select(SendHold.until).where(
            SendHold.platform == platform, SendHold.kind == kind, SendHold.key == key
        )
    ).scalar()
    wait = max(0.0, (held or 0.0) - now)
    span = max((s for s, _ in windows), default=0.0)
    rows = session.execute(
        select(SendPlace.taken_at, SendPlace.ended_at).where(
            SendPlace.platform == platform,
            SendPlace.kind == kind,
            SendPlace.key == key,
            (SendPlace.ended_at.is_(None)) | (SendPlace.ended_at > now - span),  # type: ignore[union-attr]
        )
    ).all()
    ended, flying = [], 0
    for taken_at, ended_at in rows:
        if ended_at is not None:
            ended.append(ended_at)
        elif taken_at > now - STALE:
            flying += 1
        elif taken_at + STALE > now - span:  # lost in flight: counted as ended when it went stale
            ended.append(taken_at + STALE)
    ended.sort()
    for window, limit in windows:
        room = limit - flying
        if room <= 0:
            return None
        inside = [at for at in ended if at > now - window]
        if len(inside) >= room:
            # The room-th latest send must leave the window before another may go.
            wait = max(wait, inside[-room] + window - now)
    return wait
