"""Numbers no id can be: typed or forged, each is "no such ..." on SQLite and PostgreSQL alike."""

from __future__ import annotations

import pytest
from sqlmodel import select

from bot.wecom.sender_side import template_card_event
from models import people
from models import project as setup
from models.ids import MAX_ID
from models.repair import apply_transition
from models.tables import Action, Dialogue, Event, Role
from tests.conftest import ADMIN, CONTRACTOR_A, INSPECTOR, MANAGER, SERVICE, texts, tg_user
from tests.test_buttons import FORGERIES
from tests.test_wecom_chat import wecom, wecom_settings  # noqa: F401  (fixtures)

# The largest id there can be is fine; one more, and the longest number a button takes, are not.
TOO_BIG = (MAX_ID + 1, 999_999_999_999)


def event_count(db) -> int:
    with db.session() as s:
        return len(s.exec(Event.__table__.select()).all())


@pytest.mark.parametrize("number", (MAX_ID, *TOO_BIG))
async def test_an_impossible_item_in_a_button_is_no_such_item(bot, world, db, number):
    before = event_count(db)
    for user, opening, presses in (
        (CONTRACTOR_A, "/mylist", ("it", "rp", "dp")),
        (INSPECTOR, "/tocheck", ("ck", "ps", "fl")),
        (SERVICE, "/help", ("hi",)),
    ):
        chat = bot.chat(user)
        shown = await chat.send(opening)
        for prefix in presses:
            alert = await chat.press_alert(f"{prefix}:{number}", message_id=shown[0].message_id)
            assert f"There is no item #{number}." == alert, prefix
    assert event_count(db) == before


@pytest.mark.parametrize("number", TOO_BIG)
async def test_an_impossible_id_of_anything_else_in_a_button_is_refused(bot, world, db, number):
    chen, sun = bot.chat(ADMIN), bot.chat(SERVICE)
    leak, p = world.items["leak"], world.project_id
    with db.session() as s:
        user = tg_user(s, CONTRACTOR_A.id)
        version = apply_transition(
            s, item_id=leak, user=user, action=Action.dispute, note="not ours"
        ).item.version
    help_id = (await chen.send("/help"))[0].message_id
    assert "no item" in await chen.press_alert(f"ra:{number}:{world.mingda}:1", message_id=help_id)
    assert "no such contractor" in await chen.press_alert(
        f"ra:{leak}:{number}:{version}", message_id=help_id
    )
    assert "already handled" in await chen.press_alert(  # a version the item never had
        f"ra:{leak}:{world.mingda}:{number}", message_id=help_id
    )
    assert "not in this project" in await chen.press_alert(f"rv:{p}:{number}", message_id=help_id)
    assert "not in this project" in await chen.press_alert(f"ry:{p}:{number}", message_id=help_id)
    assert "your role cannot" in await chen.press_alert(f"ry:{number}:1", message_id=help_id)
    help_id = (await sun.send("/help"))[0].message_id
    assert "no flat" in await sun.press_alert(f"un:{number}", message_id=help_id)
    assert "no flat" in await sun.press_alert(f"os:{number}:zh", message_id=help_id)


@pytest.mark.parametrize("number", (*TOO_BIG, 99999999999999999999, "9" * 4000))
async def test_an_impossible_item_in_a_command_is_no_such_item(bot, world, db, number):
    before = event_count(db)
    shown = str(number) if len(str(number)) <= 12 else f"{str(number)[:12]}…"
    for user, command in (
        (SERVICE, f"/item {number}"),
        (ADMIN, f"/cancel {number} duplicate"),
        (ADMIN, f"/reopen {number} came back"),
        (ADMIN, f"/done {number}"),
        (ADMIN, f"/pass {number}"),
        (ADMIN, f"/fail {number} still leaks"),
    ):
        said = texts(await bot.chat(user).send(command))
        assert "went wrong" not in said, command
        assert f"#{shown}" in said, command
    assert event_count(db) == before


@pytest.mark.parametrize("text", ("²", "#²", "１²", "12a", "", "-5"))
async def test_item_with_what_is_no_number_shows_how_to_use_it(bot, world, text):
    said = texts(await bot.chat(SERVICE).send(f"/item {text}"))
    assert "/item" in said and "went wrong" not in said


async def test_item_with_full_width_digits_finds_the_item(bot, world):
    leak = world.items["leak"]
    wide = "".join(chr(ord("０") + int(d)) for d in str(leak))
    assert "卫生间吊顶渗水" in texts(await bot.chat(SERVICE).send(f"/item {wide}"))


@pytest.mark.parametrize("number", TOO_BIG)
async def test_an_impossible_project_category_or_contractor_in_new_is_refused(
    bot, world, db, number
):
    with db.session() as s:
        hill = setup.create_project(s, name="Hillside 2")
        people.add_member(
            s,
            project_id=hill.id,
            platform="telegram",
            account=str(ADMIN.id),
            name="Chen",
            roles=[Role.admin],
        )
    chen = bot.chat(ADMIN)
    assert "several projects" in texts(await chen.send("/new"))
    assert "no such project" in await chen.press_alert(f"nw:p:{number}")
    await chen.press_label("Riverside 1")
    await chen.send("3-1-502")
    await chen.press_label("Living room")
    assert f"no category {number}" in await chen.press_alert(f"nw:c:{number}")
    await chen.press_label("Leak")
    await chen.send("window leaks")
    await chen.press_label("Skip photos")
    await chen.press_label("Today")
    await chen.press_label("No sheet")
    await chen.press_label("Choose another contractor")
    assert "no such contractor" in await chen.press_alert(f"nw:k:{number}")


