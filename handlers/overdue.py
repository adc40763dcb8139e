"""Overdue items on demand: /overdue for the people models/ lets see the whole project's."""

from __future__ import annotations

from handlers.core import Ask, Router
from handlers.overdue_text import overdue_digest
from models.overdue import overdue_for


async def overdue(ask: Ask) -> None:
    """Show each of my projects' overdue items by contractor, most first."""
    digests = await ask.call(overdue_for, user_id=ask.user_id)
    for digest in digests:
        ask.show(overdue_digest(ask.lang, digest, limits=ask.platform.limits))


def routes(router: Router) -> None:
    """Route the /overdue command."""
    router.command("overdue", overdue)
