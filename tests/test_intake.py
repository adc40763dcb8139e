"""/new: a clerk enters inspection-sheet items in chat, fast, and they reach the right list."""

from __future__ import annotations

import re
from datetime import date, timedelta

import pytest
from sqlmodel import select

from bot.telegram.offline import OfflineChat, OfflineTelegram, OfflineUser
from bot.telegram.stand_in import build_offline
from models import clock, people
from models import project as setup
from models.dialogue import DRAFT_LIFETIME
from models.errors import DomainError
from models.intake import enter_item, far_back, parse_date
from models.tables import Category, Dialogue, Event, Item, Photo, Role, Unit
from tests.conftest import (
    CONTRACTOR_A,
    CONTRACTOR_B,
    INSPECTOR,
    PNG,
    PROJECT_TZ,
    STRANGER,
    texts,
    tg,
)
from tests.wecom_member import wecom_desk

CLERK = OfflineUser(id=1201, first_name="Zhou", language_code="en")
CLERK_ZH = OfflineUser(id=1202, first_name="Wu", language_code="zh")


@pytest.fixture
def clerks(db, world) -> None:
    """Register two clerks of the small project (one reads English, one Chinese)."""
    with db.session() as s:
        for user in (CLERK, CLERK_ZH):
            people.add_member(
                s,
                project_id=world.project_id,
                platform="telegram",
                account=str(user.id),
                name=user.first_name,
                roles=[Role.clerk],
            )


def today() -> date:
    """Return the small project's today on the pinned clock."""
    return clock.today(PROJECT_TZ)


def entered_id(messages: list) -> int:
    found = re.search(r"Item #(\d+) entered", texts(messages))
    assert found, texts(messages)
    return int(found[1])


async def to_summary(
    chat: OfflineChat,
    *,
    unit: str = "3-1-1202",
    room: str = "Bathroom",
    category: str = "Leak",
    description: str = "ceiling drips after a shower",
    sheet: str | None = "A-017",
) -> str:
    """Walk /new from the start to the summary; return the summary's text."""
    assert "Which flat?" in texts(await chat.send("/new"))
    assert "where in the flat?" in texts(await chat.send(unit))
    await chat.press_label(room)
    await chat.press_label(category)
    assert "Photos?" in texts(await chat.send(description))
    assert "Raised on?" in texts(await chat.press_label("Skip photos"))
    await chat.press_label("Today")
    if sheet is None:
        return texts(await chat.press_label("No sheet number"))
    return texts(await chat.send(sheet))


def items_of(db) -> list[Item]:
    with db.session() as s:
        return list(s.exec(select(Item).order_by(Item.id)).all())


async def test_new_item_end_to_end_reaches_the_contractors_list(bot, world, db, clerks):
    zhou = bot.chat(CLERK)
    summary = await to_summary(zhou, unit="3栋1单元1202")
    assert "Flat: 3-1-1202" in summary and "Where: Bathroom" in summary
    assert "Category: Leak" in summary and f"Raised on: {today().isoformat()}" in summary
    assert "Sheet: A-017" in summary
    assert "Photos: none" in summary and "Photos: 0" not in summary
    assert "华建装饰 (by the assignment rule)" in summary
    item_id = entered_id(await zhou.press_label("Confirm"))
    assert [label for row in zhou.buttons() for label, _ in row] == [
        "➕ Next item, same flat",
        "🏠 Next flat",
        "Finish",
    ]

    shown = texts(await bot.chat(CONTRACTOR_A).send("/mylist"))
    line = next(x for x in shown.splitlines() if f"#{item_id}" in x)
    assert "3-1-1202 Bathroom · Leak · ceiling drips after a sho" in line
    assert f"#{item_id}" not in texts(await bot.chat(CONTRACTOR_B).send("/mylist"))
    with db.session() as s:
        item = s.get(Item, item_id)
        assert (item.sheet_no, item.raised_on, item.contractor_id) == (
            "A-017",
            today(),
            world.huajian,
        )
        raised = s.exec(select(Event).where(Event.item_id == item_id)).one()
        assert raised.actor_id is not None
    assert "Entered in this run: 1" in texts(await zhou.press_label("Finish"))


async def test_misspelt_flat_offers_near_flats_as_buttons(bot, world, clerks):
    zhou = bot.chat(CLERK)
    await zhou.send("/new")
    missed = texts(await zhou.send("3-1-1203"))
    assert "no flat 3-1-1203" in missed and "Did you mean" in missed
    assert ("3-1-1202", "nw:u:3-1-1202") in zhou.buttons()[0]
    assert "3-1-1202: where in the flat?" in texts(await zhou.press("nw:u:3-1-1202"))
    # Nothing near at all: asked to type it again, still at the flat step.
    await zhou.send("/new")
    assert "Type the flat again" in texts(await zhou.send("zzz"))
    assert "5-2-801: where" in texts(await zhou.send("5-2-801"))


