"""Scheduled pushes in the record: the day's beats, each run and push claimed before sent, who
gets one (models/audiences.py: who may and who wants), and the notices flows send at once,
each logged; an admin's view of the day is models/push_day.py."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta

from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, col, select, update

from models import clock
from models.audiences import wants
from models.tables import (
    AppUser,
    Identity,
    Membership,
    NoticeLog,
    Platform,
    Project,
    PushKind,
    PushLog,
    PushRun,
    PushStatus,
    Role,
    Undelivered,
)

# A claim still "sending" after this long belongs to a process that died: it may be taken over.
STALE_CLAIM = timedelta(minutes=10)


# A late start catches up until then: a morning list after lunch is worse than none.
NOON = time(12, 0)


@dataclass(frozen=True)
class Beat:
    """One kind of push: its time of day and the end of its catch-up window (local)."""

    kind: PushKind
    at: time
    until: time

    def due(self, local_now: datetime) -> bool:
        """Tell whether this beat may run at this local time (not before, not too late)."""
        return self.at <= local_now.time().replace(tzinfo=None) <= self.until


def _clock(value: str) -> time:
    hours, minutes = map(int, value.split(":"))
    return time(hours, minutes)


def beats(*, morning_at: str, report_at: str) -> tuple[Beat, ...]:
    """Return the day's beats in sending order, from the settings' "HH:MM" times."""
    morning = _clock(morning_at)
    morning_until = NOON if morning < NOON else time.max
    return (
        Beat(PushKind.morning, morning, morning_until),
        Beat(PushKind.overdue, morning, morning_until),
        Beat(PushKind.report, _clock(report_at), time.max),
    )


def _insert(session: Session, row: PushRun | PushLog) -> bool:
    """Insert a claim row; False if another process holds it already (unique key)."""
    try:
        with session.begin_nested():
            session.add(row)
            session.flush()
    except IntegrityError:
        return False
    return True


def claim_run(
    session: Session, *, kind: PushKind, project_id: int, day: date, platform: Platform, by: str
) -> bool:
    """Claim one kind of push for a project's day on a platform; False if it was run (or is
    running) there."""
    run = PushRun(
        kind=kind, project_id=project_id, day=day, platform=Platform(platform), claimed_by=by
    )
    return _insert(session, run)


def finish_run(
    session: Session, *, kind: PushKind, project_id: int, day: date, platform: Platform
) -> None:
    """Mark a claimed run as finished."""
    run = session.get(PushRun, (kind, project_id, day, Platform(platform)))
    if run is not None:
        run.finished_at = clock.now()
        session.add(run)


def claim(
    session: Session,
    *,
    kind: PushKind,
    project_id: int,
    day: date,
    user_id: int,
    by: str,
    platform: Platform,
) -> PushLog | None:
    """Claim the push to one person for the day before sending it; None if it is taken.

    The claim of a person whose chat on the platform blocked the bot (or who has none there)
    comes back already `blocked`: do not send it.
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
        identity = _identity(session, user_id=user_id, platform=platform)
        if identity is None or identity.blocked_at is not None:
            # Skipped, and the day's log says so.
            row.status = PushStatus.blocked
            if identity is None:
                row.why = Undelivered.no_account
                row.reason = f"skipped: no {platform} account"
            else:
                row.why = Undelivered.blocked
                at = clock.aware(identity.blocked_at)
                row.reason = f"skipped: blocked the bot at {at:%Y-%m-%d %H:%M} UTC"
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
    if _blocked_elsewhere(existing) and reachable(session, user_id=user_id, platform=platform):
        return _take_over(session, existing, by=by, was=PushStatus.blocked)
    stale = clock.now() - STALE_CLAIM
    if existing.status is not PushStatus.sending or clock.aware(existing.claimed_at) > stale:
        return None
    # Its sender died mid-send: take it over, unless another process just did.
    return _take_over(session, existing, by=by, was=PushStatus.sending)


def _blocked_elsewhere(row: PushLog) -> bool:
    """Tell whether a claim found the person's chat blocked (or missing) before any of it
    went: the process of another platform may send it there."""
    return row.status is PushStatus.blocked and row.parts_sent == 0


def _take_over(session: Session, row: PushLog, *, by: str, was: PushStatus) -> PushLog | None:
    """Take over a claim as it was read, unless another process just did."""
    taken = session.execute(
        update(PushLog)
        .where(
            col(PushLog.id) == row.id,
            col(PushLog.status) == was,
            col(PushLog.claimed_at) == row.claimed_at,
        )
        .values(
            status=PushStatus.sending, why=None, reason=None, claimed_at=clock.now(), claimed_by=by
        )
        .execution_options(synchronize_session=False)
    )
    if taken.rowcount != 1:
        return None
    session.refresh(row)
    return row


