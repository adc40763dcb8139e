"""Overdue: due dates, marks on lists and cards, the digest by contractor, /overdue."""

from __future__ import annotations

import io
from datetime import date, timedelta
from functools import partial

import openpyxl
import pypdf
from sqlalchemy import event
from sqlmodel import select

from bot.telegram.adapter import LIMITS as TELEGRAM
from bot.telegram.offline import OfflineUser
from bot.wecom.adapter import LIMITS as WECOM
from handlers.i18n import t
from handlers.overdue_text import contractor_line
from handlers.overdue_text import overdue_digest as digest_text
from models import clock, people
from models import project as setup
from models.db import Database
from models.export import export_items
from models.intake import raise_item
from models.overdue import is_overdue, my_overdue, overdue_digest, owed_clause
from models.printable import to_check_pdf
from models.repair import apply_transition
from models.report import daily_report
from models.tables import Action, Item, ItemState, Project, Unit
from tests.conftest import (
    ADMIN,
    CONTRACTOR_A,
    CONTRACTOR_B,
    INSPECTOR,
    MANAGER,
    SERVICE,
    World,
    move,
    texts,
    tg,
    tg_user,
)


def _raise(
    db: Database,
    world: World,
    *,
    raised_on: date,
    category: str = "leak",
    unit: str = "3-1-502",
    description: str = "阳台渗水",
) -> int:
    with db.session() as s:
        return raise_item(
            s,
            project_id=world.project_id,
            unit_code=unit,
            location="balcony",
            category_code=category,
            description=description,
            raised_on=raised_on,
        ).id


def test_the_digest_counts_each_contractors_overdue_items_oldest_first(world, db, today):
    # The world's items are 3-5 days old, due in 7: none is overdue today.
    with db.session() as s:
        assert overdue_digest(s, project_id=world.project_id).total == 0
    old = _raise(db, world, raised_on=today - timedelta(days=12))  # due 5 days ago
    older = _raise(db, world, raised_on=today - timedelta(days=15), unit="3-1-1202")  # 8 days
    socket = _raise(db, world, raised_on=today - timedelta(days=8), category="plumbing_electric")
    with db.session() as s:
        digest = overdue_digest(s, project_id=world.project_id)
    assert digest.day == today
    assert digest.total == 3
    huajian, mingda = digest.contractors
    assert (huajian.contractor_id, huajian.count) == (world.huajian, 2)
    assert [(i.id, i.unit_code, i.days) for i in huajian.oldest] == [
        (older, "3-1-1202", 8),
        (old, "3-1-502", 5),
    ]
    assert [(i.id, i.days) for i in mingda.oldest] == [(socket, 1)]
    text = digest_text("zh", digest, limits=TELEGRAM)
    assert "华建装饰" in text and f"#{older}" in text and "共 3 项逾期" in text


def test_a_contractor_is_told_how_many_are_overdue_and_the_oldest(world, db, today):
    with db.session() as s:
        assert my_overdue(s, user_id=tg(s, CONTRACTOR_A.id)) is None
    assert contractor_line("zh", None) == ""
    old = _raise(db, world, raised_on=today - timedelta(days=12))
    with db.session() as s:
        one = my_overdue(s, user_id=tg(s, CONTRACTOR_A.id))
    assert contractor_line("zh", one) == f"⚠ 您有 1 项已逾期：#{old} 已逾期 5 天，请尽快处理。"
    _raise(db, world, raised_on=today - timedelta(days=9), unit="3-1-1202")
    with db.session() as s:
        mine = my_overdue(s, user_id=tg(s, CONTRACTOR_A.id))
        theirs = my_overdue(s, user_id=tg(s, CONTRACTOR_B.id))
    assert theirs is None
    said = contractor_line("zh", mine)
    assert said == f"⚠ 您有 2 项已逾期，最早的 #{old} 已逾期 5 天，请尽快处理。"
    assert f"the oldest, #{old}, is 5 days overdue" in contractor_line("en", mine)


def _due(db: Database, item_id: int) -> date | None:
    with db.session() as s:
        return s.get(Item, item_id).due_on


# ---------------------------------------------------------------- due dates


def test_an_item_is_due_its_categorys_days_else_the_projects(world, db, today):
    with db.session() as s:
        leak = setup.category_by_code(s, project_id=world.project_id, code="leak")
        leak.repair_days = 2
        s.add(leak)
        s.get(Project, world.project_id).repair_days = 10
        s.commit()
    raised = today - timedelta(days=1)
    quick = _raise(db, world, raised_on=raised)
    wall = _raise(db, world, raised_on=raised, category="wall", description="墙面裂缝")
    assert _due(db, quick) == raised + timedelta(days=2)
    assert _due(db, wall) == raised + timedelta(days=10)


