"""The printed lists: a contractor's items to repair and the acceptance team's to check, for
paper (walked stairwell by stairwell), capped, with the whole list's figures."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from sqlalchemy import case, func
from sqlmodel import Session, col, select

from models import clock
from models.errors import DomainError
from models.overdue import overdue_sql
from models.people import CHECKERS
from models.queries import (
    ItemLine,
    Only,
    contractor_order,
    in_building,
    line_query,
    narrowed,
    person_for,
    projects_with,
    to_check_order,
    to_line,
)
from models.tables import Contractor, Item, ItemState, Project, Unit

S = ItemState
PRINT_CAP = 2000  # rows of one printed list; a longer list says "first 2,000 of N"


@dataclass(frozen=True)
class PrintList:
    """One team's list for paper: its lines (capped), how many there are in all, whose it is."""

    lines: tuple[ItemLine, ...]
    total: int
    rework: int  # of the whole list, not only the lines printed
    overdue: int
    project_id: int
    project_name: str
    timezone: str
    contractor_id: int | None  # None: the inspection team's to-check list
    contractor_name: str | None
    building: str | None = None
    only: Only | None = None

    @property
    def cut(self) -> bool:
        """Tell whether the list holds fewer lines than there are items."""
        return len(self.lines) < self.total


def _capped(
    session: Session, where: tuple, first: tuple, cap: int, today: date
) -> tuple[list[ItemLine], int, int, int]:
    """Return the `cap` lines that come `first`, in walking order, and the whole list's figures.

    Paper is walked stairwell by stairwell (to_check_order); when a list is longer than the
    cap, the items printed are those its own order puts first (a contractor's: rework, oldest).
    """
    # Window aggregates are taken before LIMIT, so they count the whole list.
    chosen = (
        select(
            Item.id,
            func.count().over().label("total"),
            func.sum(case((Item.state == S.rework, 1), else_=0)).over().label("rework"),
            func.sum(case((overdue_sql(today), 1), else_=0)).over().label("overdue"),
        )
        .join(Unit, Item.unit_id == Unit.id)
        .where(*where)
        .order_by(*first)
        .limit(cap)
        .subquery()
    )
    figures = (chosen.c.total, chosen.c.rework, chosen.c.overdue)
    rows = session.exec(
        line_query()
        .join(chosen, chosen.c.id == Item.id)
        .add_columns(*figures)
        .order_by(*to_check_order())
    ).all()
    if not rows:
        return [], 0, 0, 0
    total, rework, overdue = (int(n or 0) for n in rows[0][-3:])
    return [to_line(tuple(row[:-3])) for row in rows], total, rework, overdue


def contractor_print(
    session: Session,
    *,
    contractor_id: int,
    building: str | None = None,
    only: Only | None = None,
    cap: int = PRINT_CAP,
) -> PrintList:
    """Return one contractor's items to repair (open and rework) for paper, stairwell by stairwell.

    `only` keeps its rework or overdue items, as the list on screen it is printed from.
    """
    contractor = session.get(Contractor, contractor_id)
    if contractor is None:
        raise DomainError("no_such_contractor")
    project = session.get(Project, contractor.project_id)
    today = clock.today(project.timezone)
    where = (
        Item.contractor_id == contractor_id,
        col(Item.state).in_([S.open, S.rework]),
        *in_building(building),
        *narrowed(only, today),
    )
    lines, total, rework, overdue = _capped(session, where, contractor_order(), cap, today)
    return PrintList(
        tuple(lines),
        total,
        rework,
        overdue,
        project.id,
        project.name,
        project.timezone,
        contractor.id,
        contractor.name,
        building,
        only,
    )


def to_check_print(
    session: Session, *, project_id: int, building: str | None = None, cap: int = PRINT_CAP
) -> PrintList:
    """Return one project's items reported repaired for paper, in walking order."""
    project = session.get(Project, project_id)
    if project is None:
        raise DomainError("no_such_project")
    where = (Item.project_id == project_id, Item.state == S.repaired, *in_building(building))
    today = clock.today(project.timezone)
    lines, total, rework, overdue = _capped(session, where, to_check_order(), cap, today)
    return PrintList(
        tuple(lines),
        total,
        rework,
        overdue,
        project.id,
        project.name,
        project.timezone,
        None,
        None,
        building,
    )


def my_print_lists(
    session: Session, *, user_id: int, building: str | None = None, only: Only | None = None
) -> list[PrintList]:
    """Return this contractor's lists for paper (one per contractor they work for)."""
    person = person_for(session, user_id)
    if not person.contractor_ids:
        raise DomainError("not_allowed")
    return [
        contractor_print(session, contractor_id=c, building=building, only=only)
        for c in sorted(person.contractor_ids)
    ]


def to_check_print_lists(
    session: Session, *, user_id: int, building: str | None = None
) -> list[PrintList]:
    """Return the to-check lists for paper of every project this person checks in."""
    person = person_for(session, user_id)
    projects = projects_with(session, person, CHECKERS)
    if not projects:
        raise DomainError("not_allowed")
    return [to_check_print(session, project_id=p, building=building) for p in sorted(set(projects))]
