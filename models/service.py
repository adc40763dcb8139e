"""Customer service: the live record of a flat, finding a flat, and who looked at what."""

from __future__ import annotations

import re
from dataclasses import dataclass

from sqlalchemy import func, or_
from sqlmodel import Session, col, select

from models import ids
from models.errors import DomainError
from models.lookup import find_unit, suggest_units
from models.people import Person, find_person
from models.queries import ItemCard, ItemLine, item_card, unit_lines
from models.tables import AccessLog, Item, ItemState, Membership, Role, Unit

S = ItemState
LOOKUP_ROLES = frozenset({Role.service, Role.admin, Role.manager})
# Owners' names and phones are personal data: only the roles that call owners see them.
CONTACT_ROLES = frozenset({Role.service, Role.admin})
FIND_LIMIT = 10


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
    """A flat found by a search: its id for a button, its code, maybe its owner."""

    unit_id: int
    code: str
    owner_name: str | None


@dataclass(frozen=True)
class FlatLookup:
    """Either the flat, or the nearest real flats to what was typed."""

    flat: Flat | None
    suggestions: tuple[FlatHit, ...] = ()


def _reader(session: Session, telegram_id: int) -> tuple[Person, list[int], bool]:
    person = find_person(session, telegram_id=telegram_id)
    if person is None:
        raise DomainError("not_registered")
    projects = list(
        session.exec(
            select(Membership.project_id).where(
                Membership.user_id == person.id, col(Membership.role).in_(LOOKUP_ROLES)
            )
        ).all()
    )
    if not projects:
        raise DomainError("not_allowed")
    return person, projects, person.has(*CONTACT_ROLES)


def _log(session: Session, person: Person, kind: str, query: str, **ids: int | None) -> None:
    session.add(AccessLog(user_id=person.id, kind=kind, query=query[:200], **ids))


def look_up_flat(session: Session, *, telegram_id: int, text: str) -> FlatLookup:
    """Return every item of a flat, grouped; or near codes when the code is unknown."""
    person, projects, sees_contacts = _reader(session, telegram_id)
    unit = next((u for p in projects if (u := find_unit(session, project_id=p, text=text))), None)
    if unit is None:
        _log(session, person, "unit", text)
        near = [
            FlatHit(u.id, u.code, None)
            for p in projects
            for code in suggest_units(session, project_id=p, text=text)
            if (u := find_unit(session, project_id=p, text=code))
        ]
        return FlatLookup(None, tuple(near[:5]))
    _log(session, person, "unit", text, project_id=unit.project_id, unit_id=unit.id)
    return FlatLookup(_flat(session, unit, sees_contacts))


def flat_by_id(session: Session, *, telegram_id: int, unit_id: int, kind: str = "unit") -> Flat:
    """Return a flat picked from a button (its id), if the reader's projects hold it."""
    person, projects, sees_contacts = _reader(session, telegram_id)
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


def find_flats(session: Session, *, telegram_id: int, text: str) -> list[FlatHit]:
    """Find flats by owner name, phone (or its last 4 digits) or inspection sheet number."""
    person, projects, sees_contacts = _reader(session, telegram_id)
    wanted = text.strip()
    _log(session, person, "find", wanted)
    if not wanted:
        return []
    digits = re.sub(r"\D", "", wanted)
    conditions = [col(Unit.owner_name).contains(wanted)]
    if len(digits) >= 4:
        conditions.append(col(Unit.owner_phone).endswith(digits))
    on_sheet = select(Item.unit_id).where(func.lower(Item.sheet_no) == wanted.lower())
    conditions.append(col(Unit.id).in_(on_sheet))
    units = session.exec(
        select(Unit)
        .where(col(Unit.project_id).in_(projects), or_(*conditions))
        .order_by(Unit.code)
        .limit(FIND_LIMIT)
    ).all()
    return [FlatHit(u.id, u.code, u.owner_name if sees_contacts else None) for u in units]


def item_history(session: Session, *, telegram_id: int, item_id: int) -> ItemCard:
    """Return one item's whole history, logging the look-up."""
    card = item_card(session, telegram_id=telegram_id, item_id=item_id)
    person = find_person(session, telegram_id=telegram_id)
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
