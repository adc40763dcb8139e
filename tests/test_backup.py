"""Backups that restore: a backup made while presses are handled restores, row for row and photo
byte for byte, the moment it copied; the command line refuses what it must, before touching
anything."""

from __future__ import annotations

import asyncio
import time
import uuid
from collections.abc import Iterator
from datetime import date, timedelta
from pathlib import Path

import pytest
from alembic import command
from sqlalchemy import Connection, create_engine, inspect
from sqlalchemy.engine import make_url

from bot.cli import main
from models.backup import MEDIA, BackupError, Manifest, backups, find_tool, make_backup, restore
from models.db import Database, alembic_config
from models.intake import raise_item
from models.media import store_file
from models.repair import PhotoIn
from models.settings import Settings
from models.tables import Action, Item, ItemState
from tests.conftest import CONTRACTOR_A, INSPECTOR, PNG, POSTGRES, World, move

Rows = dict[str, list[dict]]


def every_row(conn: Connection) -> Rows:
    """Read every row of every table through this connection, in a stable order."""
    quote = conn.dialect.identifier_preparer.quote
    return {
        name: sorted(
            (dict(row._mapping) for row in conn.exec_driver_sql(f"SELECT * FROM {quote(name)}")),
            key=repr,
        )
        for name in sorted(inspect(conn).get_table_names())
    }


def rows_of(url: str) -> Rows:
    engine = create_engine(url)
    try:
        with engine.connect() as conn:
            return every_row(conn)
    finally:
        engine.dispose()


def holds_nothing(url: str) -> bool:
    """Tell whether a database has no tables (a SQLite file not even made)."""
    path = make_url(url).database
    if make_url(url).get_backend_name() == "sqlite" and not Path(path).exists():
        return True
    return rows_of(url) == {}


def count(db: Database, table: str) -> int:
    with db.engine.connect() as conn:
        return conn.exec_driver_sql(f"SELECT count(*) FROM {table}").scalar_one()


@pytest.fixture(autouse=True)
def postgres_tools() -> None:
    """On PostgreSQL, skip unless pg_dump and pg_restore are there (CI installs them)."""
    if POSTGRES:
        try:
            find_tool("pg_dump"), find_tool("pg_restore")
        except BackupError as exc:
            pytest.skip(str(exc))


