"""People: users, their roles in projects, and the invites that register them."""

from __future__ import annotations

import secrets
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlmodel import Session, col, select

from models import clock
from models.errors import DomainError
from models.lookup import contractor_named
from models.roles import WORK, Work
from models.tables import AppUser, Contractor, Invite, Membership, Project, Role

INVITE_HOURS = 72
# Who does what, named once: entering sheets and paper results; checking repairs.
CLERK_WORK = WORK[Work.intake]
CHECKERS = WORK[Work.check]
LANGUAGES = ("zh", "en")


@dataclass(frozen=True)
class Person:
    """A registered user with every role they hold, as handlers need it."""

    id: int
    telegram_id: int
    name: str
    language: str | None
    roles: frozenset[Role]
    project_ids: frozenset[int]
    contractor_ids: frozenset[int]
    contractor_names: tuple[str, ...]
    blocked_at: datetime | None = None  # they blocked the bot; pushes skip them till they write

    def has(self, *roles: Role) -> bool:
        """Tell whether this person holds any of the roles."""
        return bool(self.roles.intersection(roles))


def find_person(session: Session, *, telegram_id: int) -> Person | None:
    """Return the active registered user with this Telegram id, or None."""
    user = session.exec(select(AppUser).where(AppUser.telegram_id == telegram_id)).first()
    if user is None or not user.active:
        return None
    rows = session.exec(
        select(Membership, Contractor)
        .join(Contractor, Membership.contractor_id == Contractor.id, isouter=True)
        .where(Membership.user_id == user.id)
    ).all()
    if not rows:
        return None
    return Person(
        id=user.id,
        telegram_id=user.telegram_id,
        name=user.name,
        language=user.language,
        roles=frozenset(m.role for m, _ in rows),
        project_ids=frozenset(m.project_id for m, _ in rows),
        contractor_ids=frozenset(c.id for _, c in rows if c is not None),
        contractor_names=tuple(sorted({c.name for _, c in rows if c is not None})),
        blocked_at=user.blocked_at,
    )


def user_for(session: Session, *, telegram_id: int) -> AppUser:
    """Return the active user row behind a Telegram id, or refuse."""
    user = session.exec(select(AppUser).where(AppUser.telegram_id == telegram_id)).first()
    if user is None or not user.active:
        raise DomainError("not_registered")
    return user


def set_language(session: Session, *, telegram_id: int, language: str) -> AppUser:
    """Store a user's chosen language."""
    if language not in LANGUAGES:
        raise DomainError("bad_language")
    user = user_for(session, telegram_id=telegram_id)
    user.language = language
    session.add(user)
    return user


def parse_roles(text: str) -> list[Role]:
    """Read a comma-separated list of role names; refuse unknown ones."""
    roles = []
    for part in text.replace("，", ",").split(","):
        name = part.strip().lower()
        if not name:
            continue
        try:
            roles.append(Role(name))
        except ValueError:
            raise DomainError("bad_role", role=name) from None
    if not roles:
        raise DomainError("bad_role", role=text)
    return roles


def create_invite(
    session: Session,
    *,
    project_id: int,
    roles: list[Role],
    contractor_name: str | None = None,
    contractor_id: int | None = None,
    by: AppUser | None = None,
    hours: int = INVITE_HOURS,
    now: datetime | None = None,
) -> Invite:
    """Make a one-time invite code; a contractor invite names its contractor (id, or a unique
    part of its name)."""
    if by is not None and not _holds(session, user=by, project_id=project_id, role=Role.admin):
        raise DomainError("not_allowed")
    if Role.contractor not in roles:
        contractor_id = None
    elif contractor_id is not None:  # chosen on a button: it must be this project's
        contractor = session.get(Contractor, contractor_id)
        if contractor is None or contractor.project_id != project_id:
            raise DomainError("no_such_contractor")
    elif contractor_name and contractor_name.strip():
        contractor_id = contractor_named(session, project_id=project_id, text=contractor_name).id
    else:
        raise DomainError("contractor_required")
    invite = Invite(
        code=secrets.token_urlsafe(9),
        project_id=project_id,
        roles=",".join(dict.fromkeys(r.value for r in roles)),
        contractor_id=contractor_id,
        created_by=by.id if by else None,
        expires_at=(now or clock.now()) + timedelta(hours=hours),
    )
    session.add(invite)
    session.flush()
    return invite


