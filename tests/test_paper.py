"""Paper results: a clerk records many results from printed lists, each id answered."""

from __future__ import annotations

import pytest
from sqlmodel import select

from bot.telegram.offline import OfflineUser
from handlers.paper import parse_ids, split_fail
from models import people
from models import project as setup
from models.admin import record_paper
from models.errors import DomainError
from models.intake import raise_item
from models.repair import PhotoIn, apply_transition
from models.tables import Action, AppUser, Event, Item, ItemState, Role
from tests.conftest import ADMIN, CONTRACTOR_A, CONTRACTOR_B, INSPECTOR, texts, tg, tg_user

S = ItemState
CLERK = OfflineUser(id=1201, first_name="Zhou", language_code="en")


@pytest.fixture
def clerk(db, world) -> OfflineUser:
    with db.session() as s:
        people.add_member(
            s,
            project_id=world.project_id,
            platform="telegram",
            account=str(CLERK.id),
            name="Zhou",
            roles=[Role.clerk],
        )
    return CLERK


def state_of(db, item_id: int) -> ItemState:
    with db.session() as s:
        return s.get(Item, item_id).state


def repaired(db, item_id: int, telegram_id: int = CONTRACTOR_A.id) -> None:
    with db.session() as s:
        apply_transition(
            s,
            item_id=item_id,
            user=tg_user(s, telegram_id),
            action=Action.report_repaired,
            photos=[PhotoIn(file_id="x")],
        )


def last_event(db, item_id: int) -> tuple[Action, str, str | None]:
    with db.session() as s:
        event = s.exec(select(Event).where(Event.item_id == item_id).order_by(Event.id)).all()[-1]
        return event.action, s.get(AppUser, event.actor_id).name, event.note


def test_ids_in_any_separator_once_each_and_bad_ones_named():
    assert parse_ids("1042 1043,1050，1051、#1052 ＃1053 1042") == [
        1042,
        1043,
        1050,
        1051,
        1052,
        1053,
    ]
    # A number too big for an id is still a number: the domain answers "no such item".
    assert parse_ids("１０４２ abc 12a 99999999999999") == [1042, "abc", "12a", 99999999999999]
    assert parse_ids("  ") == []
    assert split_fail("1042 still leaks after rain") == ([1042], "still leaks after rain")
    assert split_fail("1042, #1043：门关不严") == ([1042, 1043], "门关不严")
    assert split_fail("1042 3 spots still hollow") == ([1042], "3 spots still hollow")
    assert split_fail("1042") == ([1042], "")
    assert split_fail("abc reason") == ([], "")


async def test_done_with_good_wrong_state_unknown_and_bad_ids(bot, world, db, clerk):
    leak, wall, socket = world.items["leak"], world.items["wall"], world.items["socket"]
    repaired(db, socket, CONTRACTOR_B.id)  # already reported: a wrong state for /done
    zhou = bot.chat(clerk)
    replies = await zhou.send(f"/done {leak}, {wall}，#{leak} abc 999999 {socket}")
    assert len(replies) == 1, "one reply for the whole list"
    lines = replies[0].text.splitlines()
    assert lines[0] == "From the paper list: Reported done"
    assert lines[1].startswith(f"✅ #{leak} 3-1-1202 kitchen · 卫生间吊顶渗水")
    assert lines[1].endswith("→ awaiting acceptance")
    assert lines[2].startswith(f"✅ #{wall} 3-1-502")
    assert lines[3] == "✖ abc: not an item number"
    assert lines[4] == "✖ #999999: There is no item #999999."
    assert lines[5].startswith(f"✖ #{socket}: Item #{socket} was already handled")
    assert lines[6] == "2 of 5 recorded."
    assert state_of(db, leak) is S.repaired and state_of(db, wall) is S.repaired
    assert last_event(db, leak) == (Action.report_repaired, "Zhou", "recorded from the paper list")
    # No photo was asked of a clerk; the items are now on the to-check list.
    assert f"#{leak}" in texts(await bot.chat(INSPECTOR).send("/tocheck"))