def test_a_new_projects_days_come_from_the_settings(db, tmp_path, monkeypatch, capsys):
    from bot.cli import main

    monkeypatch.chdir(tmp_path)  # no .env of the working folder
    monkeypatch.setenv("DATABASE_URL", db.url)
    monkeypatch.setenv("REPAIR_DAYS", "12")
    monkeypatch.setenv("REWORK_DAYS", "4")
    assert main(["project", "Hillside 2"]) == 0
    with db.session() as s:
        hill = s.exec(select(Project).where(Project.name == "Hillside 2")).one()
        assert (hill.repair_days, hill.rework_days) == (12, 4)
        plain = setup.create_project(s, name="Plain")
        assert (plain.repair_days, plain.rework_days) == (7, 3)  # the settings' defaults


def test_the_demo_project_takes_the_days_it_is_given(db):
    from demo import build_demo

    build_demo(db, items=20, today=date(2026, 12, 1), repair_days=9, rework_days=5)
    with db.session() as s:
        demo = s.exec(select(Project)).one()
        assert (demo.repair_days, demo.rework_days) == (9, 5)


def test_a_failed_item_is_due_again_rework_days_from_the_sites_today(world, db, today):
    # The pinned clock is 00:30 on the 16th in Shanghai, still the 15th in UTC.
    assert today == date(2026, 12, 16)
    wall = world.items["wall"]  # raised 3 days ago, due in 4
    assert _due(db, wall) == today + timedelta(days=4)
    move(db, wall, CONTRACTOR_A.id, Action.report_repaired)
    move(db, wall, INSPECTOR.id, Action.fail, note="仍有空鼓")
    assert _due(db, wall) == today + timedelta(days=4)  # later than today + 3: kept
    leak = world.items["leak"]  # raised 5 days ago, due in 2
    move(db, leak, CONTRACTOR_A.id, Action.report_repaired)
    move(db, leak, INSPECTOR.id, Action.fail, note="还在渗")
    assert _due(db, leak) == date(2026, 12, 19)  # the site's 16th + 3, not UTC's 15th + 3


def test_a_reopened_item_is_due_again_and_the_projects_rework_days_count(world, db, today):
    with db.session() as s:
        s.get(Project, world.project_id).rework_days = 5
        s.commit()
    old = _raise(db, world, raised_on=today - timedelta(days=20))  # due 13 days ago
    move(db, old, CONTRACTOR_A.id, Action.report_repaired)
    move(db, old, INSPECTOR.id, Action.pass_)
    move(db, old, SERVICE.id, Action.reopen, note="下雨后又漏了")
    assert _due(db, old) == today + timedelta(days=5)
    with db.session() as s:
        assert my_overdue(s, user_id=tg(s, CONTRACTOR_A.id)) is None  # back in time


def test_reassign_gives_the_new_contractor_time_a_rejected_dispute_does_not(world, db, today):
    late = _raise(db, world, raised_on=today - timedelta(days=10))  # due 3 days ago
    other = _raise(db, world, raised_on=today - timedelta(days=10), unit="3-1-1202")
    was = _due(db, late)
    move(db, late, CONTRACTOR_A.id, Action.dispute, note="不是我们的")
    move(db, late, ADMIN.id, Action.reject_dispute, note="是你们的")
    assert _due(db, late) == was  # a dispute turned down buys no time
    with db.session() as s:
        apply_transition(
            s,
            item_id=other,
            user=tg_user(s, ADMIN.id),
            action=Action.reassign,
            contractor_id=world.mingda,
        )
    assert _due(db, other) == today + timedelta(days=3)


# ---------------------------------------------------------------- marks on lists and cards


def _late_world(db: Database, world: World, today: date) -> int:
    """Make one of Huajian's items overdue by 2 days (newer than its rework) and return it."""
    move(db, world.items["wall"], CONTRACTOR_A.id, Action.report_repaired)
    move(db, world.items["wall"], INSPECTOR.id, Action.fail, note="仍有空鼓")
    return _raise(db, world, raised_on=today - timedelta(days=9), unit="3-1-1202")