async def test_next_item_of_the_same_flat_reuses_flat_date_and_sheet(bot, world, db, clerks):
    zhou = bot.chat(CLERK)
    await to_summary(zhou, sheet="B-204")
    first = entered_id(await zhou.press_label("Confirm"))

    assert "3-1-1202: where" in texts(await zhou.press_label("Next item, same flat"))
    await zhou.press_label("Balcony")
    await zhou.press_label("Wall")
    await zhou.send("cracked plaster")
    summary = texts(await zhou.press_label("Skip photos"))  # no date or sheet asked again
    assert "Flat: 3-1-1202" in summary and "Sheet: B-204" in summary
    second = entered_id(await zhou.press_label("Confirm"))
    assert "Entered in this run: 2" in texts(zhou.last_step_events)

    # Next flat: the flat is asked, the sheet is offered from memory.
    assert "Which flat?" in texts(await zhou.press_label("Next flat"))
    assert not any("Same flat" in label for row in zhou.buttons() for label, _ in row)
    await zhou.send("3-1-502")
    await zhou.press_label("Kitchen")
    await zhou.press_label("Plumbing/electric")
    await zhou.send("no power at the socket")
    await zhou.press_label("Skip photos")
    await zhou.press_label("Today")
    assert "明达水电" in texts(await zhou.press_label("Same sheet: B-204"))
    third = entered_id(await zhou.press_label("Confirm"))

    # A new /new offers the last flat with one tap.
    await zhou.send("/new")
    assert "3-1-502: where" in texts(await zhou.press_label("Same flat: 3-1-502"))
    with db.session() as s:
        rows = [s.get(Item, i) for i in (first, second, third)]
        assert [r.sheet_no for r in rows] == ["B-204"] * 3
        assert rows[0].unit_id == rows[1].unit_id != rows[2].unit_id
        assert [r.location for r in rows] == ["Bathroom", "Balcony", "Kitchen"]


async def test_choosing_another_contractor_overrides_the_rule(bot, world, db, clerks):
    zhou = bot.chat(CLERK)
    summary = await to_summary(zhou)
    assert "华建装饰 (by the assignment rule)" in summary
    old_summary = zhou.transport.last_message(CLERK.id, with_keyboard=True).message_id
    await zhou.press_label("Choose another contractor")
    assert {label for row in zhou.buttons() for label, _ in row} >= {"华建装饰", "明达水电"}
    summary = texts(await zhou.press_label("明达水电"))
    assert "明达水电 (chosen by you)" in summary

    # The first summary's Confirm named the other contractor: it no longer counts.
    before = len(items_of(db))
    await zhou.press("nw:ok", message_id=old_summary)
    assert "no longer active" in zhou.last_callback_answer().text
    assert len(items_of(db)) == before

    summary_id = zhou.transport.last_message(CLERK.id, with_keyboard=True).message_id
    item_id = entered_id(await zhou.press("nw:ok", message_id=summary_id))
    assert "→ 明达水电" in texts(zhou.last_step_events)
    # Confirm pressed twice enters one item.
    await zhou.press("nw:ok", message_id=summary_id)
    assert "no longer active" in zhou.last_callback_answer().text
    assert len(items_of(db)) == before + 1
    assert f"#{item_id}" in texts(await bot.chat(CONTRACTOR_B).send("/mylist"))
    assert f"#{item_id}" not in texts(await bot.chat(CONTRACTOR_A).send("/mylist"))


async def test_without_a_rule_the_clerk_must_choose(bot, world, clerks):
    zhou = bot.chat(CLERK)
    summary = await to_summary(zhou, category="Floor", sheet=None)
    assert "no assignment rule for Floor in building 3" in summary and "Sheet: none" in summary
    labels = [label for row in zhou.buttons() for label, _ in row]
    assert "✅ Confirm" not in labels and "Choose a contractor" in labels
    await zhou.press_label("Choose a contractor")
    await zhou.press_label("华建装饰")
    item_id = entered_id(await zhou.press_label("Confirm"))
    assert f"#{item_id}" in texts(await bot.chat(CONTRACTOR_A).send("/mylist"))


