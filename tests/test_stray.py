"""What no flow expects gets an answer saying what to do: /cancel, a stray photo or text."""

from __future__ import annotations

from bot.telegram.offline import OfflineUser
from models.tables import Event
from tests.conftest import ADMIN, CONTRACTOR_A, INSPECTOR, PNG, SERVICE, texts


def event_count(db) -> int:
    with db.session() as s:
        return len(s.exec(Event.__table__.select()).all())


async def test_cancel_with_nothing_to_cancel_says_so(bot, world):
    said = texts(await bot.chat(CONTRACTOR_A).send("/cancel"))
    assert said == "Nothing to cancel: no report or entry is in progress."
    # An admin, who may cancel items, is told how; also after a /cancel that names no item.
    for text in ("/cancel", "/cancel abc"):
        said = texts(await bot.chat(ADMIN).send(text))
        assert said.startswith("Nothing to cancel") and "/cancel ID reason" in said
    chinese = OfflineUser(id=CONTRACTOR_A.id, first_name="Wang", language_code="zh")
    assert texts(await bot.chat(chinese).send("/cancel")) == (
        "没有可取消的内容：现在没有正在填写的报告或录入。"
    )


async def test_cancel_in_a_report_still_cancels_it(bot, world):
    wang = bot.chat(CONTRACTOR_A)
    await wang.send("/mylist")
    await wang.press(f"rp:{world.items['leak']}")
    assert "Nothing was changed" in texts(await wang.send("/cancel"))
    assert texts(await wang.send("/cancel")).startswith("Nothing to cancel")


async def test_a_stray_photo_says_which_command_opens_an_item(bot, world, db):
    before = event_count(db)
    wang, li = bot.chat(CONTRACTOR_A), bot.chat(INSPECTOR)
    chen, sun = bot.chat(ADMIN), bot.chat(SERVICE)
    said = texts(await wang.send_photo(PNG(1)))
    assert "open the item first (/mylist)" in said and "/tocheck" not in said
    assert "open the item first (/tocheck)" in texts(await li.send_photo(PNG(2), caption="x"))
    assert "/new" in texts(await chen.send_photo(PNG(3)))
    assert texts(await sun.send_photo(PNG(4))).startswith("Photos are not taken here")
    assert event_count(db) == before


async def test_a_stray_text_names_the_commands_that_take_text(bot, world):
    said = texts(await bot.chat(SERVICE).send("3-1-1202"))
    assert "not understand" not in said
    assert "/unit — " in said and "/find — " in said and "/item — " in said
    assert "/mylist" not in said and "/help" in said
    said = texts(await bot.chat(CONTRACTOR_A).send("fixed it yesterday"))
    assert "open it first (/mylist)" in said and "/unit" not in said
    chinese = OfflineUser(id=SERVICE.id, first_name="Sun", language_code="zh")
    said = texts(await bot.chat(chinese).send("3-1-1202"))
    assert "可以带文字的命令" in said and "/unit — 查房号" in said


async def test_an_unknown_command_is_named(bot, world):
    said = texts(await bot.chat(SERVICE).send("/flat 3-1-1202"))
    assert said == "There is no command /flat. Send /help to see what you can do."
