"""Read models: the lists and cards people look at, scoped to what each may see."""

from __future__ import annotations

import enum
from dataclasses import dataclass, field
from datetime import date, datetime

from sqlalchemy import case, func
from sqlmodel import Session, col, select

from models import clock, ids
from models.errors import DomainError
from models.overdue import (
    days_overdue,
    days_waiting,
    is_overdue,
    owed_clause,
    reported_at_sql,
)
from models.people import CHECKERS, Person, person_of
from models.tables import (
    Action,
    AppUser,
    Category,
    Contractor,
    Event,
    Item,
    ItemState,
    Membership,
    Photo,
    Project,
    Role,
    Unit,
)

S = ItemState
PAGE_SIZE = 8


@dataclass(frozen=True)
class ItemLine:
    """One item as a line of a list."""

    id: int
    project_id: int
    unit_code: str
    building: str
    floor: int
    location: str
    category_zh: str
    category_en: str
    description: str
    raised_on: date
    age_days: int
    state: ItemState
    rework_count: int
    contractor_id: int
    contractor_name: str
    due_on: date | None
    version: int
    overdue: bool = False
    overdue_days: int = 0  # days past its due date (models.overdue), 0 while in time
    closed_on: date | None = None
    timezone: str = "Asia/Shanghai"  # the project's: its days and times are told in it
    entrance: str = "1"
    waiting_days: int = 0  # reported repaired: days it has awaited acceptance (models.overdue)

    @property
    def days_to_close(self) -> int | None:
        """Return the days from raised to closed, for a closed item."""
        return None if self.closed_on is None else max(0, (self.closed_on - self.raised_on).days)

    @property
    def is_rework(self) -> bool:
        """Tell whether the item came back from acceptance (or was reopened)."""
        return self.state is S.rework


@dataclass(frozen=True)
class PhotoRef:
    file_id: str | None  # the id the platform it came in on gives it
    path: str | None  # the stored copy, under the media folder
    platform: str | None = None  # which platform's file id (older photos: Telegram's)


@dataclass(frozen=True)
class Change:
    """What a correction changed: a field, from what to what (a category by its names)."""

    field: str
    old: str
    new: str
    old_en: str | None = None  # a category's English names; old and new are its Chinese
    new_en: str | None = None


@dataclass(frozen=True)
class EventLine:
    at: datetime
    action: Action
    actor_name: str | None
    from_state: ItemState | None
    to_state: ItemState
    note: str | None
    contractor_name: str | None
    photos: tuple[PhotoRef, ...]
    change: Change | None = None  # a correction's


@dataclass(frozen=True)
class ItemCard:
    line: ItemLine
    events: tuple[EventLine, ...]
    # The moves the reader may make on it now (models.offers.offered_card fills them in).
    moves: frozenset[Action] = frozenset()

    @property
    def last_report(self) -> EventLine | None:
        """Return the latest 'reported repaired' event."""
        reports = [e for e in self.events if e.action is Action.report_repaired]
        return reports[-1] if reports else None


@dataclass(frozen=True)
class Page:
    """A page of a list, with the figures of its header."""

    items: tuple[ItemLine, ...]
    page: int
    pages: int
    total: int
    rework: int = 0
    oldest_days: int = 0
    owners: tuple[str, ...] = field(default_factory=tuple)
    building: str | None = None  # the list narrowed to one building, e.g. /tocheck 3
    overdue: int = 0  # of a contractor's list: how many are past their due date
    only: Only | None = None  # a contractor's list narrowed to its rework or overdue items
    listed: int | None = None  # items the narrowed list holds (None: all `total`)

    @property
    def shown(self) -> int:
        """Return how many items this view lists: all, or those its narrowing keeps."""
        return self.total if self.listed is None else self.listed


class Only(enum.StrEnum):
    """A narrowing of a contractor's list; the value is what a button's data carries."""

    rework = "r"
    overdue = "o"


def _today(tz: str) -> date:
    return clock.today(tz)


def line_query():  # noqa: ANN201  (a SQLAlchemy select of many columns)
    """Return the select of an item with what its line shows (flat, category, contractor)."""
    return (
        select(Item, Unit, Category, Contractor, Project, reported_at_sql())
        .join(Unit, Item.unit_id == Unit.id)
        .join(Category, Item.category_id == Category.id)
        .join(Contractor, Item.contractor_id == Contractor.id)
        .join(Project, Item.project_id == Project.id)
    )