def claim_all(
    session: Session,
    *,
    kind: PushKind,
    project_id: int,
    day: date,
    user_ids: Sequence[int],
    by: str,
    platform: Platform,
) -> list[PushLog | None]:
    """Claim the day's push to each of these people, in order, in one transaction."""
    return [
        claim(
            session,
            kind=kind,
            project_id=project_id,
            day=day,
            user_id=user_id,
            by=by,
            platform=platform,
        )
        for user_id in user_ids
    ]


def record(
    session: Session,
    *,
    push_id: int,
    status: PushStatus,
    attempts: int,
    platform: Platform,
    why: Undelivered | None = None,
    reason: str | None = None,
    parts_sent: int | None = None,
) -> PushLog:
    """Write how a claimed push ended: sent, failed (why, and what the platform said) or
    blocked (remembered: the next pushes skip the person)."""
    row = session.get(PushLog, push_id)
    row.status = status
    row.attempts = attempts
    row.why = why
    row.reason = reason[:200] if reason else None
    if parts_sent is not None:
        row.parts_sent = parts_sent
    row.sent_at = clock.now() if status is PushStatus.sent else None
    session.add(row)
    session.flush()
    if status is PushStatus.blocked:
        mark_blocked(session, user_id=row.user_id, platform=platform)
    return row


def progress(session: Session, *, push_id: int, parts_sent: int) -> None:
    """Note how many messages of a claimed push went (a takeover sends only the rest)."""
    row = session.get(PushLog, push_id)
    row.parts_sent = parts_sent
    session.add(row)


def notice_begins(session: Session, *, user_id: int, platform: Platform, summary: str) -> int:
    """Log a notice a flow is sending someone, before it goes; return its row's id."""
    row = NoticeLog(
        user_id=user_id, platform=platform, summary=summary[:80], status=PushStatus.sending
    )
    session.add(row)
    session.flush()
    return row.id


def notice_ends(
    session: Session,
    *,
    notice_id: int,
    status: PushStatus,
    attempts: int,
    why: Undelivered | None = None,
    reason: str | None = None,
) -> None:
    """Write how a notice ended; a person found blocked is skipped by the next pushes."""
    row = session.get(NoticeLog, notice_id)
    row.status, row.why, row.attempts = status, why, attempts
    row.reason = reason[:200] if reason else None
    row.ended_at = clock.now()
    session.add(row)
    if status is PushStatus.blocked:
        mark_blocked(session, user_id=row.user_id, platform=row.platform)


def _identity(session: Session, *, user_id: int, platform: Platform) -> Identity | None:
    return session.exec(
        select(Identity)
        .where(Identity.user_id == user_id, Identity.platform == Platform(platform))
        .order_by(Identity.id)
    ).first()


def reachable(session: Session, *, user_id: int, platform: Platform) -> bool:
    """Tell whether pushes reach this person on a platform: an account there, not blocked."""
    identity = _identity(session, user_id=user_id, platform=platform)
    return identity is not None and identity.blocked_at is None


def mark_blocked(session: Session, *, user_id: int, platform: Platform) -> None:
    """Remember that this person's chat on a platform blocked the bot: pushes there skip it
    until they write again."""
    identity = _identity(session, user_id=user_id, platform=platform)
    if identity is not None and identity.blocked_at is None:
        identity.blocked_at = clock.now()
        session.add(identity)


def clear_blocked(session: Session, *, user_id: int, platform: Platform) -> bool:
    """Take back a person whose chat on a platform blocked the bot and who writes again there;
    True if it was blocked."""
    result = session.execute(
        update(Identity)
        .where(
            col(Identity.user_id) == user_id,
            col(Identity.platform) == Platform(platform),
            col(Identity.blocked_at).is_not(None),
        )
        .values(blocked_at=None)
        .execution_options(synchronize_session=False)
    )
    return result.rowcount > 0


def take_run(
    session: Session, *, kind: PushKind, project_id: int, day: date, platform: Platform, by: str
) -> bool:
    """Claim a day's run on a platform, or take over one whose process died before finishing."""
    if claim_run(session, kind=kind, project_id=project_id, day=day, platform=platform, by=by):
        return True
    run = session.get(PushRun, (kind, project_id, day, Platform(platform)))
    if run is None or run.finished_at is not None:
        return False
    if clock.aware(run.started_at) > clock.now() - STALE_CLAIM:
        return False  # another process is at it now
    # Its process died mid-run: run it again; the per-person claims keep anyone from a second copy.
    taken = session.execute(
        update(PushRun)
        .where(
            col(PushRun.kind) == kind,
            col(PushRun.project_id) == project_id,
            col(PushRun.day) == day,
            col(PushRun.platform) == Platform(platform),
            col(PushRun.started_at) == run.started_at,
        )
        .values(started_at=clock.now(), claimed_by=by)
        .execution_options(synchronize_session=False)
    )
    return taken.rowcount == 1


