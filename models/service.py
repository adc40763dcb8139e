"""Customer service: the live record of a flat, finding a flat, and who looked at what."""

from __future__ import annotations

import re
from dataclasses import dataclass

from sqlalchemy import func, or_
from sqlmodel import Session, col, select

from models import ids
from models.errors import DomainError
from models.lookup import find_unit, find_units, suggest_units
from models.offers import offered_card
from models.people import Person, person_of
from models.queries import ItemCard, ItemLine, unit_lines
from models.roles import WORK, Work
from models.tables import AccessLog, Item, ItemState, Membership, Project, Unit

S = ItemState
LOOKUP_ROLES = WORK[Work.lookup]
# Owners' names and phones are personal data: only the roles that call owners see them.
CONTACT_ROLES = WORK[Work.contacts]
QUERY_MAX = 200  # as AccessLog.query
FIND_PAGE = 10  # flats a page of /find offers as buttons


@dataclass(frozen=True)
class Flat:
    """A flat's items in three groups, with the owner when the reader may see them."""

    unit_id: int
    code: str
    owner_name: str | None
    owner_phone: str | None
    open: tuple[ItemLine, ...]
    awaiting: tuple[ItemLine, ...]
    done: tuple[ItemLine, ...]

    @property
    def items(self) -> tuple[ItemLine, ...]:
        """Return every item of the flat."""
        return self.open + self.awaiting + self.done


@dataclass(frozen=True)
class FlatHit:
    """A flat found by a search: its id for a button, its code, maybe its owner and project."""

    unit_id: int
    code: str
    owner_name: str | None
    project: str | None = None


@dataclass(frozen=True)
class FlatLookup:
    """The flat; or, showing nothing of any, a page of the flats a short code (or a flat number
    alone) fits, or the nearest ones."""

    flat: Flat | None
    suggestions: tuple[FlatHit, ...] = ()
    choices: FoundFlats | None = None