def to_line(row: tuple[Item, Unit, Category, Contractor, Project, datetime | None]) -> ItemLine:
    """Return the line of one row of line_query()."""
    item, unit, category, contractor, project, reported_at = row
    today = _today(project.timezone)
    overdue = is_overdue(item.state, item.due_on, today)
    reported_on = clock.local_date(reported_at, project.timezone) if reported_at else None
    return ItemLine(
        id=item.id,
        project_id=item.project_id,
        unit_code=unit.code,
        building=unit.building,
        floor=unit.floor,
        location=item.location,
        category_zh=category.name_zh,
        category_en=category.name_en,
        description=item.description,
        raised_on=item.raised_on,
        age_days=max(0, (today - item.raised_on).days),
        state=item.state,
        rework_count=item.rework_count,
        contractor_id=contractor.id,
        contractor_name=contractor.name,
        due_on=item.due_on,
        version=item.version,
        overdue=overdue,
        overdue_days=days_overdue(item.due_on, today) if overdue else 0,
        closed_on=clock.local_date(item.closed_at, project.timezone) if item.closed_at else None,
        timezone=project.timezone,
        entrance=unit.entrance,
        waiting_days=days_waiting(reported_on, today),
    )


def person_for(session: Session, user_id: int) -> Person:
    """Return the registered person, or refuse."""
    person = person_of(session, user_id=user_id)
    if person is None:
        raise DomainError("not_registered")
    return person


