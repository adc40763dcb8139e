"""Whose delay an item is: overdue (its contractor's) or awaiting acceptance (the inspectors').

One rule, here, for every view, count, chart and export. An item is overdue on a day when it is
on its contractor's list (open, rework) and its due date is before that day (the due day itself
is still in time). An item reported repaired is no longer its contractor's delay: it waits for
the acceptance team, and how long it has waited is shown as such ("待验 N 天"), never as
overdue; a disputed one waits for the project department. `is_overdue` (a line in Python) and
`owed_clause` (rows in SQL) are the same rule in two forms.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, datetime

from sqlalchemy import ColumnElement, and_, case, func
from sqlmodel import Session, col, select

from models import clock
from models.audiences import MAY_RECEIVE
from models.errors import DomainError
from models.people import person_of
from models.tables import (
    Action,
    Contractor,
    Event,
    Item,
    ItemState,
    Membership,
    Project,
    PushKind,
    Role,
    Unit,
)

S = ItemState
# Who may see the overdue items of the whole project: the same people the morning push reaches.
OVERDUE_READERS: frozenset[Role] = MAY_RECEIVE[PushKind.overdue]
OWED_STATES = (S.open, S.rework)  # on a contractor's list: the only states that can be overdue
OLDEST = 3  # items named per contractor; the rest are counted


def is_overdue(state: ItemState, due_on: date | None, day: date) -> bool:
    """Tell whether an item in this state, due then, is its contractor's delay on `day`."""
    return state in OWED_STATES and due_on is not None and due_on < day


def days_overdue(due_on: date | None, day: date) -> int:
    """Return how many days past its due date an item is on `day` (0: not late)."""
    return 0 if due_on is None else max(0, (day - due_on).days)


def owed_clause(day: date) -> tuple:
    """Return the SQL conditions of an item a contractor owes and is late with on `day`."""
    return (col(Item.state).in_(OWED_STATES), col(Item.due_on) < day)


def overdue_sql(day: date) -> ColumnElement[bool]:
    """Return `owed_clause` as one SQL truth value, to count or sort by."""
    return and_(*owed_clause(day))


def reported_at_sql() -> ColumnElement[datetime | None]:
    """Return when an item awaiting acceptance was last reported repaired (NULL otherwise).

    One seek of ix_event_action_item per item, and only for items awaiting acceptance: a CASE
    does not run its subquery for the rows it does not take.
    """
    latest = (
        select(func.max(Event.at))
        .where(Event.action == Action.report_repaired, Event.item_id == Item.id)
        .correlate(Item)
        .scalar_subquery()
    )
    return case((Item.state == S.repaired, latest), else_=None)


def days_waiting(reported_on: date | None, day: date) -> int:
    """Return how many days an item reported repaired on `reported_on` has awaited acceptance."""
    return 0 if reported_on is None else max(0, (day - reported_on).days)


@dataclass(frozen=True)
class OverdueItem:
    """One overdue item as a digest names it."""

    id: int
    unit_code: str
    days: int  # days past its due date


@dataclass(frozen=True)
class ContractorOverdue:
    """One contractor's overdue items: how many, and the oldest few (most days late first)."""

    contractor_id: int
    name: str
    count: int
    oldest: tuple[OverdueItem, ...]

    @property
    def most_days(self) -> int:
        """Return the days the latest of its items is overdue."""
        return self.oldest[0].days if self.oldest else 0


@dataclass(frozen=True)
class OverdueDigest:
    """A project's overdue items on one day, grouped by contractor, most items first."""

    project_id: int
    project_name: str
    day: date
    contractors: tuple[ContractorOverdue, ...]

    @property
    def total(self) -> int:
        """Return the overdue items of every contractor."""
        return sum(c.count for c in self.contractors)


def _project(session: Session, project_id: int) -> Project:
    project = session.get(Project, project_id)
    if project is None:
        raise DomainError("no_such_project")
    return project


