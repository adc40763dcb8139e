"""Long texts: limited where they enter, refused with a clear answer, and nothing changes."""

from __future__ import annotations

import io

import pytest
from openpyxl import Workbook
from sqlmodel import select

from bot.sheets_text import render_report
from bot.transport import OfflineUser
from models import people
from models.errors import DomainError
from models.limits import DESCRIPTION_MAX, NOTE_MAX
from models.people import user_for
from models.repair import PhotoIn, apply_transition
from models.sheets import import_items
from models.tables import Action, Event, Item, ItemState, Role
from tests.conftest import ADMIN, CONTRACTOR_A, INSPECTOR, PNG, texts

S = ItemState
CLERK = OfflineUser(id=1201, first_name="Zhou", language_code="en")
# No spaces (as Chinese is written), and characters that HTML must escape: a cut anywhere
# inside "&amp;" or "&lt;" would break the message.
LONG = ("卫生间吊顶渗水<严重>&墙面空鼓" * 400)[:5000]


def store(db, item_id: int, **fields: object) -> None:
    """Write fields straight into an item's row, as a row from before the limits would be."""
    with db.session() as s:
        item = s.get(Item, item_id)
        for name, value in fields.items():
            setattr(item, name, value)
        s.add(item)


def move(db, item_id: int, telegram_id: int, action: Action, note: str | None = None) -> None:
    with db.session() as s:
        apply_transition(
            s,
            item_id=item_id,
            user=user_for(s, telegram_id=telegram_id),
            action=action,
            note=note,
            photos=[PhotoIn(file_id="x")] if action is Action.report_repaired else (),
        )


def set_last_note(db, item_id: int, note: str) -> None:
    with db.session() as s:
        event = s.exec(select(Event).where(Event.item_id == item_id).order_by(Event.id)).all()[-1]
        event.note = note
        s.add(event)


def state_and_events(db, item_id: int) -> tuple[ItemState, int]:
    with db.session() as s:
        events = s.exec(select(Event).where(Event.item_id == item_id)).all()
        return s.get(Item, item_id).state, len(events)


def joined(messages: list) -> str:
    """The visible texts run together: a text cut across messages reads whole again."""
    return "".join(m.text or "" for m in messages)


@pytest.fixture
def clerk(db, world) -> OfflineUser:
    with db.session() as s:
        people.add_member(
            s, project_id=world.project_id, telegram_id=CLERK.id, name="Zhou", roles=[Role.clerk]
        )
    return CLERK


# ---------------------------------------------------------------- limits where text enters


async def test_an_over_long_description_in_new_is_refused_and_can_be_retyped(bot, world, db, clerk):
    zhou = bot.chat(CLERK)
    await zhou.send("/new")
    await zhou.send("3-1-1202")
    await zhou.press_label("Bathroom")
    await zhou.press_label("Leak")
    refused = texts(await zhou.send("x" * (DESCRIPTION_MAX + 1)))
    assert "too long" in refused and str(DESCRIPTION_MAX) in refused
    assert "Photos?" in texts(await zhou.send("x" * DESCRIPTION_MAX))
    # A photo's caption that would be the description is held to the same limit.
    await zhou.send("/new")
    await zhou.send("3-1-1202")
    await zhou.press_label("Bathroom")
    await zhou.press_label("Leak")
    assert "too long" in texts(await zhou.send_photo(PNG(1), caption="y" * (DESCRIPTION_MAX + 1)))
    with db.session() as s:
        assert len(s.exec(select(Item)).all()) == 3


async def test_over_long_reasons_and_notes_are_refused_and_nothing_changes(bot, world, db, clerk):
    leak, wall, socket = world.items["leak"], world.items["wall"], world.items["socket"]
    too_long = "z" * (NOTE_MAX + 1)
    wang, li, chen, zhou = (bot.chat(u) for u in (CONTRACTOR_A, INSPECTOR, ADMIN, CLERK))

    # Not ours: a long reason is refused; the contractor can type a shorter one.
    before = state_and_events(db, leak)
    await wang.send("/mylist")
    await wang.press(f"it:{leak}")
    await wang.press(f"dp:{leak}")
    assert "too long" in texts(await wang.send(too_long))
    assert state_and_events(db, leak) == before
    assert "not yours" in texts(await wang.send("plumbing, not ours"))

    # Repaired: a long note (typed, or as a caption) is refused, the report goes on.
    await wang.press(f"it:{wall}")
    await wang.press(f"rp:{wall}")
    assert "too long" in texts(await wang.send_photo(PNG(1), caption=too_long))
    assert state_and_events(db, wall)[0] is S.open
    await wang.send_photo(PNG(2))
    assert "too long" in texts(await wang.send(too_long))
    assert state_and_events(db, wall)[0] is S.open
    assert "reported repaired" in texts(await wang.send("sealed"))

    # Fail: a long reason is refused before any photo is asked for.
    await li.send("/tocheck")
    await li.press(f"ck:{wall}")
    await li.press(f"fl:{wall}")
    assert "too long" in texts(await li.send(too_long))
    assert state_and_events(db, wall)[0] is S.repaired

    # The project department's reasons, and paper results.
    assert "too long" in texts(await chen.send(f"/cancel {socket} {too_long}"))
    assert state_and_events(db, socket)[0] is S.open
    assert "too long" in texts(await zhou.send(f"/fail {wall} {too_long}"))
    assert state_and_events(db, wall)[0] is S.repaired
    # The paper's source note is added after the check: a reason of the full length is taken.
    assert "✅" in texts(await zhou.send(f"/fail {wall} {'r' * NOTE_MAX}"))
    assert state_and_events(db, wall)[0] is S.rework


def test_the_domain_refuses_long_notes_against_any_caller(db, world):
    with db.session() as s, pytest.raises(DomainError) as refused:
        apply_transition(
            s,
            item_id=world.items["leak"],
            user=user_for(s, telegram_id=ADMIN.id),
            action=Action.cancel,
            note="n" * (NOTE_MAX + 1),
        )
    assert refused.value.key == "note_too_long"
    assert state_and_events(db, world.items["leak"])[0] is S.open


def test_import_names_the_row_with_a_too_long_description(db, world):
    workbook = Workbook()
    sheet = workbook.active
    sheet.append(["房号", "部位", "类别", "问题描述", "登记日期", "看房单号", "施工单位", "照片"])
    sheet.append(["3-1-1202", "卫生间", "渗漏", "吊顶渗水", "2026-11-20", "KF1", "", ""])
    sheet.append(["3-1-502", "客厅", "墙面", "空" * (DESCRIPTION_MAX + 1), "2026-11-20", "KF1"])
    sheet.append(["3-1-502", "卧室", "墙面", "空鼓", "2026-11-20", "KF1", "", "p" * 501])
    buffer = io.BytesIO()
    workbook.save(buffer)
    with db.session() as s:
        before = len(s.exec(select(Item)).all())
        report = import_items(
            s, project_id=world.project_id, data=buffer.getvalue(), filename="long.xlsx"
        )
        assert len(s.exec(select(Item)).all()) == before
    assert {(p.row, p.column, p.key) for p in report.problems} == {
        (3, "description", "too_long"),
        (4, "photo", "too_long"),
    }
    assert "第 3 行" in render_report("zh", report) and str(DESCRIPTION_MAX) in render_report(
        "zh", report
    )
    assert "row 3" in render_report("en", report).lower()
