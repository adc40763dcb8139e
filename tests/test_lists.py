"""Lists a site walks with: one building at a time, in walking order, back on the same page.

And the wording a first week shows: "waiting for repair", no "0 photos", cancelled apart.
"""

from __future__ import annotations

from datetime import date

from models import project as setup
from models.repair import apply_transition, raise_item
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
