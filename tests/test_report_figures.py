"""The manager's figures, summed in SQL, against small worlds whose whole history is known."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta

import pytest
from sqlalchemy import func
from sqlmodel import col, select

from models import clock
from models import project as setup
from models.db import Database
from models.errors import DomainError
from models.intake import raise_item
from models.repair import apply_transition
from models.report import (
    AGE_BANDS,
    SERIES_DAYS,
    ContractorAgeing,
    DailyReport,
    daily_report,
    rework_report,
)
from models.tables import Action, Item
from tests.conftest import ADMIN, CONTRACTOR_A, CONTRACTOR_B, INSPECTOR, PROJECT_TZ, World, tg_user

WHO = {
    Action.report_repaired: None,  # the item's contractor, see History.step
    Action.pass_: INSPECTOR.id,
    Action.fail: INSPECTOR.id,
    Action.cancel: ADMIN.id,
    Action.reopen: ADMIN.id,
}
NOTES = {Action.fail: "仍渗水", Action.cancel: "重复", Action.reopen: "雨后又漏"}


def local_at(day: date, hour: int = 10, minute: int = 0) -> datetime:
    """Return the UTC instant of a wall-clock time on the site (Asia/Shanghai)."""
    return datetime.combine(day, time(hour, minute), tzinfo=clock.zone(PROJECT_TZ)).astimezone(UTC)


class History:
    """Raise items and move them at given local times, through the real domain functions."""

    def __init__(self, db: Database, world: World) -> None:
        self.db, self.world, self.n = db, world, 0
        self.contractor_person = {world.huajian: CONTRACTOR_A.id, world.mingda: CONTRACTOR_B.id}

    def item(
        self, raised_on: date, *, unit: str = "3-1-1202", category: str = "leak", **kw: int
    ) -> int:
        """Raise an item on `raised_on` (entered that morning) and return its id."""
        self.n += 1
        with self.db.session() as s:
            return raise_item(
                s,
                project_id=self.world.project_id,
                unit_code=unit,
                location="卫生间",
                category_code=category,
                description=f"问题 {self.n}",
                raised_on=raised_on,
                at=local_at(raised_on, 9),
                **kw,
            ).id

    def step(self, item_id: int, action: Action, at: datetime) -> None:
        """Apply one move at instant `at` as the person who makes it."""
        with self.db.session() as s:
            if action is Action.report_repaired:
                # The firm's own person, or an admin writing it down from a paper list.
                who = self.contractor_person.get(s.get(Item, item_id).contractor_id, ADMIN.id)
            else:
                who = WHO[action]
            apply_transition(
                s,
                item_id=item_id,
                user=tg_user(s, who),
                action=action,
                note=NOTES.get(action, "已处理"),
                at=at,
            )

    def close(self, item_id: int, day: date, *, fails: int = 0) -> None:
        """Repair and inspect an item, failing it `fails` times, passing it on `day`."""
        for n in range(fails):
            self.step(item_id, Action.report_repaired, local_at(day - timedelta(days=1), 8 + n))
            self.step(item_id, Action.fail, local_at(day - timedelta(days=1), 8 + n, 30))
        self.step(item_id, Action.report_repaired, local_at(day, 9))
        self.step(item_id, Action.pass_, local_at(day, 15))


@pytest.fixture
def history(db: Database, world: World) -> History:
    """Return a history writer for the small world."""
    return History(db, world)


def by_name(report: DailyReport) -> dict[str, ContractorAgeing]:
    """Return the report's contractors by name."""
    return {c.name: c for c in report.contractors}


