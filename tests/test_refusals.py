"""Refusals: strangers, other contractors' items, forged buttons, double presses, races."""

from __future__ import annotations

import asyncio

import pytest

from bot.telegram import common
from bot.telegram.offline import OfflineUser
from handlers.buttons import RevokeNo
from handlers.core import Press
from models.errors import DomainError
from models.repair import PhotoIn, apply_transition
from models.tables import Action, Event, Item, ItemState
from tests.conftest import (
    CONTRACTOR_A,
    CONTRACTOR_B,
    INSPECTOR,
    PNG,
    SERVICE,
    STRANGER,
    texts,
    tg_user,
)


def state_of(db, item_id: int) -> ItemState:
    with db.session() as s:
        return s.get(Item, item_id).state


def event_count(db) -> int:
    with db.session() as s:
        return len(s.exec(Event.__table__.select()).all())


async def test_stranger_gets_a_polite_refusal_and_nothing_else(bot, world, db):
    before = event_count(db)
    stranger = bot.chat(STRANGER)
    for text in ("/mylist", "/tocheck", "hello", "/start"):
        replies = await stranger.send(text)
        assert len(replies) == 1 and "only for the project team" in replies[0].text
    assert await stranger.press(f"ps:{world.items['leak']}", message_id=replies[0].message_id) == []
    assert "only for the project team" in stranger.alert
    assert event_count(db) == before


async def test_contractor_cannot_open_or_act_on_another_contractors_item(bot, world, db):
    socket = world.items["socket"]  # belongs to 明达水电 (CONTRACTOR_B)
    wang = bot.chat(CONTRACTOR_A)
    await wang.send("/mylist")
    # Hand-made callback data: open, repair, dispute someone else's item.
    # Each refusal is the button's alert, and nothing else is said.
    assert await wang.press(f"it:{socket}") == [] and "not on your list" in wang.alert
    assert "卫生间" not in texts(wang.last_step_events)
    await wang.send("/mylist")
    assert await wang.press(f"rp:{socket}") == [] and "not on your list" in wang.alert
    await wang.send("/mylist")
    assert await wang.press(f"dp:{socket}") == [] and "not on your list" in wang.alert
    assert state_of(db, socket) is ItemState.open


async def test_forged_pass_by_a_contractor_is_refused(bot, world, db):
    leak = world.items["leak"]
    wang = bot.chat(CONTRACTOR_A)
    await wang.send("/mylist")
    await wang.press(f"rp:{leak}")
    await wang.send_photo(PNG(1), caption="done")
    await wang.press_label("Done")
    await wang.send("/mylist")
    await wang.press(f"ps:{leak}")
    assert "your role cannot" in wang.alert
    assert state_of(db, leak) is ItemState.repaired


async def test_service_cannot_pass_or_fail(bot, world, db):
    leak = world.items["leak"]
    with db.session() as s:
        apply_transition(
            s,
            item_id=leak,
            user=tg_user(s, CONTRACTOR_A.id),
            action=Action.report_repaired,
            photos=[PhotoIn(file_id="x")],
        )
    sun = bot.chat(SERVICE)
    help_id = (await sun.send("/help"))[0].message_id
    await sun.press(f"ps:{leak}", message_id=help_id)
    assert "your role cannot" in sun.alert
    await sun.press(f"fl:{leak}", message_id=help_id)
    assert "your role cannot" in sun.alert
    assert state_of(db, leak) is ItemState.repaired


async def test_pass_on_an_item_already_passed_and_double_press(bot, world, db):
    leak = world.items["leak"]
    wang, li = bot.chat(CONTRACTOR_A), bot.chat(INSPECTOR)
    await wang.send("/mylist")
    await wang.press(f"rp:{leak}")
    await wang.send_photo(PNG(1), caption="done")
    await wang.press_label("Done")
    await li.send("/tocheck")
    card = await li.press(f"ck:{leak}")
    card_id = [m for m in card if m.reply_markup][-1].message_id
    assert "passed and closed" in texts(await li.press(f"ps:{leak}", message_id=card_id))
    before = event_count(db)
    # The same button again (a double tap, or an old message).
    assert await li.press(f"ps:{leak}", message_id=card_id) == []
    assert "already handled" in li.alert and "closed" in li.alert
    assert event_count(db) == before
    # Fail on the closed item is refused too.
    await li.press(f"fl:{leak}", message_id=card_id)
    assert "already handled" in li.alert
    assert state_of(db, leak) is ItemState.closed