async def test_my_list_puts_rework_first_then_oldest_and_says_how_many_are_late(
    bot, world, db, today
):
    late = _late_world(db, world, today)
    shown = texts(await bot.chat(CONTRACTOR_A).send("/mylist"))
    lines = [line for line in shown.splitlines() if line.startswith("#")]
    assert lines[0].startswith(f"#{world.items['wall']} ") and "overdue" not in lines[0]
    assert lines[1].startswith(f"#{late} ") and "⚠overdue 2d" in lines[1]  # raised 9 days ago
    assert lines[2].startswith(f"#{world.items['leak']} ")  # raised 5 days ago
    assert "⚠ Overdue: 1 of them" in shown
    zh = OfflineUser(id=CONTRACTOR_A.id, first_name="Wang", language_code="zh")
    with db.session() as s:
        people.set_language(s, user_id=tg(s, CONTRACTOR_A.id), language="zh")
        s.commit()
    shown = texts(await bot.chat(zh).send("/mylist"))
    assert "其中 1 项已逾期" in shown and "⚠逾期2天" in shown


async def test_a_list_without_overdue_items_says_nothing_of_them(bot, world):
    shown = texts(await bot.chat(CONTRACTOR_A).send("/mylist"))
    assert "overdue" not in shown.lower()


async def test_cards_flats_and_the_to_check_list_mark_overdue_items(bot, world, db, today):
    late = _late_world(db, world, today)
    card = texts(await bot.chat(ADMIN).send(f"/item {late}"))
    assert "⚠ Overdue by 2 days" in card
    assert "Overdue" not in texts(await bot.chat(ADMIN).send(f"/item {world.items['leak']}"))
    flat = texts(await bot.chat(SERVICE).send("/unit 3-1-1202")).split("\n#")
    assert "⚠overdue 2 days" in next(entry for entry in flat if entry.startswith(f"{late} "))
    leak = world.items["leak"]
    assert "overdue" not in next(entry for entry in flat if entry.startswith(f"{leak} "))
    move(db, late, CONTRACTOR_A.id, Action.report_repaired)  # reported late: now it waits
    socket = world.items["socket"]
    move(db, socket, CONTRACTOR_B.id, Action.report_repaired)  # in time
    checks = texts(await bot.chat(INSPECTOR).send("/tocheck")).splitlines()
    assert "overdue" not in next(line for line in checks if f"#{late} " in line)
    assert "overdue" not in next(line for line in checks if f"#{socket} " in line)


async def test_an_owners_summary_says_nothing_of_overdue(bot, world, db, today):
    late = _late_world(db, world, today)
    with db.session() as s:
        unit_id = s.get(Item, late).unit_id
    sun = bot.chat(SERVICE)
    await sun.send("/unit 3-1-1202")
    for lang in ("zh", "en"):
        summary = texts(await sun.press(f"os:{unit_id}:{lang}"))
        assert "逾期" not in summary and "overdue" not in summary.lower()
        assert "2 天" not in summary and "2 days" not in summary


# ---------------------------------------------------------------- the digest


def _many_firms(db: Database, world: World, today: date, firms: int, each: int) -> list[int]:
    """Add firms with long, hostile names, each owing `each` overdue items; return their ids."""
    with db.session() as s:
        unit = s.exec(select(Unit).where(Unit.project_id == world.project_id)).first()
        leak = setup.category_by_code(s, project_id=world.project_id, code="leak")
        ids = []
        for n in range(firms):
            name = f"<b>&第{n:03d}建筑安装工程有限公司" + "长" * 60 + f"#{n}"
            firm = setup.add_contractor(s, project_id=world.project_id, name=name[:100])
            ids.append(firm.id)
            s.add_all(
                Item(
                    project_id=world.project_id,
                    unit_id=unit.id,
                    location="kitchen",
                    category_id=leak.id,
                    description="渗水",
                    raised_on=today - timedelta(days=30),
                    contractor_id=firm.id,
                    state=ItemState.rework if k % 2 else ItemState.open,
                    due_on=today - timedelta(days=1 + (n + k) % 20),
                )
                for k in range(each)
            )
        s.commit()
    return ids


def test_the_digest_is_one_query_whatever_the_size(world, db, today):
    _many_firms(db, world, today, firms=30, each=6)
    statements: list[str] = []

    def count(conn, cursor, statement, *args) -> None:  # noqa: ANN001
        statements.append(statement)

    event.listen(db.engine, "before_cursor_execute", count)
    try:
        with db.session() as s:
            digest = overdue_digest(s, project_id=world.project_id)
    finally:
        event.remove(db.engine, "before_cursor_execute", count)
    item_queries = [q for q in statements if "FROM item" in q]
    assert len(item_queries) == 1, statements
    assert digest.total == 180 and len(digest.contractors) == 30
    assert all(len(c.oldest) == 3 and c.count == 6 for c in digest.contractors)
    for firm in digest.contractors:
        days = [i.days for i in firm.oldest]
        assert days == sorted(days, reverse=True) and firm.most_days == days[0]


