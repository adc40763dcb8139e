"""Lists a site walks with: one building at a time, in walking order, back on the same page.

And the wording a first week shows: "waiting for repair", no "0 photos", cancelled apart.
"""

from __future__ import annotations

from datetime import date, timedelta

from models import project as setup
from models.intake import raise_item
from models.repair import apply_transition
from models.tables import Action
from tests.conftest import (
    ADMIN,
    CONTRACTOR_A,
    CONTRACTOR_B,
    INSPECTOR,
    SERVICE,
    move,
    texts,
    tg_user,
)
from tests.test_wecom_chat import WECOM_IDS, wecom, wecom_settings  # noqa: F401  (fixtures)


def raise_in(db, world, unit: str, description: str, raised_on: date) -> int:
    with db.session() as s:
        return raise_item(
            s,
            project_id=world.project_id,
            unit_code=unit,
            location="kitchen",
            category_code="leak",
            description=description,
            raised_on=raised_on,
        ).id


def add_flats(db, world, *codes: str) -> None:
    with db.session() as s:
        for code in codes:
            setup.add_unit(s, project_id=world.project_id, code=code)


async def test_tocheck_and_mylist_narrow_to_one_building(bot, world, db, today):
    add_flats(db, world, "5-1-301")
    in_five = raise_in(db, world, "5-1-301", "leak in 5", today)
    for item in (world.items["leak"], in_five):
        move(db, item, CONTRACTOR_A.id, Action.report_repaired)
    li = bot.chat(INSPECTOR)
    whole = texts(await li.send("/tocheck"))
    assert f"#{world.items['leak']}" in whole and f"#{in_five}" in whole
    only_five = texts(await li.send("/tocheck 5栋"))
    assert f"#{in_five}" in only_five and f"#{world.items['leak']}" not in only_five
    assert "Building 5 only" in only_five
    assert "Nothing in building 9" in texts(await li.send("/tocheck 9"))
    assert "is not a building" in texts(await li.send("/tocheck kitchen sink"))

    wang = bot.chat(CONTRACTOR_A)
    mine_in_three = texts(await wang.send("/mylist 3"))
    assert f"#{world.items['wall']}" in mine_in_three  # 3-1-502
    assert f"#{in_five}" not in mine_in_three


async def test_the_walk_goes_building_then_entrance_then_floor(bot, world, db, today):
    add_flats(db, world, "3-2-301", "3-1-301")
    second = raise_in(db, world, "3-2-301", "entrance two", today)
    first = raise_in(db, world, "3-1-301", "entrance one", today)
    for item in (second, world.items["leak"], first):
        move(db, item, CONTRACTOR_A.id, Action.report_repaired)
    shown = texts(await bot.chat(INSPECTOR).send("/tocheck"))
    order = [
        shown.index(mark)
        for mark in (
            "Building 3",
            " Entrance 1",
            "Floor 3",
            f"#{first}",
            "Floor 12",
            f"#{world.items['leak']}",
            " Entrance 2",
            f"#{second}",
        )
    ]
    assert order == sorted(order), shown


async def test_after_pass_the_list_comes_back_on_the_same_page(bot, world, db, today):
    repaired = []
    for n in range(12):  # two pages of eight
        item = raise_in(db, world, "3-1-1202", f"spot {n}", today)
        move(db, item, CONTRACTOR_A.id, Action.report_repaired)
        repaired.append(item)
    li = bot.chat(INSPECTOR)
    await li.send("/tocheck")
    second_page = texts(await li.press_label("Next"))
    assert "Page 2/2" in second_page
    on_page_two = int(next(label for row in li.buttons() for label, _ in row)[1:].split()[0])
    await li.press(f"ck:{on_page_two}")
    after = texts(await li.press_label("Pass"))
    assert f"Item #{on_page_two} passed" in after and "Page 2/2" in after, after