def accept_invite(
    session: Session,
    *,
    code: str,
    telegram_id: int,
    name: str,
    language: str | None = None,
    now: datetime | None = None,
) -> AppUser:
    """Register a Telegram user with the invite's roles; the code then cannot be used again."""
    invite = session.exec(select(Invite).where(Invite.code == code.strip())).first()
    if invite is None:
        raise DomainError("invite_unknown")
    if invite.used_at is not None:
        raise DomainError("invite_used")
    now = now or clock.now()
    if invite.expires_at <= now:
        raise DomainError("invite_expired")
    user = session.exec(select(AppUser).where(AppUser.telegram_id == telegram_id)).first()
    if user is not None and invite.created_by == user.id:
        # An invite is for someone else: its maker testing the link must not use it up.
        raise DomainError("invite_own")
    if user is None:
        lang = language if language in LANGUAGES else None
        user = AppUser(telegram_id=telegram_id, name=name[:100] or str(telegram_id), language=lang)
        session.add(user)
        session.flush()
    user.active = True
    for role in parse_roles(invite.roles):
        if not _holds(session, user=user, project_id=invite.project_id, role=role):
            session.add(
                Membership(
                    user_id=user.id,
                    project_id=invite.project_id,
                    role=role,
                    contractor_id=invite.contractor_id if role is Role.contractor else None,
                )
            )
    invite.used_by = user.id
    invite.used_at = now
    session.add(invite)
    session.flush()
    return user


def add_member(
    session: Session,
    *,
    project_id: int,
    telegram_id: int,
    name: str,
    roles: list[Role],
    contractor_id: int | None = None,
    language: str | None = None,
) -> AppUser:
    """Register a user directly (set-up scripts and the demo), without an invite."""
    user = session.exec(select(AppUser).where(AppUser.telegram_id == telegram_id)).first()
    if user is None:
        user = AppUser(telegram_id=telegram_id, name=name, language=language)
        session.add(user)
        session.flush()
    for role in roles:
        if not _holds(session, user=user, project_id=project_id, role=role):
            session.add(
                Membership(
                    user_id=user.id,
                    project_id=project_id,
                    role=role,
                    contractor_id=contractor_id if role is Role.contractor else None,
                )
            )
    session.flush()
    return user


def _holds(session: Session, *, user: AppUser, project_id: int, role: Role) -> bool:
    return holds_any(session, user=user, project_id=project_id, roles={role})


def holds_any(session: Session, *, user: AppUser, project_id: int, roles: Iterable[Role]) -> bool:
    """Tell whether an active user holds any of these roles in the project."""
    if not user.active:
        return False
    held = session.exec(
        select(Membership.id).where(
            Membership.user_id == user.id,
            Membership.project_id == project_id,
            col(Membership.role).in_(list(roles)),
        )
    ).first()
    return held is not None


def require_any(session: Session, *, user: AppUser, project_id: int, roles: Iterable[Role]) -> None:
    """Refuse unless the user holds one of these roles in the project."""
    if not user.active:
        raise DomainError("not_registered")
    if not holds_any(session, user=user, project_id=project_id, roles=roles):
        raise DomainError("not_allowed")


def admin_project(session: Session, *, user: AppUser) -> Project:
    """Return the (first) project this user administers, or refuse."""
    row = session.exec(
        select(Project)
        .join(Membership, Membership.project_id == Project.id)
        .where(Membership.user_id == user.id, Membership.role == Role.admin)
        .order_by(Project.id)
    ).first()
    if row is None:
        raise DomainError("not_allowed")
    return row


def contractor_chats(session: Session, *, contractor_id: int) -> list[AppUser]:
    """Return the active users who work for a contractor (to tell them of rework)."""
    return list(
        session.exec(
            select(AppUser)
            .join(Membership, Membership.user_id == AppUser.id)
            .where(
                Membership.contractor_id == contractor_id,
                Membership.role == Role.contractor,
                AppUser.active == True,  # noqa: E712
            )
        ).all()
    )


@dataclass(frozen=True)
class InviteMade:
    """A new invite as its maker is told it: whom it is for."""

    code: str
    roles: tuple[Role, ...]
    contractor: str | None
    project: str


def invite_from_chat(
    session: Session,
    *,
    telegram_id: int,
    roles_text: str,
    contractor_name: str | None = None,
    contractor_id: int | None = None,
    hours: int = INVITE_HOURS,
) -> InviteMade:
    """Make an invite for the project the asking admin runs."""
    user = user_for(session, telegram_id=telegram_id)
    project = admin_project(session, user=user)
    roles = parse_roles(roles_text)
    invite = create_invite(
        session,
        project_id=project.id,
        roles=roles,
        contractor_name=contractor_name,
        contractor_id=contractor_id,
        by=user,
        hours=hours,
    )
    contractor = session.get(Contractor, invite.contractor_id) if invite.contractor_id else None
    return InviteMade(
        code=invite.code,
        roles=tuple(r for r in Role if r in roles),
        contractor=contractor.name if contractor else None,
        project=project.name,
    )