async def test_double_press_of_done_reports_once(bot, world, db):
    wall = world.items["wall"]
    wang = bot.chat(CONTRACTOR_A)
    await wang.send("/mylist")
    await wang.press(f"rp:{wall}")
    prompt = await wang.send_photo(PNG(2))
    done_msg = prompt[-1].message_id
    await wang.press("done", message_id=done_msg)
    before = event_count(db)
    await wang.press("done", message_id=done_msg)
    assert "no longer active" in wang.last_callback_answer().text
    assert event_count(db) == before


async def test_unknown_item_in_forged_data(bot, world):
    wang = bot.chat(CONTRACTOR_A)
    await wang.send("/mylist")
    await wang.press("it:999999")
    assert "no item #999999" in wang.alert
    await wang.send("/mylist")
    await wang.press("it:abc")  # matches no anchored pattern
    assert "no longer active" in wang.last_callback_answer().text


def test_two_inspectors_at_the_same_moment_one_wins(db, world):
    """Two sessions read the same repaired item; both pass; exactly one succeeds."""
    leak = world.items["leak"]
    with db.session() as s:
        apply_transition(
            s,
            item_id=leak,
            user=tg_user(s, CONTRACTOR_A.id),
            action=Action.report_repaired,
            photos=[PhotoIn(file_id="x")],
        )
    with db.session() as first, db.session() as second:
        inspector_1 = tg_user(first, INSPECTOR.id)
        inspector_2 = tg_user(second, INSPECTOR.id)
        first.get(Item, leak)
        second.get(Item, leak)  # both have read the item as 'repaired'
        apply_transition(first, item_id=leak, user=inspector_1, action=Action.pass_)
        first.commit()
        with pytest.raises(DomainError) as refused:
            apply_transition(second, item_id=leak, user=inspector_2, action=Action.fail, note="x")
        assert refused.value.key == "already_handled"
        second.rollback()
    with db.session() as s:
        events = s.exec(Event.__table__.select().where(Event.item_id == leak)).all()
        assert [e.action for e in events] == ["raise", "report_repaired", "pass"]
        assert s.get(Item, leak).state is ItemState.closed


def test_contractor_b_cannot_report_a_item_of_a(db, world):
    with db.session() as s, pytest.raises(DomainError) as refused:
        apply_transition(
            s,
            item_id=world.items["leak"],
            user=tg_user(s, CONTRACTOR_B.id),
            action=Action.report_repaired,
        )
    assert refused.value.key == "not_your_item"


def test_dispute_needs_a_reason_and_photo_rule_holds_in_the_domain(db, world):
    with db.session() as s:
        wang = tg_user(s, CONTRACTOR_A.id)
        with pytest.raises(DomainError) as no_reason:
            apply_transition(s, item_id=world.items["leak"], user=wang, action=Action.dispute)
        assert no_reason.value.key == "reason_required"
        with pytest.raises(DomainError) as no_photo:
            apply_transition(
                s,
                item_id=world.items["leak"],
                user=wang,
                action=Action.report_repaired,
                require_photo=True,
            )
        assert no_photo.value.key == "photo_required"


async def test_huge_forged_item_number_is_a_stale_button_not_a_crash(bot, world):
    wang = bot.chat(CONTRACTOR_A)
    await wang.send("/mylist")
    await wang.press("it:99999999999999999999")
    assert "no longer active" in wang.last_callback_answer().text


def test_reassign_to_the_same_contractor_is_refused_in_any_state(db, world):
    from tests.conftest import ADMIN

    with db.session() as s, pytest.raises(DomainError) as refused:
        apply_transition(
            s,
            item_id=world.items["leak"],
            user=tg_user(s, ADMIN.id),
            action=Action.reassign,
            contractor_id=world.huajian,
        )
    assert refused.value.key == "same_contractor"


async def test_cancel_tells_the_contractor(bot, world, db):
    from tests.conftest import ADMIN

    leak = world.items["leak"]
    chen = bot.chat(ADMIN)
    await chen.send(f"/cancel {leak} duplicate of another sheet")
    told = [m for m in chen.last_step_events if m.chat_id == CONTRACTOR_A.id]
    assert told and "duplicate of another sheet" in told[0].text
    assert state_of(db, leak) is ItemState.cancelled


