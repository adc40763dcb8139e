"""Callbacks already seen (WeCom retries one it thinks was lost): one row a key, for a day."""

from __future__ import annotations

import random
from datetime import timedelta

from sqlalchemy import delete
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session

from models import clock, tables

# WeCom retries within seconds; a day is far more than any retry, and keeps the table small.
KEEP = timedelta(days=1)
# One insert in this many also clears the rows older than KEEP.
PRUNE_EVERY = 200


def first_sight(session: Session, *, key: str) -> bool:
    """Record a callback's key; False when it was recorded already (a retry, a replay)."""
    seen = tables.InboundSeen  # added by migration 0009
    now = clock.now()
    if random.randrange(PRUNE_EVERY) == 0:  # noqa: S311  (not a secret: only how often)
        prune_seen(session)
    key = key[:160]
    if session.get(seen, key) is not None:
        return False
    session.add(seen(key=key, seen_at=now))
    try:
        session.commit()
    except IntegrityError:  # another process recorded it between the read and the write
        session.rollback()
        return False
    return True


def prune_seen(session: Session) -> int:
    """Forget the keys older than KEEP; return how many."""
    seen = tables.InboundSeen
    result = session.exec(delete(seen).where(seen.seen_at < clock.now() - KEEP))  # type: ignore[call-overload]
    session.commit()
    return result.rowcount or 0
