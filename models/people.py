"""People: users, their roles in projects, and the invites that register them."""

from __future__ import annotations

import secrets
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlmodel import Session, col, select

from models import clock, ids
from models.errors import DomainError
from models.links import is_item_start
from models.lookup import contractor_named
from models.roles import WORK, Work
from models.tables import AppUser, Contractor, Identity, Invite, Membership, Platform, Project, Role

INVITE_HOURS = 72
# Who does what, named once: entering sheets and paper results; checking repairs.
CLERK_WORK = WORK[Work.intake]
CHECKERS = WORK[Work.check]
LANGUAGES = ("zh", "en")


@dataclass(frozen=True)
class Person:
    """A registered user with every role they hold, as handlers need it."""

    id: int
    name: str
    language: str | None
    roles: frozenset[Role]
    project_ids: frozenset[int]
    contractor_ids: frozenset[int]
    contractor_names: tuple[str, ...]
    # Their chat on the platform they were found by blocked the bot; pushes skip it till they write.
    blocked_at: datetime | None = None

    def has(self, *roles: Role) -> bool:
        """Tell whether this person holds any of the roles."""
        return bool(self.roles.intersection(roles))


def _identity(session: Session, *, platform: Platform, account: str) -> Identity | None:
    return session.exec(
        select(Identity).where(Identity.platform == Platform(platform), Identity.account == account)
    ).first()


def _person(session: Session, user: AppUser | None, blocked_at: datetime | None) -> Person | None:
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
        name=user.name,
        language=user.language,
        roles=frozenset(m.role for m, _ in rows),
        project_ids=frozenset(m.project_id for m, _ in rows),
        contractor_ids=frozenset(c.id for _, c in rows if c is not None),
        contractor_names=tuple(sorted({c.name for _, c in rows if c is not None})),
        blocked_at=blocked_at,
    )


def find_person(session: Session, *, platform: Platform, account: str) -> Person | None:
    """Return the active registered person behind a platform account, or None."""
    identity = _identity(session, platform=platform, account=account)
    if identity is None:
        return None
    return _person(session, session.get(AppUser, identity.user_id), identity.blocked_at)


def person_of(session: Session, *, user_id: int) -> Person | None:
    """Return the active registered person with this id, or None."""
    return _person(session, session.get(AppUser, user_id), None)


def person_with_account(
    session: Session, *, user_id: int, platform: Platform
) -> tuple[Person, str] | None:
    """Return an active registered person and their account on a platform, or None."""
    identity = session.exec(
        select(Identity)
        .where(Identity.user_id == user_id, Identity.platform == Platform(platform))
        .order_by(Identity.id)
    ).first()
    if identity is None:
        return None
    person = _person(session, session.get(AppUser, user_id), identity.blocked_at)
    return None if person is None else (person, identity.account)


def accounts(session: Session, *, user_ids: Iterable[int], platform: Platform) -> dict[int, str]:
    """Return where each of these people is reached on a platform (people without one left out)."""
    wanted = list(dict.fromkeys(user_ids))
    if not wanted:
        return {}
    rows = session.exec(
        select(Identity.user_id, Identity.account)
        .where(col(Identity.user_id).in_(wanted), Identity.platform == Platform(platform))
        .order_by(col(Identity.id).desc())
    ).all()
    return {user_id: account for user_id, account in rows}  # the oldest identity wins


def link_identity(session: Session, *, user_id: int, platform: Platform, account: str) -> Identity:
    """Let a person be reached on a platform account too; refuse an account someone else has."""
    identity = _identity(session, platform=platform, account=account)
    if identity is not None:
        if identity.user_id != user_id:
            raise DomainError("account_taken")
        return identity
    if session.get(AppUser, user_id) is None:
        raise DomainError("not_registered")
    identity = Identity(user_id=user_id, platform=Platform(platform), account=account)
    session.add(identity)
    session.flush()
    return identity


def _user_of(session: Session, *, platform: Platform, account: str) -> AppUser | None:
    identity = _identity(session, platform=platform, account=account)
    return None if identity is None else session.get(AppUser, identity.user_id)


def _new_user(
    session: Session, *, platform: Platform, account: str, name: str, language: str | None
) -> AppUser:
    user = AppUser(name=name, language=language)
    session.add(user)
    session.flush()
    link_identity(session, user_id=user.id, platform=platform, account=account)
    return user


def user_for(session: Session, *, user_id: int) -> AppUser:
    """Return the active user row with this id, or refuse."""
    user = session.get(AppUser, user_id)
    if user is None or not user.active:
        raise DomainError("not_registered")
    return user


def set_language(session: Session, *, user_id: int, language: str) -> AppUser:
    """Store a user's chosen language."""
    if language not in LANGUAGES:
        raise DomainError("bad_language")
    user = user_for(session, user_id=user_id)
    user.language = language
    session.add(user)
    return user


