"""One item per report: a half-finished report belongs to the item on the person's screen."""

from __future__ import annotations

import json

from sqlmodel import select

from bot.telegram.offline import OfflineUser
from models.repair import PhotoIn, apply_transition
from models.tables import Action, Dialogue, Event, Item, ItemState, Photo
from tests.conftest import CONTRACTOR_A, CONTRACTOR_B, INSPECTOR, PNG, texts, tg_user


def state_of(db, item_id: int) -> ItemState:
    with db.session() as s:
        return s.get(Item, item_id).state


def photos_of(db, item_id: int) -> int:
    with db.session() as s:
        return len(s.exec(select(Photo).where(Photo.item_id == item_id)).all())


def last_event(db, item_id: int) -> Event:
    with db.session() as s:
        return s.exec(select(Event).where(Event.item_id == item_id).order_by(Event.id)).all()[-1]


def drafts(db) -> list[tuple[str | None, dict]]:
    """Return the steps and drafts kept in the database (a dialogue's pages are not drafts)."""
    with db.session() as s:
        rows = s.exec(select(Dialogue)).all()
    kept = [(row.step, json.loads(row.data).get("draft")) for row in rows]
    return [(step, draft) for step, draft in kept if step or draft]


def reported(db, *items: int, by: OfflineUser = CONTRACTOR_A) -> None:
    """Report items repaired outside the chat, so the inspector has something to check."""
    with db.session() as s:
        for item_id in items:
            apply_transition(
                s,
                item_id=item_id,
                user=tg_user(s, by.id),
                action=Action.report_repaired,
                # A stored copy's hash only: counted on the card, never sent to Telegram.
                photos=[PhotoIn(sha256=f"{item_id:064x}")],
            )
        s.commit()


def button(messages: list, label: str) -> tuple[str, int]:
    """Return the callback data and message of the last button whose text contains `label`."""
    for message in reversed(messages):
        for row in message.buttons():
            for text, data in row:
                if label in text:
                    return data, message.message_id
    raise AssertionError(f"no button {label!r}")


async def test_repaired_on_a_then_opening_b_drops_a_and_a_photo_does_not_report_it(bot, world, db):
    leak, wall = world.items["leak"], world.items["wall"]
    wang = bot.chat(CONTRACTOR_A)
    await wang.send("/mylist")
    await wang.press(f"rp:{leak}")
    opened = await wang.press(f"it:{wall}")
    said = texts(opened)
    assert f"Report for item #{leak} · 3-1-1202 · kitchen dropped; nothing was recorded" in said
    assert "客厅墙面空鼓" in said, "the card of #B still opens"
    assert (f"Open #{leak}", f"it:{leak}") in opened[0].buttons()[0], "a way back to #A"
    await wang.send_photo(PNG(1), caption="fixed")
    assert state_of(db, leak) is ItemState.open and photos_of(db, leak) == 0
    assert state_of(db, wall) is ItemState.open and photos_of(db, wall) == 0


async def test_a_command_or_a_list_drops_the_report_and_its_old_done_does_nothing(bot, world, db):
    leak = world.items["leak"]
    wang = bot.chat(CONTRACTOR_A)
    await wang.send("/mylist")
    await wang.press(f"rp:{leak}")
    prompt = await wang.send_photo(PNG(1))
    done, message_id = button(prompt, "Done")
    assert "dropped" in texts(await wang.send("/mylist"))
    await wang.press(done, message_id=message_id)
    assert state_of(db, leak) is ItemState.open and photos_of(db, leak) == 0

    await wang.press(f"rp:{leak}")
    await wang.send_photo(PNG(2))
    assert "dropped" in texts(await wang.press("ml:0"))
    assert state_of(db, leak) is ItemState.open


async def test_a_dropped_report_leaves_no_conversation_in_the_database(bot, world, db):
    wang = bot.chat(CONTRACTOR_A)
    await wang.send("/mylist")
    await wang.press(f"rp:{world.items['leak']}")
    assert len(drafts(db)) == 1, "the report being written is kept in the database"
    await wang.send("/mylist")
    assert drafts(db) == []


