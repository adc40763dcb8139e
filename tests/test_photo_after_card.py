"""A photo sent right after opening a card is kept for that item, with an offer to report it;
a photo whose caption is the note does not ask for the note again. Telegram and WeCom."""

from __future__ import annotations

from sqlmodel import select

from bot.wecom.sender_side import image_message, template_card_event, text_message
from models.tables import Action, Event, Item, ItemState, Photo
from tests import test_wecom_chat
from tests.conftest import CONTRACTOR_A, INSPECTOR, PNG, move, texts
from tests.test_wecom_chat import WECOM_IDS, WeComDriver, _speak_english, _visible

wecom_settings = test_wecom_chat.wecom_settings
wecom = test_wecom_chat.wecom
WANG, LI = WECOM_IDS[CONTRACTOR_A.id], WECOM_IDS[INSPECTOR.id]


def buttons(messages: list) -> list[str]:
    """Return the data of every button of Telegram messages."""
    return [data for m in messages for row in m.buttons() for _, data in row]


def report_of(db, item_id: int) -> tuple[ItemState, str | None, int]:
    """Return the item's state, the note of its last event and how many photos that event has."""
    with db.session() as s:
        state = s.get(Item, item_id).state
        last = s.exec(select(Event).where(Event.item_id == item_id).order_by(Event.id)).all()[-1]
        photos = s.exec(select(Photo).where(Photo.event_id == last.id)).all()
        return state, last.note, len(photos)


# -- Telegram ------------------------------------------------------------------------------


async def test_a_photo_after_opening_a_card_starts_its_report_on_telegram(bot, world, db):
    leak = world.items["leak"]
    wang = bot.chat(CONTRACTOR_A)
    await wang.send("/mylist")
    await wang.press(f"it:{leak}")
    offered = await wang.send_photo(PNG(3), caption="resealed the pipe")
    said = texts(offered)
    assert f"#{leak} · 3-1-1202 · kitchen" in said and "open the item first" not in said, said
    assert f"rp:{leak}" in buttons(offered)
    started = texts(await wang.press(f"rp:{leak}"))
    # The photo and its caption are in the report: nothing to send again, nothing to type.
    assert "Photo and note saved (1)" in started, started
    await wang.press(f"done:{leak}")
    assert report_of(db, leak) == (ItemState.repaired, "resealed the pipe", 1)


async def test_a_photo_after_another_input_is_not_kept_on_telegram(bot, world, db):
    leak = world.items["leak"]
    wang = bot.chat(CONTRACTOR_A)
    await wang.send("/mylist")
    await wang.press(f"it:{leak}")
    await wang.send("/mylist")  # the list is on screen now, not the card
    said = await wang.send_photo(PNG(3))
    assert "open the item first" in texts(said) and f"rp:{leak}" not in buttons(said)
    started = texts(await wang.press(f"rp:{leak}"))
    assert "Photo" not in started  # the report starts empty: that photo was not kept


async def test_no_offer_to_whoever_may_not_report_the_item_on_telegram(bot, world, db):
    leak = world.items["leak"]
    move(db, leak, CONTRACTOR_A.id, Action.report_repaired, "done")
    wang = bot.chat(CONTRACTOR_A)
    await wang.send("/mylist")
    await wang.press(f"it:{leak}")  # awaiting acceptance: nothing for the contractor to report
    said = await wang.send_photo(PNG(3))
    assert "open the item first" in texts(said) and not buttons(said)


async def test_an_inspector_photo_after_a_card_starts_the_fail_report(bot, world, db):
    leak = world.items["leak"]
    move(db, leak, CONTRACTOR_A.id, Action.report_repaired, "done")
    li = bot.chat(INSPECTOR)
    await li.send("/tocheck")
    await li.press(f"ck:{leak}")
    offered = await li.send_photo(PNG(4), caption="still drips")
    assert f"fl:{leak}" in buttons(offered), texts(offered)
    await li.press(f"fl:{leak}")
    await li.press(f"done:{leak}")
    assert report_of(db, leak) == (ItemState.rework, "still drips", 1)