def _paginate(
    session: Session,
    query,  # noqa: ANN001
    total: int,
    page: int,
    page_size: int,
) -> tuple[list[ItemLine], int, int]:
    pages = max(1, -(-total // page_size))
    page = min(max(0, page), pages - 1)
    rows = session.exec(query.offset(page * page_size).limit(page_size)).all()
    return [to_line(r) for r in rows], page, pages


def in_building(building: str | None) -> tuple:
    """Return the SQL conditions that keep one building's items (none: every building)."""
    # Counting joins the flat only when the list is narrowed to a building.
    return () if building is None else (Item.unit_id == Unit.id, Unit.building == building)


def contractor_list(
    session: Session,
    *,
    user_id: int,
    page: int = 0,
    page_size: int = PAGE_SIZE,
    building: str | None = None,
    project_id: int | None = None,
    only: Only | None = None,
) -> Page:
    """Return a contractor's items still to repair (rework included), rework first, then oldest.

    `project_id` keeps to one project's items (its morning push); else all of the person's.
    `only` narrows the page to rework or overdue items; the figures stay the whole list's, so
    the buttons that narrow it can say how many each keeps.
    """
    person = person_for(session, user_id)
    mine = _mine(person, building, project_id)
    today = _today(_project_tz(session, person))
    total, rework, oldest, overdue = session.exec(
        select(
            func.count(),
            func.count().filter(Item.state == S.rework),
            func.min(Item.raised_on),
            func.count().filter(*owed_clause(today)),
        ).where(*mine)
    ).one()
    listed = {None: total, Only.rework: rework, Only.overdue: overdue}[only] or 0
    query = line_query().where(*mine, *narrowed(only, today)).order_by(*contractor_order())
    lines, page, pages = _paginate(session, query, listed, page, page_size)
    oldest_days = (today - oldest).days if oldest else 0
    return Page(
        tuple(lines),
        page,
        pages,
        total,
        rework or 0,
        max(0, oldest_days),
        person.contractor_names,
        building,
        overdue or 0,
        only,
        None if only is None else listed,
    )


def _mine(person: Person, building: str | None, project_id: int | None) -> tuple:
    """Return the SQL conditions of a contractor person's items to repair."""
    if not person.contractor_ids:
        raise DomainError("not_allowed")
    return (
        col(Item.contractor_id).in_(person.contractor_ids),
        col(Item.state).in_([S.open, S.rework]),
        *in_building(building),
        *(() if project_id is None else (Item.project_id == project_id,)),
    )


def narrowed(only: Only | None, today: date) -> tuple:
    """Return the SQL conditions that keep a list's rework or overdue items (none: all)."""
    if only is Only.rework:
        return (Item.state == S.rework,)
    if only is Only.overdue:
        return owed_clause(today)
    return ()


def contractor_order() -> tuple:
    """Return the order of a contractor's list on screen: rework first, then oldest raised first.

    The article's order (what an owner raised first is repaired first), with rework ahead: a
    failed item's due date starts again, so ordering by due date (overdue first) buried the
    rework, whose owner has waited longest, behind every overdue item. Overdue items still come
    early, because a due date follows its raised date.
    """
    rework = case((Item.state == S.rework, 0), else_=1)
    return (rework, Item.raised_on, Item.id)


def my_buildings(
    session: Session, *, user_id: int, only: Only | None = None
) -> tuple[tuple[str, int], ...]:
    """Return each building of a contractor's list (narrowed by `only`) with its item count."""
    person = person_for(session, user_id)
    today = _today(_project_tz(session, person))
    rows = session.exec(
        select(Unit.building, func.count())
        .select_from(Item)
        .join(Unit, Item.unit_id == Unit.id)
        .where(*_mine(person, None, None), *narrowed(only, today))
        .group_by(Unit.building)
        .order_by(func.length(Unit.building), Unit.building)
    ).all()
    return tuple((building, n) for building, n in rows)


def _project_tz(session: Session, person: Person) -> str:
    project = session.get(Project, min(person.project_ids))
    return project.timezone if project else "Asia/Shanghai"


def to_check_list(
    session: Session,
    *,
    user_id: int,
    page: int = 0,
    page_size: int = PAGE_SIZE,
    building: str | None = None,
    project_id: int | None = None,
) -> Page:
    """Return the items reported repaired, and only those, in walking order.

    The walk goes building by building, then entrance (stairwell), then floor. `project_id`
    keeps to one of the person's projects (its morning push).
    """
    person = person_for(session, user_id)
    projects = projects_with(session, person, CHECKERS)
    if project_id is not None:
        projects = [p for p in projects if p == project_id]
    if not projects:
        raise DomainError("not_allowed")
    waiting = (
        col(Item.project_id).in_(projects),
        Item.state == S.repaired,
        *in_building(building),
    )
    total = session.exec(select(func.count()).where(*waiting)).one()
    query = line_query().where(*waiting).order_by(*to_check_order())
    lines, page, pages = _paginate(session, query, total, page, page_size)
    return Page(tuple(lines), page, pages, total, building=building)


def to_check_order() -> tuple:
    """Return the walk of the to-check list, on screen and on paper: building, entrance, floor."""
    return (
        func.length(Unit.building),
        Unit.building,
        func.length(Unit.entrance),
        Unit.entrance,
        Unit.floor,
        Unit.code,
        Item.id,
    )


def projects_with(session: Session, person: Person, roles: set[Role]) -> list[int]:
    """Return the projects where this person holds one of these roles."""
    return list(
        session.exec(
            select(Membership.project_id).where(
                Membership.user_id == person.id, col(Membership.role).in_(roles)
            )
        ).all()
    )


def unit_lines(session: Session, *, unit_id: int) -> list[ItemLine]:
    """Return every item of one flat, oldest first (the caller checks who may see it)."""
    rows = session.exec(
        line_query().where(Item.unit_id == unit_id).order_by(Item.raised_on, Item.id)
    ).all()
    return [to_line(r) for r in rows]


def item_line(session: Session, *, item_id: int) -> ItemLine:
    """Return one item as a list line, for telling its contractor (no visibility check)."""
    ids.check_item(item_id)
    row = session.exec(line_query().where(Item.id == item_id)).first()
    if row is None:
        raise DomainError("no_such_item", item=item_id)
    return to_line(row)


def item_card(session: Session, *, user_id: int, item_id: int) -> ItemCard:
    """Return one item with its whole history, if this person may see it."""
    person = person_for(session, user_id)
    ids.check_item(item_id)
    row = session.exec(line_query().where(Item.id == item_id)).first()
    if row is None:
        raise DomainError("no_such_item", item=item_id)
    line = to_line(row)
    _check_visible(session, person, line)
    events = session.exec(
        select(Event, AppUser, Contractor)
        .join(AppUser, Event.actor_id == AppUser.id, isouter=True)
        .join(Contractor, Event.contractor_id == Contractor.id, isouter=True)
        .where(Event.item_id == item_id)
        .order_by(Event.at, Event.id)
    ).all()
    photos: dict[int, list[PhotoRef]] = {}
    for photo in session.exec(select(Photo).where(Photo.item_id == item_id).order_by(Photo.id)):
        photos.setdefault(photo.event_id, []).append(
            PhotoRef(photo.file_id, photo.path, photo.platform)
        )
    names = _category_names(session, line.project_id) if any(e.field for e, _, _ in events) else {}
    return ItemCard(
        line,
        tuple(
            EventLine(
                at=clock.local(e.at, line.timezone),
                action=e.action,
                actor_name=u.name if u else None,
                from_state=e.from_state,
                to_state=e.to_state,
                note=e.note,
                contractor_name=c.name if c else None,
                photos=tuple(photos.get(e.id, ())),
                change=change_of(e, names),
            )
            for e, u, c in events
        ),
    )


def _category_names(session: Session, project_id: int) -> dict[str, tuple[str, str]]:
    """Return a project's category names by code, Chinese and English."""
    found = session.exec(select(Category).where(Category.project_id == project_id))
    return {c.code: (c.name_zh, c.name_en) for c in found}


def change_of(event: Event, names: dict[str, tuple[str, str]]) -> Change | None:
    """Return what a correction event changed (a category's code by its names), else None."""
    if event.field is None:
        return None
    old, new = event.old_value or "", event.new_value or ""
    if event.field != "category":
        return Change(event.field, old, new)
    # A category since removed keeps its code: nothing recorded is lost.
    (old_zh, old_en), (new_zh, new_en) = names.get(old, (old, old)), names.get(new, (new, new))
    return Change(event.field, old_zh, new_zh, old_en, new_en)


def _check_visible(session: Session, person: Person, line: ItemLine) -> None:
    if line.project_id not in person.project_ids:
        raise DomainError("no_such_item", item=line.id)
    others = projects_with(session, person, set(Role) - {Role.contractor})
    if line.project_id in others:
        return
    if line.contractor_id not in person.contractor_ids:
        raise DomainError("not_your_item", item=line.id)
