"""Every flow of the product, in the order the core asks them (platform-neutral)."""

from __future__ import annotations

from handlers import (
    admin,
    contractor,
    corrections,
    drafts,
    files,
    inspector,
    intake,
    kept,
    onboarding,
    overdue,
    paper,
    printable,
    pushes,
    report,
    service,
    stray,
)
from handlers.core import Router

# drafts first (its guard drops a half-finished report the person turned away from), then kept
# (its guard forgets a photo kept for a card the person turned away from); stray
# last: it answers the command, text or photo no flow was waiting for, so nothing passes on.
ROUTED = (
    drafts,
    kept,
    onboarding,
    contractor,
    inspector,
    admin,
    corrections,
    printable,
    service,
    report,
    overdue,
    intake,
    paper,
    pushes,
    files,
    stray,
)


def router() -> Router:
    """Return every flow's routes, in order."""
    found = Router()
    for flow in ROUTED:
        flow.routes(found)
    return found