async def test_photos_are_stored_with_the_item(bot, world, db, settings, clerks):
    zhou = bot.chat(CLERK)
    await zhou.send("/new")
    await zhou.send("5-2-801")
    await zhou.press_label("Kitchen")
    await zhou.press_label("Plumbing/electric")
    # The caption is the description; a second photo follows; then Done.
    assert "Photo saved (1)" in texts(await zhou.send_photo(PNG(11), caption="socket dead"))
    assert "Photo saved (2)" in texts(await zhou.send_photo(PNG(12)))
    await zhou.press_label("Done")
    await zhou.press_label("Today")
    summary = texts(await zhou.press_label("No sheet number"))
    assert "Defect: socket dead" in summary and "Photos: 2" in summary
    item_id = entered_id(await zhou.press_label("Confirm"))
    with db.session() as s:
        photos = s.exec(select(Photo).where(Photo.item_id == item_id)).all()
        assert len(photos) == 2
        for photo in photos:
            assert (settings.media_dir / photo.path).read_bytes()[:4] == b"\x89PNG"
    mingda = bot.chat(CONTRACTOR_B)
    await mingda.send("/mylist")
    card = texts(await mingda.press(f"it:{item_id}"))
    assert "socket dead" in card and "📷2" in card


async def test_photo_before_the_description_waits_for_it(bot, world, db, clerks):
    zhou = bot.chat(CLERK)
    await zhou.send("/new")
    await zhou.send("5-2-801")
    await zhou.press_label("Kitchen")
    await zhou.press_label("Plumbing/electric")
    assert "Now type the description" in texts(await zhou.send_photo(PNG(13)))
    # The photo came first: whether there is one is not asked again.
    asked = texts(await zhou.send("tap drips"))
    assert "Photos?" not in asked and "Raised on?" in asked
    await zhou.press_label("Today")
    summary = texts(await zhou.press_label("No sheet number"))
    assert "Defect: tap drips" in summary and "Photos: 1" in summary


@pytest.mark.parametrize("who", [CONTRACTOR_A, INSPECTOR])
async def test_contractors_and_inspectors_are_refused(bot, world, db, who):
    chat = bot.chat(who)
    assert "your role cannot" in texts(await chat.send("/new"))
    # No conversation was started: a flat code now means nothing.
    assert "where in the flat" not in texts(await chat.send("3-1-1202"))
    assert len(items_of(db)) == 3


async def test_a_stranger_is_refused(bot, world):
    assert "only for the project team" in texts(await bot.chat(STRANGER).send("/new"))


async def test_bad_input_is_answered_and_changes_nothing(bot, world, db, clerks):
    zhou = bot.chat(CLERK)
    await zhou.send("/new")
    await zhou.send("3-1-1202")
    assert "too long" in texts(await zhou.send("x" * 61))
    await zhou.send("the kitchen ceiling")  # free text is a location
    assert "There is no category" in texts(await zhou.send("plumbing stuff"))
    await zhou.send("渗漏")  # a category typed by its Chinese name
    assert "Please describe" in texts(await zhou.send("   "))
    await zhou.send("water stain")
    assert "press one of the buttons" in texts(await zhou.send("hello"))
    await zhou.press_label("Skip photos")
    assert "not a date I can read" in texts(await zhou.send("2026-13-45"))
    assert "has not come yet" in texts(await zhou.send((today() + timedelta(days=3)).isoformat()))
    assert "days ago" in texts(await zhou.send("20240305"))
    await zhou.press_label("Yes, 2024-03-05")
    assert "too long" in texts(await zhou.send("S" * 41))
    summary = texts(await zhou.send("S-1"))
    assert "Raised on: 2024-03-05" in summary and "Where: the kitchen ceiling" in summary
    assert "Category: Leak" in summary
    # Cancel from the summary: nothing is recorded; /cancel ends a fresh one too.
    assert "Cancelled" in texts(await zhou.press_label("Cancel"))
    await zhou.send("/new")
    assert "Cancelled" in texts(await zhou.send("/cancel"))
    assert len(items_of(db)) == 3


async def test_change_date_and_sheet_from_the_summary(bot, world, db, clerks):
    zhou = bot.chat(CLERK)
    await to_summary(zhou)
    await zhou.press_label("Change…")
    await zhou.press_label("Date")
    assert "289 days ago" in texts(await zhou.send("3-02"))  # far back: asked first
    assert "Raised on: 2026-03-02" in texts(await zhou.press_label("Yes"))  # back to the summary
    await zhou.press_label("Change…")
    await zhou.press_label("Sheet")
    summary = texts(await zhou.send("C-9"))
    assert "Sheet: C-9" in summary
    item_id = entered_id(await zhou.press_label("Confirm"))
    with db.session() as s:
        raised = s.get(Item, item_id).raised_on
        assert (raised.month, raised.day) == (3, 2) and raised <= today()


