"""The core on its own: neutral inputs in, screens out, the dialogue kept in the database."""

from __future__ import annotations

from handlers import flows
from handlers.core import Core
from handlers.screens import FileIn, Incoming, Reply
from models.db import Database
from models.settings import Settings
from models.tables import Item, ItemState
from tests.conftest import CONTRACTOR_A, PNG, STRANGER, World


class Scripted:
    """A platform for the core alone: files are what the test put there."""

    name = "telegram"  # the world's people are known by their Telegram ids

    def __init__(self) -> None:
        self.files: dict[str, bytes] = {}

    async def fetch(self, file: FileIn) -> bytes:
        """Return the file the test put there."""
        return self.files[file.ref]

    def invite_link(self, code: str) -> str | None:
        """Return no link: this platform has none."""
        return None

    def item_link(self, item_id: int) -> str | None:
        """Return no link: this platform has none."""
        return None


def _core(db: Database, settings: Settings, platform: Scripted) -> Core:
    return Core(db, settings, platform, flows.router())


def _as(user: object, **fields: object) -> Incoming:
    return Incoming(platform="telegram", account=str(user.id), language="en", **fields)


def _data(reply: Reply) -> list[str]:
    return [c.data for s in reply.screens for row in s.choices for c in row]


async def test_a_repair_is_reported_through_the_core_alone(
    db: Database, settings: Settings, world: World
) -> None:
    platform = Scripted()
    core = _core(db, settings, platform)
    item = world.items["leak"]
    listed = await core.handle(_as(CONTRACTOR_A, text="/mylist"))
    assert f"it:{item}" in _data(listed)
    card = await core.handle(_as(CONTRACTOR_A, choice=f"it:{item}"))
    assert {f"rp:{item}", f"dp:{item}"} <= set(_data(card))
    asked = await core.handle(_as(CONTRACTOR_A, choice=f"rp:{item}"))
    assert f"cancel:{item}" in _data(asked)
    platform.files["p1"] = PNG(1)
    # Another process (another core on the same database) takes the photo and the Done.
    other = _core(db, settings, platform)
    saved = await other.handle(_as(CONTRACTOR_A, photo=FileIn("p1"), text="fixed the seal"))
    assert f"done:{item}" in _data(saved)
    done = await core.handle(_as(CONTRACTOR_A, choice=f"done:{item}"))
    assert done.answer is None and "#" in done.screens[0].text
    with db.session() as s:
        assert s.get(Item, item).state is ItemState.repaired


async def test_a_stranger_and_a_forged_choice_change_nothing(
    db: Database, settings: Settings, world: World
) -> None:
    core = _core(db, settings, Scripted())
    stranger = await core.handle(_as(STRANGER, text="/mylist"))
    assert stranger.answer and not stranger.screens
    item = world.items["socket"]  # the other contractor's item
    forged = await core.handle(_as(CONTRACTOR_A, choice=f"rp:{item}"))
    assert forged.answer and not forged.screens
    with db.session() as s:
        assert s.get(Item, item).state is ItemState.open