# Role names as people type them: the product's own, and the names the catalogs list the roles
# by (handlers/texts, role.*), in Chinese and English; a test reads every catalog name back.
ROLE_NAMES: dict[str, Role] = {
    **{role.value: role for role in Role},
    "项目部": Role.admin,
    "管理员": Role.admin,
    "系统管理员": Role.admin,
    "project admin": Role.admin,
    "录入": Role.clerk,
    "录入员": Role.clerk,
    "录入人员": Role.clerk,
    "施工单位": Role.contractor,
    "验收": Role.inspector,
    "验收组": Role.inspector,
    "领导": Role.manager,
    "管理层": Role.manager,
    "客服": Role.service,
    "customer service": Role.service,
}
_LONGEST_FIRST = sorted(ROLE_NAMES, key=len, reverse=True)
# Between role names, as people type them: commas (either width), 、, spaces, colons.
ROLE_SEPARATORS = " \t\n,，、;；:："


def _leading_role(text: str) -> tuple[Role, str] | None:
    """Return the role a text starts with (a whole name, any case) and the text after it."""
    folded = text.casefold()
    for name in _LONGEST_FIRST:
        after = text[len(name) :]
        if folded.startswith(name) and (not after or after[0] in ROLE_SEPARATORS):
            return ROLE_NAMES[name], after.lstrip(ROLE_SEPARATORS)
    return None


def _first_word(text: str) -> str:
    for mark in ROLE_SEPARATORS:
        text = text.replace(mark, " ")
    return (text.split() or [""])[0]


def read_roles(text: str) -> tuple[list[Role], str]:
    """Return the role names a text starts with, and what follows them (a contractor's name)."""
    roles: list[Role] = []
    rest = text.strip(ROLE_SEPARATORS)
    while rest and (found := _leading_role(rest)) is not None:
        role, rest = found
        if role not in roles:
            roles.append(role)
    if not roles:
        raise DomainError("bad_role", role=_first_word(rest) or text)
    return roles, rest.strip()


def parse_roles(text: str) -> list[Role]:
    """Read a list of role names (Chinese or English, any case; comma, 、 or space between)."""
    roles, rest = read_roles(text)
    if rest:
        raise DomainError("bad_role", role=_first_word(rest))
    return roles


def parse_invite(text: str) -> tuple[list[Role], str | None]:
    """Read what follows /invite: role names, then the contractor's name for a contractor."""
    roles, rest = read_roles(text)
    if rest and Role.contractor not in roles:  # no contractor invite: no name to follow
        raise DomainError("bad_role", role=_first_word(rest))
    return roles, rest or None


def _new_code() -> str:
    """Return a fresh invite code: never one a printed item link could be taken for."""
    code = secrets.token_urlsafe(9)
    while is_item_start(code):
        code = secrets.token_urlsafe(9)
    return code


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
        contractor = ids.get(session, Contractor, contractor_id)
        if contractor is None or contractor.project_id != project_id:
            raise DomainError("no_such_contractor")
    elif contractor_name and contractor_name.strip():
        contractor_id = contractor_named(session, project_id=project_id, text=contractor_name).id
    else:
        raise DomainError("contractor_required")
    invite = Invite(
        code=_new_code(),
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
    platform: Platform,
    account: str,
    name: str,
    language: str | None = None,
    now: datetime | None = None,
) -> AppUser:
    """Register the platform account that uses an invite with its roles (a new account: a new
    person); the code then cannot be used again."""
    invite = session.exec(select(Invite).where(Invite.code == code.strip())).first()
    if invite is None:
        raise DomainError("invite_unknown")
    if invite.used_at is not None:
        raise DomainError("invite_used")
    now = now or clock.now()
    if invite.expires_at <= now:
        raise DomainError("invite_expired")
    user = _user_of(session, platform=platform, account=account)
    if user is not None and invite.created_by == user.id:
        # An invite is for someone else: its maker testing the link must not use it up.
        raise DomainError("invite_own")
    if user is None:
        lang = language if language in LANGUAGES else None
        user = _new_user(
            session, platform=platform, account=account, name=name[:100] or account, language=lang
        )
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
    platform: Platform,
    account: str,
    name: str,
    roles: list[Role],
    contractor_id: int | None = None,
    language: str | None = None,
) -> AppUser:
    """Register a platform account directly (set-up scripts and the demo), without an invite."""
    user = _user_of(session, platform=platform, account=account)
    if user is None:
        user = _new_user(session, platform=platform, account=account, name=name, language=language)
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
    user_id: int,
    text: str,
    contractor_id: int | None = None,
    hours: int = INVITE_HOURS,
) -> InviteMade:
    """Make an invite for the project the asking admin runs, as typed after /invite: role
    names, then the contractor's name (or its id, chosen on a button)."""
    user = user_for(session, user_id=user_id)
    project = admin_project(session, user=user)
    roles, contractor_name = parse_invite(text)
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