def test_the_digest_counts_only_what_waits_for_its_contractor(world, db, today):
    # All four are long overdue, but none waits for its contractor: checked, settled, done.
    repaired, disputed, closed, cancelled = (
        _raise(db, world, raised_on=today - timedelta(days=12), description=f"渗水{n}")
        for n in range(4)
    )
    move(db, repaired, CONTRACTOR_A.id, Action.report_repaired)
    move(db, disputed, CONTRACTOR_A.id, Action.dispute, note="不是我们的")
    move(db, closed, CONTRACTOR_A.id, Action.report_repaired)
    move(db, closed, INSPECTOR.id, Action.pass_)
    move(db, cancelled, ADMIN.id, Action.cancel, note="重复登记")
    with db.session() as s:
        assert overdue_digest(s, project_id=world.project_id).total == 0
        # In five days the world's three items (due in 2 to 4 days) are late, and only they.
        later = overdue_digest(s, project_id=world.project_id, day=today + timedelta(days=5))
    assert later.total == 3
    assert {i.id for c in later.contractors for i in c.oldest} == set(world.items.values())


def test_the_digest_of_200_long_named_firms_fits_one_message(world, db, today):
    _many_firms(db, world, today, firms=200, each=4)
    with db.session() as s:
        digest = overdue_digest(s, project_id=world.project_id)
    assert digest.total == 800 and len(digest.contractors) == 200
    for lang in ("zh", "en"):
        text = digest_text(lang, digest, limits=TELEGRAM)
        assert len(text) <= 4096
        assert "<b>&第" not in text and "<b>&lt;b&gt;&amp;第" in text  # names escaped
        shown = sum(1 for line in text.splitlines() if line.startswith("<b>&lt;b&gt;"))
        assert 10 < shown < 200
        rest = digest.contractors[shown:]
        more = {
            "zh": f"另有 {len(rest)} 家施工单位共 {4 * len(rest)} 项",
            "en": f"+{len(rest)} more contractors with {4 * len(rest)} overdue items",
        }
        assert more[lang] in text
    # WeCom counts bytes (2,048 a text): fewer firms, each Chinese character three bytes.
    wecom = digest_text("zh", digest, limits=WECOM)
    assert len(wecom.encode()) <= WECOM.text
    assert wecom.count("\n") < digest_text("zh", digest, limits=TELEGRAM).count("\n")


def test_a_digest_with_nothing_overdue_says_so(world, db):
    with db.session() as s:
        digest = overdue_digest(s, project_id=world.project_id)
    assert (
        digest_text("zh", digest, limits=WECOM)
        == f"<b>Riverside 1</b>：{digest.day} 没有逾期的问题。"
    )


# ---------------------------------------------------------------- /overdue in chat


async def test_overdue_on_demand_for_admins_and_managers_only(bot, world, db, today):
    late = _late_world(db, world, today)
    shown = texts(await bot.chat(ADMIN).send("/overdue"))
    assert "Overdue items · Riverside 1 (2026-12-16)" in shown
    assert "华建装饰" in shown and f"#{late} 3-1-1202 (2d)" in shown
    zhou = texts(await bot.chat(MANAGER).send("/overdue"))
    assert "共 1 项逾期，涉及 1 家施工单位" in zhou
    for who in (CONTRACTOR_A, INSPECTOR, SERVICE):
        refused = texts(await bot.chat(who).send("/overdue"))
        assert "your role cannot do that" in refused and "华建" not in refused
    assert "/overdue" in texts(await bot.chat(MANAGER).send("/help"))
    assert "/overdue" in texts(await bot.chat(ADMIN).send("/help"))
    assert "/overdue" not in texts(await bot.chat(CONTRACTOR_A).send("/help"))


async def test_overdue_with_200_firms_is_one_message_telegram_takes(bot, world, db, today):
    _many_firms(db, world, today, firms=200, each=4)
    replies = await bot.chat(ADMIN).send("/overdue")
    assert len(replies) == 1 and len(replies[0].text) <= 4096
    assert "+" in replies[0].text and "more contractors" in replies[0].text


# ---------------------------------------------------------------- one meaning everywhere


