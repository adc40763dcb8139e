"""What an operator watches, in no platform's or library's terms: which update or push a line
of the log belongs to, and a meter the core and the sender report to.

The ids are context variables: set where an update enters the core (the adapters, then
`Core.handle`) and where a push runs (jobs.rhythm, jobs.sender), they follow the work into
every task it starts and every worker thread (`asyncio.to_thread` copies the context), so the
log (bot/cli/common.py) writes them on every line that work causes. The meter's figures are
kept by bot/metrics.py (Prometheus); this one, QUIET, keeps none.
"""

from __future__ import annotations

import contextlib
import uuid
from collections.abc import Iterator
from contextvars import ContextVar

UPDATE: ContextVar[str | None] = ContextVar("update", default=None)
PUSH: ContextVar[str | None] = ContextVar("push", default=None)


@contextlib.contextmanager
def update(update_id: object | None = None) -> Iterator[str]:
    """Mark the work of one update (a new id when the platform gave none); yield the id."""
    found = str(update_id) if update_id not in (None, "") else UPDATE.get() or new_id()
    token = UPDATE.set(found)
    try:
        yield found
    finally:
        UPDATE.reset(token)


@contextlib.contextmanager
def push(push_id: object) -> Iterator[None]:
    """Mark the work of one push (a run, or one person's message of it)."""
    token = PUSH.set(str(push_id))
    try:
        yield
    finally:
        PUSH.reset(token)


def new_id() -> str:
    """Return a short id for an update its platform did not number."""
    return uuid.uuid4().hex[:12]


def current() -> dict[str, str]:
    """Return the ids of the work under way: update, push, either or none."""
    found = {"update": UPDATE.get(), "push": PUSH.get()}
    return {k: v for k, v in found.items() if v is not None}


class Meter:
    """What the core and the sender report; this one forgets it (bot.metrics.Metrics keeps it).

    Every label is a name from a closed set (a flow, a refusal's key, a platform, an outcome),
    never what someone typed.
    """

    def handled(self, *, platform: str, flow: str, outcome: str, seconds: float) -> None:
        """Count an update handled by a flow (ok, refused, error) and how long it took."""

    def refused(self, *, platform: str, reason: str) -> None:
        """Count a refusal by its reason (a DomainError key)."""

    def sent(self, *, platform: str, outcome: str) -> None:
        """Count one try to send a message: ok, 429, 5xx, blocked, no_account, refused, error."""

    def pushed(self, *, kind: str, outcome: str) -> None:
        """Count a push run of a kind: ok, failed (someone not reached), error."""


QUIET = Meter()


def meter_of(owner: object) -> Meter:
    """Return the meter an object (a Delivery) reports to; QUIET when it has none."""
    return getattr(owner, "meter", None) or QUIET
