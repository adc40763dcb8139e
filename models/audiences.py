"""Who may receive each kind of push (from models/roles.py WORK) and who wants it: a person's
own choice, else the default of their roles."""

from __future__ import annotations

from collections.abc import Iterable

from sqlmodel import Session, select

from models.errors import DomainError
from models.roles import WORK, Work
from models.tables import (
    AppUser,
    Membership,
    PushKind,
    Role,
    Subscription,
)

# Who may receive each kind at all (a contractor never gets the manager's report): the people
# whose work the push serves (models/roles.py WORK).
MAY_RECEIVE: dict[PushKind, frozenset[Role]] = {
    PushKind.morning: WORK[Work.repair] | WORK[Work.accept],
    PushKind.report: WORK[Work.report],
    PushKind.overdue: WORK[Work.overdue],
}
# Who gets each kind unless they chose otherwise. Admins ask for the daily report themselves.
DEFAULT_WANTED: dict[PushKind, frozenset[Role]] = {
    **MAY_RECEIVE,
    PushKind.report: MAY_RECEIVE[PushKind.report] - {Role.admin},
}


def wants(session: Session, *, user_id: int, kind: PushKind, roles: Iterable[Role]) -> bool:
    """Tell whether a person with these roles gets this kind of push."""
    roles = set(roles)
    if not roles & MAY_RECEIVE[kind]:
        return False
    choice = session.get(Subscription, (user_id, kind))
    if choice is not None:
        return choice.wanted
    return bool(roles & DEFAULT_WANTED[kind])


def set_wanted(session: Session, *, user_id: int, kind: PushKind, wanted: bool) -> Subscription:
    """Record a person's choice about one kind of push."""
    choice = session.get(Subscription, (user_id, kind))
    if choice is None:
        choice = Subscription(user_id=user_id, kind=kind, wanted=wanted)
    choice.wanted = wanted
    session.add(choice)
    session.flush()
    return choice


def _roles(session: Session, user_id: int) -> set[Role]:
    rows = session.exec(
        select(Membership.role)
        .join(AppUser, Membership.user_id == AppUser.id)
        .where(Membership.user_id == user_id, AppUser.active == True)  # noqa: E712
    ).all()
    return set(rows)


def may_receive(session: Session, *, user_id: int) -> list[PushKind]:
    """Return the kinds of push this person may receive at all, in PushKind order."""
    roles = _roles(session, user_id)
    return [kind for kind in PushKind if roles & MAY_RECEIVE[kind]]


def choose(session: Session, *, user_id: int, kind: PushKind, wanted: bool) -> Subscription:
    """Record a person's choice about a kind of push, if they may receive it at all."""
    if kind not in may_receive(session, user_id=user_id):
        raise DomainError("not_allowed")  # a forged button asks for a kind not theirs
    return set_wanted(session, user_id=user_id, kind=kind, wanted=wanted)


def choices_of(session: Session, *, user_id: int) -> dict[PushKind, bool]:
    """Return, for each kind this person may receive, whether they get it now."""
    roles = _roles(session, user_id)
    return {
        kind: wants(session, user_id=user_id, kind=kind, roles=roles)
        for kind in may_receive(session, user_id=user_id)
    }