def _report_at(db: Database, item_id: int, days_ago: int) -> None:
    """Have contractor A report an item repaired `days_ago` days back (the site's time)."""
    with db.session() as s:
        apply_transition(
            s,
            item_id=item_id,
            user=tg_user(s, CONTRACTOR_A.id),
            action=Action.report_repaired,
            at=clock.now() - timedelta(days=days_ago),
        )
        s.commit()


def _export_rows(db: Database, world: World) -> list[dict[str, object]]:
    with db.session() as s:
        data = export_items(s, project_ids=[world.project_id], say=t)
    sheet = openpyxl.load_workbook(io.BytesIO(data))["Items"]
    header, *rows = sheet.iter_rows(values_only=True)
    return [dict(zip(header, row, strict=True)) for row in rows]


def _column(row: dict[str, object], english: str) -> object:
    [value] = [v for k, v in row.items() if str(k).endswith(f" {english}")]
    return value


async def test_overdue_is_the_contractors_delay_in_every_view_count_and_export(
    bot, world, db, today
):
    # Three items due five days ago: one still with its contractor (overdue), one reported
    # repaired three days ago (the acceptance team's wait: "待验 3 天"), one disputed.
    late = _raise(db, world, raised_on=today - timedelta(days=12))
    waited = _raise(db, world, raised_on=today - timedelta(days=12), unit="3-1-1202")
    disputed = _raise(db, world, raised_on=today - timedelta(days=12), unit="5-2-801")
    _report_at(db, waited, 3)
    move(db, disputed, CONTRACTOR_A.id, Action.dispute, note="不是我们的")

    assert "共 1 项逾期" in texts(await bot.chat(MANAGER).send("/overdue"))
    with db.session() as s:
        report = daily_report(s, project_id=world.project_id)
    assert report.today.overdue == 1 and sum(c.overdue for c in report.contractors) == 1

    checks = texts(await bot.chat(INSPECTOR).send("/tocheck")).splitlines()
    line = next(x for x in checks if f"#{waited} " in x)
    assert "overdue" not in line and "awaiting acceptance 3d" in line, line
    card = texts(await bot.chat(ADMIN).send(f"/item {waited}"))
    assert "Overdue" not in card and "Awaiting acceptance: 3d" in card
    assert "Overdue" not in texts(await bot.chat(ADMIN).send(f"/item {disputed}"))
    assert "Overdue by 5 days" in texts(await bot.chat(ADMIN).send(f"/item {late}"))
    flat = texts(await bot.chat(SERVICE).send("/unit 3-1-1202")).split("\n#")
    entry = next(e for e in flat if e.startswith(f"{waited} "))
    assert "overdue" not in entry and "awaiting acceptance 3d" in entry, entry

    with db.session() as s:
        _, walk = to_check_pdf(s, project_id=world.project_id, tr=partial(t, "zh"))
    page = "".join(pypdf.PdfReader(io.BytesIO(walk)).pages[0].extract_text().split())
    assert str(waited) in page and "逾期" not in page and "3天" in page

    rows = {
        row[next(k for k in row if str(k).endswith(" id"))]: row for row in _export_rows(db, world)
    }
    overdue = [i for i, row in rows.items() if _column(row, "overdue") == "是 yes"]
    assert overdue == [late]
    assert _column(rows[waited], "days awaiting acceptance") == 3
    assert _column(rows[late], "days awaiting acceptance") is None


def test_the_rule_in_python_and_in_sql_agree_for_every_state(world, db, today):
    late = {
        state: _raise(db, world, raised_on=today - timedelta(days=12), description=state.value)
        for state in ItemState
    }
    steps = {
        ItemState.repaired: [(CONTRACTOR_A, Action.report_repaired)],
        ItemState.rework: [(CONTRACTOR_A, Action.report_repaired), (INSPECTOR, Action.fail)],
        ItemState.closed: [(CONTRACTOR_A, Action.report_repaired), (INSPECTOR, Action.pass_)],
        ItemState.disputed: [(CONTRACTOR_A, Action.dispute)],
        ItemState.cancelled: [(ADMIN, Action.cancel)],
    }
    for state, moves in steps.items():
        for who, action in moves:
            move(db, late[state], who.id, action, note="why")
    with db.session() as s:
        # A failed item is due again in 3 days: past it, both forms must still agree.
        for day in (today, today + timedelta(days=5)):
            in_sql = set(s.exec(select(Item.id).where(*owed_clause(day))).all())
            in_python = {i.id for i in s.exec(select(Item)) if is_overdue(i.state, i.due_on, day)}
            assert in_sql == in_python
        states = {s.get(Item, i).state for i in in_sql}
    assert states == {ItemState.open, ItemState.rework}