async def test_every_field_can_be_corrected_from_the_summary(bot, world, db, clerks):
    with db.session() as s:
        setup.add_unit(s, project_id=world.project_id, code="3-2-1202")
    zhou = bot.chat(CLERK)
    await to_summary(zhou)
    # The fast path is one tap: Confirm comes first, Change… asks nothing until pressed.
    assert zhou.buttons()[0] == [("✅ Confirm", "nw:ok")]
    await zhou.press_label("Change…")
    labels = [label for row in zhou.buttons() for label, _ in row]
    assert labels[:8] == [
        "Flat",
        "Where",
        "Category",
        "Description",
        "Photos",
        "Date",
        "Sheet",
        "Contractor",
    ]
    assert "✖ Cancel" not in labels  # changing one's mind about a correction loses nothing
    assert "Flat: 3-1-1202" in texts(await zhou.press_label("Back to the summary"))

    async def correct(field: str) -> None:
        await zhou.press_label("Change…")
        await zhou.press_label(field)

    await correct("Flat")
    assert "fits 2 flats" in texts(await zhou.send("3#1202"))  # asked, not picked
    assert "Flat: 3-2-1202" in texts(await zhou.press_label("3-2-1202"))
    await correct("Where")
    assert "Where: Kitchen" in texts(await zhou.press_label("Kitchen"))
    await correct("Category")
    summary = texts(await zhou.press_label("Plumbing/electric"))
    assert "Category: Plumbing/electric" in summary
    assert "明达水电 (by the assignment rule)" in summary  # the rule of the new category
    await correct("Description")
    assert "Defect: socket dead" in texts(await zhou.send("socket dead"))
    await correct("Photos")
    await zhou.send_photo(PNG(21))
    await zhou.send_photo(PNG(22))
    assert "Photos: 2" in texts(await zhou.press_label("Done"))
    await correct("Photos")
    assert "2 photos kept" in texts(zhou.last_step_events)
    await zhou.press_label("Remove all")
    await zhou.send_photo(PNG(23))
    assert "Photos: 1" in texts(await zhou.press_label("Done"))
    await correct("Date")
    await zhou.send("3-02")
    assert "Raised on: 2026-03-02" in texts(await zhou.press_label("Yes, 2026-03-02"))
    await correct("Sheet")
    assert "Sheet: none" in texts(await zhou.press_label("No sheet number"))
    await correct("Contractor")
    assert "华建装饰 (chosen by you)" in texts(await zhou.press_label("华建装饰"))
    item_id = entered_id(await zhou.press_label("Confirm"))
    with db.session() as s:
        item = s.get(Item, item_id)
        photos = s.exec(select(Photo).where(Photo.item_id == item_id)).all()
        unit = s.get(Unit, item.unit_id)
        category = s.get(Category, item.category_id)
    assert (unit.code, item.location, category.code, item.description) == (
        "3-2-1202",
        "Kitchen",
        "plumbing_electric",
        "socket dead",
    )
    assert len(photos) == 1 and item.sheet_no is None
    assert (item.raised_on.month, item.raised_on.day) == (3, 2)
    assert item.contractor_id == world.huajian


async def test_short_code_of_two_flats_is_asked_not_picked(bot, world, db, clerks):
    with db.session() as s:
        setup.add_unit(s, project_id=world.project_id, code="3-2-1202")
    zhou = bot.chat(CLERK)
    await zhou.send("/new")
    for code in ("3#1202", "3-1202", "3栋1202"):
        asked = texts(await zhou.send(code))
        assert "fits 2 flats" in asked and "where in the flat" not in asked, code
        assert zhou.buttons()[0] == [("3-1-1202", "nw:u:3-1-1202"), ("3-2-1202", "nw:u:3-2-1202")]
    assert "3-2-1202: where in the flat?" in texts(await zhou.press_label("3-2-1202"))
    # Where building 5 has one 801, the short code is that flat.
    await zhou.send("/new")
    assert "5-2-801: where in the flat?" in texts(await zhou.send("5#801"))


async def test_chinese_clerk_sees_rooms_and_categories_in_chinese(bot, world, db, clerks):
    wu = bot.chat(CLERK_ZH)
    await wu.send("/new")
    await wu.send("3-1-502")
    labels = [label for row in wu.buttons() for label, _ in row]
    assert labels[:12] == [
        "客厅",
        "餐厅",
        "主卧",
        "次卧",
        "书房",
        "厨房",
        "卫生间",
        "主卫",
        "阳台",
        "入户门",
        "走廊",
        "外墙",
    ]
    await wu.press_label("主卧")
    assert "渗漏" in [label for row in wu.buttons() for label, _ in row]
    await wu.press_label("墙面")
    await wu.send("墙面开裂")
    await wu.press_label("跳过照片")
    await wu.press_label("今天")
    summary = texts(await wu.press_label("无单号"))
    assert "部位：主卧" in summary and "华建装饰（按分派规则）" in summary
    assert "已录入问题" in texts(await wu.press_label("确认录入"))


