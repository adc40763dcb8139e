"""The project department's work: disputes, reassigning, people, contractors, paper results."""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import date, datetime

from sqlalchemy import func
from sqlmodel import Session, col, select

from models import clock, ids
from models.errors import DomainError
from models.lookup import contractor_named
from models.offers import offered_moves
from models.people import user_for
from models.queries import ItemLine, item_line
from models.repair import Outcome, act, check_move
from models.roles import WORK, Work
from models.tables import (
    Action,
    AppUser,
    Contractor,
    Event,
    Invite,
    Item,
    ItemState,
    Membership,
    Project,
    Role,
)

S = ItemState
PAPER_ROLES = WORK[Work.paper]
PAPER_ACTIONS = frozenset({Action.report_repaired, Action.pass_, Action.fail})
PAPER_SOURCE = "recorded from the paper list"
DISPUTES_SHOWN = 10
# The ways an admin settles a dispute from /disputes: another contractor, or "it is yours".
SETTLE = (Action.reassign, Action.reject_dispute)


@dataclass(frozen=True)
class ContractorRef:
    id: int
    name: str


@dataclass(frozen=True)
class Dispute:
    """A disputed item, why its contractor says it is not theirs, and how it may be settled."""

    line: ItemLine
    reason: str | None
    by: str | None
    at: datetime | None
    others: tuple[ContractorRef, ...]
    # The settling moves (SETTLE) the asking admin may make on it now, in SETTLE's order.
    moves: tuple[Action, ...] = ()


@dataclass(frozen=True)
class Disputes:
    items: tuple[Dispute, ...]
    total: int


@dataclass(frozen=True)
class PersonRow:
    """One person of a project with the roles they hold there."""

    user_id: int
    project_id: int
    project_name: str
    name: str
    roles: tuple[Role, ...]
    contractor: str | None
    is_self: bool
    language: str | None = None  # the person's own, to tell them of a change


@dataclass(frozen=True)
class Revoked:
    name: str
    user_id: int
    project_name: str
    invites_withdrawn: int
    still_elsewhere: bool


@dataclass(frozen=True)
class ContractorFigures:
    """A contractor's live counts; the oldest age is of its items still to repair."""

    project_name: str
    contractor_id: int
    name: str
    open: int
    rework: int
    repaired: int
    disputed: int
    oldest_days: int | None


@dataclass(frozen=True)
class Moved:
    """An item after a move, as a list line, and the outcome (whom to tell)."""

    line: ItemLine
    outcome: Outcome


def _projects_for(session: Session, *, user: AppUser, work: Work) -> list[Project]:
    """Return the projects where the user may do this work, or refuse."""
    projects = list(
        session.exec(
            select(Project)
            .join(Membership, Membership.project_id == Project.id)
            .where(Membership.user_id == user.id, col(Membership.role).in_(WORK[work]))
            .distinct()
            .order_by(Project.id)
        ).all()
    )
    if not projects:
        raise DomainError("not_allowed")
    return projects


def _admin(session: Session, *, user_id: int, work: Work) -> tuple[AppUser, list[Project]]:
    user = user_for(session, user_id=user_id)
    return user, _projects_for(session, user=user, work=work)


def _roles_in(session: Session, *, user: AppUser, project_id: int) -> set[Role]:
    return set(
        session.exec(
            select(Membership.role).where(
                Membership.user_id == user.id, Membership.project_id == project_id
            )
        ).all()
    )


def _today(tz: str) -> date:
    return clock.today(tz)


def disputes(session: Session, *, user_id: int, limit: int = DISPUTES_SHOWN) -> Disputes:
    """Return the oldest disputed items of the admin's projects, with the reason given."""
    user, projects = _admin(session, user_id=user_id, work=Work.settle)
    where = (col(Item.project_id).in_([p.id for p in projects]), Item.state == S.disputed)
    total = session.exec(select(func.count()).select_from(Item).where(*where)).one()
    ids = session.exec(
        select(Item.id).where(*where).order_by(Item.raised_on, Item.id).limit(limit)
    ).all()
    return Disputes(tuple(_dispute(session, item_id, user) for item_id in ids), total)


