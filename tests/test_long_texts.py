"""Long texts: limited where they enter, and every view safe whatever is stored.

The offline transport refuses what Telegram refuses (a text over 4,096 characters, a caption over
1,024, broken HTML), so a test that gets an answer at all proves the view fits.
"""

from __future__ import annotations

import io

import pytest
from openpyxl import Workbook
from sqlmodel import select

from bot.telegram.adapter import LIMITS as TELEGRAM
from bot.telegram.offline import MAX_TEXT, OfflineUser, html_to_text
from bot.wecom.adapter import LIMITS as WECOM
from handlers.sheets_text import render_report
from handlers.text import size, split_html
from models import people
from models.errors import DomainError
from models.limits import DESCRIPTION_MAX, NOTE_MAX
from models.repair import apply_transition
from models.sheets import import_items
from models.tables import Action, Event, Item, ItemState, Photo, Role
from tests.conftest import (
    ADMIN,
    CONTRACTOR_A,
    CONTRACTOR_B,
    INSPECTOR,
    PNG,
    SERVICE,
    move,
    texts,
    tg_user,
)

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
            s,
            project_id=world.project_id,
            platform="telegram",
            account=str(CLERK.id),
            name="Zhou",
            roles=[Role.clerk],
        )
    return CLERK


# ---------------------------------------------------------------- views of what is stored


async def test_a_5000_character_description_opens_for_contractor_inspector_and_service(
    bot, world, db
):
    leak = world.items["leak"]
    store(db, leak, description=LONG)
    wang, li, sun = bot.chat(CONTRACTOR_A), bot.chat(INSPECTOR), bot.chat(SERVICE)

    # The list shortens it; the card shows its start with "…" and still has its buttons.
    listed = texts(await wang.send("/mylist"))
    assert f"#{leak}" in listed and "卫生间吊顶渗水<严" in listed and "…" in listed
    card = await wang.press(f"it:{leak}")
    assert "卫生间吊顶渗水<严重>&" in texts(card) and "…" in texts(card)
    assert any("Report done" in label for row in wang.buttons() for label, _ in row)

    # Reported repaired with a long note stored: the inspector's list and card open too.
    move(db, leak, CONTRACTOR_A.id, Action.report_repaired, note="ok")
    set_last_note(db, leak, LONG)
    assert f"#{leak}" in texts(await li.send("/tocheck"))
    checked = texts(await li.press(f"ck:{leak}"))
    assert "卫生间吊顶渗水" in checked and "…" in checked
    assert any("Pass" in label for row in li.buttons() for label, _ in row)

    # Service: the flat lists it shortened; /item shows the whole text, split safely.
    assert f"#{leak}" in texts(await sun.send("/unit 3-1-1202"))
    history = await sun.send(f"/item {leak}")
    assert len(history) >= 2 and LONG in joined(history)
    assert all(len(m.text) <= MAX_TEXT for m in history)


async def test_disputes_work_with_a_5000_character_reason_stored(bot, world, db):
    leak, wall = world.items["leak"], world.items["wall"]
    move(db, leak, CONTRACTOR_A.id, Action.dispute, note="not ours")
    set_last_note(db, leak, LONG)
    store(db, leak, description=LONG)
    move(db, wall, CONTRACTOR_A.id, Action.dispute, note="plumbing, not walls")
    chen = bot.chat(ADMIN)

    listed = await chen.send("/disputes")
    shown = texts(listed)
    assert f"#{leak}" in shown and f"#{wall}" in shown and "plumbing, not walls" in shown
    assert "卫生间吊顶渗水" in shown and "…" in shown
    # Each dispute still has its reassign button, and the reassign works.
    buttons = [data for m in listed for row in m.buttons() for _, data in row]
    assert any(data.startswith(f"ra:{leak}:") for data in buttons)
    target = next(data for data in buttons if data.startswith(f"ra:{leak}:"))
    assert "明达水电" in texts(await chen.press(target))
    assert state_and_events(db, leak)[0] is S.open