# Every button kind that carries a number, with the longest number its pattern takes in each
# place (and a plausible value in the others): pressed by every role, on PostgreSQL too, where a
# number past 32 bits reaching a query is "integer out of range".
FORGED = {
    "ml": "ml:999999999999",
    "tc": "tc:999999999999",
    "it": "it:999999999999",
    "rp": "rp:999999999999",
    "dp": "dp:999999999999",
    "ck": "ck:999999999999",
    "ps": "ps:999999999999",
    "fl": "fl:999999999999",
    "done": "done:999999999999",
    "skip": "skip:999999999999",
    "cancel": "cancel:999999999999",
    "ra": "ra:999999999999:999999999999:999999999999",
    "rj": "rj:999999999999:999999999999",
    "rv": "rv:999999999999:999999999999",
    "ry": "ry:999999999999:999999999999",
    "pp": "pp:999999999999:999999999999",
    "pr": "pr:999999999999:999999999999:inspector:1",
    "iv": "iv:4:999999999999",
    "un": "un:999999999999",
    "fd": "fd:999999999999:1",
    "fd page": "fd:1:999999",
    "uc": "uc:999999999999:1",
    "uc page": "uc:1:999999",
    "hi": "hi:999999999999",
    "os": "os:999999999999:zh",
    "nw:p": "nw:p:999999999999",
    "nw:c": "nw:c:999999999999",
    "nw:k": "nw:k:999999999999",
    "nw:dok": "nw:dok:9999-99-99",
    "nw:up": "nw:up:9999",
    "ud": "ud:999999999999:999999999999",
    "rs": "rs:999999999999:999999999999",
    "cr": "cr:999999999999",
    "cf": "cf:999999999999:description",
    "cc": "cc:999999999999:999999999999",
}
CAST = (ADMIN, CONTRACTOR_A, INSPECTOR, SERVICE, MANAGER)


def test_every_button_with_a_number_is_forged_here():
    from handlers import flows

    kinds = [p.kind for p in flows.router().presses]
    numbered = {k.__name__ for k in kinds if int in {type(v) for v in vars(k.largest()).values()}}
    covered = {k.__name__ for k in kinds if any(k.parse(data) for data in FORGED.values())}
    assert numbered <= covered, f"no forged press for {sorted(numbered - covered)}"


@pytest.mark.parametrize("data", FORGED.values(), ids=FORGED.keys())
async def test_a_number_past_any_id_in_any_button_is_refused(bot, world, db, data):
    before = event_count(db)
    for user in CAST:
        chat = bot.chat(user)
        shown = await chat.send("/help")
        said = texts(await chat.press(data, message_id=shown[0].message_id))
        answer = chat.alert or ""
        assert "went wrong" not in said + answer, (user.first_name, data)
        assert said or answer, (user.first_name, data)  # a refusal, not silence
    assert event_count(db) == before


async def test_an_impossible_contractor_in_an_invite_or_search_in_a_page_turn(bot, world):
    chen, sun = bot.chat(ADMIN), bot.chat(SERVICE)
    help_id = (await chen.send("/help"))[0].message_id
    assert "no such contractor" in await chen.press_alert("iv:4:999999999999", message_id=help_id)
    help_id = (await sun.send("/help"))[0].message_id
    assert "no longer active" in await sun.press_alert("fd:999999999999:1", message_id=help_id)


# Forged data of every kind of button (tests/test_buttons.py): a bad number, one too long, a
# wrong word, extra fields, an unknown prefix. The router refuses each in one place, as a
# stale button, before any flow or guard: a report half-written stays as it was.
def _dialogue(db) -> tuple:
    with db.session() as s:
        return tuple((d.user_id, d.step, d.data) for d in s.exec(select(Dialogue)).all())


async def test_forged_data_of_every_button_is_stale_and_changes_nothing_on_telegram(bot, world, db):
    leak = world.items["leak"]
    wang = bot.chat(CONTRACTOR_A)
    await wang.send("/mylist")
    await wang.press(f"it:{leak}")
    await wang.press(f"rp:{leak}")  # a report begun: a forged press must not drop it
    before, dialogue = event_count(db), _dialogue(db)
    assert any(step == "repair" for _, step, _ in dialogue)
    for what, data in FORGERIES.items():
        assert await wang.press_alert(data) == "This button is no longer active.", what
    assert event_count(db) == before
    assert _dialogue(db) == dialogue


async def test_forged_data_of_every_button_is_stale_and_changes_nothing_on_wecom(
    wecom,  # noqa: F811
    world,
    db,
):
    leak = world.items["leak"]
    await wecom.act("contractor", "send", "/mylist")
    await wecom.act("contractor", "press", f"it:{leak}")
    await wecom.act("contractor", "press", f"rp:{leak}")
    before, dialogue = event_count(db), _dialogue(db)
    assert any(step == "repair" for _, step, _ in dialogue)
    # One forgery of each kind, each on a card of its own (a card is pressed once).
    one_each = {what.split(":")[0]: data for what, data in FORGERIES.items()}
    for n, (kind, data) in enumerate(one_each.items()):
        press = template_card_event(
            corp_id=wecom.wecom.corp_id,
            user="WangWei",
            event_key=data,
            task_id=f"forged{n}",
            response_code="",
        )
        sent = len(wecom.wecom.texts_to("WangWei"))
        await wecom.post(press)
        said = wecom.wecom.texts_to("WangWei")[sent:]
        assert said in (["这个按钮已失效。"], ["This button is no longer active."]), (kind, data)
    assert event_count(db) == before
    assert _dialogue(db) == dialogue
