"""Every kind of update delivered twice is handled once: one answer, one change.

Telegram retries a webhook it thinks failed and a restarted poller may fetch an update again;
WeCom retries a callback not answered within 5 s; the robot's gateway delivers a message again
after a reconnect. Each platform records what it saw in the database (models/inbound.py), so
the second delivery, to this process or another, changes nothing and says nothing.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from dataclasses import dataclass

import pytest

from bot.telegram.offline import OfflineChat
from bot.wecom.sender_side import callback, image_message, template_card_event, text_message
from models.tables import Action
from tests.conftest import ADMIN, CONTRACTOR_A, INSPECTOR, PNG, move
from tests.probes import changed, rows
from tests.test_files_chat import XLSX
from tests.test_sheets import ITEM_HEADERS_ZH, xlsx
from tests.test_wecom_chat import wecom, wecom_settings  # noqa: F401  (fixtures)
from tests.test_wecom_robot import desk  # noqa: F401  (fixture)

ITEMS = xlsx({"问题": [ITEM_HEADERS_ZH, ["3-1-1202", "卫生间", "渗漏", "地漏反味", "2026-12-10"]]})


@dataclass(frozen=True)
class Kind:
    """An update of one kind: who sends it, what leads up to it, and the update itself."""

    who: object  # an OfflineUser of the world
    lead: Callable[[OfflineChat, dict[str, int]], Awaitable[object]]
    act: Callable[[OfflineChat, dict[str, int]], Awaitable[object]]


async def _nothing(chat: OfflineChat, items: dict[str, int]) -> None:
    return None


async def _checking(chat: OfflineChat, items: dict[str, int]) -> None:
    await chat.send("/tocheck")
    await chat.press(f"ck:{items['leak']}")


async def _failing(chat: OfflineChat, items: dict[str, int]) -> None:
    await _checking(chat, items)
    await chat.press(f"fl:{items['leak']}")


TELEGRAM = {
    # A command that moves an item: the second would be "already cancelled".
    "command": Kind(
        ADMIN, _nothing, lambda chat, items: chat.send(f"/cancel {items['socket']} 重复录入")
    ),
    # A fail reason typed: the second would be a second note on the draft.
    "text": Kind(INSPECTOR, _failing, lambda chat, items: chat.send("雨后仍然滴水")),
    # A photo of the fail: the second would be a second photo.
    "photo": Kind(INSPECTOR, _failing, lambda chat, items: chat.send_photo(PNG(7))),
    # An items workbook: the second would be answered "nothing new".
    "document": Kind(ADMIN, _nothing, lambda chat, _: chat.send_document(ITEMS, "k.xlsx", XLSX)),
    # Pass pressed: the second answer to one callback query Telegram refuses.
    "button": Kind(INSPECTOR, _checking, lambda chat, items: chat.press(f"ps:{items['leak']}")),
}


@pytest.mark.parametrize("kind", TELEGRAM.values(), ids=TELEGRAM.keys())
async def test_a_telegram_update_delivered_twice_is_handled_once(bot, world, db, kind):
    move(db, world.items["leak"], CONTRACTOR_A.id, Action.report_repaired, "修好了")
    chat = bot.chat(kind.who)
    await kind.lead(chat, world.items)
    before = rows(db)
    answers = len(bot.transport.callback_answers)
    first = await kind.act(chat, world.items)
    after = rows(db)
    assert changed(before, after), "the first delivery changed nothing: the test proves nothing"
    assert first or len(bot.transport.callback_answers) > answers, "the first was not answered"
    answered = len(bot.transport.callback_answers)
    calls = len(bot.transport.calls)

    assert await chat.redeliver() == []
    assert changed(after, rows(db)) == {}
    assert len(bot.transport.callback_answers) == answered
    assert bot.transport.calls[calls:] == []  # not a word, not a chat action, to Telegram


async def test_the_same_update_id_on_another_bot_is_another_update(bot, world, db, settings):
    """Update ids are per bot: one database serving two bots keeps them apart."""
    from bot.telegram.offline import OfflineTelegram
    from bot.telegram.stand_in import build_offline

    chat = bot.chat(ADMIN)
    await chat.send("/help")
    update = chat._last_update
    other = OfflineTelegram(bot_username="other_bot", bot_id=424242)
    app = build_offline(settings, db, other)
    async with app:
        again = OfflineChat(app, other, ADMIN, expected_errors=())
        again._last_update = update  # the same update_id, on another bot
        assert await again.redeliver() != []


# -- WeCom: the callback posted twice, as WeCom retries it -----------------------------------


async def _post_raw(driver, message: str) -> int:
    sealed = callback(driver.server.crypto, message)
    async with driver.client.post(
        "/wecom/callback", params=sealed.query(), data=sealed.body
    ) as response:
        return response.status


@pytest.mark.parametrize("kind", ["text", "command", "photo", "button"])
async def test_a_wecom_callback_delivered_twice_is_handled_once(wecom, world, db, kind):  # noqa: F811
    leak = world.items["leak"]
    move(db, leak, CONTRACTOR_A.id, Action.report_repaired, "修好了")
    corp, user = wecom.wecom.corp_id, "LiNa"
    if kind in ("text", "photo"):
        for step in ("/tocheck", f"ck:{leak}", f"fl:{leak}"):
            await wecom.act("inspector", "press" if ":" in step else "send", step)
    elif kind == "button":
        await wecom.act("inspector", "send", "/tocheck")
        await wecom.act("inspector", "press", f"ck:{leak}")
    if kind == "text":
        message = text_message(corp_id=corp, user=user, content="雨后仍然滴水")
    elif kind == "command":
        message = text_message(corp_id=corp, user=user, content="/tocheck")
    elif kind == "photo":
        media = wecom.wecom.add_member_media(PNG(9), "photo.png")
        message = image_message(corp_id=corp, user=user, media_id=media)
    else:
        click = wecom.wecom.press(user, f"ps:{leak}")
        message = template_card_event(
            corp_id=corp,
            user=user,
            event_key=click.key,
            task_id=click.task_id,
            response_code=click.response_code,
        )
    before = rows(db)
    sent = len(wecom.wecom.messages_to(user))
    assert await wecom.post(message) == 200
    after = rows(db)
    said = len(wecom.wecom.messages_to(user))
    assert said > sent, "the first delivery was not answered"
    if kind != "command":
        assert changed(before, after), "the first delivery changed nothing"

    assert await _post_raw(wecom, message) == 200  # 200: WeCom stops retrying
    await asyncio.sleep(0.05)
    await wecom.server.chat.idle()
    assert len(wecom.wecom.messages_to(user)) == said
    assert changed(after, rows(db)) == {}


# -- the WeCom robot: the gateway delivers a message again after a reconnect -----------------


@pytest.mark.parametrize("kind", ["text", "photo", "button"])
async def test_a_robot_message_delivered_twice_is_handled_once(desk, world, db, kind):  # noqa: F811
    leak = world.items["leak"]
    move(db, leak, CONTRACTOR_A.id, Action.report_repaired, "修好了")
    gw, user = desk.gateway, "LiNa"
    await desk.act("inspector", "send", "/tocheck")
    await desk.act("inspector", "press", f"ck:{leak}")
    if kind != "button":
        await desk.act("inspector", "press", f"fl:{leak}")
    before = rows(db)
    sent = len(gw.messages_to(user))
    if kind == "text":
        await desk.do(gw.text(user, "雨后仍然滴水"))
    elif kind == "photo":
        await desk.do(gw.image(user, PNG(11)))
    else:
        await desk.do(gw.press(user, f"ps:{leak}"))
    after = rows(db)
    said = len(gw.messages_to(user))
    assert said > sent and changed(before, after), "the first delivery did nothing"

    await gw.redeliver()
    await asyncio.sleep(0.05)
    await desk.robot.chat.idle()
    assert len(gw.messages_to(user)) == said
    assert changed(after, rows(db)) == {}