async def test_the_done_of_an_earlier_report_does_not_finish_another_items(bot, world, db):
    leak, wall = world.items["leak"], world.items["wall"]
    wang = bot.chat(CONTRACTOR_A)
    await wang.send("/mylist")
    await wang.press(f"rp:{leak}")
    done_of_leak = button(await wang.send_photo(PNG(1)), "Done")
    await wang.press(f"it:{wall}")
    await wang.press(f"rp:{wall}")
    await wang.send_photo(PNG(2))
    await wang.press(*done_of_leak)
    assert state_of(db, wall) is ItemState.open and state_of(db, leak) is ItemState.open
    assert "no longer active" in wang.last_callback_answer().text
    await wang.press_label("Done")
    assert state_of(db, wall) is ItemState.repaired and photos_of(db, wall) == 1


async def test_reopening_the_same_item_keeps_what_was_sent(bot, world, db):
    leak = world.items["leak"]
    wang = bot.chat(CONTRACTOR_A)
    await wang.send("/mylist")
    await wang.press(f"rp:{leak}")
    await wang.send_photo(PNG(1))
    assert "dropped" not in texts(await wang.press(f"it:{leak}"))
    assert "what you sent so far is kept" in texts(await wang.press(f"rp:{leak}"))
    await wang.send_photo(PNG(2))
    await wang.press_label("Done")
    assert state_of(db, leak) is ItemState.repaired and photos_of(db, leak) == 2


async def test_inspector_fail_on_a_then_pass_on_b_then_done_does_not_fail_a(bot, world, db):
    leak, wall = world.items["leak"], world.items["wall"]
    reported(db, leak, wall)
    li = bot.chat(INSPECTOR)
    await li.send("/tocheck")
    await li.press(f"fl:{leak}")
    asked = await li.send("still drips")
    done = button(asked, "Done")
    card = await li.press(f"ck:{wall}")
    assert f"Report for item #{leak} · 3-1-1202 · kitchen dropped" in texts(card)
    await li.press(f"ps:{wall}", message_id=card[-1].message_id)
    await li.press(*done)
    assert state_of(db, wall) is ItemState.closed
    assert state_of(db, leak) is ItemState.repaired, "#A is not failed"


async def test_inspector_fail_on_a_then_a_photo_after_opening_b_is_not_as(bot, world, db):
    leak, wall = world.items["leak"], world.items["wall"]
    reported(db, leak, wall)
    li = bot.chat(INSPECTOR)
    await li.send("/tocheck")
    await li.press(f"fl:{leak}")
    await li.send("still drips")
    assert "dropped" in texts(await li.send("/tocheck"))
    await li.send_photo(PNG(3), caption="cracked tile")
    assert state_of(db, leak) is ItemState.repaired and photos_of(db, leak) == 1


async def test_every_prompt_and_confirmation_names_the_item(bot, world, db):
    leak, wall, socket = world.items["leak"], world.items["wall"], world.items["socket"]
    wang, li = bot.chat(CONTRACTOR_A), bot.chat(INSPECTOR)
    at_leak, at_wall = f"#{leak} · 3-1-1202 · kitchen", f"#{wall} · 3-1-502 · kitchen"
    await wang.send("/mylist")
    assert at_leak in texts(await wang.press(f"rp:{leak}"))
    assert at_leak in texts(await wang.send("resealed"))
    assert at_leak in texts(await wang.send_photo(PNG(1)))
    assert at_leak in texts(await wang.press_label("Done"))
    assert at_wall in texts(await wang.press(f"dp:{wall}"))
    assert at_wall in texts(await wang.send("not a leak of ours"))

    await li.send("/tocheck")
    assert at_leak in texts(await li.press(f"fl:{leak}"))
    assert at_leak in texts(await li.send("still drips"))
    assert at_leak in texts(await li.send_photo(PNG(2)))
    assert at_leak in texts(await li.press_label("Done"))

    reported(db, socket, by=CONTRACTOR_B)
    await li.press(f"fl:{socket}")
    assert f"#{socket} · 5-2-801 · kitchen" in texts(await li.press_label("Cancel"))
    assert state_of(db, socket) is ItemState.repaired