@pytest.fixture
def empty_url(tmp_path: Path) -> Iterator[str]:
    """Return the URL of a database with nothing in it, to restore into."""
    if not POSTGRES:
        yield f"sqlite:///{tmp_path}/restored/handover.db"
        return
    name = f"handover_r_{uuid.uuid4().hex[:12]}"
    admin = create_engine(POSTGRES, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.exec_driver_sql(f"CREATE DATABASE {name}")
    yield make_url(POSTGRES).set(database=name).render_as_string(False)
    with admin.connect() as conn:
        conn.exec_driver_sql(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")
    admin.dispose()


def more_items(db: Database, world: World, today: date, n: int) -> list[int]:
    """Raise n more leaks for the first contractor."""
    with db.session() as s:
        return [
            raise_item(
                s,
                project_id=world.project_id,
                unit_code="3-1-1202",
                location=f"room {k}",
                category_code="leak",
                description=f"渗水 {k}",
                raised_on=today - timedelta(days=1),
            ).id
            for k in range(n)
        ]


async def test_a_backup_made_while_presses_run_restores_its_moment_row_for_row(
    bot, world, db, settings, today, tmp_path, empty_url
):
    items = more_items(db, world, today, 30)
    contractor, inspector = bot.chat(CONTRACTOR_A), bot.chat(INSPECTOR)
    stop = asyncio.Event()

    async def presses() -> None:
        # Report each item done with a photo of its own, and pass every other one.
        await contractor.send("/mylist")
        for n, item in enumerate(items):
            if stop.is_set():
                return
            await contractor.press(f"it:{item}")
            await contractor.press(f"rp:{item}")
            await contractor.send_photo(PNG(n + 10), caption=f"resealed {n}")
            await contractor.press(f"done:{item}")
            if n % 2:
                await inspector.send("/tocheck")
                await inspector.press(f"ck:{item}")
                await inspector.press(f"ps:{item}")

    pressing = asyncio.create_task(presses())
    while count(db, "photo") < 2:  # a few presses in before the backup starts
        assert not pressing.done(), pressing.exception()
        await asyncio.sleep(0.02)
    seen: Rows = {}

    def watch(conn: Connection) -> None:
        seen.update(every_row(conn))
        # The copy is made after more presses were committed: if it were not of this moment,
        # it would hold them.
        deadline = time.monotonic() + 20
        while count(db, "event") <= len(seen["event"]) and time.monotonic() < deadline:
            time.sleep(0.02)

    manifest = await asyncio.to_thread(
        make_backup,
        url=db.url,
        media_dir=settings.media_dir,
        into=tmp_path / "backups",
        watch=watch,
    )
    await asyncio.sleep(0.2)  # and presses go on after it
    stop.set()
    await pressing
    assert count(db, "event") > len(seen["event"]), "no press was committed during the backup"
    assert manifest.tables == {name: len(rows) for name, rows in seen.items()}

    media = tmp_path / "restored-media"
    done = restore(into=tmp_path / "backups", url=empty_url, media_dir=media)
    assert done.manifest.name == manifest.name and done.schema_now == manifest.schema_revision
    assert rows_of(empty_url) == seen
    photo_paths = [row["path"] for row in seen["photo"]]
    assert sorted(manifest.photos) == sorted(photo_paths)
    assert len(photo_paths) >= 2
    for rel in photo_paths:
        assert (media / rel).read_bytes() == (settings.media_dir / rel).read_bytes()
    assert sorted(p.relative_to(media).as_posix() for p in media.rglob("*.*")) == sorted(
        photo_paths
    )


# ---- the command line ----------------------------------------------------------------------


@pytest.fixture
def cli_env(monkeypatch, db, tmp_path):
    monkeypatch.setenv("DATABASE_URL", db.url)
    monkeypatch.setenv("MEDIA_DIR", str(tmp_path / "media"))
    monkeypatch.chdir(tmp_path)  # no stray .env is read
    return tmp_path


def photographed(db: Database, settings: Settings, item: int, n: int) -> None:
    """Report an item done with a stored photo of its own, as the contractor."""
    sha, path = store_file(settings.media_dir, PNG(n), ".png")
    move(
        db, item, CONTRACTOR_A.id, Action.report_repaired, "done", (PhotoIn(sha256=sha, path=path),)
    )


def to(monkeypatch, url: str, media: Path) -> None:
    """Point the command line at another database and media folder."""
    monkeypatch.setenv("DATABASE_URL", url)
    monkeypatch.setenv("MEDIA_DIR", str(media))


def test_backups_share_the_photos_and_copy_only_new_ones(cli_env, db, world, settings, capsys):
    photographed(db, settings, world.items["leak"], 1)
    assert main(["backup", "out"]) == 0
    photographed(db, settings, world.items["wall"], 2)
    assert main(["backup", "out"]) == 0
    said = capsys.readouterr().out.splitlines()
    assert "1 photos (1 new)" in said[0] and "2 photos (1 new)" in said[1], said
    first, second = (Manifest.read(cli_env / "out" / line.split()[1]) for line in said)
    assert first.name != second.name and set(first.photos) < set(second.photos)
    shared = sorted(
        p.relative_to(cli_env / "out" / MEDIA).as_posix()
        for p in (cli_env / "out" / MEDIA).rglob("*.*")
    )
    assert shared == sorted(second.photos)  # one shared copy of each
    assert main(["backup", "out", "--keep", "1"]) == 0
    assert [m.name for m in backups(cli_env / "out")] == [capsys.readouterr().out.split()[1]]


def test_restore_refuses_a_target_with_data_unless_forced(
    cli_env, db, world, settings, monkeypatch, capsys, empty_url
):
    photographed(db, settings, world.items["leak"], 1)
    assert main(["backup", "out"]) == 0
    to(monkeypatch, db.url, settings.media_dir)  # the database itself: it holds data
    assert main(["restore", "out"]) == 2
    err = capsys.readouterr().err
    assert err.startswith("error: the target is not empty") and "--force" in err
    assert len(err.strip().splitlines()) == 1
    # An empty database, but photos in the folder: refused as well.
    to(monkeypatch, empty_url, settings.media_dir)
    assert main(["restore", "out"]) == 2
    assert "not empty (0 tables in the database, 1 files" in capsys.readouterr().err
    assert holds_nothing(empty_url)
    move(db, world.items["wall"], CONTRACTOR_A.id, Action.report_repaired, "after the backup")
    to(monkeypatch, db.url, settings.media_dir)
    assert main(["restore", "out", "--force"]) == 0
    assert "restored backup" in capsys.readouterr().out
    with db.session() as s:
        assert s.get(Item, world.items["wall"]).state is ItemState.open  # as at the backup


def test_a_damaged_backup_is_refused_before_anything_is_restored(
    cli_env, db, world, settings, monkeypatch, capsys, empty_url
):
    photographed(db, settings, world.items["leak"], 1)
    assert main(["backup", "out"]) == 0
    name = capsys.readouterr().out.split()[1]
    manifest = Manifest.read(cli_env / "out" / name)
    (photo,) = manifest.photos
    damaged = cli_env / "out" / MEDIA / photo
    damaged.write_bytes(damaged.read_bytes()[:-1] + b"!")
    to(monkeypatch, empty_url, cli_env / "restored-media")
    assert main(["restore", "out", name]) == 2
    err = capsys.readouterr().err
    assert "1 photo(s) of backup" in err and "missing or damaged" in err and photo in err
    assert holds_nothing(empty_url) and not (cli_env / "restored-media").exists()
    assert main(["restore", "out", "no-such-backup"]) == 2
    assert f"backups there: {name}" in capsys.readouterr().err


def test_a_backup_of_an_older_schema_is_migrated_after_restoring(
    cli_env, tmp_path, monkeypatch, capsys, empty_url
):
    if POSTGRES:
        name = f"handover_o_{uuid.uuid4().hex[:12]}"
        admin = create_engine(POSTGRES, isolation_level="AUTOCOMMIT")
        with admin.connect() as conn:
            conn.exec_driver_sql(f"CREATE DATABASE {name}")
        old = make_url(POSTGRES).set(database=name).render_as_string(False)
    else:
        old = f"sqlite:///{tmp_path}/old.db"
    try:
        command.upgrade(alembic_config(old), "0013")
        manifest = make_backup(url=old, media_dir=tmp_path / "none", into=tmp_path / "out")
    finally:
        if POSTGRES:
            with admin.connect() as conn:
                conn.exec_driver_sql(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")
            admin.dispose()
    assert manifest.schema_revision == "0013"
    to(monkeypatch, empty_url, tmp_path / "restored-media")
    assert main(["restore", "out"]) == 0
    out = capsys.readouterr().out
    assert "(schema 0013, migrated to" in out
    with create_engine(empty_url).connect() as conn:
        head = conn.exec_driver_sql("select version_num from alembic_version").scalar()
    assert head != "0013" and f"migrated to {head})" in out


@pytest.mark.skipif(not POSTGRES, reason="pg_dump is for PostgreSQL")
def test_pg_dump_named_in_the_settings_gets_no_password_on_its_command_line(
    cli_env, db, world, tmp_path, monkeypatch, capsys
):
    # PG_DUMP names a wrapper that writes down how it was started, then runs the real one.
    said = tmp_path / "started.txt"
    wrapper = tmp_path / "pg_dump"
    wrapper.write_text(
        "#!/bin/sh\n"
        f'echo "$@" > {said}\n'
        f'echo "PGPASSWORD=$PGPASSWORD" >> {said}\n'
        f'cat "$PGPASSFILE" | wc -l >> {said}\n'
        f'exec {find_tool("pg_dump")} "$@"\n'
    )
    wrapper.chmod(0o700)
    monkeypatch.setenv("PG_DUMP", str(wrapper))
    assert main(["backup", "out"]) == 0
    args, env, passfile_lines = said.read_text().splitlines()
    password = make_url(db.url).password
    assert "--format=custom" in args and "--snapshot=" in args
    assert password not in args and env == "PGPASSWORD=" and passfile_lines.strip() == "1"
    assert password not in capsys.readouterr().out