async def test_failing_twice_says_waiting_for_repair(bot, world, db):
    leak = world.items["leak"]
    move(db, leak, CONTRACTOR_A.id, Action.report_repaired)
    move(db, leak, INSPECTOR.id, Action.fail, "still drips")
    move(db, world.items["socket"], CONTRACTOR_B.id, Action.report_repaired)
    li = bot.chat(INSPECTOR)
    await li.send("/tocheck")
    await li.press(f"ps:{leak}")  # a Pass button of the card shown before the fail
    said = " ".join(
        [texts(li.transport.chat_messages(li.chat_id))]
        + [a.text or "" for a in li.transport.callback_answers]
    )
    assert "waiting for repair" in said and "already handled" not in said


async def test_a_report_without_photos_does_not_say_0_photos(bot, world, db):
    leak = world.items["leak"]
    with db.session() as s:
        apply_transition(
            s,
            item_id=leak,
            user=tg_user(s, CONTRACTOR_A.id),
            action=Action.report_repaired,
            note="resealed",
        )
    li = bot.chat(INSPECTOR)
    await li.send("/tocheck")
    card = texts(await li.press(f"ck:{leak}"))
    assert "resealed" in card and "0 photo" not in card


async def test_a_cancelled_item_is_not_listed_as_done_in_0_days(bot, world, db):
    move(db, world.items["leak"], ADMIN.id, Action.cancel, "duplicate")
    shown = texts(await bot.chat(SERVICE).send("/unit 3-1-1202"))
    assert "Cancelled (1)" in shown and "Done" not in shown
    assert "0 days" not in shown


# ---------------------------------------------------------------- a long list: order, narrowing


def long_list(db, world, today: date, late: int = 20) -> tuple[int, list[int]]:
    """Give Huajian `late` overdue items (raised 30, 29… days ago, in buildings 3 and 5), and
    fail its wall item yesterday: rework, raised 3 days ago, its due date started again.

    Return the rework item and the overdue ones, oldest first.
    """
    overdue = [
        raise_in(db, world, ("3-1-1202", "5-2-801")[n % 2], f"spot {n}", today - timedelta(30 - n))
        for n in range(late)
    ]
    wall = world.items["wall"]
    move(db, wall, CONTRACTOR_A.id, Action.report_repaired)
    move(db, wall, INSPECTOR.id, Action.fail, "still hollow")
    return wall, overdue


def listed(shown: str) -> list[int]:
    """Return the ids of a list's lines, in order."""
    # A list's line reads "#12 3-1-1202 kitchen · …"; a WeCom button "#12 3-1-12…" is not one.
    lines = shown.splitlines()
    return [int(line[1:].split()[0]) for line in lines if line.startswith("#") and " · " in line]


async def test_rework_and_the_oldest_are_on_the_first_screen(bot, world, db, today):
    rework, overdue = long_list(db, world, today)
    shown = texts(await bot.chat(CONTRACTOR_A).send("/mylist"))
    # Rework first, then what was raised first: the owners who have waited longest.
    assert listed(shown) == [rework, *overdue[:7]], shown
    assert (
        "rework×1"
        in shown.splitlines()[
            shown.splitlines().index(
                next(line for line in shown.splitlines() if line.startswith(f"#{rework} "))
            )
        ]
    )
    assert "Overdue: 20 of them" in shown and "Page 1/3" in shown


def every_button(chat) -> list[tuple[str, str]]:  # noqa: ANN001
    return [(label, data) for row in chat.buttons() for label, data in row]