async def test_clerk_of_several_projects_picks_one(bot, world, db, clerks):
    with db.session() as s:
        hill = setup.create_project(s, name="Hillside 2")
        crew = setup.add_contractor(s, project_id=hill.id, name="Hill Crew")
        setup.add_unit(s, project_id=hill.id, code="1-1-101")
        setup.set_rule(s, project_id=hill.id, category_code="leak", contractor_id=crew.id)
        people.add_member(
            s,
            project_id=hill.id,
            platform="telegram",
            account=str(CLERK.id),
            name="Zhou",
            roles=[Role.clerk],
        )
        other = setup.create_project(s, name="Not theirs")
    zhou = bot.chat(CLERK)
    assert "several projects" in texts(await zhou.send("/new"))
    assert [label for row in zhou.buttons() for label, _ in row][:2] == [
        "Riverside 1",
        "Hillside 2",
    ]
    assert "your role cannot" in await zhou.press_alert(f"nw:p:{other.id}")
    await zhou.press_label("Hillside 2")
    assert "no flat 3-1-1202" in texts(await zhou.send("3-1-1202"))  # Riverside's flat
    await zhou.send("1-1-101")
    await zhou.press_label("Living room")
    await zhou.press_label("Leak")
    await zhou.send("window leaks")
    await zhou.press_label("Skip photos")
    await zhou.press_label("Today")
    assert "Hill Crew (by the assignment rule)" in texts(await zhou.press_label("No sheet"))
    item_id = entered_id(await zhou.press_label("Confirm"))
    with db.session() as s:
        assert s.get(Item, item_id).project_id == hill.id


async def test_clerk_menu_lists_new(bot, world, clerks):
    assert "/new" in texts(await bot.chat(CLERK).send("/help"))


async def test_entry_in_progress_survives_a_restart(settings, db, world, clerks, tmp_path):
    first = OfflineTelegram(bot_username="b")
    app = build_offline(settings, db, first)
    async with app:
        await app.start()
        zhou = OfflineChat(app, first, CLERK, expected_errors=(DomainError,))
        await zhou.send("/new")
        await zhou.send("3-1-1202")
        await zhou.press_label("Study")
        assert "Describe the defect" in texts(await zhou.press_label("Wall"))
        await app.stop()  # the process stops here, mid-item

    second = OfflineTelegram(bot_username="b")
    app = build_offline(settings, db, second)
    async with app:
        await app.start()
        zhou = OfflineChat(app, second, CLERK, expected_errors=(DomainError,))
        assert "Photos?" in texts(await zhou.send("mould behind the desk"))
        await zhou.press_label("Skip photos")
        await zhou.press_label("Today")
        summary = texts(await zhou.press_label("No sheet number"))
        assert "Where: Study" in summary and "Flat: 3-1-1202" in summary
        entered_id(await zhou.press_label("Confirm"))
        await app.stop()


def test_dates_in_the_forms_clerks_write():
    day = date(2026, 11, 25)
    for text in ("2026-11-20", "2026/11/20", "20261120", "2026年11月20日", "11-20", "11月20日"):
        assert parse_date(text, today=day) == date(2026, 11, 20), text
    assert parse_date("１１－２０", today=day) == date(2026, 11, 20)
    # A month-day later than today is last year's sheet.
    assert parse_date("12-30", today=date(2027, 1, 3)) == date(2026, 12, 30)
    for bad in ("2026-02-30", "13-01", "tomorrow", "1120", ""):
        with pytest.raises(DomainError, match="bad_date"):
            parse_date(bad, today=day)
    with pytest.raises(DomainError, match="date_in_future"):
        parse_date("2026-11-26", today=day)


def test_only_clerks_and_admins_may_enter_and_only_own_contractors(db, world):
    kw = dict(
        project_id=world.project_id,
        unit_code="3-1-1202",
        location="kitchen",
        category_code="leak",
        description="drip",
        raised_on=date(2026, 1, 5),
    )
    with db.session() as s, pytest.raises(DomainError, match="not_allowed"):
        enter_item(s, user_id=tg(s, CONTRACTOR_A.id), **kw)
    with db.session() as s:
        other = setup.create_project(s, name="Elsewhere")
        stranger_crew = setup.add_contractor(s, project_id=other.id, name="Far Crew").id
    with db.session() as s, pytest.raises(DomainError, match="no_such_contractor"):
        # An admin of the project, but the contractor works elsewhere.
        enter_item(s, user_id=tg(s, 1001), contractor_id=stranger_crew, **kw)
    with db.session() as s:
        entered = enter_item(s, user_id=tg(s, 1001), **kw)
        assert entered.contractor_name == "华建装饰"


