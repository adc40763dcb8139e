"""The project department through the core alone: /cancel's three meanings, roles told."""

from __future__ import annotations

from handlers import flows
from handlers.core import Core
from handlers.i18n import t
from handlers.screens import Incoming, Reply
from models.db import Database
from models.people import find_person
from models.settings import Settings
from models.tables import Item, ItemState
from tests.conftest import ADMIN, CONTRACTOR_A, INSPECTOR, World
from tests.test_core import Scripted


def _core(db: Database, settings: Settings) -> Core:
    return Core(db, settings, Scripted(), flows.router())


def _as(user: object, **fields: object) -> Incoming:
    return Incoming(platform="telegram", account=str(user.id), language="en", **fields)


def _text(reply: Reply) -> str:
    return "\n".join(s.text for s in reply.screens)


def _id(db: Database, user: object) -> int:
    with db.session() as s:
        return find_person(s, platform="telegram", account=str(user.id)).id


async def test_cancel_names_an_item_drops_a_report_or_says_nothing_to_cancel(
    db: Database, settings: Settings, world: World
) -> None:
    core = _core(db, settings)
    wall, leak = world.items["wall"], world.items["leak"]
    bare = await core.handle(_as(ADMIN, text="/cancel"))
    assert _text(bare) == "\n".join([t("en", "stray.cancel"), t("en", "stray.cancel_item")])
    assert _text(await core.handle(_as(CONTRACTOR_A, text="/cancel"))) == t("en", "stray.cancel")

    done = await core.handle(_as(ADMIN, text=f"/cancel {wall} duplicate"))
    assert f"#{wall}" in _text(done)
    assert [n.user_id for n in done.notices] == [_id(db, CONTRACTOR_A)]
    with db.session() as s:
        assert s.get(Item, wall).state is ItemState.cancelled

    await core.handle(_as(CONTRACTOR_A, choice=f"rp:{leak}"))
    dropped = await core.handle(_as(CONTRACTOR_A, text="/cancel"))
    assert _text(dropped) == t("en", "report.cancelled", item=f"#{leak} · 3-1-1202 · kitchen")


async def test_a_role_change_tells_the_person_and_redoes_their_menu(
    db: Database, settings: Settings, world: World
) -> None:
    core = _core(db, settings)
    li = _id(db, INSPECTOR)
    changed = await core.handle(_as(ADMIN, choice=f"pr:{world.project_id}:{li}:clerk:1"))
    assert changed.screens[0].replace and "clerk, inspector" in changed.screens[0].text
    assert [n.user_id for n in changed.notices] == [li] and changed.menus == [li]
    # Pressed again: nothing changes, nobody is told.
    again = await core.handle(_as(ADMIN, choice=f"pr:{world.project_id}:{li}:clerk:1"))
    assert not again.screens and not again.notices and not again.menus