def _by_contractor(
    session: Session, *, where: tuple, day: date, oldest: int
) -> list[ContractorOverdue]:
    """Count and name the owed overdue items matching `where`: one query, whatever the size.

    The count and the rank come from one pass over the late items (window functions); only
    the few ranked first are joined to their flat and contractor.
    """
    by_firm = {"partition_by": Item.contractor_id}
    ranked = (
        select(
            Item.id,
            Item.contractor_id,
            Item.unit_id,
            Item.due_on,
            func.row_number().over(**by_firm, order_by=(Item.due_on, Item.id)).label("rank"),
            func.count().over(**by_firm).label("n"),
        )
        .where(*where, *owed_clause(day))
        .subquery()
    )
    rows = session.exec(
        select(
            ranked.c.contractor_id,
            Contractor.name,
            ranked.c.n,
            ranked.c.id,
            Unit.code,
            ranked.c.due_on,
        )
        .select_from(ranked)
        .join(Contractor, Contractor.id == ranked.c.contractor_id)
        .join(Unit, Unit.id == ranked.c.unit_id)
        .where(ranked.c.rank <= max(1, oldest))
        .order_by(ranked.c.contractor_id, ranked.c.rank)
    ).all()
    firms: dict[int, tuple[str, int, list[OverdueItem]]] = {}
    for contractor_id, name, n, item_id, code, due_on in rows:
        firm = firms.setdefault(contractor_id, (name, n, []))
        firm[2].append(OverdueItem(item_id, code, days_overdue(due_on, day)))
    found = [
        ContractorOverdue(cid, name, n, tuple(items)) for cid, (name, n, items) in firms.items()
    ]
    return sorted(found, key=lambda c: (-c.count, -c.most_days, c.name, c.contractor_id))


def overdue_digest(
    session: Session, *, project_id: int, day: date | None = None, oldest: int = OLDEST
) -> OverdueDigest:
    """Return a project's overdue items by contractor on `day` (the project's today)."""
    project = _project(session, project_id)
    day = day or clock.today(project.timezone)
    contractors = _by_contractor(
        session, where=(Item.project_id == project_id,), day=day, oldest=oldest
    )
    return OverdueDigest(project.id, project.name, day, tuple(contractors))


def contractor_overdue(
    session: Session,
    *,
    contractor_ids: Iterable[int],
    day: date | None = None,
    oldest: int = 1,
) -> ContractorOverdue | None:
    """Return what these contractors (one person's firms) owe overdue, all together; None: nothing.

    `day` defaults to today in the first contractor's project.
    """
    ids = sorted(set(contractor_ids))
    if not ids:
        return None
    if day is None:
        first = session.get(Contractor, ids[0])
        if first is None:
            return None
        day = clock.today(_project(session, first.project_id).timezone)
    found = _by_contractor(
        session, where=(col(Item.contractor_id).in_(ids),), day=day, oldest=oldest
    )
    if not found:
        return None
    if len(found) == 1:
        return found[0]
    items = sorted((i for c in found for i in c.oldest), key=lambda i: (-i.days, i.id))
    name = " / ".join(c.name for c in sorted(found, key=lambda c: c.name))
    return ContractorOverdue(ids[0], name, sum(c.count for c in found), tuple(items[:oldest]))


def my_overdue(
    session: Session, *, user_id: int, day: date | None = None
) -> ContractorOverdue | None:
    """Return what a contractor person's firms owe overdue (for its morning list); None: nothing."""
    person = person_of(session, user_id=user_id)
    if person is None or not person.contractor_ids:
        return None
    return contractor_overdue(session, contractor_ids=person.contractor_ids, day=day)


def overdue_for(session: Session, *, user_id: int) -> list[OverdueDigest]:
    """Return the overdue digest of each project this person may see it for, or refuse."""
    person = person_of(session, user_id=user_id)
    if person is None:
        raise DomainError("not_registered")
    projects = session.exec(
        select(Membership.project_id)
        .where(Membership.user_id == person.id, col(Membership.role).in_(OVERDUE_READERS))
        .distinct()
        .order_by(Membership.project_id)
    ).all()
    if not projects:
        raise DomainError("not_allowed")
    return [overdue_digest(session, project_id=p) for p in projects]
