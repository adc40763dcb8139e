"""The daily beat: morning lists, the overdue digest and the manager's report, once a day each.

One loop (`keep_time`, the task "daily_rhythm", ticking every minute, started with the
application whatever the platform) asks for each
project and each kind: is it past today's time in the project's zone, still inside the
catch-up window, and not yet run today? Then it claims the run in the database and sends.
Why one tick rather than run_daily per project: projects keep their own zones (the app's
Defaults zone is only the default), projects added while the bot runs are picked up with no
rescheduling, and a bot that was down at 07:30 catches up at its first tick after start;
the database claim (models/pushes.take_run, a run per platform, then one claim per person in
jobs.sender.push) makes it once a person, however many bot processes tick on one database.

Catch-up windows: a morning push (lists, overdue digest) is still sent until 12:00 local
(a list that arrives after lunch is worse than none; it is on /mylist anyway); the report
until the end of the project's day. Before its time or after its window nothing is sent.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, datetime, timedelta

from sqlmodel import Session

from handlers import drafts, watch
from handlers.screens import Limits
from jobs.backup import backup_if_due
from jobs.morning import morning_notices
from jobs.notices import Notice
from jobs.overdue import overdue_notices
from jobs.report import report_notices
from jobs.sender import PROCESS, Delivery, PushResult, push, tell
from models import clock, pushes
from models.db import Database
from models.dialogue import take_expired
from models.printable import ItemLink
from models.pushes import Beat, ProjectBeat
from models.settings import Settings
from models.tables import PushKind

log = logging.getLogger(__name__)
JOB_NAME = "daily_rhythm"
TICK_SECONDS = 60
FIRST_TICK_SECONDS = 10  # the start-up catch-up: once the application is up
# How long "your half-finished report was dropped" is tried while the platform fails.
DROPPED_WINDOW = timedelta(minutes=1)
# A beat that has not ticked for this long is stuck or dead: /healthz says so (a tick may take
# a while when a push waits out a rate limit; five missed minutes are not that).
STALE_AFTER = timedelta(minutes=5)

Builder = Callable[..., list[Notice]]


BUILDERS: dict[PushKind, Builder] = {
    PushKind.morning: morning_notices,
    PushKind.overdue: overdue_notices,
    PushKind.report: report_notices,
}


def build(
    session: Session,
    *,
    kind: PushKind,
    project: ProjectBeat,
    default_language: str,
    platform: str,
    limits: Limits,
    item_link: ItemLink | None = None,
) -> list[Notice]:
    """Return a kind's notices for a project: its recipients on a platform, each with their
    screen within the platform's `limits` (a printed item links to its card where the platform
    has `item_link`)."""
    people = pushes.recipients(session, project_id=project.id, kind=kind, platform=platform)
    return BUILDERS[kind](
        session,
        project=project,
        people=people,
        default_language=default_language,
        limits=limits,
        item_link=item_link,
    )


class Pulse:
    """When this process's beat started and last ticked, for /healthz (bot/health.py)."""

    def __init__(self) -> None:
        self.started_at: datetime | None = None
        self.ticked_at: datetime | None = None

    def start(self) -> None:
        """Note that the beat started now (its first tick comes a little later)."""
        self.started_at = clock.now()

    def tick(self) -> None:
        """Note a tick done now (a failed tick too: the beat is alive)."""
        self.ticked_at = clock.now()

    def age(self) -> timedelta | None:
        """Return how long since the last tick (or the start); None: the beat never started."""
        last = self.ticked_at or self.started_at
        return None if last is None else clock.now() - last

    def stale(self) -> bool:
        """Tell whether the beat is not ticking (started, but silent for STALE_AFTER)."""
        age = self.age()
        return age is not None and age > STALE_AFTER


@dataclass(frozen=True)
class Ran:
    """One run this tick made: which kind, for which project and day, and how it went."""

    kind: PushKind
    project_id: int
    day: date
    result: PushResult


async def tick(
    *,
    db: Database,
    delivery: Delivery,
    day_beats: tuple[Beat, ...],
    default_language: str,
    by: str = PROCESS,
) -> list[Ran]:
    """Run every beat that is due in its project's zone and not run yet today; return them."""
    await drop_expired_drafts(db=db, delivery=delivery, default_language=default_language)
    ran = []
    for project in await asyncio.to_thread(db.run, pushes.projects):
        local_now = clock.local_now(project.timezone)
        for beat in day_beats:
            if not beat.due(local_now):
                continue
            # A part the platform fails is tried again until the beat's window closes.
            until = datetime.combine(local_now.date(), beat.until, tzinfo=local_now.tzinfo)
            day = local_now.date()
            try:
                with watch.push(f"{beat.kind.value}:{project.id}:{day}:{delivery.platform}"):
                    result = await _run(
                        db, delivery, beat.kind, project, day, default_language, by, until
                    )
            except Exception:
                # One project's failure must not stop the others; the unfinished run is taken
                # over by a later tick once its claim is stale (models/pushes.take_run).
                log.exception("%s push for project %s failed", beat.kind, project.id)
                watch.meter_of(delivery).pushed(kind=beat.kind.value, outcome="error")
                continue
            if result is not None:
                ran.append(Ran(beat.kind, project.id, local_now.date(), result))
    return ran