async def test_a_correction_in_progress_survives_a_restart(settings, db, world, clerks):
    first = OfflineTelegram(bot_username="b")
    app = build_offline(settings, db, first)
    async with app:
        await app.start()
        zhou = OfflineChat(app, first, CLERK, expected_errors=(DomainError,))
        await to_summary(zhou)
        await zhou.press_label("Change…")
        await zhou.press_label("Where")
        await app.stop()  # the process stops while the location is being corrected

    second = OfflineTelegram(bot_username="b")
    app = build_offline(settings, db, second)
    async with app:
        await app.start()
        zhou = OfflineChat(app, second, CLERK, expected_errors=(DomainError,))
        summary = texts(await zhou.send("kitchen ceiling"))
        assert "Where: kitchen ceiling" in summary and "Sheet: A-017" in summary
        item_id = entered_id(await zhou.press_label("Confirm"))
        await app.stop()
    with db.session() as s:
        assert s.get(Item, item_id).location == "kitchen ceiling"


async def test_an_image_sent_as_a_file_during_an_entry_is_a_photo(bot, world, db, clerks):
    zhou = bot.chat(CLERK)
    await zhou.send("/new")
    await zhou.send("5-2-801")
    await zhou.press_label("Kitchen")
    await zhou.press_label("Plumbing/electric")
    await zhou.send("socket dead")
    saved = texts(await zhou.send_document(PNG(31), "socket.png", "image/png"))
    assert "Photo saved (1)" in saved and "send an .xlsx" not in saved
    await zhou.press_label("Done")
    await zhou.press_label("Today")
    assert "Photos: 1" in texts(await zhou.press_label("No sheet number"))


async def test_the_entry_is_the_dialogue_in_the_database_and_ends_with_it(bot, world, db, clerks):
    zhou = bot.chat(CLERK)
    await zhou.send("/new")
    await zhou.send("3-1-1202")
    with db.session() as s:
        [row] = s.exec(select(Dialogue)).all()
        assert row.step == "new:location" and '"unit": "3-1-1202"' in row.data
    await zhou.press_label("Bathroom")
    await zhou.press_label("Leak")
    await zhou.send("drips")
    await zhou.press_label("Skip photos")
    await zhou.press_label("Today")
    await zhou.press_label("No sheet number")
    entered_id(await zhou.press_label("Confirm"))
    with db.session() as s:
        [row] = s.exec(select(Dialogue)).all()  # what carries over to the next item stays
        assert row.step is None and '"unit": "3-1-1202"' in row.data
    # A press of an earlier step's choice is an old screen's now: it changes nothing.
    assert "no longer active" in await zhou.press_alert("nw:today")


async def test_an_entry_left_too_long_ends_quietly(bot, world, db, clerks):
    zhou = bot.chat(CLERK)
    await zhou.send("/new")
    await zhou.send("3-1-1202")
    later = clock.now() + DRAFT_LIFETIME + timedelta(minutes=1)
    with clock.pinned(later):
        answer = texts(await zhou.send("the kitchen ceiling"))
    assert "/help" in answer and "dropped" not in answer  # no step any more: not understood


async def test_new_drops_a_half_finished_report_first(bot, world, db):
    with db.session() as s:
        people.add_member(
            s,
            project_id=world.project_id,
            platform="telegram",
            account=str(CLERK.id),
            name="Zhou",
            roles=[Role.clerk, Role.contractor],
            contractor_id=world.huajian,
        )
    zhou = bot.chat(CLERK)
    leak = world.items["leak"]
    await zhou.send("/mylist")
    await zhou.press(f"rp:{leak}")
    answer = texts(await zhou.send("/new"))
    assert "Which flat?" in answer and f"#{leak}" in answer  # the report dropped, and said
    assert "3-1-1202: where" in texts(await zhou.send("3-1-1202"))


# ---------------------------------------------------------------- typed in a hurry (issue 14.6)

# Flat 1202 in buildings 1 to 7, entrances 1 and 2 (3-1-1202 is the world's), and a 202.
NUMBERED_1202 = [f"{b}-{e}-1202" for b in range(1, 8) for e in (1, 2)]


def add_flats(db, world, codes: list[str]) -> None:
    with db.session() as s:
        for code in codes:
            setup.add_unit(s, project_id=world.project_id, code=code)


def labels(chat: OfflineChat) -> list[str]:
    return [label for row in chat.buttons() for label, _ in row]