def test_ageing_bands_overdue_pass_rate_and_median(db, world, history, today):
    # world: 华建 has leak (5 days old) and wall (3); 明达 has socket (4). Repair days: 7.
    for age in (0, 10, 20, 40):
        history.item(today - timedelta(days=age))
    history.close(history.item(today - timedelta(days=12)), today - timedelta(days=2))  # 10 d
    history.close(history.item(today - timedelta(days=9)), today - timedelta(days=1), fails=1)
    history.close(history.item(today - timedelta(days=6)), today - timedelta(days=2))  # 4 d
    rework = history.item(today - timedelta(days=2))
    history.step(rework, Action.report_repaired, local_at(today - timedelta(days=1), 9))
    history.step(rework, Action.fail, local_at(today - timedelta(days=1), 10))  # live, rework
    gone = history.item(today - timedelta(days=50))
    history.step(gone, Action.cancel, local_at(today - timedelta(days=49)))
    for raised, closed in ((7, 5), (3, 0)):  # 2 and 3 days: median 2.5 (an even count)
        plumbing = history.item(
            today - timedelta(days=raised), unit="5-2-801", category="plumbing_electric"
        )
        history.close(plumbing, today - timedelta(days=closed))
    with db.session() as s:
        only_closed = setup.add_contractor(s, project_id=world.project_id, name="远大门窗")
        only_cancelled = setup.add_contractor(s, project_id=world.project_id, name="无事公司")
    door = history.item(
        today - timedelta(days=30), category="door_window", contractor_id=only_closed.id
    )
    history.step(door, Action.report_repaired, local_at(today - timedelta(days=3)))
    history.step(door, Action.fail, local_at(today - timedelta(days=3), 11))
    history.step(door, Action.report_repaired, local_at(today - timedelta(days=2)))
    history.step(door, Action.pass_, local_at(today - timedelta(days=1)))  # closed in 29 days
    idle = history.item(today - timedelta(days=1), contractor_id=only_cancelled.id)
    history.step(idle, Action.cancel, local_at(today))

    report = db.run(daily_report, project_id=world.project_id)

    assert report.day == today == date(2026, 12, 16)
    assert [c.name for c in report.contractors] == ["华建装饰", "明达水电", "远大门窗"]
    huajian, mingda, door_firm = report.contractors
    assert len(huajian.bands) == len(AGE_BANDS)
    # 0-3: today's, wall (3), the rework one (2); 4-7: leak (5); 8-14: 10; 15-30: 20; >30: 40.
    assert huajian.bands == (3, 1, 1, 1, 1)
    assert huajian.open == 7
    assert huajian.overdue == 3  # due 7 days after raised: the 10, 20 and 40 days old ones
    assert huajian.first_pass_rate == pytest.approx(2 / 4)  # 2 passed first of 4 inspected
    assert huajian.median_days_to_close == 8.0  # 10, 8, 4
    assert mingda.bands == (0, 1, 0, 0, 0)
    assert (mingda.overdue, mingda.first_pass_rate, mingda.median_days_to_close) == (0, 1.0, 2.5)
    assert door_firm.bands == (0, 0, 0, 0, 0) and door_firm.open == 0
    assert (door_firm.first_pass_rate, door_firm.median_days_to_close) == (0.0, 29.0)
    assert report.today.open == 8 and report.today.overdue == 3


def test_a_contractor_with_nothing_inspected_has_no_rate_and_no_median(db, world):
    report = db.run(daily_report, project_id=world.project_id)
    mingda = by_name(report)["明达水电"]
    assert (mingda.first_pass_rate, mingda.median_days_to_close) == (None, None)
    assert mingda.bands == (0, 1, 0, 0, 0)


def test_the_thirty_days_raised_closed_and_open_at_each_end(db, world, history, today):
    first = today - timedelta(days=SERIES_DAYS - 1)
    history.item(today - timedelta(days=40))  # open all along
    history.close(history.item(today - timedelta(days=40)), today - timedelta(days=35))
    history.close(history.item(today - timedelta(days=31)), today - timedelta(days=10))
    late = history.item(today - timedelta(days=20))
    history.step(late, Action.cancel, local_at(today - timedelta(days=15), 23, 50))
    early = history.item(today - timedelta(days=20))
    # 00:10 in Shanghai is still the day before in UTC: the cancel counts on the local day.
    history.step(early, Action.cancel, local_at(today - timedelta(days=14), 0, 10))
    history.item(today)

    series = db.run(daily_report, project_id=world.project_id).series

    assert len(series) == SERIES_DAYS
    assert [d.day for d in series] == [first + timedelta(days=k) for k in range(SERIES_DAYS)]
    expected_open, still = {}, 2  # before the window: 3 raised, 1 closed
    changes = {20: 2, 15: -1, 14: -1, 10: -1, 5: 1, 4: 1, 3: 1, 0: 1}
    for ago in range(SERIES_DAYS - 1, -1, -1):
        still += changes.get(ago, 0)
        expected_open[today - timedelta(days=ago)] = still
    assert {d.day: d.open for d in series} == expected_open
    raised = {d.day: d.raised for d in series if d.raised}
    assert raised == {
        today - timedelta(days=20): 2,
        today - timedelta(days=5): 1,
        today - timedelta(days=4): 1,
        today - timedelta(days=3): 1,
        today: 1,
    }
    assert {d.day: d.closed for d in series if d.closed} == {today - timedelta(days=10): 1}
    quiet = series[0]  # nothing happened that day: zeros, and the open count carried
    assert (quiet.day, quiet.raised, quiet.closed, quiet.open) == (first, 0, 0, 2)
    assert series[-1].open == db.run(daily_report, project_id=world.project_id).today.open == 5