async def test_notices_and_lists_carry_a_long_stored_description(bot, world, db):
    leak = world.items["leak"]
    store(db, leak, description=LONG, location="主卧" * 30)
    chen = bot.chat(ADMIN)
    await chen.send(f"/reassign {leak} 明达水电")
    told = [m for m in chen.last_step_events if m.chat_id == CONTRACTOR_B.id]
    assert told and f"#{leak}" in told[0].text and "…" in told[0].text
    assert state_and_events(db, leak)[0] is S.open


async def test_echoes_of_what_was_typed_are_short_and_escaped(bot, world, clerk):
    sun, zhou = bot.chat(SERVICE), bot.chat(CLERK)
    typed = "<b>&" + "9" * 4000
    for command, answer in (("/unit", "There is no flat"), ("/find", "No flat matches")):
        replied = texts(await sun.send(f"{command} {typed}"))
        assert answer in replied and "<b>&9999" in replied and len(replied) < 500
    # A refusal quoting a typed category: escaped, shortened.
    await zhou.send("/new")
    await zhou.send("3-1-1202")
    await zhou.press_label("Bathroom")
    refused = texts(await zhou.send(typed))
    assert "There is no category" in refused and "<b>&9999" in refused and "…" in refused


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
    assert "Note saved" in texts(await wang.send("sealed"))
    assert "reported done" in texts(await wang.press(f"done:{wall}"))

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
            user=tg_user(s, ADMIN.id),
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
    zh, en = render_report("zh", report), render_report("en", report)
    assert "第 3 行" in zh and "第 4 行" in zh and f"最多 {DESCRIPTION_MAX} 个字符" in zh
    assert "row 3" in en.lower() and f"{DESCRIPTION_MAX} characters at most" in en


# ---------------------------------------------------------------- splitting


@pytest.mark.parametrize(
    "text",
    [
        "x" * 10_000,
        "&lt;&amp;" * 3000,
        "<b>" + "粗" * 9000 + "</b>",
        "head\n" + "word " * 3000 + "\n<i>tail</i>",
        "\n".join(f"<b>#{i}</b> line &amp; more" for i in range(1500)),
    ],
)
@pytest.mark.parametrize("limits", [TELEGRAM, WECOM], ids=["telegram", "wecom"])
def test_split_html_keeps_every_piece_valid_and_loses_nothing(text, limits):
    pieces = split_html(text, limits.chunk, in_bytes=limits.text_in_bytes)
    assert all(size(p, limits) <= limits.chunk for p in pieces)
    visible = [html_to_text(p) for p in pieces]  # raises as Telegram does on broken HTML
    assert all(v.strip() for v in visible)
    whole = html_to_text(text)
    assert "".join(visible).replace("\n", "").replace(" ", "") == whole.replace("\n", "").replace(
        " ", ""
    )


async def test_a_note_and_a_caption_together_stay_within_the_limit(bot, world, db):
    wall = world.items["wall"]
    wang = bot.chat(CONTRACTOR_A)
    await wang.send("/mylist")
    await wang.press(f"rp:{wall}")
    half = "h" * (NOTE_MAX // 2 + 10)
    assert "Note saved" in texts(await wang.send(half))
    # The caption would make the report's one note too long: refused, and no photo is kept.
    assert "too long" in texts(await wang.send_photo(PNG(4), caption="c" * (NOTE_MAX // 2)))
    await wang.send_photo(PNG(5), caption="short")
    assert "reported done" in texts(await wang.press(f"done:{wall}"))
    with db.session() as s:
        event = s.exec(select(Event).where(Event.item_id == wall).order_by(Event.id.desc())).first()
        assert event.note == f"{half}\nshort"
        assert len(s.exec(select(Photo).where(Photo.event_id == event.id)).all()) == 1


def test_a_text_that_fits_comes_back_whole_and_still_well_formed():
    fits = "<b>楼栋</b> 3-1-1202\n<i>渗漏</i> &amp; 1"
    assert split_html(fits, 4000) == [fits]  # the fast path: nothing walked, nothing changed
    # What the fast path must not take: a tag left open, a trailing line break.
    assert split_html("<b>未闭合 open", 4000) == ["<b>未闭合 open</b>"]
    assert split_html("一行\n", 4000) == ["一行"]