def run_finished(
    session: Session, *, kind: PushKind, project_id: int, day: date, platform: Platform
) -> bool:
    """Tell whether a kind of push was run to its end for a project's day on a platform."""
    run = session.get(PushRun, (kind, project_id, day, Platform(platform)))
    return run is not None and run.finished_at is not None


def runs_of_day(session: Session, *, project_id: int, day: date) -> dict[PushKind, PushRun]:
    """Return the runs of a project's day by kind: of a kind run on several platforms, one
    still going if any (the earliest), else the one that finished last."""
    rows = session.exec(
        select(PushRun).where(PushRun.project_id == project_id, PushRun.day == day)
    ).all()
    going = sorted((r for r in rows if r.finished_at is None), key=lambda r: r.started_at)
    done = sorted((r for r in rows if r.finished_at is not None), key=lambda r: r.finished_at)
    return {run.kind: run for run in done} | {run.kind: run for run in reversed(going)}


@dataclass(frozen=True)
class ProjectBeat:
    """A project and the zone its day is kept in."""

    id: int
    name: str
    timezone: str


def projects(session: Session) -> list[ProjectBeat]:
    """Return every project with its time zone, in id order."""
    rows = session.exec(select(Project).order_by(Project.id)).all()
    return [ProjectBeat(p.id, p.name, p.timezone) for p in rows]


@dataclass(frozen=True)
class Recipient:
    """One person who gets a kind of push in one project, with their roles there."""

    user_id: int
    name: str
    language: str | None
    roles: frozenset[Role]
    contractor_ids: frozenset[int]


def active_members(session: Session, project_id: int) -> list[tuple[AppUser, set[Role], set[int]]]:
    """Return the project's active people, each with their roles and contractors there."""
    rows = session.exec(
        select(AppUser, Membership)
        .join(Membership, Membership.user_id == AppUser.id)
        .where(Membership.project_id == project_id, AppUser.active == True)  # noqa: E712
        .order_by(AppUser.id)
    ).all()
    people: dict[int, tuple[AppUser, set[Role], set[int]]] = {}
    for user, membership in rows:
        _, roles, contractors = people.setdefault(user.id, (user, set(), set()))
        roles.add(membership.role)
        if membership.contractor_id is not None:
            contractors.add(membership.contractor_id)
    return list(people.values())


def blocked_among(session: Session, *, user_ids: Sequence[int]) -> set[int]:
    """Return which of these people have a chat that blocked the bot, on any platform."""
    if not user_ids:
        return set()
    rows = session.exec(
        select(Identity.user_id).where(
            col(Identity.user_id).in_(list(user_ids)), col(Identity.blocked_at).is_not(None)
        )
    ).all()
    return set(rows)


def recipients(
    session: Session, *, project_id: int, kind: PushKind, platform: Platform
) -> list[Recipient]:
    """Return who gets this kind of push in the project on a platform: active, reachable
    there (an account, not blocked), wanting it."""
    members = active_members(session, project_id)
    reach = set(
        session.exec(
            select(Identity.user_id).where(
                col(Identity.user_id).in_([user.id for user, _, _ in members] or [0]),
                Identity.platform == Platform(platform),
                col(Identity.blocked_at).is_(None),
            )
        ).all()
    )
    return [
        Recipient(
            user.id,
            user.name,
            user.language,
            frozenset(roles),
            frozenset(contractors),
        )
        for user, roles, contractors in members
        if user.id in reach and wants(session, user_id=user.id, kind=kind, roles=roles)
    ]


def release_claims(session: Session, *, by: str) -> int:
    """Hand back the claims `by` (a stopping process) still holds: its pushes still 'sending'
    and its unfinished runs, aged past STALE_CLAIM so another process takes them over at once
    (what was sent of each is kept: a takeover sends only the rest). Return how many."""
    released = clock.now() - STALE_CLAIM - timedelta(seconds=1)
    pushes = session.execute(
        update(PushLog)
        .where(col(PushLog.claimed_by) == by, col(PushLog.status) == PushStatus.sending)
        .values(claimed_at=released)
        .execution_options(synchronize_session=False)
    )
    runs = session.execute(
        update(PushRun)
        .where(col(PushRun.claimed_by) == by, col(PushRun.finished_at).is_(None))
        .values(started_at=released)
        .execution_options(synchronize_session=False)
    )
    return pushes.rowcount + runs.rowcount
