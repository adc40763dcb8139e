"""An admin's view of a project's pushes today (/pushes): every run and person's push, the
notices that did not arrive, and who blocked the bot."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta

from sqlmodel import Session, col, select

from models import clock
from models.people import admin_project, user_for
from models.pushes import active_members, blocked_among, runs_of_day
from models.tables import (
    AppUser,
    Membership,
    NoticeLog,
    PushKind,
    PushLog,
    PushRun,
    PushStatus,
    Undelivered,
)


@dataclass(frozen=True)
class PushLine:
    """One person's push of the day, for the admin's view."""

    user_id: int
    name: str
    kind: PushKind
    status: PushStatus
    why: Undelivered | None
    reason: str | None  # what the platform said (English, for the log: /pushes says `why`)
    parts_sent: int
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
        PushLine(
            p.user_id,
            name,
            p.kind,
            p.status,
            p.why,
            p.reason,
            p.parts_sent,
            p.attempts,
            p.sent_at or p.claimed_at,
        )
        for p, name in rows
    ]


@dataclass(frozen=True)
class NoticeLine:
    """A notice of the day that did not arrive (or not yet), for the admin's view."""

    name: str
    status: PushStatus
    why: Undelivered | None
    summary: str
    at: datetime


@dataclass(frozen=True)
class NoticeDay:
    """The notices flows sent the project's people on a day: how many arrived, and the rest."""

    sent: int
    missed: list[NoticeLine]


def day_notices(session: Session, *, project_id: int, day: date, tz: str) -> NoticeDay:
    """Return the notices of a project's local day to its people: counted, and each missed one."""
    start = datetime.combine(day, time(0), tzinfo=clock.zone(tz)).astimezone(UTC)
    people = select(Membership.user_id).where(Membership.project_id == project_id)
    rows = session.exec(
        select(NoticeLog, AppUser.name)
        .join(AppUser, NoticeLog.user_id == AppUser.id)
        .where(
            col(NoticeLog.user_id).in_(people),
            col(NoticeLog.created_at) >= start,
            col(NoticeLog.created_at) < start + timedelta(days=1),
        )
        .order_by(col(NoticeLog.id))
    ).all()
    missed = [
        NoticeLine(name, n.status, n.why, n.summary, n.created_at)
        for n, name in rows
        if n.status is not PushStatus.sent
    ]
    return NoticeDay(len(rows) - len(missed), missed)


def blocked_members(session: Session, *, project_id: int) -> list[str]:
    """Return the names of the project's people who blocked the bot (pushes skip them)."""
    members = active_members(session, project_id)
    blocked = blocked_among(session, user_ids=[user.id for user, _, _ in members])
    return sorted(user.name for user, _, _ in members if user.id in blocked)


@dataclass(frozen=True)
class PushDay:
    """An admin's view of a project's pushes today: the runs, every person's, who is skipped."""

    project: str
    timezone: str
    day: date
    runs: dict[PushKind, PushRun]
    lines: list[PushLine]
    blocked: list[str]
    notices: NoticeDay


def push_day(session: Session, *, user_id: int) -> PushDay:
    """Return today's pushes of the project this admin runs (its local day)."""
    project = admin_project(session, user=user_for(session, user_id=user_id))
    day = clock.today(project.timezone)
    return PushDay(
        project.name,
        project.timezone,
        day,
        runs_of_day(session, project_id=project.id, day=day),
        day_log(session, project_id=project.id, day=day),
        blocked_members(session, project_id=project.id),
        day_notices(session, project_id=project.id, day=day, tz=project.timezone),
    )
