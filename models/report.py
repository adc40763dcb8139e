"""The manager's figures: ageing, the last 30 days, today's counts, rework causes (SQL sums)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field, replace
from datetime import UTC, date, datetime, time, timedelta

from sqlalchemy import ColumnElement, case, func
from sqlmodel import Session, col, select

from models import clock
from models.errors import DomainError
from models.overdue import owed_clause  # overdue as /overdue counts it: late, with its firm
from models.repair import LIVE_STATES
from models.tables import (
    Action,
    Category,
    Contractor,
    Event,
    Item,
    ItemState,
    Project,
    Unit,
    days_between,
)

S = ItemState

# Age bands of an open item, in days since raised: the chart's stacked bars.
AGE_BANDS: tuple[tuple[int, int | None], ...] = ((0, 3), (4, 7), (8, 14), (15, 30), (31, None))
SERIES_DAYS = 30


@dataclass(frozen=True)
class ContractorAgeing:
    """One contractor's open items (open, rework, repaired-not-checked, disputed) by age."""

    contractor_id: int
    name: str
    bands: tuple[int, ...]  # one count per AGE_BANDS entry
    overdue: int
    first_pass_rate: float | None  # passed at first inspection / inspected; None: none yet
    median_days_to_close: float | None  # None: nothing closed yet

    @property
    def open(self) -> int:
        """Return the contractor's open items in all bands."""
        return sum(self.bands)


@dataclass(frozen=True)
class DayCount:
    """One day of the last 30: raised, closed, and open at the day's end."""

    day: date
    raised: int
    closed: int
    open: int


@dataclass(frozen=True)
class TodayFigures:
    """Today's counts for the project (the project's local day)."""

    raised: int
    reported_repaired: int
    passed: int
    failed: int
    closed: int
    open: int
    overdue: int


@dataclass(frozen=True)
class DailyReport:
    """Everything of the manager's daily picture and caption."""

    project_id: int
    project_name: str
    day: date
    today: TodayFigures
    contractors: tuple[ContractorAgeing, ...]  # most open first
    series: tuple[DayCount, ...]  # SERIES_DAYS days, oldest first, ending on `day`


@dataclass(frozen=True)
class ReworkCause:
    """Failed inspections and reopenings of one contractor's items in one category/building."""

    contractor_id: int
    contractor_name: str
    key: str  # category code or building
    label_zh: str
    label_en: str
    failed: int
    reopened: int

    @property
    def total(self) -> int:
        """Return the failed inspections and reopenings together."""
        return self.failed + self.reopened


@dataclass(frozen=True)
class ReworkReport:
    """What causes rework: by category and by building, per contractor."""

    project_id: int
    project_name: str
    day: date
    by_category: tuple[ReworkCause, ...] = field(default_factory=tuple)
    by_building: tuple[ReworkCause, ...] = field(default_factory=tuple)


def _day_start(day: date, tz: str) -> datetime:
    """Return the UTC instant the project's local day begins (Event.at is stored in UTC)."""
    return datetime.combine(day, time(0), tzinfo=clock.zone(tz)).astimezone(UTC)


def _project(session: Session, project_id: int) -> Project:
    project = session.get(Project, project_id)
    if project is None:
        raise DomainError("no_such_project")
    return project