# -- the caption is the note -----------------------------------------------------------------


async def test_a_photo_with_a_caption_does_not_ask_for_the_note_again(bot, world):
    leak = world.items["leak"]
    wang = bot.chat(CONTRACTOR_A)
    await wang.send("/mylist")
    await wang.press(f"rp:{leak}")
    said = texts(await wang.send_photo(PNG(1), caption="resealed the pipe"))
    assert "Type what was done" not in said and "Done" in said, said
    plain = texts(await wang.send_photo(PNG(2)))  # the note came with the first photo
    assert "Type what was done" not in plain, plain
    album = texts(await wang.send_photo(PNG(5), caption="and painted", media_group_id="A9"))
    assert "Type what was done" not in album, album


async def test_a_photo_with_a_caption_in_a_fail_report_does_not_ask_for_the_reason(bot, world, db):
    leak = world.items["leak"]
    move(db, leak, CONTRACTOR_A.id, Action.report_repaired, "done")
    li = bot.chat(INSPECTOR)
    await li.send("/tocheck")
    await li.press(f"fl:{leak}")
    said = texts(await li.send_photo(PNG(1), caption="still drips"))
    assert "type the reason" not in said.lower() and "Done" in said, said


# -- WeCom ---------------------------------------------------------------------------------


async def act(driver: WeComDriver, user: str, kind: str, arg: str = "") -> str:
    """Send a text or an image, or press a button, as a member; return what they read."""
    corp, before = driver.wecom.corp_id, len(driver.wecom.messages_to(user))
    if kind == "text":
        await driver.post(text_message(corp_id=corp, user=user, content=arg))
    elif kind == "image":
        media = driver.wecom.add_member_media(PNG(7), "photo.png")
        await driver.post(image_message(corp_id=corp, user=user, media_id=media))
    else:
        click = driver.wecom.press(user, arg)
        event = template_card_event(
            corp_id=corp,
            user=user,
            event_key=click.key,
            task_id=click.task_id,
            response_code=click.response_code,
        )
        await driver.post(event)
    return "\n".join(_visible(m) for m in driver.wecom.messages_to(user)[before:])


async def test_a_photo_after_opening_a_card_starts_its_report_on_wecom(wecom, world, db):
    _speak_english(db)
    leak = world.items["leak"]
    await act(wecom, WANG, "text", "/mylist")
    await act(wecom, WANG, "press", f"it:{leak}")
    said = await act(wecom, WANG, "image")
    assert f"#{leak} · 3-1-1202 · kitchen" in said and "open the item first" not in said, said
    # WeCom's image carries no caption: the note follows as a text, and is kept with it.
    noted = await act(wecom, WANG, "text", "resealed the pipe")
    assert f"#{leak}" in noted and "I read text only" not in noted, noted
    started = await act(wecom, WANG, "press", f"rp:{leak}")
    assert "Photo and note saved (1)" in started, started
    await act(wecom, WANG, "press", f"done:{leak}")
    assert report_of(db, leak) == (ItemState.repaired, "resealed the pipe", 1)


async def test_a_photo_after_a_card_opened_by_its_number_starts_its_report(bot, world, db):
    leak = world.items["leak"]
    wang = bot.chat(CONTRACTOR_A)
    await wang.send(str(leak))  # the id read off the paper list
    offered = await wang.send_photo(PNG(3), caption="resealed the pipe")
    assert "open the item first" not in texts(offered) and f"rp:{leak}" in buttons(offered)
    await wang.press(f"rp:{leak}")
    await wang.press(f"done:{leak}")
    assert report_of(db, leak) == (ItemState.repaired, "resealed the pipe", 1)


async def test_an_inspector_photo_after_item_command_starts_the_fail_report(bot, world, db):
    leak = world.items["leak"]
    move(db, leak, CONTRACTOR_A.id, Action.report_repaired, "done")
    li = bot.chat(INSPECTOR)
    await li.send(f"/item {leak}")
    offered = await li.send_photo(PNG(4), caption="still drips")
    assert f"fl:{leak}" in buttons(offered), texts(offered)