def _dispute(session: Session, item_id: int, user: AppUser) -> Dispute:
    line = item_line(session, item_id=item_id)
    offered = offered_moves(session, user=user, item=session.get(Item, item_id))
    last = session.exec(
        select(Event, AppUser)
        .join(AppUser, Event.actor_id == AppUser.id, isouter=True)
        .where(Event.item_id == item_id, Event.action == Action.dispute)
        .order_by(col(Event.at).desc(), col(Event.id).desc())
    ).first()
    event, actor = last if last else (None, None)
    others = session.exec(
        select(Contractor)
        .where(Contractor.project_id == line.project_id, Contractor.id != line.contractor_id)
        .order_by(Contractor.name)
    ).all()
    return Dispute(
        line=line,
        reason=event.note if event else None,
        by=actor.name if actor else None,
        at=clock.local(event.at, line.timezone) if event else None,
        others=tuple(ContractorRef(c.id, c.name) for c in others),
        moves=tuple(a for a in SETTLE if a in offered),
    )


def reassign(
    session: Session,
    *,
    user_id: int,
    item_id: int,
    contractor_id: int | None = None,
    contractor_name: str | None = None,
    expected_version: int | None = None,
) -> Moved:
    """Give an item to another contractor (by id, or by name); that contractor is to be told."""
    if contractor_name is not None:  # a unique part of the name; several or none are refused
        # Who and from which state first, so a forged or stale request learns no names.
        item = check_move(
            session,
            user_id=user_id,
            item_id=item_id,
            action=Action.reassign,
            expected_version=expected_version,
        )
        try:
            found = contractor_named(session, project_id=item.project_id, text=contractor_name)
        except DomainError as error:
            error.params["version"] = item.version  # choices offered for this item as it is now
            raise
        contractor_id = found.id
    outcome = act(  # refuses the same contractor, or one of another project
        session,
        user_id=user_id,
        item_id=item_id,
        action=Action.reassign,
        contractor_id=contractor_id,
        expected_version=expected_version,
    )
    return Moved(item_line(session, item_id=item_id), outcome)


def reject_dispute(
    session: Session,
    *,
    user_id: int,
    item_id: int,
    reason: str,
    expected_version: int | None = None,
) -> Moved:
    """Refuse a dispute: the item goes back to the same contractor, who is to be told why."""
    outcome = act(
        session,
        user_id=user_id,
        item_id=item_id,
        action=Action.reject_dispute,
        note=reason,
        expected_version=expected_version,
    )
    return Moved(item_line(session, item_id=item_id), outcome)


def cancel_item(session: Session, *, user_id: int, item_id: int, reason: str) -> Moved:
    """Cancel an item that is a duplicate or not a defect (admins; a reason is required)."""
    outcome = act(session, user_id=user_id, item_id=item_id, action=Action.cancel, note=reason)
    return Moved(item_line(session, item_id=item_id), outcome)


def reopen_item(session: Session, *, user_id: int, item_id: int, reason: str) -> Moved:
    """Reopen a closed item (admin or service): back to its contractor as rework."""
    outcome = act(session, user_id=user_id, item_id=item_id, action=Action.reopen, note=reason)
    return Moved(item_line(session, item_id=item_id), outcome)


def project_people(session: Session, *, user_id: int) -> list[PersonRow]:
    """Return the people of the admin's projects with their roles there, by project and name."""
    user, projects = _admin(session, user_id=user_id, work=Work.people)
    rows = session.exec(
        select(Membership, AppUser, Project, Contractor)
        .join(AppUser, Membership.user_id == AppUser.id)
        .join(Project, Membership.project_id == Project.id)
        .join(Contractor, Membership.contractor_id == Contractor.id, isouter=True)
        .where(col(Membership.project_id).in_([p.id for p in projects]), AppUser.active == True)  # noqa: E712
        .order_by(Project.id, AppUser.name, AppUser.id)
    ).all()
    people: dict[tuple[int, int], PersonRow] = {}
    for membership, person, project, contractor in rows:
        key = (project.id, person.id)
        known = people.get(key)
        roles = (*(known.roles if known else ()), membership.role)
        people[key] = PersonRow(
            user_id=person.id,
            project_id=project.id,
            project_name=project.name,
            name=person.name,
            roles=tuple(r for r in Role if r in roles),
            contractor=contractor.name if contractor else (known.contractor if known else None),
            is_self=person.id == user.id,
            language=person.language,
        )
    return list(people.values())