def _median(histogram: dict[int, int]) -> float | None:
    """Return the median of values given as value -> how many times."""
    n = sum(histogram.values())
    if n == 0:
        return None
    # The middle one (odd n) or the two middle ones (even n), counted up from the smallest.
    wanted, seen, picked = {(n - 1) // 2, n // 2}, 0, []
    for value in sorted(histogram):
        lo, seen = seen, seen + histogram[value]
        picked += [value] * sum(1 for w in wanted if lo <= w < seen)
    return sum(picked) / len(picked)


def _not_by_index(session: Session, column: ColumnElement) -> ColumnElement:
    """Return the column as `column + 0` on SQLite, which then cannot use an index for it.

    SQLite has no statistics here (nobody runs ANALYZE), so it guesses: it would start a join
    from the item index on project_id (every item of the project) rather than from the few
    events of a day or of one action. PostgreSQL plans by its statistics: left as it is
    (there `+ 0` would hide the column's statistics and lead to a hash of every item).
    """
    return column + 0 if session.get_bind().dialect.name == "sqlite" else column


def _ageing(session: Session, project_id: int, day: date) -> tuple[ContractorAgeing, ...]:
    """Return per contractor: open items by age band, overdue, pass rate, median days to close.

    Three GROUP BYs, each read from an index alone (ix_item_report_state, ix_item_report_first,
    ix_item_report_days). The items are those live now, aged as on `day`; the pass rate and the
    median are of all items inspected and closed so far (the same for a past `day`).
    """
    of_project = Item.project_id == project_id
    counts = []
    for low, high in AGE_BANDS:  # age = day - raised_on, so a band is a range of raised days
        band = col(Item.raised_on) <= day - timedelta(days=low)
        if high is not None:
            band &= col(Item.raised_on) >= day - timedelta(days=high)
        counts.append(func.count().filter(band))
    # Grouped by `contractor_id + 0`, or SQLite (no statistics) walks every item of the
    # project in contractor order to save a sort, instead of the few live ones by state.
    firm = _not_by_index(session, col(Item.contractor_id))
    live = {
        contractor_id: figures
        for contractor_id, *figures in session.exec(
            select(firm, *counts, func.count().filter(*owed_clause(day)))
            .where(of_project, col(Item.state).in_(LIVE_STATES))
            .group_by(firm)
        )
    }
    inspected = {
        contractor_id: (passed, seen)
        for contractor_id, passed, seen in session.exec(
            select(
                Item.contractor_id,
                func.count().filter(col(Item.first_inspection) == Action.pass_.value),
                func.count(col(Item.first_inspection)),
            )
            .where(of_project)
            .group_by(Item.contractor_id)
        )
        if seen
    }
    # Read in the order of ix_item_report_days (closed_on is set only while closed): no sort.
    days = days_between(col(Item.closed_on), col(Item.raised_on)).label("days")
    closing: dict[int, dict[int, int]] = {}
    for contractor_id, n_days, n in session.exec(
        select(Item.contractor_id, days, func.count())
        .where(of_project, col(Item.closed_on).is_not(None))
        .group_by(Item.contractor_id, days)
    ):
        closing.setdefault(contractor_id, {})[int(n_days)] = n
    names = dict(
        session.exec(
            select(Contractor.id, Contractor.name).where(Contractor.project_id == project_id)
        ).all()
    )
    out = []
    for contractor_id in live.keys() | inspected.keys() | closing.keys():
        figures = live.get(contractor_id, [0] * (len(AGE_BANDS) + 1))
        passed, seen = inspected.get(contractor_id, (0, 0))
        out.append(
            ContractorAgeing(
                contractor_id=contractor_id,
                name=names.get(contractor_id, ""),
                bands=tuple(figures[: len(AGE_BANDS)]),
                overdue=figures[len(AGE_BANDS)],
                first_pass_rate=passed / seen if seen else None,
                median_days_to_close=_median(closing.get(contractor_id, {})),
            )
        )
    return tuple(sorted(out, key=lambda c: (-c.open, c.name, c.contractor_id)))


def _series(session: Session, project: Project, day: date, live_now: int) -> tuple[DayCount, ...]:
    """Return raised, closed and open at the day's end for SERIES_DAYS days ending on `day`.

    Counted back from now, so only the window's rows are read: open at the end of day d =
    live now + closed after d + cancelled after d - raised after d. It follows the items'
    present state: an item closed, reopened and closed again counts as open until its last
    closing; one reopened and still live counts as open all along (its closed days are lost).
    """
    first = day - timedelta(days=SERIES_DAYS - 1)
    days = [first + timedelta(days=k) for k in range(SERIES_DAYS)]
    of_project = Item.project_id == project.id
    raised = dict(
        session.exec(
            select(Item.raised_on, func.count())
            .where(of_project, col(Item.raised_on) >= first)
            .group_by(Item.raised_on)
        ).all()
    )
    # closed_on is set only while an item is closed: every other move clears it.
    closed = dict(
        session.exec(
            select(Item.closed_on, func.count())
            .where(of_project, col(Item.closed_on) >= first)
            .group_by(Item.closed_on)
        ).all()
    )
    # A cancel's local day, by the UTC instants local midnights fall on: k inside the window,
    # SERIES_DAYS after `day`. Works the same on every database, DST included. A cancel ends
    # an item's life and a restore (of a mistaken cancel) resumes it: the net of both counts.
    starts = [_day_start(d, project.timezone) for d in [*days, day + timedelta(days=1)]]
    slot = case(
        *((col(Event.at) < starts[k + 1], k) for k in range(SERIES_DAYS)), else_=SERIES_DAYS
    ).label("slot")
    cancelled = {
        k: ended - resumed
        for k, ended, resumed in session.exec(
            select(
                slot,
                func.count().filter(Event.action == Action.cancel),
                func.count().filter(Event.action == Action.restore),
            )
            .join(Item, col(Item.id) == Event.item_id)
            .where(
                _not_by_index(session, col(Item.project_id)) == project.id,
                col(Event.action).in_([Action.cancel, Action.restore]),
                col(Event.at) >= starts[0],
            )
            .group_by(slot)
        ).all()
    }
    after = sum(n for d, n in raised.items() if d > day)
    ended_after = sum(n for d, n in closed.items() if d > day) + cancelled.get(SERIES_DAYS, 0)
    still_open = live_now + ended_after - after  # at the end of `day`
    out = []
    for k in range(SERIES_DAYS - 1, -1, -1):  # newest first, undoing each day on the way back
        d = days[k]
        out.append(
            DayCount(day=d, raised=raised.get(d, 0), closed=closed.get(d, 0), open=still_open)
        )
        still_open += closed.get(d, 0) + cancelled.get(k, 0) - raised.get(d, 0)
    return tuple(reversed(out))


# The day's moves, and (after them) the undos that take a Pass or Fail back.
_TODAY_MOVES = (
    Action.report_repaired,
    Action.pass_,
    Action.fail,
    Action.undo_pass,
    Action.undo_fail,
)


def _today(session: Session, project: Project, day: date) -> TodayFigures:
    """Return the counts of `day`: raised, moves made in its local hours, closed, open, overdue."""
    of_project = Item.project_id == project.id
    count = func.count()
    # One statement per index: raised on, closed on, live by state (with due_on).
    raised = session.exec(select(count).where(of_project, Item.raised_on == day)).one()
    closed = session.exec(select(count).where(of_project, Item.closed_on == day)).one()
    still_open, overdue = session.exec(
        select(count, count.filter(*owed_clause(day))).where(
            of_project, col(Item.state).in_(LIVE_STATES)
        )
    ).one()
    start = _day_start(day, project.timezone)
    end = _day_start(day + timedelta(days=1), project.timezone)
    # The day's events by time (ix_event_at_action); the actions are counted, not searched,
    # or SQLite would walk every "repaired" event of all time by the action index.
    repaired, passed, failed, unpassed, unfailed = session.exec(
        select(*(func.count().filter(Event.action == a) for a in _TODAY_MOVES))
        .join(Item, col(Item.id) == Event.item_id)
        .where(
            _not_by_index(session, col(Item.project_id)) == project.id,
            col(Event.at) >= start,
            col(Event.at) < end,
        )
    ).one()
    return TodayFigures(
        raised=raised,
        reported_repaired=repaired,
        # A result undone is no result; one undone past midnight was counted the day before.
        passed=max(0, passed - unpassed),
        failed=max(0, failed - unfailed),
        closed=closed,
        open=still_open,
        overdue=overdue,
    )


def daily_report(session: Session, *, project_id: int, day: date | None = None) -> DailyReport:
    """Return the manager's figures for a project's day (today on its site by default)."""
    project = _project(session, project_id)
    day = day or clock.today(project.timezone)
    today = _today(session, project, day)
    series = _series(session, project, day, today.open)
    if series:
        # Open at the end of `day` (the live count for today; for a past day, counted back).
        today = replace(today, open=series[-1].open)
    return DailyReport(
        project_id=project.id,
        project_name=project.name,
        day=day,
        today=today,
        contractors=_ageing(session, project.id, day),
        series=series,
    )


def _rework_by_flat(
    session: Session, project_id: int, end: datetime
) -> dict[tuple[int, int, int], tuple[int, int]]:
    """Return (failed, reopened) before `end` per contractor, category and flat, summed in SQL.

    An item's rework_count is its fails and reopenings (apply_transition adds one for each), so
    the sums come from the items (ix_item_report_rework) rather than from following 470,000
    events to their items at a million; only reopenings, and moves after `end` (none for
    today), are counted from the events.
    """
    key = (col(Item.contractor_id), col(Item.category_id), col(Item.unit_id))
    of_project = _not_by_index(session, col(Item.project_id)) == project_id
    back = {
        (c, k, u): n
        for c, k, u, n in session.exec(
            select(*key, func.sum(Item.rework_count))
            .where(Item.project_id == project_id, col(Item.rework_count) > 0)
            .group_by(*key)
        )
    }
    reopened = {
        (c, k, u): (before, after)
        for c, k, u, before, after in session.exec(
            select(
                *key,
                func.count().filter(col(Event.at) < end),
                func.count().filter(col(Event.at) >= end),
            )
            .select_from(Event)
            .join(Item, col(Item.id) == Event.item_id)
            .where(of_project, Event.action == Action.reopen)
            .group_by(*key)
        )
    }
    # A fail undone took its one back off the rework count: net of undos.
    failed_after = {
        (c, k, u): failed - undone
        for c, k, u, failed, undone in session.exec(
            select(
                *key,
                func.count().filter(Event.action == Action.fail),
                func.count().filter(Event.action == Action.undo_fail),
            )
            .select_from(Event)
            .join(Item, col(Item.id) == Event.item_id)
            .where(
                of_project,
                col(Event.action).in_([Action.fail, Action.undo_fail]),
                col(Event.at) >= end,
            )
            .group_by(*key)
        )
    }
    out = {}
    for group, n in back.items():
        before, after = reopened.get(group, (0, 0))
        failed = n - before - after - failed_after.get(group, 0)
        if failed or before:
            out[group] = (failed, before)
    return out


def rework_report(session: Session, *, project_id: int, day: date | None = None) -> ReworkReport:
    """Return failed inspections and reopenings per contractor by category and by building.

    Over the project's whole history up to the end of `day`: a contract is judged on all of it.
    An event counts for the item's present contractor (a reassigned item's rework goes with it).
    """
    project = _project(session, project_id)
    day = day or clock.today(project.timezone)
    end = _day_start(day + timedelta(days=1), project.timezone)
    rows = _rework_by_flat(session, project.id, end)
    buildings = dict(
        session.exec(select(Unit.id, Unit.building).where(Unit.project_id == project.id)).all()
    )
    names = dict(
        session.exec(
            select(Contractor.id, Contractor.name).where(Contractor.project_id == project.id)
        ).all()
    )
    categories = {
        c.id: c for c in session.exec(select(Category).where(Category.project_id == project.id))
    }
    by_category: dict[tuple[int, int], list[int]] = {}
    by_building: dict[tuple[int, str], list[int]] = {}
    for (contractor_id, category_id, unit_id), (failed, reopened) in rows.items():
        building = buildings[unit_id]
        for sums, key in (
            (by_category, (contractor_id, category_id)),
            (by_building, (contractor_id, building)),
        ):
            total = sums.setdefault(key, [0, 0])
            total[0] += failed
            total[1] += reopened

    def causes(
        sums: dict, label: Callable[[object], tuple[str, str, str]]
    ) -> tuple[ReworkCause, ...]:
        out = [
            ReworkCause(contractor_id, names.get(contractor_id, ""), *label(key), failed, reopened)
            for (contractor_id, key), (failed, reopened) in sums.items()
        ]
        return tuple(sorted(out, key=lambda c: (-c.total, -c.failed, c.contractor_name, c.key)))

    def category(category_id: object) -> tuple[str, str, str]:
        c = categories[category_id]
        return c.code, c.name_zh, c.name_en

    def building(code: object) -> tuple[str, str, str]:
        return str(code), str(code), str(code)  # the chart words it ("3号楼", "Bldg 3")

    return ReworkReport(
        project_id=project.id,
        project_name=project.name,
        day=day,
        by_category=causes(by_category, category),
        by_building=causes(by_building, building),
    )
