"""Scheduled pushes in the record: who wants which, who got what today, claimed before sent."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta

from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, col, select, update

from models import clock
from models.tables import (
    AppUser,
    PushKind,
    PushLog,
    PushRun,
    PushStatus,
    Role,
    Subscription,
)

# Who gets each kind unless they chose otherwise. Admins ask for the daily report themselves.
DEFAULT_WANTED: dict[PushKind, frozenset[Role]] = {
    PushKind.morning: frozenset({Role.contractor, Role.inspector}),
    PushKind.report: frozenset({Role.manager}),
    PushKind.overdue: frozenset({Role.manager, Role.admin}),
}
# Who may receive each kind at all (a contractor never gets the manager's report).
MAY_RECEIVE: dict[PushKind, frozenset[Role]] = {
    PushKind.morning: frozenset({Role.contractor, Role.inspector}),
    PushKind.report: frozenset({Role.manager, Role.admin}),
    PushKind.overdue: frozenset({Role.manager, Role.admin}),
}
# A claim still "sending" after this long belongs to a process that died: it may be taken over.
STALE_CLAIM = timedelta(minutes=10)


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


def _insert(session: Session, row: PushRun | PushLog) -> bool:
    """Insert a claim row; False if another process holds it already (unique key)."""
    try:
        with session.begin_nested():
            session.add(row)
            session.flush()
    except IntegrityError:
        return False
    return True


def claim_run(session: Session, *, kind: PushKind, project_id: int, day: date, by: str) -> bool:
    """Claim one kind of push for a project's day; False if it was run (or is running)."""
    return _insert(session, PushRun(kind=kind, project_id=project_id, day=day, claimed_by=by))


def finish_run(session: Session, *, kind: PushKind, project_id: int, day: date) -> None:
    """Mark a claimed run as finished."""
    run = session.get(PushRun, (kind, project_id, day))
    if run is not None:
        run.finished_at = clock.now()
        session.add(run)


def claim(
    session: Session, *, kind: PushKind, project_id: int, day: date, user_id: int, by: str
) -> PushLog | None:
    """Claim the push to one person for the day before sending it; None if it is taken.

    The claim of a person who blocked the bot comes back already `blocked`: do not send it.
    """
    row = PushLog(
        kind=kind,
        project_id=project_id,
        day=day,
        user_id=user_id,
        status=PushStatus.sending,
        claimed_by=by,
    )
    if _insert(session, row):
        # Asked after the claim, which holds the write: SQLite cannot widen a read to a write.
        user = session.get(AppUser, user_id)
        if user is not None and not reachable(user):
            # Skipped, and the day's log says so.
            row.status = PushStatus.blocked
            row.reason = (
                f"skipped: blocked the bot at {clock.aware(user.blocked_at):%Y-%m-%d %H:%M} UTC"
            )
            session.add(row)
            session.flush()
        return row
    existing = session.exec(
        select(PushLog).where(
            PushLog.kind == kind,
            PushLog.project_id == project_id,
            PushLog.day == day,
            PushLog.user_id == user_id,
        )
    ).one()
    stale = clock.now() - STALE_CLAIM
    if existing.status is not PushStatus.sending or clock.aware(existing.claimed_at) > stale:
        return None
    # Its sender died mid-send: take it over, unless another process just did.
    taken = session.execute(
        update(PushLog)
        .where(col(PushLog.id) == existing.id, col(PushLog.claimed_at) == existing.claimed_at)
        .values(claimed_at=clock.now(), claimed_by=by)
        .execution_options(synchronize_session=False)
    )
    if taken.rowcount != 1:
        return None
    session.refresh(existing)
    return existing


def claim_all(
    session: Session,
    *,
    kind: PushKind,
    project_id: int,
    day: date,
    user_ids: Sequence[int],
    by: str,
) -> list[PushLog | None]:
    """Claim the day's push to each of these people, in order, in one transaction."""
    return [
        claim(session, kind=kind, project_id=project_id, day=day, user_id=user_id, by=by)
        for user_id in user_ids
    ]


def record(
    session: Session,
    *,
    push_id: int,
    status: PushStatus,
    attempts: int,
    reason: str | None = None,
) -> PushLog:
    """Write how a claimed push ended: sent, failed (and why) or blocked (remembered)."""
    row = session.get(PushLog, push_id)
    row.status = status
    row.attempts = attempts
    row.reason = reason[:200] if reason else None
    row.sent_at = clock.now() if status is PushStatus.sent else None
    session.add(row)
    session.flush()
    if status is PushStatus.blocked:
        mark_blocked(session, user_id=row.user_id)
    return row


def reachable(user: AppUser) -> bool:
    """Tell whether pushes go to this person: not while they have the bot blocked."""
    return user.blocked_at is None


def mark_blocked(session: Session, *, user_id: int) -> None:
    """Remember that this person blocked the bot: pushes skip them until they write again."""
    user = session.get(AppUser, user_id)
    if user is not None and user.blocked_at is None:
        user.blocked_at = clock.now()
        session.add(user)


def clear_blocked(session: Session, *, telegram_id: int) -> bool:
    """Take back a person who blocked the bot and now writes again; True if they were."""
    result = session.execute(
        update(AppUser)
        .where(col(AppUser.telegram_id) == telegram_id, col(AppUser.blocked_at).is_not(None))
        .values(blocked_at=None)
        .execution_options(synchronize_session=False)
    )
    return result.rowcount == 1


@dataclass(frozen=True)
class PushLine:
    """One person's push of the day, for the admin's view."""

    user_id: int
    name: str
    kind: PushKind
    status: PushStatus
    reason: str | None
    attempts: int
    at: datetime


def day_log(session: Session, *, project_id: int, day: date) -> list[PushLine]:
    """Return every push of a project's day, with the person's name, by kind then status."""
    rows = session.exec(
        select(PushLog, AppUser.name)
        .join(AppUser, PushLog.user_id == AppUser.id)
        .where(PushLog.project_id == project_id, PushLog.day == day)
        .order_by(PushLog.kind, PushLog.status, AppUser.name)
    ).all()
    return [
        PushLine(p.user_id, name, p.kind, p.status, p.reason, p.attempts, p.sent_at or p.claimed_at)
        for p, name in rows
    ]
