"""A half-finished report survives a restart; every list is scoped to the person's projects."""

from __future__ import annotations

from bot.telegram.offline import OfflineChat, OfflineTelegram, OfflineUser
from bot.telegram.stand_in import build_offline
from models import people
from models import project as setup
from models.errors import DomainError
from models.repair import raise_item
from models.tables import Item, ItemState, Role
from tests.conftest import CONTRACTOR_A, INSPECTOR, PNG, texts, tg


async def test_report_in_progress_survives_a_restart(settings, db, world, tmp_path):
    leak = world.items["leak"]

    first = OfflineTelegram(bot_username="b")
    app = build_offline(settings, db, first)
    async with app:
        await app.start()
        wang = OfflineChat(app, first, CONTRACTOR_A, expected_errors=(DomainError,))
        await wang.send("/mylist")
        assert "send a photo" in texts(await wang.press(f"rp:{leak}"))
        await app.stop()  # the process stops here, mid-conversation

    second = OfflineTelegram(bot_username="b")
    app = build_offline(settings, db, second)
    async with app:
        await app.start()
        wang = OfflineChat(app, second, CONTRACTOR_A, expected_errors=(DomainError,))
        await wang.send_photo(PNG(7), caption="after restart")
        done = texts(await wang.press_label("Done"))
        await app.stop()
    assert f"Item #{leak} · 3-1-1202 · kitchen reported done" in done
    with db.session() as s:
        assert s.get(Item, leak).state is ItemState.repaired


async def test_an_inspector_sees_only_own_projects(bot, world, db, today):
    with db.session() as s:
        other = setup.create_project(s, name="Hillside 2")
        crew = setup.add_contractor(s, project_id=other.id, name="Other Crew")
        setup.add_unit(s, project_id=other.id, code="1-1-101")
        setup.set_rule(s, project_id=other.id, category_code="leak", contractor_id=crew.id)
        outsider = raise_item(
            s,
            project_id=other.id,
            unit_code="1-1-101",
            location="kitchen",
            category_code="leak",
            description="hillside leak",
            raised_on=today,
        ).id
        stranger_inspector = people.add_member(
            s,
            project_id=other.id,
            platform="telegram",
            account=str(5101),
            name="Hill",
            roles=[Role.inspector],
        )
        assert stranger_inspector.id
    li = bot.chat(INSPECTOR)
    shown = await li.send("/tocheck")
    assert "hillside" not in texts(shown)
    forged = await li.press_alert(f"ck:{outsider}", message_id=shown[0].message_id)
    assert "no item" in forged.lower()
    hill = bot.chat(OfflineUser(id=5101, first_name="Hill", language_code="en"))
    shown = await hill.send("/tocheck")
    forged = await hill.press_alert(f"ck:{world.items['leak']}", message_id=shown[0].message_id)
    assert "no item" in forged.lower()


async def test_skip_photo_when_photos_are_optional(settings, db, world, tmp_path):
    wall = world.items["wall"]
    relaxed = settings.model_copy(update={"require_repair_photo": False})
    transport = OfflineTelegram(bot_username="b")
    app = build_offline(relaxed, db, transport)
    async with app:
        await app.start()
        wang = OfflineChat(app, transport, CONTRACTOR_A, expected_errors=(DomainError,))
        await wang.send("/mylist")
        asked = await wang.press(f"rp:{wall}")
        assert ("Skip photo", f"skip:{wall}") in asked[0].buttons()[0]
        done = texts(await wang.press(f"skip:{wall}"))
        await app.stop()
    assert f"Item #{wall} · 3-1-502 · kitchen reported done" in done
    with db.session() as s:
        assert s.get(Item, wall).state is ItemState.repaired


async def test_conversation_state_is_kept_in_the_database_and_cleared_when_done(bot, world, db):
    import json

    from models.tables import Dialogue

    def stored() -> tuple[str | None, dict]:
        with db.session() as s:
            row = s.get(Dialogue, tg(s, CONTRACTOR_A.id))
            return (row.step, json.loads(row.data)) if row else (None, {})

    wang = bot.chat(CONTRACTOR_A)
    await wang.send("/mylist")
    await wang.press(f"rp:{world.items['wall']}")
    step, data = stored()
    assert step == "repair" and data["draft"]["item"] == world.items["wall"]
    await wang.send_photo(PNG(3), caption="done")
    await wang.press_label("Done")
    # The draft is gone; only the page of the list Wang was on is remembered.
    step, data = stored()
    assert step is None and not data.get("draft") and data["memory"]["ml"][0] == 0
