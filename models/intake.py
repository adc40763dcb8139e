"""Entering inspection-sheet items: the one way an item is raised (from a chat, a workbook or
the demo: `raise_item`, the contractor its rules give), and the chat's entry one by one: who
may, and the checks on each field."""

from __future__ import annotations

import hashlib
import re
import unicodedata
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta

from sqlmodel import Session, col, select

from models import clock, ids
from models.errors import DomainError
from models.limits import LOCATION_MAX, SHEET_NO_MAX, check_description_length
from models.lookup import (
    categories,
    find_category,
    find_unit,
    find_units,
    plausible_categories,
    suggest_units,
)
from models.people import require_any, user_for
from models.project import category_by_code, project_today
from models.repair import PhotoIn, add_photos
from models.roles import WORK, Work
from models.tables import (
    Action,
    AppUser,
    AssignmentRule,
    Category,
    Contractor,
    Event,
    Item,
    ItemState,
    Membership,
    Project,
    Unit,
)
from models.workbook_reader import parse_date as read_date

# Who may enter items: the clerks, and the project department (admins).
INTAKE_ROLES = WORK[Work.intake]
UNIT_CHOICES = 9  # flats a page offers when a typed code fits several (1202 alone: every 1202)
FAR_BACK_DAYS = 60  # a raised date further back than this is asked about, not taken silently


@dataclass(frozen=True)
class Choice:
    """Something to pick by a button: a project or a contractor."""

    id: int
    name: str


@dataclass(frozen=True)
class CategoryChoice:
    """A project's category, with its names in both languages."""

    id: int
    code: str
    name_zh: str
    name_en: str


