"""The article's loop in chat: list, repair with photo, check, fail, rework, repair, pass."""

from __future__ import annotations

from sqlmodel import select

from models.repair import PhotoIn, replay_state
from models.tables import Action, AppUser, Event, Item, ItemState, Photo
from tests.conftest import CONTRACTOR_A, CONTRACTOR_B, INSPECTOR, PNG, move, texts


async def test_whole_loop_through_chat(bot, world, db, settings):
    leak = world.items["leak"]
    wang, li = bot.chat(CONTRACTOR_A), bot.chat(INSPECTOR)

    # The item is on its contractor's list, oldest first, and not on the other's.
    shown = texts(await wang.send("/mylist"))
    assert "华建装饰" in shown and "2 to repair" in shown
    assert shown.index(f"#{leak}") < shown.index(f"#{world.items['wall']}")
    assert f"#{world.items['socket']}" not in shown
    assert f"#{leak}" not in texts(await bot.chat(CONTRACTOR_B).send("/mylist"))

    # Open it, press Repaired, send a photo with the note as caption, press Done.
    card = texts(await wang.press(f"it:{leak}"))
    assert "卫生间吊顶渗水" in card and "to repair" in card
    await wang.press_label("Report done")
    await wang.send_photo(PNG(1), caption="resealed the pipe")
    done = texts(await wang.press_label("Done"))
    assert f"Item #{leak} · 3-1-1202 · kitchen reported done; it now awaits acceptance." in done
    assert "1 left on your list" in done

    # The inspector sees it on the to-check list (and only the repaired one).
    listed = texts(await li.send("/tocheck"))
    assert f"#{leak}" in listed and f"#{world.items['wall']}" not in listed
    assert "Building 3" in listed
    checked = await li.press(f"ck:{leak}")
    assert any(m.kind == "photo" for m in checked), "the contractor's photo comes with the card"
    assert "resealed the pipe" in texts(checked)

    # Fail with a reason and a photo; the contractor is told at once.
    await li.press_label("Fail")
    await li.send("still drips after rain")
    await li.send_photo(PNG(2))
    await li.press_label("Done")
    told = [m for m in li.last_step_events if m.chat_id == CONTRACTOR_A.id]
    assert told and "still drips after rain" in told[0].text
    assert "3-1-1202" in told[0].text and "卫生间吊顶渗水" in told[0].text
    # Told in their stored language; Wang chose none, so the default (Chinese).
    assert (f"打开 #{leak}", f"it:{leak}") in told[0].buttons()[0]
    # The contractor opens the item straight from the notice and sees why it failed.
    reopened = texts(await wang.press(f"it:{leak}", message_id=told[0].message_id))
    assert "Failed acceptance (Li): still drips after rain" in reopened

    # Back on the contractor's list, flagged rework.
    shown = texts(await wang.send("/mylist"))
    assert f"#{leak}" in shown and "rework×1" in shown and "(1 rework)" in shown

    # Repaired again (photo first, then the note as a message, then Done), then passed.
    await wang.press(f"rp:{leak}")
    await wang.send_photo(PNG(3))
    await wang.send("replaced the seal")
    assert "1 left" in texts(await wang.press_label("Done"))
    await li.press(f"ck:{leak}")
    assert "passed and closed" in texts(await li.press_label("Pass"))

    with db.session() as s:
        item = s.get(Item, leak)
        assert item.state is ItemState.closed and item.rework_count == 1
        events = s.exec(select(Event).where(Event.item_id == leak).order_by(Event.id)).all()
        steps = [(e.action, e.to_state) for e in events]
        assert steps == [
            (Action.raise_, ItemState.open),
            (Action.report_repaired, ItemState.repaired),
            (Action.fail, ItemState.rework),
            (Action.report_repaired, ItemState.repaired),
            (Action.pass_, ItemState.closed),
        ]
        actors = [s.get(AppUser, e.actor_id).name if e.actor_id else None for e in events]
        assert actors == [None, "Wang", "Li", "Wang", "Li"]
        assert all(e.at is not None for e in events)
        assert events[2].note == "still drips after rain"
        assert replay_state(events) is ItemState.closed
        photos = s.exec(select(Photo).where(Photo.item_id == leak)).all()
        assert len(photos) == 3
        for photo in photos:
            assert (settings.media_dir / photo.path).read_bytes()[:4] == b"\x89PNG"
    # Telegram refused nothing along the way (every press answered once, every text in limits).
    assert bot.transport.errors == []
    assert bot.transport.unanswered_callbacks == []


async def test_history_card_shows_every_step(bot, world):
    leak = world.items["leak"]
    wang, li = bot.chat(CONTRACTOR_A), bot.chat(INSPECTOR)
    await wang.send("/mylist")
    await wang.press(f"rp:{leak}")
    await wang.send_photo(PNG(1), caption="fixed")
    await wang.press_label("Done")
    await li.send("/tocheck")
    card = texts(await li.press(f"ck:{leak}"))
    assert "Raised" in card and "Reported done" in card and "(Wang): fixed" in card


