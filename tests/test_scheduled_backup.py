"""The scheduled backup: made once a day at BACKUP_AT in the settings' zone by one process of
several, through the daily beat; the newest BACKUP_KEEP kept, and the shared photos pruned of
those no kept backup names."""

from __future__ import annotations

import asyncio
from datetime import datetime
from pathlib import Path
from zoneinfo import ZoneInfo

from sqlmodel import select

from bot.telegram.offline import OfflineTelegram
from bot.telegram.stand_in import build_offline
from jobs import rhythm
from jobs.backup import backup_if_due
from models import clock
from models.backup import MEDIA, backups
from models.db import Database
from models.media import store_file
from models.repair import PhotoIn
from models.settings import Settings
from models.tables import Action, BackupRun
from tests.conftest import CONTRACTOR_A, CONTRACTOR_B, PNG, World, move
from tests.test_backup import postgres_tools  # noqa: F401  (an autouse fixture)

SHANGHAI = ZoneInfo("Asia/Shanghai")


def at(day: int, hour: int, minute: int = 0) -> datetime:
    """Return a local time in December on the site."""
    return datetime(2026, 12, day, hour, minute, tzinfo=SHANGHAI)


def scheduled(settings: Settings, tmp_path: Path, keep: int = 2) -> Settings:
    return settings.model_copy(
        update={
            "backup_dir": tmp_path / "backups",
            "backup_at": "03:00",
            "backup_keep": keep,
            "timezone": "Asia/Shanghai",
        }
    )


def add_photo(
    db: Database, settings: Settings, item: int, n: int, who: int = CONTRACTOR_A.id
) -> str:
    """Report an item done with a stored photo, as its contractor; return the photo's path."""
    sha, path = store_file(settings.media_dir, PNG(n), ".png")
    move(db, item, who, Action.report_repaired, "done", (PhotoIn(sha256=sha, path=path),))
    return path


def shared_photos(into: Path) -> set[str]:
    return {p.relative_to(into / MEDIA).as_posix() for p in (into / MEDIA).rglob("*.*")}


async def test_two_processes_make_the_days_backup_once_at_its_time(
    db: Database, world: World, settings: Settings, tmp_path: Path
) -> None:
    settings = scheduled(settings, tmp_path)
    add_photo(db, settings, world.items["leak"], 1)
    with clock.pinned(at(16, 2, 59)):
        assert await backup_if_due(db=db, settings=settings) is None
    assert backups(tmp_path / "backups") == []
    # Two processes on one database tick at 03:00 together: each its own engine.
    second = Database(db.url)
    with clock.pinned(at(16, 3, 0), ticking=True):
        made = await asyncio.gather(
            backup_if_due(db=db, settings=settings, by="one"),
            backup_if_due(db=second, settings=settings, by="two"),
        )
        assert await backup_if_due(db=db, settings=settings, by="one") is None  # later ticks
    second.dispose()
    (manifest,) = [m for m in made if m is not None]
    assert [m.name for m in backups(tmp_path / "backups")] == [manifest.name]
    assert len(manifest.photos) == 1
    with db.session() as s:
        (run,) = s.exec(select(BackupRun)).all()
        assert run.day.isoformat() == "2026-12-16" and run.outcome == manifest.name
        assert run.finished_at is not None


async def test_the_beat_keeps_the_newest_backups_and_the_photos_they_name(
    db: Database, world: World, settings: Settings, tmp_path: Path
) -> None:
    settings = scheduled(settings, tmp_path, keep=2)
    transport = OfflineTelegram(bot_username="handover_test_bot")
    into = tmp_path / "backups"
    paths = []
    app = build_offline(settings, db, transport)
    async with app:
        delivery = app.bot_data["delivery"]
        # Each day a new photo, and the beat ticking at 03:05 (and again at 03:06).
        days = (16, "leak", CONTRACTOR_A), (17, "wall", CONTRACTOR_A), (18, "socket", CONTRACTOR_B)
        for n, (day, item, who) in enumerate(days, 1):
            paths.append(add_photo(db, settings, world.items[item], n, who.id))
            for minute in (5, 6):
                with clock.pinned(at(day, 3, minute)):
                    await rhythm.beat(db=db, delivery=delivery, settings=settings)
        kept = backups(into)
        assert len(kept) == 2 and [len(m.photos) for m in kept] == [2, 3]
        assert [m.made_at[:10] for m in kept] == ["2026-12-16", "2026-12-17"]  # UTC: 19:05
        assert shared_photos(into) == set(paths)
        # A photo no kept backup names (as one only the deleted backups named) is pruned.
        stray = into / MEDIA / "ff" / ("f" * 64 + ".png")
        stray.parent.mkdir(parents=True)
        stray.write_bytes(b"only an old backup named this")
        # A backup that died before its manifest goes; a folder of someone else's stays.
        (into / "2026-12-17T190500Z-2").mkdir()
        (into / "notes").mkdir()
        with clock.pinned(at(19, 3, 5)):
            await rhythm.beat(db=db, delivery=delivery, settings=settings)
    assert not stray.exists() and shared_photos(into) == set(paths)
    assert (into / "notes").is_dir() and not (into / "2026-12-17T190500Z-2").exists()
    assert len(backups(into)) == 2
    with db.session() as s:
        days = sorted(r.day.day for r in s.exec(select(BackupRun)).all())
    assert days == [16, 17, 18, 19]
