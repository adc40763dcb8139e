"""Which page of which list a person is on, so Back and Pass return them there."""

from __future__ import annotations

from handlers.buttons import MyListPage, ToCheckPage
from handlers.core import Ask
from models.errors import DomainError
from models.queries import Only, Page
from models.units import parse_building


def building_arg(ask: Ask) -> str | None:
    """Return the building typed after the command (/tocheck 3), or None for the whole site."""
    if not ask.args:
        return None
    building = parse_building(" ".join(ask.args))
    if building is None:
        raise DomainError("bad_building", text=" ".join(ask.args)[:20])
    return building


def last_view(ask: Ask, kind: str) -> tuple[int, str | None]:
    """Return the page and building of this list the person last saw."""
    page, building, *_ = ask.dialogue.memory.get(kind, (0, None))
    return page, building


def pressed_view(ask: Ask, kind: str) -> tuple[int, str | None]:
    """Return the page and building a list choice asks for; a bare one, the last one seen."""
    pressed: MyListPage | ToCheckPage = ask.pressed
    if pressed.page is not None:
        return pressed.page, pressed.building
    return last_view(ask, kind)


def pressed_only(ask: Ask, kind: str) -> Only | None:
    """Return the narrowing a list choice asks for (rework, overdue); a bare one, the last seen."""
    pressed: MyListPage = ask.pressed
    if pressed.page is not None:
        return pressed.only
    return last_only(ask, kind)


def last_only(ask: Ask, kind: str) -> Only | None:
    """Return the narrowing of this list the person last saw (None: the whole list)."""
    _, _, *only = ask.dialogue.memory.get(kind, (0, None))
    return Only(only[0]) if only and only[0] in set(Only) else None


def remember(ask: Ask, kind: str, page: Page) -> None:
    """Keep the page the person is looking at, and its narrowing."""
    narrowed = [page.only.value] if page.only else []
    ask.dialogue.memory[kind] = [page.page, page.building, *narrowed]
