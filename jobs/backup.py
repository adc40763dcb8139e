"""The scheduled backup: once a day at BACKUP_AT (in TIMEZONE) into BACKUP_DIR, keeping the
newest BACKUP_KEEP backups; asked by the daily beat (jobs/rhythm.py) at every tick.

The day's backup is claimed in the database first (models/backup.take_day), so of several bot
processes on one database one makes it; it is made in a worker thread, off the event loop. A
bot that was down at BACKUP_AT makes it at its first tick later that day. A failure is logged
and recorded (the day's run says why); the next day tries again.
"""

from __future__ import annotations

import asyncio
import logging
from datetime import time

from jobs.sender import PROCESS
from models import clock
from models.backup import Manifest, day_done, finish_day, make_backup, prune, take_day
from models.db import Database
from models.settings import Settings

log = logging.getLogger(__name__)


def _at(value: str) -> time:
    hours, minutes = map(int, value.split(":"))
    return time(hours, minutes)


async def backup_if_due(*, db: Database, settings: Settings, by: str = PROCESS) -> Manifest | None:
    """Make today's backup if it is switched on, past its time and not made yet; return it."""
    if settings.backup_dir is None:
        return None
    local_now = clock.local_now(settings.timezone)
    if local_now.time().replace(tzinfo=None) < _at(settings.backup_at):
        return None
    day = local_now.date()
    # A cheap read first: every other tick of the day finds it made.
    if await asyncio.to_thread(db.run, day_done, day=day):
        return None
    if not await asyncio.to_thread(db.run, take_day, day=day, by=by):
        return None
    manifest = None
    try:
        manifest = await asyncio.to_thread(_back_up, settings)
        outcome = manifest.name
    except Exception as exc:
        log.exception("the scheduled backup into %s failed", settings.backup_dir)
        outcome = f"failed: {exc}"
    await asyncio.to_thread(db.run, finish_day, day=day, outcome=outcome)
    return manifest


def _back_up(settings: Settings) -> Manifest:
    """Make a backup into BACKUP_DIR, then keep the newest BACKUP_KEEP."""
    into = settings.backup_dir
    manifest = make_backup(
        url=settings.database_url, media_dir=settings.media_dir, into=into, pg_dump=settings.pg_dump
    )
    gone, photos = prune(into, keep=settings.backup_keep)
    log.info(
        "backup %s in %s: %d rows, %d photos (%d new); deleted %d older backups, %d photos",
        manifest.name,
        into,
        manifest.rows,
        len(manifest.photos),
        manifest.photos_new,
        len(gone),
        photos,
    )
    if manifest.photos_missing:
        log.warning(
            "backup %s: %d photos the database names are not in MEDIA_DIR, e.g. %s",
            manifest.name,
            len(manifest.photos_missing),
            manifest.photos_missing[0],
        )
    return manifest