async def test_a_flat_number_alone_lists_the_flats_that_have_it(bot, world, db, clerks):
    add_flats(db, world, [*NUMBERED_1202, "6-1-202"])
    zhou = bot.chat(CLERK)
    await zhou.send("/new")
    first = texts(await zhou.send("1202"))
    assert "1202 fits 14 flats" in first and "page 1 of 2" in first
    shown = labels(zhou)
    assert shown == [*NUMBERED_1202[:9], "Next ▶", "✖ Cancel"]
    second = texts(await zhou.press_label("Next"))
    assert "page 2 of 2" in second
    assert labels(zhou) == [*NUMBERED_1202[9:], "◀ Previous", "✖ Cancel"]
    assert "7-2-1202: where in the flat?" in texts(await zhou.press_label("7-2-1202"))
    # One flat with the number: it is that flat.
    await zhou.send("/new")
    assert "5-2-801: where" in texts(await zhou.send("801"))


async def test_an_unknown_flat_offers_its_floor_neighbours_first(bot, world, db, clerks):
    neighbours = ["3-1-1201", "3-1-1203", "3-1-1204"]
    add_flats(db, world, [*neighbours, "3-1-1209", "3-2-1299", "3-1-1199"])
    zhou = bot.chat(CLERK)
    await zhou.send("/new")
    missed = texts(await zhou.send("3-1-1299"))
    assert "no flat 3-1-1299" in missed and "Did you mean" in missed
    offered = [label for label in labels(zhou) if label != "✖ Cancel"]
    assert set(offered[:5]) == {"3-1-1201", "3-1-1202", "3-1-1203", "3-1-1204", "3-1-1209"}
    assert "3-1-1209: where" in texts(await zhou.press_label("3-1-1209"))


async def test_a_typed_unknown_category_offers_the_plausible_ones(bot, world, db, clerks):
    zhou = bot.chat(CLERK)
    await zhou.send("/new")
    await zhou.send("3-1-1202")
    await zhou.press_label("Bathroom")
    answer = texts(await zhou.send("漏水"))
    assert "no category 漏水" in answer and "Did you mean" in answer
    assert labels(zhou)[0] == "Leak"
    # A shared character is no hint: every category is offered again to press.
    answer = texts(await zhou.send("防水"))
    assert "no category 防水" in answer and "Did you mean" not in answer
    assert {"Leak", "Plumbing/electric", "Other"} <= set(labels(zhou))
    assert "Describe the defect" in texts(await zhou.press_label("Leak"))
    await zhou.send("ceiling drips")
    await zhou.press_label("Skip photos")
    await zhou.press_label("Today")
    assert "Category: Leak" in texts(await zhou.press_label("No sheet number"))


# The clock is pinned to 00:30 on 16 December in Shanghai (still the 15th in UTC).
TODAY_PINNED = date(2026, 12, 16)


async def to_date(chat: OfflineChat) -> str:
    """Walk /new to the date question; return its text."""
    await chat.send("/new")
    await chat.send("3-1-1202")
    await chat.press_label("Bathroom")
    await chat.press_label("Leak")
    await chat.send("ceiling drips")
    return texts(await chat.press_label("Skip photos"))


def test_a_date_without_a_year_is_the_nearest_past_one():
    day = TODAY_PINNED
    assert parse_date("12-16", today=day) == day  # today counts
    assert parse_date("12-17", today=day) == date(2025, 12, 17)
    assert parse_date("12-25", today=day) == date(2025, 12, 25)
    assert parse_date("12月1日", today=day) == date(2026, 12, 1)
    assert parse_date("02-29", today=day) == date(2024, 2, 29)  # the last 29 February
    assert parse_date("02-29", today=date(2028, 2, 29)) == date(2028, 2, 29)
    for text, days in (("今天", 0), ("today", 0), ("昨天", 1), ("Yesterday", 1), ("前天", 2)):
        assert parse_date(text, today=day) == day - timedelta(days=days), text
    for bad in ("02-30", "13-01", "明天"):
        with pytest.raises(DomainError, match="bad_date"):
            parse_date(bad, today=day)
    with pytest.raises(DomainError, match="date_in_future"):
        parse_date("2026-12-17", today=day)
    # More than 60 days back is asked about; 60 is not.
    assert not far_back(day - timedelta(days=60), today=day)
    assert far_back(day - timedelta(days=61), today=day)


