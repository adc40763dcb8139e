"""Which page of which list a person is on, so Back and Pass return them there."""

from __future__ import annotations

from handlers.common import BotContext
from models.errors import DomainError
from models.queries import Page
from models.units import parse_building

VIEWS = "list_views"  # user_data key: {"ml": [page, building], "tc": [page, building]}


def building_arg(context: BotContext) -> str | None:
    """Return the building typed after the command (/tocheck 3), or None for the whole site."""
    if not context.args:
        return None
    building = parse_building(" ".join(context.args))
    if building is None:
        raise DomainError("bad_building", text=" ".join(context.args)[:20])
    return building


def pressed_view(context: BotContext, kind: str) -> tuple[int, str | None]:
    """Return the page and building a list button asks for; a bare button, the last one seen."""
    match = context.matches[0]
    if match[1] is not None:
        return int(match[1]), match[2]
    page, building = context.user_data.get(VIEWS, {}).get(kind, (0, None))
    return page, building


def remember(context: BotContext, kind: str, page: Page) -> None:
    """Keep the page the person is looking at."""
    context.user_data.setdefault(VIEWS, {})[kind] = [page.page, page.building]