def _person_in(
    session: Session, *, user_id: int, project_id: int, member_id: int
) -> tuple[AppUser, PersonRow]:
    admin, projects = _admin(session, user_id=user_id, work=Work.people)
    if project_id not in {p.id for p in projects}:
        raise DomainError("not_allowed")
    for row in project_people(session, user_id=user_id):
        if row.project_id == project_id and row.user_id == member_id:
            return admin, row
    raise DomainError("no_such_member")


def member(session: Session, *, user_id: int, project_id: int, member_id: int) -> PersonRow:
    """Return one person of a project the asker administers (before revoking them)."""
    _, row = _person_in(session, user_id=user_id, project_id=project_id, member_id=member_id)
    if row.is_self:
        raise DomainError("cannot_revoke_self")
    return row


@dataclass(frozen=True)
class RoleChoice:
    """One role on a person's screen: held or not, and why it cannot change (None: it can)."""

    role: Role
    held: bool
    refused: str | None


@dataclass(frozen=True)
class PersonRoles:
    """A person of a project and the role changes the asking admin may make."""

    row: PersonRow
    choices: tuple[RoleChoice, ...]
    changed: bool = False  # set_role: whether this press changed anything (a double tap not)

    @property
    def may_revoke(self) -> bool:
        """Tell whether the Revoke button belongs on this screen (not on one's own)."""
        return not self.row.is_self


def _role_refusal(session: Session, *, row: PersonRow, role: Role, held: bool) -> str | None:
    """Return why `row` cannot be given (held) or lose (not held) `role`, or None."""
    if held == (role in row.roles):
        return None  # nothing to change
    if held:
        # A contractor's person belongs to one contractor: an invite names it.
        return "contractor_by_invite" if role is Role.contractor else None
    if set(row.roles) == {role}:
        return "last_role"  # no role left is Revoke, which also withdraws their invites
    if role is Role.admin:
        admins = session.exec(
            select(func.count())
            .select_from(Membership)
            .join(AppUser, Membership.user_id == AppUser.id)
            .where(
                Membership.project_id == row.project_id,
                Membership.role == Role.admin,
                AppUser.active == True,  # noqa: E712
            )
        ).one()
        if admins <= 1:
            return "last_admin"
    return None


def _person_roles(session: Session, row: PersonRow) -> PersonRoles:
    choices = []
    for role in Role:
        held = role in row.roles
        why = _role_refusal(session, row=row, role=role, held=not held)
        choices.append(RoleChoice(role, held, why))
    return PersonRoles(row, tuple(choices))


def person_roles(session: Session, *, user_id: int, project_id: int, member_id: int) -> PersonRoles:
    """Return a person of the admin's project with the roles that may be given or taken."""
    _, row = _person_in(session, user_id=user_id, project_id=project_id, member_id=member_id)
    return _person_roles(session, row)


def set_role(
    session: Session, *, user_id: int, project_id: int, member_id: int, role: Role, held: bool
) -> PersonRoles:
    """Give a person a role in the admin's project, or take one away, without revoking them.

    The same press twice changes nothing more. Refused: giving the contractor role (an
    invite names the contractor), taking a person's last role (that is Revoke), and taking
    the admin role from the project's last admin.
    """
    _, row = _person_in(session, user_id=user_id, project_id=project_id, member_id=member_id)
    why = _role_refusal(session, row=row, role=role, held=held)
    if why is not None:
        raise DomainError(why, name=row.name, role=role.value, project=row.project_name)
    membership = session.exec(
        select(Membership).where(
            Membership.user_id == member_id,
            Membership.project_id == project_id,
            Membership.role == role,
        )
    ).first()
    if held == (membership is not None):
        return _person_roles(session, row)
    if held:
        session.add(Membership(user_id=member_id, project_id=project_id, role=role))
    else:
        session.delete(membership)
    session.flush()
    roles = {*row.roles, role} if held else set(row.roles) - {role}
    contractor = row.contractor if Role.contractor in roles else None
    now = replace(row, roles=tuple(r for r in Role if r in roles), contractor=contractor)
    return replace(_person_roles(session, now), changed=True)


