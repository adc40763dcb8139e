"""The one sender of scheduled pushes: claim, send, record; one failure never stops the rest."""

from __future__ import annotations

import asyncio
import logging
import os
import socket
from collections.abc import Sequence
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


class Blocked(Exception):
    """The person blocked the bot (or left): skip them until they write again."""


class RetryLater(Exception):
    """The platform asked us to wait (Telegram's 429): wait `seconds`, then send again."""

    def __init__(self, seconds: float) -> None:
        super().__init__(f"retry after {seconds} s")
        self.seconds = seconds


class DeliveryFailed(Exception):
    """The platform refused this push for another reason (kept in the log)."""


class Delivery(Protocol):
    """A chat platform's way of sending one notice (text, then its attachments)."""

    async def deliver(self, notice: Notice) -> None:
        """Send the notice; raise Blocked, RetryLater or DeliveryFailed."""


@dataclass
class PushResult:
    """What one push run did."""

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
) -> PushResult:
    """Send each notice once: claim it in the database, deliver it, record how it went."""
    result = PushResult()
    for notice in notices:
        claimed = await asyncio.to_thread(
            db.run,
            pushes.claim,
            kind=kind,
            project_id=project_id,
            day=day,
            user_id=notice.user_id,
            by=by,
        )
        if claimed is None:
            result.taken.append(notice.user_id)
            continue
        status, reason, attempts = await _deliver(delivery, notice)
        await asyncio.to_thread(
            db.run,
            pushes.record,
            push_id=claimed.id,
            status=status,
            attempts=attempts,
            reason=reason,
        )
        if status is PushStatus.blocked:
            await asyncio.to_thread(db.run, pushes.mark_blocked, user_id=notice.user_id)
            result.blocked.append(notice.user_id)
        elif status is PushStatus.sent:
            result.sent.append(notice.user_id)
        else:
            result.failed.append(notice.user_id)
    return result


async def _deliver(delivery: Delivery, notice: Notice) -> tuple[PushStatus, str | None, int]:
    attempts = 0
    while True:
        attempts += 1
        try:
            await delivery.deliver(notice)
        except RetryLater as wait:
            # Never dropped: wait as long as the platform asks, then send again.
            log.info("push to user %s: waiting %.1f s (rate limit)", notice.user_id, wait.seconds)
            await asyncio.sleep(wait.seconds)
            continue
        except Blocked:
            return PushStatus.blocked, "blocked", attempts
        except DeliveryFailed as exc:
            log.warning("push to user %s failed: %s", notice.user_id, exc)
            return PushStatus.failed, str(exc), attempts
        return PushStatus.sent, None, attempts