@pytest.mark.telegram_errors  # Telegram refuses the edit that would change nothing
async def test_the_same_page_pressed_twice_is_quiet(bot, world):
    from telegram.error import BadRequest

    from bot.telegram.offline import OfflineChat

    # Telegram refuses an edit that changes nothing; the bot must not call that an error.
    wang = OfflineChat(bot.app, bot.transport, CONTRACTOR_A, expected_errors=(BadRequest,))
    listed = await wang.send("/mylist")
    await wang.press("ml:0", message_id=listed[0].message_id)
    assert wang.last_step_events == []  # nothing changed, nothing to say, no error
    assert bot.transport.unanswered_callbacks == []


async def test_a_refused_press_is_answered_once_as_its_alert_in_the_persons_language(bot, world):
    socket = world.items["socket"]  # another contractor's item
    wang = bot.chat(OfflineUser(id=CONTRACTOR_A.id, first_name="Wang", language_code="zh"))
    listed = await wang.send("/mylist")
    before = len(bot.transport.calls_of("answerCallbackQuery"))
    # The handler acknowledges the press before the refusal; still one answer: the alert.
    assert await wang.press(f"rp:{socket}", message_id=listed[0].message_id) == []
    assert wang.alert == f"问题 #{socket} 不在您的清单上。"
    assert len(bot.transport.calls_of("answerCallbackQuery")) == before + 1
    assert bot.transport.errors == [] and bot.transport.unanswered_callbacks == []
    # A press that goes well is answered once too, with no alert.
    await wang.press(f"it:{world.items['leak']}", message_id=listed[0].message_id)
    assert wang.alert is None and bot.transport.unanswered_callbacks == []
    assert len(bot.transport.calls_of("answerCallbackQuery")) == before + 2


async def test_a_slow_press_stops_spinning_and_a_late_refusal_comes_as_a_message(
    bot, world, monkeypatch
):
    monkeypatch.setattr(common, "ACK_WITHIN", 0.05)

    async def slow_refusal(ask) -> None:
        await asyncio.sleep(0.2)  # longer than ACK_WITHIN: the press is answered meanwhile
        raise DomainError("not_allowed")

    router = bot.app.bot_data["core"].router
    router.presses.insert(0, Press(RevokeNo, slow_refusal))  # "rn" goes to the slow flow
    wang = bot.chat(CONTRACTOR_A)
    listed = await wang.send("/mylist")
    replies = await wang.press("rn", message_id=listed[0].message_id)
    assert wang.alert is None and bot.transport.unanswered_callbacks == []
    assert texts(replies) == "Sorry, your role cannot do that."
    assert bot.transport.errors == []


async def test_a_press_without_data_is_a_stale_button_not_a_crash(bot, world, db):
    before = event_count(db)
    wang, stranger = bot.chat(CONTRACTOR_A), bot.chat(STRANGER)
    listed = await wang.send("/mylist")
    assert await wang.press(None, message_id=listed[0].message_id) == []
    assert wang.alert == "This button is no longer active."
    listed = await stranger.send("/start")
    assert await stranger.press(None, message_id=listed[0].message_id) == []
    assert stranger.alert == "This button is no longer active."
    assert event_count(db) == before


async def test_done_on_an_item_cancelled_meanwhile_is_the_done_buttons_alert(bot, world, db):
    from tests.conftest import ADMIN

    leak = world.items["leak"]
    wang, li = bot.chat(CONTRACTOR_A), bot.chat(INSPECTOR)
    await wang.send("/mylist")
    await wang.press(f"rp:{leak}")
    await wang.send_photo(PNG(1), caption="done")
    await wang.press(f"done:{leak}")
    await li.send("/tocheck")
    await li.press(f"ck:{leak}")
    await li.press_label("Fail")
    await li.send("still drips")
    await bot.chat(ADMIN).send(f"/cancel {leak} duplicate")
    assert await li.press_label("Done") == []
    assert "already handled" in li.alert and "cancelled" in li.alert
    assert state_of(db, leak) is ItemState.cancelled