def revoke(session: Session, *, user_id: int, project_id: int, member_id: int) -> Revoked:
    """Take a person's access to one project away: their roles there and their unused invites.

    Memberships are removed rather than the user made inactive: an admin's authority is one
    project, and the same person may work on another. With no project left they are a
    stranger to the bot. Their past events keep naming them (events point at the user).
    """
    row = member(session, user_id=user_id, project_id=project_id, member_id=member_id)
    for membership in session.exec(
        select(Membership).where(
            Membership.user_id == member_id, Membership.project_id == project_id
        )
    ).all():
        session.delete(membership)
    now = clock.now()
    # A revoked person's unused invites would let others in on their authority: withdraw them.
    invites = session.exec(
        select(Invite).where(
            Invite.created_by == member_id,
            Invite.project_id == project_id,
            col(Invite.used_at).is_(None),
            Invite.expires_at > now,
        )
    ).all()
    for invite in invites:
        invite.expires_at = now
        session.add(invite)
    session.flush()
    elsewhere = session.exec(select(Membership.id).where(Membership.user_id == member_id)).first()
    return Revoked(row.name, row.user_id, row.project_name, len(invites), elsewhere is not None)


def contractor_figures(session: Session, *, user_id: int) -> list[ContractorFigures]:
    """Return each contractor of the admin's projects with its live counts and oldest age."""
    _, projects = _admin(session, user_id=user_id, work=Work.figures)
    by_id = {p.id: p for p in projects}
    to_repair = col(Item.state).in_([S.open, S.rework])
    rows = session.exec(
        select(
            Contractor,
            func.count(col(Item.id)).filter(Item.state == S.open),
            func.count(col(Item.id)).filter(Item.state == S.rework),
            func.count(col(Item.id)).filter(Item.state == S.repaired),
            func.count(col(Item.id)).filter(Item.state == S.disputed),
            func.min(Item.raised_on).filter(to_repair),
        )
        .join(Item, Item.contractor_id == Contractor.id, isouter=True)
        .where(col(Contractor.project_id).in_(list(by_id)))
        .group_by(Contractor.id)
        .order_by(Contractor.project_id, Contractor.name)
    ).all()
    out = []
    for contractor, open_, rework, repaired, disputed, oldest in rows:
        project = by_id[contractor.project_id]
        if isinstance(oldest, str):  # SQLite hands back a filtered MIN of dates as text
            oldest = date.fromisoformat(oldest)
        age = max(0, (_today(project.timezone) - oldest).days) if oldest else None
        out.append(
            ContractorFigures(
                project.name, contractor.id, contractor.name, open_, rework, repaired, disputed, age
            )
        )
    return out


def record_paper(
    session: Session,
    *,
    user_id: int,
    item_id: int,
    action: Action,
    reason: str | None = None,
    source: str = PAPER_SOURCE,
) -> Moved:
    """Record one result written on a paper list (repaired, passed, failed) by a clerk or admin.

    Only clerks and admins: a contractor or inspector acts on the item in chat, where the
    photo rules apply. The event names the clerk, and the note says it came from paper.
    """
    if action not in PAPER_ACTIONS:
        raise DomainError("not_allowed")
    user = user_for(session, user_id=user_id)
    item = ids.get(session, Item, item_id)
    roles = _roles_in(session, user=user, project_id=item.project_id) if item else set()
    if not roles:  # unknown, or another project's: the same answer, nothing revealed
        raise ids.no_such_item(item_id)
    if not roles & PAPER_ROLES:
        raise DomainError("not_allowed")
    reason = (reason or "").strip()
    if action is Action.fail and not reason:
        raise DomainError("reason_required")
    outcome = act(
        session, user_id=user_id, item_id=item_id, action=action, note=reason, source=source
    )
    return Moved(item_line(session, item_id=item_id), outcome)