def test_a_past_day_counts_what_was_open_then(db, world, history, today):
    item = history.item(today - timedelta(days=6))
    history.close(item, today - timedelta(days=1))
    report = db.run(daily_report, project_id=world.project_id, day=today - timedelta(days=2))
    assert report.series[-1].day == today - timedelta(days=2)
    assert report.series[-1].open == 4  # that item (closed a day later), leak, wall, socket
    assert report.series[-1].closed == 0
    huajian = by_name(report)["华建装饰"]
    # The bands are the items live now, aged as on that day (leak 3 days, wall 1).
    assert huajian.bands == (2, 0, 0, 0, 0)


def test_today_counts_the_local_day_around_midnight(db, world, history, today):
    yesterday = today - timedelta(days=1)
    a = history.item(yesterday - timedelta(days=3))
    b = history.item(yesterday - timedelta(days=3))
    c = history.item(yesterday)
    history.step(a, Action.report_repaired, local_at(yesterday, 23, 40))
    history.step(a, Action.pass_, local_at(yesterday, 23, 50))  # closed yesterday
    history.step(b, Action.report_repaired, local_at(yesterday, 23, 50))
    history.step(b, Action.fail, local_at(today, 0, 10))  # today, though yesterday in UTC
    history.step(c, Action.report_repaired, local_at(today, 0, 10))
    history.step(world.items["wall"], Action.report_repaired, local_at(today, 0, 20))
    history.step(world.items["wall"], Action.pass_, local_at(today, 0, 25))

    then = db.run(daily_report, project_id=world.project_id, day=yesterday).today
    now = db.run(daily_report, project_id=world.project_id).today

    assert (then.raised, then.reported_repaired, then.passed, then.failed, then.closed) == (
        1,
        2,
        1,
        0,
        1,
    )
    assert (now.raised, now.reported_repaired, now.passed, now.failed, now.closed) == (
        0,
        2,
        1,
        1,
        1,
    )
    assert now.open == 4  # live now: leak, socket, b (rework), c (repaired)
    assert then.open == 5  # at the end of yesterday wall was still open too
    assert now.overdue == 0