@dataclass(frozen=True)
class FoundFlats:
    """One page of the flats a search matched, and how many matched in all."""

    search_id: int  # the search's access-log row: the page buttons name it
    hits: tuple[FlatHit, ...]
    total: int
    page: int
    query: str = ""  # what was typed, to say it again on every page

    @property
    def pages(self) -> int:
        """Return how many pages the matches fill."""
        return max(1, -(-self.total // FIND_PAGE))


def _reader(session: Session, user_id: int) -> tuple[Person, list[int], bool]:
    person = person_of(session, user_id=user_id)
    if person is None:
        raise DomainError("not_registered")
    # Each project once, however many look-up roles the person holds in it.
    projects = list(
        session.exec(
            select(Membership.project_id)
            .where(Membership.user_id == person.id, col(Membership.role).in_(LOOKUP_ROLES))
            .distinct()
            .order_by(Membership.project_id)
        ).all()
    )
    if not projects:
        raise DomainError("not_allowed")
    return person, projects, person.has(*CONTACT_ROLES)


def _log(session: Session, person: Person, kind: str, query: str, **ids: int | None) -> int:
    entry = AccessLog(user_id=person.id, kind=kind, query=query[:QUERY_MAX], **ids)
    session.add(entry)
    session.flush()
    return entry.id


def look_up_flat(session: Session, *, user_id: int, text: str) -> FlatLookup:
    """Return every item of a flat, grouped; else the flats a short code fits, or near codes."""
    person, projects, sees_contacts = _reader(session, user_id)
    units = [u for p in projects for u in find_units(session, project_id=p, text=text)]
    if len(units) == 1:
        unit = units[0]
        _log(session, person, "unit", text, project_id=unit.project_id, unit_id=unit.id)
        return FlatLookup(_flat(session, unit, sees_contacts))
    search_id = _log(session, person, "unit", text)
    if units:
        # A short code that fits several flats shows none of them (owner, phone, items) and
        # logs none: the one chosen is shown and logged by flat_by_id.
        return FlatLookup(None, choices=_choices(session, units, text, search_id, 0))
    near = [
        FlatHit(u.id, u.code, None)
        for p in projects
        for code in suggest_units(session, project_id=p, text=text)
        if (u := find_unit(session, project_id=p, text=code))
    ]
    return FlatLookup(None, tuple(near[:5]))


def flat_choices(session: Session, *, user_id: int, search_id: int, page: int) -> FoundFlats:
    """Return another page of the flats one of the reader's own /unit codes fits (its log row)."""
    person, projects, _ = _reader(session, user_id)
    search = ids.get(session, AccessLog, search_id)
    if search is None or search.user_id != person.id or search.kind != "unit":
        raise DomainError("stale_button")
    units = [u for p in projects for u in find_units(session, project_id=p, text=search.query)]
    return _choices(session, units, search.query, search_id, page)


def _choices(
    session: Session, units: list[Unit], query: str, search_id: int, page: int
) -> FoundFlats:
    """Return one page of the flats a code fits, named by project when they are in several."""
    page = min(max(page, 0), max(0, (len(units) - 1) // FIND_PAGE))
    named = len({u.project_id for u in units}) > 1
    shown = units[page * FIND_PAGE : (page + 1) * FIND_PAGE]
    hits = tuple(_choice(session, u, named) for u in shown)
    return FoundFlats(search_id, hits, len(units), page, query)


def _choice(session: Session, unit: Unit, named: bool) -> FlatHit:
    project = session.get(Project, unit.project_id).name if named else None
    return FlatHit(unit.id, unit.code, None, project)


def flat_by_id(session: Session, *, user_id: int, unit_id: int, kind: str = "unit") -> Flat:
    """Return a flat picked from a button (its id), if the reader's projects hold it."""
    person, projects, sees_contacts = _reader(session, user_id)
    unit = ids.get(session, Unit, unit_id)
    if unit is None or unit.project_id not in projects:
        raise DomainError("no_such_unit", unit=unit_id)
    _log(session, person, kind, unit.code, project_id=unit.project_id, unit_id=unit.id)
    return _flat(session, unit, sees_contacts)


def _flat(session: Session, unit: Unit, sees_contacts: bool) -> Flat:
    lines = unit_lines(session, unit_id=unit.id)
    return Flat(
        unit_id=unit.id,
        code=unit.code,
        owner_name=unit.owner_name if sees_contacts else None,
        owner_phone=unit.owner_phone if sees_contacts else None,
        open=tuple(x for x in lines if x.state in (S.open, S.rework, S.disputed)),
        awaiting=tuple(x for x in lines if x.state is S.repaired),
        done=tuple(x for x in lines if x.state in (S.closed, S.cancelled)),
    )


def find_flats(session: Session, *, user_id: int, text: str) -> FoundFlats:
    """Find flats by owner name, phone (or its last 4 digits) or sheet number: the first page."""
    person, projects, sees_contacts = _reader(session, user_id)
    wanted = text.strip()[:QUERY_MAX]
    search_id = _log(session, person, "find", wanted)
    return _found(session, projects, sees_contacts, wanted, search_id, 0)


def find_page(session: Session, *, user_id: int, search_id: int, page: int) -> FoundFlats:
    """Return another page of one of the reader's own earlier searches (its log row)."""
    person, projects, sees_contacts = _reader(session, user_id)
    search = ids.get(session, AccessLog, search_id)
    if search is None or search.user_id != person.id or search.kind != "find":
        raise DomainError("stale_button")
    _log(session, person, "find", search.query)
    return _found(session, projects, sees_contacts, search.query, search_id, page)


def _found(
    session: Session,
    projects: list[int],
    sees_contacts: bool,
    wanted: str,
    search_id: int,
    page: int,
) -> FoundFlats:
    if not wanted:
        return FoundFlats(search_id, (), 0, 0)
    digits = re.sub(r"\D", "", wanted)
    conditions = [col(Unit.owner_name).contains(wanted)]
    if len(digits) >= 4:
        conditions.append(col(Unit.owner_phone).endswith(digits))
    on_sheet = select(Item.unit_id).where(func.lower(Item.sheet_no) == wanted.lower())
    conditions.append(col(Unit.id).in_(on_sheet))
    where = (col(Unit.project_id).in_(projects), or_(*conditions))
    total = session.exec(select(func.count()).select_from(Unit).where(*where)).one()
    page = min(max(page, 0), max(0, (total - 1) // FIND_PAGE))
    units = session.exec(
        select(Unit)
        .where(*where)
        .order_by(Unit.code, Unit.id)
        .offset(page * FIND_PAGE)
        .limit(FIND_PAGE)
    ).all()
    hits = tuple(FlatHit(u.id, u.code, u.owner_name if sees_contacts else None) for u in units)
    return FoundFlats(search_id, hits, total, page)


def item_history(session: Session, *, user_id: int, item_id: int) -> ItemCard:
    """Return one item's whole history and the moves its card offers, logging the look-up."""
    card = offered_card(session, user_id=user_id, item_id=item_id)
    person = person_of(session, user_id=user_id)
    unit_id = session.get(Item, item_id).unit_id
    _log(
        session,
        person,
        "item",
        f"#{item_id}",
        project_id=card.line.project_id,
        unit_id=unit_id,
        item_id=item_id,
    )
    return card


def access_log(session: Session, *, unit_id: int | None = None) -> list[AccessLog]:
    """Return the access log (of one flat, or all), newest first."""
    query = select(AccessLog).order_by(col(AccessLog.id).desc())
    if unit_id is not None:
        query = query.where(AccessLog.unit_id == unit_id)
    return list(session.exec(query).all())
