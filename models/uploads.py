"""One-time upload links (WeCom's /upload), in the database so that any process honours them.

A link names one member, lives LIFETIME, and takes one file: an upload claims it before the
body is read (atomically: one claim wins, in any process), releases it when nothing was taken,
and uses it up when a file went to the chat. A claim left by a process that died mid-read runs
out after CLAIM. The token is the link's secret and only its SHA-256 is kept.
"""

from __future__ import annotations

import enum
import hashlib
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import delete, or_, update
from sqlmodel import Session

from models import clock
from models.tables import UploadLink

LIFETIME = timedelta(minutes=30)
# Reading one upload takes seconds (the chat takes files of a few MB): far within this.
CLAIM = timedelta(minutes=5)


@dataclass(frozen=True)
class Ticket:
    """An open link: whom it was sent to, in what language, until when, and its browser cookie."""

    account: str
    lang: str
    until: datetime
    visitor: str
    busy: bool


class Claim(enum.StrEnum):
    claimed = "claimed"
    busy = "busy"  # an upload through it is being read
    gone = "gone"  # unknown, expired or used up


def _key(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def open_link(session: Session, *, account: str, lang: str) -> str:
    """Open a one-time link for this member; return its token (the link's secret)."""
    now = clock.now()
    session.execute(delete(UploadLink).where(UploadLink.until <= now))  # the expired ones
    token = secrets.token_urlsafe(24)
    session.add(
        UploadLink(
            key=_key(token),
            account=account,
            lang=lang,
            until=now + LIFETIME,
            visitor=secrets.token_urlsafe(24),
        )
    )
    return token


def find_link(session: Session, *, token: str) -> Ticket | None:
    """Return the link's ticket while it is valid (None: unknown, expired or used up)."""
    found = session.get(UploadLink, _key(token))
    now = clock.now()
    if found is None or clock.aware(found.until) <= now:
        return None
    busy = found.busy_until is not None and clock.aware(found.busy_until) > now
    return Ticket(found.account, found.lang, clock.aware(found.until), found.visitor, busy)


def claim_link(session: Session, *, token: str) -> Claim:
    """Claim the link for one upload; only one claim at a time wins, in any process."""
    now = clock.now()
    link = UploadLink
    claimed = session.execute(
        update(link)
        .where(
            link.key == _key(token),
            link.until > now,
            or_(link.busy_until.is_(None), link.busy_until <= now),  # type: ignore[union-attr]
        )
        .values(busy_until=now + CLAIM)
    )
    if claimed.rowcount == 1:
        return Claim.claimed
    return Claim.gone if find_link(session, token=token) is None else Claim.busy


def release_link(session: Session, *, token: str) -> None:
    """Let the link take another upload (nothing was taken from this one)."""
    session.execute(update(UploadLink).where(UploadLink.key == _key(token)).values(busy_until=None))


def use_link(session: Session, *, token: str) -> None:
    """Use the link up: a file went through it."""
    session.execute(delete(UploadLink).where(UploadLink.key == _key(token)))
