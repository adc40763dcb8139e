"""Service look-ups, reports, overdue and printed lists through the core alone: screens as data."""

from __future__ import annotations

from handlers import flows
from handlers.core import Core
from handlers.report_text import CAPTION_LIMIT
from handlers.screens import Incoming, Reply
from models.db import Database
from models.repair import PhotoIn
from models.settings import Settings
from models.tables import Action
from tests.conftest import CONTRACTOR_A, INSPECTOR, MANAGER, SERVICE, World, move
from tests.test_core import Scripted


def _core(db: Database, settings: Settings) -> Core:
    return Core(db, settings, Scripted(), flows.router())


def _as(user: object, **fields: object) -> Incoming:
    return Incoming(platform="telegram", account=str(user.id), language="en", **fields)


def _files(reply: Reply) -> list:
    return [f for s in reply.screens for f in s.files]


async def test_the_report_is_a_picture_with_its_caption_and_the_refused_see_no_upload(
    db: Database, settings: Settings, world: World
) -> None:
    core = _core(db, settings)
    shown = await core.handle(_as(MANAGER, text="/report"))
    [picture] = _files(shown)
    assert picture.kind == "photo" and picture.content.startswith(b"\x89PNG")
    assert picture.filename.startswith("report-") and picture.filename.endswith(".png")
    assert "Riverside 1" in picture.caption and len(picture.caption) <= CAPTION_LIMIT
    assert shown.busy == "upload_photo"
    rework = await core.handle(_as(MANAGER, text="/report rework"))
    assert _files(rework)[0].filename.startswith("rework-")
    refused = await core.handle(_as(CONTRACTOR_A, text="/report"))
    assert refused.busy is None and not _files(refused)
    assert "your role cannot" in refused.screens[0].text


async def test_a_printed_list_is_a_document_of_the_building_pressed(
    db: Database, settings: Settings, world: World
) -> None:
    core = _core(db, settings)
    sent = await core.handle(_as(CONTRACTOR_A, choice="pdf:ml"))
    [document] = _files(sent)
    assert document.kind == "document" and document.content.startswith(b"%PDF-")
    assert document.caption and sent.busy == "upload_document"
    nothing = await core.handle(_as(CONTRACTOR_A, choice="pdf:ml:9"))
    assert "nothing to print" in (nothing.answer or "") and nothing.busy is None


async def test_an_items_history_shows_its_photos_and_a_flat_its_choices(
    db: Database, settings: Settings, world: World
) -> None:
    leak = world.items["leak"]
    move(db, leak, CONTRACTOR_A.id, Action.report_repaired, "ok", (PhotoIn(file_id="p1"),))
    move(db, leak, INSPECTOR.id, Action.fail, "still wet", (PhotoIn(file_id="p2"),))
    core = _core(db, settings)
    history = await core.handle(_as(SERVICE, text=f"/item {leak}"))
    [screen] = history.screens
    assert [p.file_id for p in screen.photos] == ["p1", "p2"] and "still wet" in screen.text
    flat = await core.handle(_as(SERVICE, text="/unit 3-1-1202"))
    data = [c.data for row in flat.screens[0].choices for c in row]
    assert data[0].startswith("os:") and data[0].endswith(":zh") and data[1].endswith(":en")
    assert f"hi:{leak}" in data
    overdue = await core.handle(_as(CONTRACTOR_A, text="/overdue"))
    assert "your role cannot" in overdue.screens[0].text