async def test_a_long_list_narrows_to_rework_or_overdue_with_counts(bot, world, db, today):
    rework, overdue = long_list(db, world, today)
    wang = bot.chat(CONTRACTOR_A)
    await wang.send("/mylist")
    labels = [label for label, _ in every_button(wang)]
    assert {"Rework 1", "Overdue 20", "Buildings"} <= set(labels), labels

    only_late = texts(await wang.press_label("Overdue 20"))
    assert "Overdue only: 20" in only_late and "Page 1/3" in only_late
    assert listed(only_late) == overdue[:8]
    second = texts(await wang.press_label("Next"))
    assert listed(second) == overdue[8:16] and "Overdue only: 20" in second
    # Back to a card and back again: the list is still narrowed, on the page it was on.
    await wang.press(f"it:{overdue[9]}")
    assert listed(texts(await wang.press_label("Back"))) == overdue[8:16]

    only_rework = texts(await wang.press_label("Rework 1"))
    assert listed(only_rework) == [rework] and "Rework only: 1" in only_rework
    everything = texts(await wang.press_label("All 22"))
    assert listed(everything)[0] == rework and "only" not in everything

    picker = texts(await wang.press_label("Buildings"))
    assert "Choose a building (22 items)" in picker
    assert [label for label, _ in every_button(wang)] == ["Bldg 3: 12", "Bldg 5: 10", "All 22"]
    in_five = texts(await wang.press_label("Bldg 5: 10"))
    assert "Building 5 only" in in_five and len(listed(in_five)) == 8
    assert set(listed(in_five)) <= set(overdue[1::2])
    assert "Overdue 10" in [label for label, _ in every_button(wang)]
    late_in_five = texts(await wang.press_label("Overdue 10"))
    assert listed(late_in_five) == overdue[1::2][:8] and "Building 5 only" in late_in_five
    data = [d for _, d in every_button(wang)]
    assert "pdf:ml:5:o" in data and all(len(d.encode()) <= 64 for d in data)


async def test_a_list_that_fits_a_screen_offers_no_narrowing(bot, world):
    await (wang := bot.chat(CONTRACTOR_A)).send("/mylist")
    assert not [d for _, d in every_button(wang) if d.startswith(("ml:0:", "mb"))]


async def test_a_forged_narrowing_shows_only_my_own_items(bot, world, db, today):
    long_list(db, world, today, late=3)
    zhao = bot.chat(CONTRACTOR_B)  # 明达水电: only the socket, in building 5
    await zhao.send("/mylist")
    shown = texts(await zhao.press("ml:0::o"))
    assert listed(shown) == [] and "Overdue only: 0" in shown
    assert listed(texts(await zhao.press("ml:0:5:r"))) == []
    await zhao.press("mb")
    assert [label for label, _ in every_button(zhao)] == ["Bldg 5: 1", "All 1"]
    await zhao.press("ml:0::x")  # no pattern takes it: a stale button
    assert "no longer active" in (zhao.alert or "")


async def test_the_narrowing_buttons_on_wecom(wecom, world, db, today):  # noqa: F811
    rework, overdue = long_list(db, world, today)
    wang = WECOM_IDS[CONTRACTOR_A.id]
    seen = await wecom.act("contractor", "send", "/mylist")
    assert listed(seen.text)[:2] == [rework, overdue[0]]
    cards = [c for c in wecom.wecom.cards_to(wang) if c.live]
    assert all(len(c.keys) <= 6 for c in cards) and len(cards) >= 2
    buttons = {b["key"]: b["text"] for c in cards for b in c.content["button_list"]}
    # A card whose labels are cut numbers its buttons ("4. 返修 1") and lists them in full.
    assert buttons["ml:0::r"].endswith("返修 1") and buttons["ml:0::o"].endswith("逾期 20")
    assert buttons["mb"].endswith("按楼栋")
    seen = await wecom.act("contractor", "press", "ml:0::o")
    assert "仅显示逾期：20 项" in seen.text and listed(seen.text) == overdue[:8]
    seen = await wecom.act("contractor", "press", "ml:1::o")
    assert listed(seen.text) == overdue[8:16]
    seen = await wecom.act("contractor", "press", "mb:o")
    assert "3栋 10" in seen.text and "5栋 10" in seen.text
    seen = await wecom.act("contractor", "press", "ml:0:3:o")
    assert listed(seen.text) == overdue[0::2][:8]