async def test_pass_and_fail_from_paper_tell_the_contractor(bot, world, db, clerk):
    leak, wall, socket = world.items["leak"], world.items["wall"], world.items["socket"]
    for item_id, who in ((leak, CONTRACTOR_A), (wall, CONTRACTOR_A), (socket, CONTRACTOR_B)):
        repaired(db, item_id, who.id)
    zhou = bot.chat(clerk)
    shown = texts(await zhou.send(f"/pass {leak}"))
    assert f"✅ #{leak}" in shown and "→ closed" in shown and "1 of 1 recorded" in shown
    assert [m for m in zhou.last_step_events if m.chat_id != CLERK.id] == []

    assert "Give the item number" in texts(await zhou.send(f"/fail {wall}"))
    assert state_of(db, wall) is S.repaired

    shown = texts(await zhou.send(f"/fail {wall},{socket} hollow when tapped"))
    assert "→ rework" in shown and "2 of 2 recorded" in shown
    for contractor in (CONTRACTOR_A, CONTRACTOR_B):
        told = [m for m in zhou.last_step_events if m.chat_id == contractor.id]
        assert len(told) == 1 and "hollow when tapped" in told[0].text
    assert last_event(db, wall) == (
        Action.fail,
        "Zhou",
        "hollow when tapped (recorded from the paper list)",
    )
    with db.session() as s:
        assert s.get(Item, wall).rework_count == 1
    assert f"#{wall}" in texts(await bot.chat(CONTRACTOR_A).send("/mylist"))
    # Passing it again from a stale list: already handled, said plainly.
    assert "already handled" in texts(await zhou.send(f"/pass {leak}"))


async def test_admin_records_paper_in_chinese(bot, world, db):
    leak = world.items["leak"]
    chen = bot.chat(ADMIN)
    await chen.send("/lang")
    await chen.press("lang:zh")
    shown = texts(await chen.send(f"/done {leak}"))
    assert f"✅ #{leak}" in shown and "共 1 项，已录入 1 项" in shown
    assert last_event(db, leak)[2] == "据纸质清单录入"


async def test_only_clerks_and_admins_record_paper(bot, world, db, clerk):
    leak = world.items["leak"]
    assert "your role cannot" in texts(await bot.chat(CONTRACTOR_A).send(f"/done {leak}"))
    assert "your role cannot" in texts(await bot.chat(INSPECTOR).send(f"/pass {leak}"))
    assert state_of(db, leak) is S.open
    assert "Give item numbers" in texts(await bot.chat(clerk).send("/done"))
    # In the domain too: a contractor may not skip the photo by calling it "paper".
    with db.session() as s, pytest.raises(DomainError) as refused:
        record_paper(s, user_id=tg(s, CONTRACTOR_A.id), item_id=leak, action=Action.report_repaired)
    assert refused.value.key == "not_allowed"
    with db.session() as s, pytest.raises(DomainError) as refused:
        record_paper(s, user_id=tg(s, CLERK.id), item_id=leak, action=Action.cancel)
    assert refused.value.key == "not_allowed"
    with db.session() as s, pytest.raises(DomainError) as refused:
        record_paper(s, user_id=tg(s, CLERK.id), item_id=leak, action=Action.fail, reason="  ")
    assert refused.value.key == "reason_required"


def test_another_projects_item_is_no_item_to_a_clerk(db, world, clerk, today):
    with db.session() as s:
        other = setup.create_project(s, name="Hillside 2")
        crew = setup.add_contractor(s, project_id=other.id, name="Other Crew")
        setup.add_unit(s, project_id=other.id, code="1-1-101")
        setup.set_rule(s, project_id=other.id, category_code="leak", contractor_id=crew.id)
        outsider = raise_item(
            s,
            project_id=other.id,
            unit_code="1-1-101",
            location="kitchen",
            category_code="leak",
            description="hillside leak",
            raised_on=today,
        ).id
    with db.session() as s, pytest.raises(DomainError) as refused:
        record_paper(s, user_id=tg(s, CLERK.id), item_id=outsider, action=Action.report_repaired)
    assert refused.value.key == "no_such_item"
    assert state_of(db, outsider) is S.open