def test_rework_causes_by_category_and_building(db, world, history, today):
    leak, wall, socket = world.items["leak"], world.items["wall"], world.items["socket"]
    day = today - timedelta(days=2)
    for hour in (8, 9):
        history.step(leak, Action.report_repaired, local_at(day, hour))
        history.step(leak, Action.fail, local_at(day, hour, 30))
    history.close(leak, day + timedelta(days=1))
    history.step(leak, Action.reopen, local_at(today, 0, 5))  # today, after the rain
    history.close(wall, day, fails=1)
    history.step(socket, Action.report_repaired, local_at(day))
    history.step(socket, Action.fail, local_at(day, 11))
    other = history.item(today - timedelta(days=1), unit="5-2-801", category="leak")
    history.step(other, Action.report_repaired, local_at(day + timedelta(days=1)))
    history.step(other, Action.fail, local_at(today, 0, 20))  # today: not in yesterday's

    report = db.run(rework_report, project_id=world.project_id)

    cats = [
        (c.contractor_name, c.key, c.label_zh, c.label_en, c.failed, c.reopened)
        for c in report.by_category
    ]
    assert cats[0] == ("华建装饰", "leak", "渗漏", "Leak", 3, 1)
    assert sorted(cats[1:]) == [
        ("华建装饰", "wall", "墙面", "Wall", 1, 0),
        ("明达水电", "plumbing_electric", "水电", "Plumbing/electric", 1, 0),
    ]
    assert report.by_category[0].total == 4
    buildings = [(c.contractor_name, c.key, c.failed, c.reopened) for c in report.by_building]
    assert buildings == [("华建装饰", "3", 3, 1), ("华建装饰", "5", 1, 0), ("明达水电", "5", 1, 0)]
    assert report.day == today

    before = db.run(rework_report, project_id=world.project_id, day=today - timedelta(days=1))
    assert [(c.contractor_name, c.key, c.failed, c.reopened) for c in before.by_building] == [
        ("华建装饰", "3", 3, 0),
        ("明达水电", "5", 1, 0),
    ]
    assert [(c.key, c.failed) for c in before.by_category if c.contractor_name == "华建装饰"] == [
        ("leak", 2),
        ("wall", 1),
    ]


def test_an_empty_project_and_an_unknown_one(db):
    with db.session() as s:
        project = setup.create_project(s, name="空项目")
    report = db.run(daily_report, project_id=project.id)
    assert report.contractors == ()
    assert [(d.raised, d.closed, d.open) for d in report.series] == [(0, 0, 0)] * SERIES_DAYS
    assert report.today.open == 0
    assert db.run(rework_report, project_id=project.id).by_category == ()
    with pytest.raises(DomainError):
        db.run(daily_report, project_id=project.id + 99)
    with pytest.raises(DomainError):
        db.run(rework_report, project_id=project.id + 99)


def test_the_days_index_is_the_models_and_the_median_reads_it(db):
    # Alembic cannot compare an expression index on SQLite (it skips it): check it here.
    from sqlalchemy.schema import CreateIndex

    from models.tables import days_between

    index = next(i for i in Item.__table__.indexes if i.name == "ix_item_report_days")
    with db.engine.connect() as conn:
        if conn.dialect.name != "sqlite":
            stored = conn.exec_driver_sql(
                "SELECT indexdef FROM pg_indexes WHERE indexname = 'ix_item_report_days'"
            ).scalar_one()
            assert "(closed_on - raised_on)" in stored and "closed_on IS NOT NULL" in stored
            return
        stored = conn.exec_driver_sql(
            "SELECT sql FROM sqlite_master WHERE name = 'ix_item_report_days'"
        ).scalar_one()
        model = str(CreateIndex(index).compile(dialect=conn.dialect))
        assert " ".join(stored.split()) == " ".join(model.split())
        query = (
            select(Item.contractor_id, days_between(Item.closed_on, Item.raised_on), func.count())
            .where(Item.project_id == 1, col(Item.closed_on).is_not(None))
            .group_by(Item.contractor_id, days_between(Item.closed_on, Item.raised_on))
        )
        compiled = query.compile(dialect=conn.dialect)
        plan = conn.exec_driver_sql(
            "EXPLAIN QUERY PLAN " + str(compiled),
            tuple(compiled.params[k] for k in compiled.positiontup),
        ).all()
    steps = " ".join(row[-1] for row in plan)
    assert "ix_item_report_days" in steps and "TEMP B-TREE" not in steps


def test_overdue_is_what_the_digest_counts(db, world, today):
    # Late items still with their contractor; one repaired and waiting for the inspectors is
    # late on the to-check list but not the contractor's overdue (the same rule as /overdue).
    from models.overdue import overdue_digest
    from tests.conftest import move

    with db.session() as s:
        for key in ("leak", "socket"):
            s.get(Item, world.items[key]).due_on = today - timedelta(days=2)
    move(db, world.items["leak"], CONTRACTOR_A.id, Action.report_repaired, "已修")
    report = db.run(daily_report, project_id=world.project_id)
    digest = db.run(overdue_digest, project_id=world.project_id)
    assert report.today.overdue == digest.total == 1
    assert by_name(report)["明达水电"].overdue == 1 and by_name(report)["华建装饰"].overdue == 0