async def test_note_first_then_photo_is_one_report(bot, world):
    wall = world.items["wall"]
    wang = bot.chat(CONTRACTOR_A)
    await wang.send("/mylist")
    await wang.press(f"rp:{wall}")
    assert "Now send a photo" in texts(await wang.send("patched and painted"))
    assert "press Done" in texts(await wang.send_photo(PNG(5)))
    assert f"Item #{wall} · 3-1-502 · kitchen reported done" in texts(
        await wang.press_label("Done")
    )


async def test_skip_refused_while_photo_required(bot, world, db):
    wall = world.items["wall"]
    wang = bot.chat(CONTRACTOR_A)
    await wang.send("/mylist")
    await wang.press(f"rp:{wall}")
    await wang.press("skip")
    assert "photo of the repair is required" in wang.last_callback_answer().text
    await wang.press("cancel")
    with db.session() as s:
        assert s.get(Item, wall).state is ItemState.open


async def test_chinese_is_the_default_language(bot, world):
    from bot.telegram.offline import OfflineUser

    zh_user = OfflineUser(id=CONTRACTOR_A.id, first_name="Wang", language_code=None)
    shown = texts(await bot.chat(zh_user).send("/mylist"))
    assert "待维修 2 项" in shown


async def test_overdue_items_are_flagged(bot, world, db, today):
    from datetime import timedelta

    from models.intake import raise_item

    with db.session() as s:
        late = raise_item(
            s,
            project_id=world.project_id,
            unit_code="3-1-502",
            location="balcony",
            category_code="leak",
            description="old leak",
            raised_on=today - timedelta(days=9),
        ).id
    shown = texts(await bot.chat(CONTRACTOR_A).send("/mylist"))
    late_line = next(line for line in shown.splitlines() if f"#{late}" in line)
    assert "overdue" in late_line
    assert all("overdue" not in line for line in shown.splitlines() if f"#{late}" not in line)


async def test_an_album_with_a_caption_is_one_report_with_every_photo(bot, world, db):
    from models.tables import Photo

    wall = world.items["wall"]
    wang = bot.chat(CONTRACTOR_A)
    await wang.send("/mylist")
    await wang.press(f"rp:{wall}")
    first = await wang.send_photo(PNG(11), caption="patched", media_group_id="A1")
    assert "Photos and note received" in texts(first)
    assert await wang.send_photo(PNG(12), media_group_id="A1") == []  # one answer per album
    assert await wang.send_photo(PNG(13), media_group_id="A1") == []
    done = texts(await wang.press_label("Done"))
    assert f"Item #{wall} · 3-1-502 · kitchen reported done" in done
    with db.session() as s:
        assert len(s.exec(select(Photo).where(Photo.item_id == wall)).all()) == 3
        report = s.exec(select(Event).where(Event.item_id == wall).order_by(Event.id)).all()[-1]
        assert report.note == "patched"


async def test_a_photo_update_delivered_twice_is_one_photo_on_the_report(bot, world, db):
    # Telegram delivers an update again when a webhook answered late, or polling restarts
    # before its offset was confirmed: the same message, the same file_id.
    wall = world.items["wall"]
    wang = bot.chat(CONTRACTOR_A)
    await wang.send("/mylist")
    await wang.press(f"rp:{wall}")
    photo = bot.transport.photo_update(CONTRACTOR_A, PNG(21), "patched", bot=bot.app.bot)
    await bot.app.process_update(photo)
    await bot.app.process_update(photo)
    # The same picture sent again as a new message is no second photo of the repair either.
    await wang.send_photo(PNG(21))
    await wang.send_photo(PNG(22))  # another picture is
    done = texts(await wang.press_label("Done"))
    assert f"Item #{wall} · 3-1-502 · kitchen reported done" in done
    with db.session() as s:
        stored = s.exec(select(Photo).where(Photo.item_id == wall)).all()
        assert len(stored) == 2 and len({p.sha256 for p in stored}) == 2


def test_one_file_handed_twice_to_a_move_is_stored_once(world, db):
    # A draft kept by an older version may hold a photo twice: the report stores it once.
    leak = world.items["leak"]
    same = PhotoIn(file_id="f1", sha256="a" * 64, path="aa/a.jpg", platform="telegram")
    other = PhotoIn(file_id="f2", sha256="b" * 64, path="bb/b.jpg", platform="telegram")
    move(db, leak, CONTRACTOR_A.id, Action.report_repaired, photos=(same, other, same))
    with db.session() as s:
        stored = s.exec(select(Photo).where(Photo.item_id == leak).order_by(Photo.id)).all()
        assert [p.file_id for p in stored] == ["f1", "f2"]