async def beat(*, db: Database, delivery: Delivery, settings: Settings) -> list[Ran]:
    """Tick once with the settings' times of day and language; then the day's backup, if due
    (after the pushes: a long backup delays the next tick, not this one's pushes)."""
    ran = await tick(
        db=db,
        delivery=delivery,
        day_beats=pushes.beats(
            morning_at=settings.morning_push, report_at=settings.daily_report_at
        ),
        default_language=settings.default_language,
    )
    await backup_if_due(db=db, settings=settings)
    return ran


async def keep_time(
    *,
    db: Database,
    delivery: Delivery,
    settings: Settings,
    first: float = FIRST_TICK_SECONDS,
    every: float = TICK_SECONDS,
    pulse: Pulse | None = None,
) -> None:
    """Tick every minute (the first soon after start, to catch up) until cancelled; each tick
    is noted on `pulse`."""
    pulse = pulse or Pulse()
    if pulse.started_at is None:
        pulse.start()
    await asyncio.sleep(first)
    while True:
        try:
            await beat(db=db, delivery=delivery, settings=settings)
        except Exception:
            # One failed tick must not stop the next ones: the sender records what it sent.
            log.exception("the daily beat failed")
        pulse.tick()
        await asyncio.sleep(every)


def start(
    *, db: Database, delivery: Delivery, settings: Settings, pulse: Pulse | None = None
) -> asyncio.Task[None]:
    """Start the daily beat on the running loop: one task, named JOB_NAME (its ticks noted on
    `pulse`, which /healthz reads)."""
    pulse = pulse or Pulse()
    pulse.start()
    work = keep_time(db=db, delivery=delivery, settings=settings, pulse=pulse)
    return asyncio.get_running_loop().create_task(work, name=JOB_NAME)


async def stop(task: asyncio.Task[None] | None) -> None:
    """Stop the daily beat (a tick under way is cancelled; the claims make it safe)."""
    if task is None:
        return
    task.cancel()
    with contextlib.suppress(asyncio.CancelledError):
        await task


async def drop_expired_drafts(*, db: Database, delivery: Delivery, default_language: str) -> int:
    """Tell each person whose report was left half-finished too long that it is dropped."""
    # Taken off the dialogue first (once, whichever process ticks); a notice that does not
    # arrive is logged (/pushes): the person is not told twice, and their next input finds no
    # draft either way. Tried only briefly while the platform fails: the beats come next.
    expired = await asyncio.to_thread(db.run, take_expired, steps=frozenset(drafts.KINDS))
    notices = [drafts.dropped_notice(gone, default_language) for gone in expired]
    await tell(db=db, delivery=delivery, notices=notices, window=DROPPED_WINDOW)
    return len(expired)


async def _run(
    db: Database,
    delivery: Delivery,
    kind: PushKind,
    project: ProjectBeat,
    day: date,
    default_language: str,
    by: str,
    until: datetime,
) -> PushResult | None:
    key = {"kind": kind, "project_id": project.id, "day": day}
    # A run per platform: each process sends to its platform's people (a person on two gets
    # the push once, from whichever claims them first: models/pushes.claim).
    run = {**key, "platform": delivery.platform}
    # A cheap read first: most ticks find the day's run finished and claim nothing.
    if await asyncio.to_thread(db.run, pushes.run_finished, **run):
        return None
    if not await asyncio.to_thread(db.run, pushes.take_run, **run, by=by):
        return None
    notices = await asyncio.to_thread(
        db.run,
        build,
        kind=kind,
        project=project,
        default_language=default_language,
        platform=delivery.platform,
        limits=delivery.limits,
        item_link=delivery.item_link,
    )
    result = await push(db=db, delivery=delivery, notices=notices, by=by, until=until, **key)
    await asyncio.to_thread(db.run, pushes.finish_run, **run)
    outcome = "failed" if result.failed else "ok"
    watch.meter_of(delivery).pushed(kind=kind.value, outcome=outcome)
    log.info(
        "%s push for project %s on %s: %d sent, %d failed, %d blocked, %d taken",
        kind,
        project.id,
        day,
        len(result.sent),
        len(result.failed),
        len(result.blocked),
        len(result.taken),
    )
    return result