async def test_a_note_then_a_photo_with_a_caption_keeps_both(bot, world, db):
    wall = world.items["wall"]
    wang = bot.chat(CONTRACTOR_A)
    await wang.send("/mylist")
    await wang.press(f"rp:{wall}")
    await wang.send("patched the crack")
    await wang.send_photo(PNG(1), caption="painted twice")
    await wang.press_label("Done")
    assert last_event(db, wall).note == "patched the crack\npainted twice"


async def test_several_photos_in_any_order_until_done(bot, world, db):
    wall = world.items["wall"]
    wang = bot.chat(CONTRACTOR_A)
    await wang.send("/mylist")
    await wang.press(f"rp:{wall}")
    first = await wang.send_photo(PNG(1), caption="before paint")
    assert "Photo and note saved (1)" in texts(first)
    await wang.send_photo(PNG(2))
    await wang.send("second coat")
    assert "Photo and note saved (3)" in texts(await wang.send_photo(PNG(3)))
    assert state_of(db, wall) is ItemState.open, "nothing is filed before Done"
    assert "reported done" in texts(await wang.press_label("Done"))
    assert photos_of(db, wall) == 3
    assert last_event(db, wall).note == "before paint\nsecond coat"


async def test_an_album_then_a_note_is_one_report_with_both_texts(bot, world, db):
    wall = world.items["wall"]
    wang = bot.chat(CONTRACTOR_A)
    await wang.send("/mylist")
    await wang.press(f"rp:{wall}")
    assert await wang.send_photo(PNG(1), caption="patched", media_group_id="G1")
    assert await wang.send_photo(PNG(2), media_group_id="G1") == []
    await wang.send("and painted")
    await wang.press_label("Done")
    assert photos_of(db, wall) == 2
    assert last_event(db, wall).note == "patched\nand painted"


async def test_inspector_reason_then_captions_and_an_album_are_one_failure(bot, world, db):
    leak = world.items["leak"]
    reported(db, leak)
    li = bot.chat(INSPECTOR)
    await li.send("/tocheck")
    await li.press(f"fl:{leak}")
    await li.send("still drips")
    assert await li.send_photo(PNG(1), caption="under the sink", media_group_id="G2")
    assert await li.send_photo(PNG(2), media_group_id="G2") == []
    await li.send("and the wall is wet")
    await li.press_label("Done")
    event = last_event(db, leak)
    assert event.action is Action.fail
    assert event.note == "still drips\nunder the sink\nand the wall is wet"
    assert photos_of(db, leak) == 3  # the contractor's one and the inspector's two


async def test_a_report_left_too_long_is_dropped_and_said_once(bot, db, world, pinned_clock):
    from datetime import timedelta

    from jobs.rhythm import drop_expired_drafts
    from models import clock
    from models.dialogue import DRAFT_LIFETIME

    leak = world.items["leak"]
    wang = bot.chat(CONTRACTOR_A)
    await wang.send("/mylist")
    await wang.press(f"rp:{leak}")
    await wang.send_photo(PNG(1))
    delivery = bot.app.bot_data["delivery"]
    later = clock.now() + DRAFT_LIFETIME + timedelta(minutes=1)
    with clock.pinned(later, ticking=True):
        # The beat's sweep (every minute) tells at once; a second sweep finds nothing.
        assert await drop_expired_drafts(db=db, delivery=delivery, default_language="zh") == 1
        assert await drop_expired_drafts(db=db, delivery=delivery, default_language="zh") == 0
        told = wang.last_text() or ""
        again = texts(await wang.send("/mylist"))
    # A push speaks the person's stored language (none here: the default), not the app's.
    assert f"问题 #{leak} · 3-1-1202 · kitchen 的报告没有填完，已放弃" in told
    assert "dropped" not in again and "已放弃" not in again, "said once"
    assert state_of(db, leak) is ItemState.open