@dataclass(frozen=True)
class UnitMatch:
    """The flat a typed code means (canonical code); else the flats it fits (one page of
    them: `total` in all), or the nearest."""

    code: str | None
    suggestions: tuple[str, ...] = ()
    choices: tuple[str, ...] = ()
    total: int = 0
    page: int = 0

    @property
    def pages(self) -> int:
        """Return how many pages the flats it fits fill."""
        return max(1, -(-self.total // UNIT_CHOICES))


@dataclass(frozen=True)
class Preview:
    """What an item would be entered as: its flat, category and contractor."""

    unit_code: str
    building: str
    category: CategoryChoice
    contractor: Choice | None
    by_rule: bool


@dataclass(frozen=True)
class Entered:
    """An item just entered."""

    item_id: int
    unit_code: str
    contractor_name: str


def item_key(
    *, sheet_no: str | None, unit_code: str, location: str, description: str, raised_on: date
) -> str:
    """Return an item's stable key: the same defect from the same sheet gives the same key."""

    def norm(text: str) -> str:
        return re.sub(r"\s+", " ", unicodedata.normalize("NFKC", text)).strip().casefold()

    # Without a sheet number the walk-through is known by its day instead.
    parts = [norm(sheet_no or ""), unit_code, norm(location), norm(description)]
    if not parts[0]:
        parts.append(raised_on.isoformat())
    return hashlib.sha256("\x1f".join(parts).encode()).hexdigest()


def pick_contractor(session: Session, *, project_id: int, category_id: int, building: str) -> int:
    """Return the contractor the assignment rules give; a building rule beats a project one."""
    rules = session.exec(
        select(AssignmentRule).where(
            AssignmentRule.project_id == project_id, AssignmentRule.category_id == category_id
        )
    ).all()
    for rule in rules:
        if rule.building == building:
            return rule.contractor_id
    for rule in rules:
        if rule.building is None:
            return rule.contractor_id
    raise DomainError("no_rule", building=building)


def raise_item(
    session: Session,
    *,
    project_id: int,
    unit_code: str,
    location: str,
    category_code: str,
    description: str,
    raised_on: date,
    user: AppUser | None = None,
    sheet_no: str | None = None,
    contractor_id: int | None = None,
    photos: Sequence[PhotoIn] = (),
    note: str | None = None,
    at: datetime | None = None,
) -> Item:
    """Enter one defect from an inspection sheet; the rules pick the contractor if none given."""
    project = session.get(Project, project_id)
    if project is None:
        raise DomainError("no_such_project")
    # The one flat the code means: a short code that fits several is no flat, never entrance 1.
    unit = find_unit(session, project_id=project_id, text=unit_code)
    if unit is None:
        raise DomainError("no_such_unit", unit=unit_code)
    category = session.exec(
        select(Category).where(Category.project_id == project_id, Category.code == category_code)
    ).first()
    if category is None:
        raise DomainError("no_such_category", category=category_code)
    description = description.strip()
    if not description:
        raise DomainError("description_required")
    check_description_length(description)  # refused, not cut: nothing written down is lost
    location = location.strip()
    if len(location) > LOCATION_MAX:
        raise DomainError("location_too_long", max=LOCATION_MAX)
    if sheet_no is not None and len(sheet_no) > SHEET_NO_MAX:
        raise DomainError("sheet_no_too_long", sheet=sheet_no[:SHEET_NO_MAX])
    if contractor_id is None:
        contractor_id = pick_contractor(
            session, project_id=project_id, category_id=category.id, building=unit.building
        )
    else:
        contractor = ids.get(session, Contractor, contractor_id)
        if contractor is None or contractor.project_id != project_id:
            raise DomainError("no_such_contractor")
    key = item_key(
        sheet_no=sheet_no,
        unit_code=unit.code,
        location=location,
        description=description,
        raised_on=raised_on,
    )
    entered = session.exec(
        select(Item.id).where(Item.project_id == project_id, Item.import_key == key)
    ).first()
    if entered is not None:  # the same line of the same sheet, entered twice
        raise DomainError("already_entered", item=entered)
    item = Item(
        project_id=project_id,
        unit_id=unit.id,
        import_key=key,
        location=location,
        category_id=category.id,
        description=description,
        raised_on=raised_on,
        sheet_no=sheet_no,
        contractor_id=contractor_id,
        state=ItemState.open,
        due_on=raised_on + timedelta(days=category.repair_days or project.repair_days),
        entered_at=at or clock.now(),
    )
    session.add(item)
    session.flush()
    event = Event(
        item_id=item.id,
        at=item.entered_at,
        actor_id=user.id if user else None,
        action=Action.raise_,
        from_state=None,
        to_state=ItemState.open,
        contractor_id=contractor_id,
        note=note,
    )
    session.add(event)
    session.flush()
    add_photos(session, item=item, event=event, photos=photos, at=item.entered_at)
    return item


def _intake_user(session: Session, *, user_id: int, project_id: int) -> AppUser:
    """Return the user if they may enter items in this project, else refuse."""
    user = user_for(session, user_id=user_id)
    require_any(session, user=user, project_id=project_id, roles=INTAKE_ROLES)
    return user


def intake_projects(session: Session, *, user_id: int) -> list[Choice]:
    """Return the projects this person may enter items in; refuse if there are none."""
    user = user_for(session, user_id=user_id)
    rows = session.exec(
        select(Project)
        .join(Membership, Membership.project_id == Project.id)
        .where(Membership.user_id == user.id, col(Membership.role).in_(INTAKE_ROLES))
        .order_by(Project.id)
    ).all()
    if not rows:
        raise DomainError("not_allowed")
    return list(dict.fromkeys(Choice(p.id, p.name) for p in rows))


def choose_project(session: Session, *, user_id: int, project_id: int) -> Choice:
    """Return the project picked for intake, if this person may enter items there."""
    if not ids.possible(project_id):
        raise DomainError("no_such_project")
    _intake_user(session, user_id=user_id, project_id=project_id)
    project = session.get(Project, project_id)
    if project is None:
        raise DomainError("no_such_project")
    return Choice(project.id, project.name)


def check_unit(
    session: Session, *, user_id: int, project_id: int, text: str, page: int = 0
) -> UnitMatch:
    """Return the flat a typed code means, a page of the flats it fits when several, or the
    nearest."""
    _intake_user(session, user_id=user_id, project_id=project_id)
    units = find_units(session, project_id=project_id, text=text)
    if len(units) == 1:
        return UnitMatch(units[0].code)
    if units:  # 3#1202 where building 3 has 3-1-1202 and 3-2-1202: the clerk says which
        page = min(max(page, 0), (len(units) - 1) // UNIT_CHOICES)
        shown = units[page * UNIT_CHOICES : (page + 1) * UNIT_CHOICES]
        return UnitMatch(None, choices=tuple(u.code for u in shown), total=len(units), page=page)
    return UnitMatch(None, tuple(suggest_units(session, project_id=project_id, text=text)))


def _category_choice(category: Category) -> CategoryChoice:
    return CategoryChoice(category.id, category.code, category.name_zh, category.name_en)


def intake_categories(session: Session, *, user_id: int, project_id: int) -> list[CategoryChoice]:
    """Return the project's categories, to pick one by a button."""
    _intake_user(session, user_id=user_id, project_id=project_id)
    return [_category_choice(c) for c in categories(session, project_id=project_id)]


def pick_category(
    session: Session,
    *,
    user_id: int,
    project_id: int,
    category_id: int | None = None,
    text: str = "",
) -> CategoryChoice:
    """Return the category pressed (by id) or typed (code or either name), or refuse."""
    _intake_user(session, user_id=user_id, project_id=project_id)
    if category_id is not None:
        category = ids.get(session, Category, category_id)
        if category is None or category.project_id != project_id:
            raise DomainError("no_such_category", category=str(category_id))
    else:
        category = find_category(session, project_id=project_id, text=text)
        if category is None:
            # 漏水 for 渗漏: the plausible ones are offered (`choices`), never taken for it.
            near = plausible_categories(session, project_id=project_id, text=text)
            choices = tuple(_category_choice(c) for c in near)
            raise DomainError("no_such_category", category=text.strip(), choices=choices)
    return _category_choice(category)


def project_contractors(session: Session, *, user_id: int, project_id: int) -> list[Choice]:
    """Return the project's contractors by name, to choose one by a button."""
    _intake_user(session, user_id=user_id, project_id=project_id)
    rows = session.exec(
        select(Contractor).where(Contractor.project_id == project_id).order_by(Contractor.name)
    ).all()
    return [Choice(c.id, c.name) for c in rows]


def _contractor(session: Session, *, project_id: int, contractor_id: int) -> Contractor:
    contractor = ids.get(session, Contractor, contractor_id)
    if contractor is None or contractor.project_id != project_id:
        raise DomainError("no_such_contractor")
    return contractor


def _unit(session: Session, *, project_id: int, unit_code: str) -> Unit:
    unit = find_unit(session, project_id=project_id, text=unit_code)
    if unit is None:
        raise DomainError("no_such_unit", unit=unit_code)
    return unit


def preview_item(
    session: Session,
    *,
    user_id: int,
    project_id: int,
    unit_code: str,
    category_code: str,
    contractor_id: int | None = None,
) -> Preview:
    """Return the contractor the item would go to: the one chosen, else the rule's (or none)."""
    _intake_user(session, user_id=user_id, project_id=project_id)
    unit = _unit(session, project_id=project_id, unit_code=unit_code)
    category = category_by_code(session, project_id=project_id, code=category_code)
    if contractor_id is None:
        try:
            contractor_id = pick_contractor(
                session, project_id=project_id, category_id=category.id, building=unit.building
            )
        except DomainError:
            # No rule: the clerk chooses; the summary says so.
            return Preview(unit.code, unit.building, _category_choice(category), None, False)
        by_rule = True
    else:
        by_rule = False
    contractor = _contractor(session, project_id=project_id, contractor_id=contractor_id)
    choice = Choice(contractor.id, contractor.name)
    return Preview(unit.code, unit.building, _category_choice(category), choice, by_rule)


def enter_item(
    session: Session,
    *,
    user_id: int,
    project_id: int,
    unit_code: str,
    location: str,
    category_code: str,
    description: str,
    raised_on: date,
    sheet_no: str | None = None,
    contractor_id: int | None = None,
    photos: Sequence[PhotoIn] = (),
) -> Entered:
    """Enter one sheet item for a clerk or admin of the project; the rule picks if none given."""
    user = _intake_user(session, user_id=user_id, project_id=project_id)
    unit = _unit(session, project_id=project_id, unit_code=unit_code)
    if raised_on > project_today(session, project_id=project_id):
        raise DomainError("date_in_future", date=raised_on.isoformat())
    if contractor_id is not None:
        _contractor(session, project_id=project_id, contractor_id=contractor_id)
    item = raise_item(
        session,
        project_id=project_id,
        unit_code=unit.code,
        location=check_location(location),
        category_code=category_code,
        description=check_description(description),
        raised_on=raised_on,
        user=user,
        sheet_no=check_sheet_no(sheet_no or ""),
        contractor_id=contractor_id,
        photos=photos,
    )
    contractor = session.get(Contractor, item.contractor_id)
    return Entered(item.id, unit.code, contractor.name)


def check_location(text: str) -> str:
    """Return a location in the flat, trimmed; refuse an empty or too long one."""
    text = " ".join(text.split())
    if not text:
        raise DomainError("location_required")
    if len(text) > LOCATION_MAX:
        raise DomainError("location_too_long", max=LOCATION_MAX)
    return text


def check_description(text: str) -> str:
    """Return a defect's description, trimmed; refuse an empty or too long one."""
    text = text.strip()
    if not text:
        raise DomainError("description_required")
    return check_description_length(text)


def check_sheet_no(text: str) -> str | None:
    """Return a sheet number, trimmed (None when blank); refuse a too long one."""
    text = text.strip()
    if len(text) > SHEET_NO_MAX:
        raise DomainError("sheet_no_too_long", sheet=text[:SHEET_NO_MAX])
    return text or None


def parse_date(text: str, *, today: date) -> date:
    """Read a raised date: 2026-11-20, 2026/11/20, 20261120, 2026年11月20日, 11-20, 11月20日,
    昨天 / yesterday; without a year, the nearest past one. Refuse one still to come."""
    found = read_date(text, today=today)
    if found is None:  # also 02-30, 13-01
        raise DomainError("bad_date", text=text.strip()[:20])
    if found > today:
        raise DomainError("date_in_future", date=found.isoformat())
    return found


def far_back(raised: date, *, today: date) -> bool:
    """Say whether a raised date is so far back that the clerk is asked to confirm it."""
    return (today - raised).days > FAR_BACK_DAYS