async def test_a_far_date_is_asked_about_and_yesterday_is_a_button(bot, world, db, clerks):
    zhou = bot.chat(CLERK)
    assert "Raised on?" in await to_date(zhou)
    assert {"Today (2026-12-16)", "Yesterday (2026-12-15)"} <= set(labels(zhou))
    # Christmas is still to come: last year's, 356 days back, which is not taken silently.
    asked = texts(await zhou.send("12-25"))
    assert "2025-12-25" in asked and "356 days ago" in asked
    assert labels(zhou)[:2] == ["✅ Yes, 2025-12-25", "✏ Type it again"]
    assert "Raised on?" in texts(await zhou.press_label("Type it again"))
    # Today in Shanghai, though still the 15th in UTC: taken at once.
    assert "Inspection sheet number?" in texts(await zhou.send("12-16"))
    assert "Raised on: 2026-12-16" in texts(await zhou.press_label("No sheet number"))

    await zhou.press_label("Change…")
    await zhou.press_label("Date")
    assert "2025-12-17" in texts(await zhou.send("12-17"))  # tomorrow's month-day: last year's
    summary = texts(await zhou.press_label("Yes, 2025-12-17"))
    assert "Raised on: 2025-12-17" in summary  # a correction goes back to the summary

    await zhou.press_label("Change…")
    await zhou.press_label("Date")
    assert "2024-02-29" in texts(await zhou.send("02-29"))  # the last 29 February
    assert "has not come yet" in texts(await zhou.send("2026-12-17"))
    assert "Raised on: 2026-12-15" in texts(await zhou.send("昨天"))

    await zhou.press_label("Change…")
    await zhou.press_label("Date")
    assert "Raised on: 2026-12-15" in texts(await zhou.press_label("Yesterday"))
    item_id = entered_id(await zhou.press_label("Confirm"))
    with db.session() as s:
        assert s.get(Item, item_id).raised_on == date(2026, 12, 15)


async def test_a_confirmed_far_date_is_the_one_on_its_button(bot, world, db, clerks):
    zhou = bot.chat(CLERK)
    await to_date(zhou)
    await zhou.send("10-01")
    first = zhou.buttons()
    await zhou.send("09-01")  # another far date typed before answering
    # The first question's Yes still means its own date, not the last one typed.
    yes = next(data for row in first for label, data in row if "2026-10-01" in label)
    assert "Inspection sheet number?" in texts(await zhou.press(yes))
    assert "Raised on: 2026-10-01" in texts(await zhou.press_label("No sheet number"))
    # Forged: a date still to come is refused, whatever a button says.
    await zhou.press_label("Change…")
    await zhou.press_label("Date")
    assert "has not come yet" in await zhou.press_alert("nw:dok:2027-01-01")
    assert "not a date" in await zhou.press_alert("nw:dok:2026-02-30")


async def test_typed_in_a_hurry_on_wecom(settings, db, world, clerks):
    add_flats(db, world, NUMBERED_1202)
    with db.session() as s:
        leak = s.exec(
            select(Category).where(Category.project_id == world.project_id, Category.code == "leak")
        ).one()
        people.set_language(s, user_id=tg(s, CLERK_ZH.id), language="zh")
    async with wecom_desk(settings, db, {CLERK_ZH.id: "WuMin"}) as desk:
        wu = desk.member("WuMin")
        await wu.send("/new")
        listed = await wu.send("1202")
        assert "1202 对应 14 户" in listed and "第 1/2 页" in listed
        assert "nw:u:1-1-1202" in wu.buttons() and "nw:u:7-2-1202" not in wu.buttons()
        await wu.press("nw:up:1")
        assert "nw:u:7-2-1202" in wu.buttons()
        assert "7-2-1202：问题在哪个部位" in await wu.press("nw:u:7-2-1202")
        await wu.press("nw:l:bathroom")
        answer = await wu.send("漏水")
        assert "没有类别 漏水" in answer and "您是不是要找" in answer
        assert wu.buttons()[0] == f"nw:c:{leak.id}"
        assert "请描述问题" in await wu.press(f"nw:c:{leak.id}")
        assert "请输入问题描述" in await wu.photo(PNG(9))  # WeCom: the photo, then the text
        answer = await wu.send("地漏渗水")
        assert "需要照片吗" not in answer and "登记日期" in answer
        assert {"nw:today", "nw:yday"} <= set(wu.buttons())
        asked = await wu.send("12-25")
        assert "2025-12-25" in asked and "356 天前" in asked
        assert "看房单号" in await wu.press("nw:dok:2025-12-25")
        summary = await wu.press("nw:nosheet")
        assert "登记日期：2025-12-25" in summary and "照片：1 张" in summary
        await wu.press("nw:ok")
    with db.session() as s:
        item = s.exec(select(Item).order_by(Item.id.desc())).first()
        unit = s.get(Unit, item.unit_id)
        photos = s.exec(select(Photo)).all()
        assert (unit.code, item.category_id, item.raised_on) == (
            "7-2-1202",
            leak.id,
            date(2025, 12, 25),
        )
        assert len(photos) >= 1
