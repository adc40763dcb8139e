"""Backups that restore: a consistent copy of the database and of the photos it names, with a
manifest of row counts and checksums; and putting one back into an empty database and media
folder.

A backup folder holds one shared `media/` (photos by content hash, each copied once for all the
backups made there) and a folder per backup named by its UTC time (`2026-12-08T030000Z`) with
the database copy and `manifest.json`, written last: a folder without it is unfinished and is
never restored.

Consistent: everything a backup records is read at one moment of the database. SQLite: one read
transaction (WAL lets the bot write on meanwhile) in which the counts and the photos are read
and the online backup API copies the pages. PostgreSQL: a REPEATABLE READ transaction whose
snapshot is exported to `pg_dump --snapshot`. Photos are stored before the row naming them is
committed (handlers/photos.py), and never change, so those of the copy are all on disk.
"""

from __future__ import annotations

import contextlib
import glob
import hashlib
import json
import os
import re
import shutil
import sqlite3
import subprocess
import tempfile
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from pathlib import Path, PurePosixPath

from sqlalchemy import Connection, Engine, MetaData, inspect, text
from sqlalchemy.engine import URL, make_url
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, col, update

from models import clock
from models.db import Database, make_engine
from models.tables import BackupRun

try:  # one backup at a time in a folder (POSIX; elsewhere the claim in the database only)
    import fcntl
except ImportError:  # pragma: no cover
    fcntl = None  # type: ignore[assignment]

MANIFEST = "manifest.json"
MEDIA = "media"
LOCK = ".lock"
FORMAT = 1
SQLITE_COPY = "database.sqlite"
PG_COPY = "database.dump"
# Where Debian and Ubuntu keep the PostgreSQL programs when they are not on PATH.
PG_BIN_GLOB = "/usr/lib/postgresql/*/bin"

Watch = Callable[[Connection], None]
# A scheduled backup still unfinished after this long belongs to a process that died.
STALE_RUN = timedelta(hours=6)


class BackupError(Exception):
    """A backup or restore that cannot be done, said in one line."""


@dataclass(frozen=True)
class Manifest:
    """What one backup holds, as its manifest.json says."""

    name: str
    made_at: str
    kind: str  # "sqlite" or "postgresql"
    database_file: str
    database_sha256: str
    database_bytes: int
    schema_revision: str | None
    tables: dict[str, int]
    photos: dict[str, str]  # path under media/ -> sha256
    photos_missing: list[str] = field(default_factory=list)
    photos_new: int = 0  # copied by this backup (not in the folder's media/ before)

    def as_json(self) -> str:
        """Return the manifest as the file stores it."""
        body = {
            "format": FORMAT,
            "name": self.name,
            "made_at": self.made_at,
            "database": {
                "kind": self.kind,
                "file": self.database_file,
                "sha256": self.database_sha256,
                "bytes": self.database_bytes,
            },
            "schema_revision": self.schema_revision,
            "tables": self.tables,
            "photos": self.photos,
            "photos_missing": self.photos_missing,
            "photos_new": self.photos_new,
        }
        return json.dumps(body, ensure_ascii=False, indent=1, sort_keys=True) + "\n"

    @classmethod
    def read(cls, folder: Path) -> Manifest:
        """Read a backup's manifest; a missing or unreadable one is a BackupError."""
        try:
            body = json.loads((folder / MANIFEST).read_text("utf-8"))
            database = body["database"]
            return cls(
                name=folder.name,
                made_at=body["made_at"],
                kind=database["kind"],
                database_file=database["file"],
                database_sha256=database["sha256"],
                database_bytes=database["bytes"],
                schema_revision=body["schema_revision"],
                tables=dict(body["tables"]),
                photos=dict(body["photos"]),
                photos_missing=list(body.get("photos_missing", [])),
                photos_new=body.get("photos_new", 0),
            )
        except (OSError, ValueError, KeyError, TypeError) as exc:
            raise BackupError(f"{folder / MANIFEST} cannot be read: {exc}") from None

    @property
    def rows(self) -> int:
        """Return the rows of every table together."""
        return sum(self.tables.values())


@dataclass(frozen=True)
class Restored:
    """What a restore put back: which backup, its schema and the schema now."""

    manifest: Manifest
    schema_now: str | None


# ---- the moment: one snapshot of the database ---------------------------------------------


@contextlib.contextmanager
def _sqlite_moment(engine: Engine) -> Iterator[Connection]:
    """Hold one read transaction on a SQLite database: every read in it sees one moment."""
    with engine.connect() as conn:
        # pysqlite begins nothing before a SELECT: this BEGIN is the transaction, and the
        # backup API copies from the same connection, so from the same moment.
        conn.exec_driver_sql("BEGIN")
        try:
            yield conn
        finally:
            conn.rollback()


@contextlib.contextmanager
def _postgres_moment(engine: Engine) -> Iterator[Connection]:
    """Hold one REPEATABLE READ transaction on PostgreSQL, its snapshot exported (the info
    key "snapshot") for pg_dump."""
    with engine.connect().execution_options(isolation_level="REPEATABLE READ") as conn:
        conn.info["snapshot"] = conn.execute(text("SELECT pg_export_snapshot()")).scalar_one()
        try:
            yield conn
        finally:
            conn.rollback()


def _tables(conn: Connection) -> dict[str, int]:
    """Count the rows of every table, at the connection's moment."""
    quote = conn.dialect.identifier_preparer.quote
    names = sorted(inspect(conn).get_table_names())
    return {n: conn.exec_driver_sql(f"SELECT count(*) FROM {quote(n)}").scalar_one() for n in names}


def _revision(conn: Connection, tables: dict[str, int]) -> str | None:
    if "alembic_version" not in tables:
        return None
    return conn.exec_driver_sql("SELECT version_num FROM alembic_version").scalar()


def _photos(conn: Connection, tables: dict[str, int]) -> dict[str, str | None]:
    """Return the stored photos the database names: path -> its recorded sha256."""
    if "photo" not in tables:
        return {}
    rows = conn.exec_driver_sql("SELECT path, sha256 FROM photo WHERE path IS NOT NULL").all()
    return {path: sha for path, sha in rows}


# ---- the tools of PostgreSQL -------------------------------------------------------------


def find_tool(name: str, named: str | None = None) -> str:
    """Return the path of pg_dump or pg_restore: as named in the settings, else on PATH, else
    the newest under /usr/lib/postgresql."""
    if named:
        if shutil.which(named) is None:
            raise BackupError(f"{name} not found at {named} ({name.upper()})")
        return named
    found = shutil.which(name)
    if found is None:
        newest = sorted(glob.glob(f"{PG_BIN_GLOB}/{name}"), key=_version_of_path)
        found = newest[-1] if newest else None
    if found is None:
        raise BackupError(
            f"{name} is not on PATH: install the PostgreSQL client programs "
            f"or name it in {name.upper()}"
        )
    return found


def _version_of_path(path: str) -> tuple[int, ...]:
    part = Path(path).parent.parent.name
    return tuple(int(p) for p in part.split(".") if p.isdigit())


@contextlib.contextmanager
def _pg_environment(url: URL) -> Iterator[dict[str, str]]:
    """The environment pg_dump and pg_restore connect with: host, port, user and database as
    PG* variables, the password in a private PGPASSFILE; never on a command line."""
    env = {k: v for k, v in os.environ.items() if k != "PGPASSWORD"}
    query = {k: v if isinstance(v, str) else v[0] for k, v in url.query.items()}
    for variable, value in (
        ("PGHOST", url.host or query.get("host")),
        ("PGPORT", str(url.port) if url.port else query.get("port")),
        ("PGUSER", url.username or query.get("user")),
        ("PGDATABASE", url.database),
        ("PGSSLMODE", query.get("sslmode")),
    ):
        if value:
            env[variable] = value
    with tempfile.TemporaryDirectory(prefix="handover-pg-") as folder:
        if url.password is not None:
            secret = str(url.password).replace("\\", "\\\\").replace(":", "\\:")
            passfile = Path(folder) / "pgpass"
            passfile.touch(mode=0o600)
            passfile.write_text(f"*:*:*:*:{secret}\n", "utf-8")
            env["PGPASSFILE"] = str(passfile)
        yield env


def _run_tool(command: list[str], env: dict[str, str]) -> None:
    """Run pg_dump or pg_restore; a failure is one line with the tool's last words."""
    done = subprocess.run(command, env=env, capture_output=True, text=True, check=False)
    if done.returncode != 0:
        said = [line for line in done.stderr.splitlines() if line.strip()]
        last = said[-1] if said else f"exit code {done.returncode}"
        raise BackupError(f"{Path(command[0]).name} failed: {last}")


# ---- making a backup -----------------------------------------------------------------------


def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as f:
        for chunk in iter(lambda: f.read(1 << 20), b""):
            digest.update(chunk)
    return digest.hexdigest()


def _safe(rel: str) -> bool:
    """Tell whether a stored photo's path stays inside its media folder."""
    path = PurePosixPath(rel)
    return bool(rel) and not path.is_absolute() and ".." not in path.parts and "\\" not in rel


def _copy_in(source: Path, target: Path) -> str:
    """Copy a file under a temporary name, then rename it (a crash leaves no half photo under
    its final name); return its sha256."""
    target.parent.mkdir(parents=True, exist_ok=True)
    part = target.with_name(target.name + ".part")
    shutil.copyfile(source, part)
    sha = _sha256(part)
    part.replace(target)
    return sha


def _named(name: str) -> bool:
    """Tell whether a folder's name is a backup's (its UTC time, maybe numbered)."""
    return re.fullmatch(r"\d{4}-\d\d-\d\dT\d{6}Z(-\d+)?", name) is not None


def _new_folder(into: Path, at: datetime) -> Path:
    base = f"{at:%Y-%m-%dT%H%M%SZ}"
    for n in range(1, 1000):
        folder = into / (base if n == 1 else f"{base}-{n}")
        with contextlib.suppress(FileExistsError):
            folder.mkdir(parents=True)
            return folder
    raise BackupError(f"cannot make a new backup folder in {into}")


@contextlib.contextmanager
def locked(into: Path) -> Iterator[None]:
    """Hold the backup folder's lock: one backup or pruning at a time in it."""
    into.mkdir(parents=True, exist_ok=True)
    with (into / LOCK).open("a") as lock:
        if fcntl is not None:
            fcntl.flock(lock, fcntl.LOCK_EX)
        yield


def make_backup(
    *,
    url: str,
    media_dir: Path,
    into: Path,
    pg_dump: str | None = None,
    watch: Watch | None = None,
) -> Manifest:
    """Back the database and the photos it names up into a new folder of `into`.

    `watch`, if given, is called with the connection while the moment is held (its reads see
    what the copy holds): a test compares the restored copy with what it read there.
    """
    try:
        with locked(into):
            return _make_backup(url, Path(media_dir), into, pg_dump, watch)
    except OSError as exc:
        raise BackupError(f"cannot write the backup in {into}: {exc.strerror or exc}") from None


def _make_backup(
    url: str, media_dir: Path, into: Path, pg_dump: str | None, watch: Watch | None
) -> Manifest:
    parsed = make_url(url)
    kind = parsed.get_backend_name()
    if kind not in ("sqlite", "postgresql"):
        raise BackupError(f"backups are made of SQLite and PostgreSQL databases, not {kind}")
    tool = find_tool("pg_dump", pg_dump) if kind == "postgresql" else None
    made_at = clock.now()
    folder = _new_folder(into, made_at)
    copy = folder / (SQLITE_COPY if kind == "sqlite" else PG_COPY)
    db = Database(url)
    try:
        moment = _sqlite_moment if kind == "sqlite" else _postgres_moment
        with moment(db.engine) as conn:
            tables = _tables(conn)
            revision = _revision(conn, tables)
            photos = _photos(conn, tables)
            if watch is not None:
                watch(conn)
            if tool is None:
                _sqlite_copy(conn, copy)
            else:
                with _pg_environment(parsed) as env:
                    snapshot = conn.info["snapshot"]
                    command = [tool, "--format=custom", "--no-password", f"--file={copy}"]
                    _run_tool([*command, f"--snapshot={snapshot}"], env)
    finally:
        db.dispose()
    checksums, missing, new = _copy_photos(photos, media_dir, into / MEDIA)
    manifest = Manifest(
        name=folder.name,
        made_at=made_at.isoformat(),
        kind=kind,
        database_file=copy.name,
        database_sha256=_sha256(copy),
        database_bytes=copy.stat().st_size,
        schema_revision=revision,
        tables=tables,
        photos=checksums,
        photos_missing=missing,
        photos_new=new,
    )
    part = folder / (MANIFEST + ".part")
    part.write_text(manifest.as_json(), "utf-8")
    part.replace(folder / MANIFEST)  # last: now the backup is whole
    return manifest


def _sqlite_copy(conn: Connection, copy: Path) -> None:
    """Copy the database's pages at the connection's moment into a file of its own."""
    source = conn.connection.driver_connection
    target = sqlite3.connect(copy)
    try:
        source.backup(target)
        # One file, no -wal beside it: the copy is what its checksum says.
        target.execute("PRAGMA journal_mode=DELETE")
    finally:
        target.close()


def _copy_photos(
    photos: dict[str, str | None], media_dir: Path, shared: Path
) -> tuple[dict[str, str], list[str], int]:
    """Copy the photos not in the shared media folder yet; return every photo's checksum, the
    ones not found in MEDIA_DIR, and how many were copied."""
    checksums: dict[str, str] = {}
    missing: list[str] = []
    new = 0
    for rel, recorded in sorted(photos.items()):
        source, target = media_dir / rel, shared / rel
        if not _safe(rel) or not source.is_file():
            missing.append(rel)
        elif target.is_file():
            # Copied by an earlier backup: named by its content, checked when it was copied.
            checksums[rel] = recorded or _sha256(target)
        else:
            checksums[rel] = _copy_in(source, target)
            new += 1
    return checksums, missing, new


# ---- keeping the newest ------------------------------------------------------------------


def backups(into: Path) -> list[Manifest]:
    """Return the whole backups in a folder, oldest first."""
    if not into.is_dir():
        return []
    found = [Manifest.read(f) for f in into.iterdir() if (f / MANIFEST).is_file()]
    return sorted(found, key=lambda m: (m.made_at, m.name))


def prune(into: Path, *, keep: int) -> tuple[list[str], int]:
    """Keep the newest `keep` backups (and every photo they name); delete the older ones,
    unfinished ones and photos no kept manifest names. Return the names and photo count gone."""
    with locked(into):
        whole = backups(into)
        kept = whole[-keep:] if keep > 0 else whole
        gone = [m.name for m in whole if m not in kept]
        names = {m.name for m in whole}
        for folder in into.iterdir():
            # A backup's name without its manifest: one that died mid-way (nothing else here).
            unfinished = folder.is_dir() and folder.name not in names and _named(folder.name)
            if folder.name in gone or unfinished:
                shutil.rmtree(folder)
        named = {rel for m in kept for rel in m.photos}
        shared = into / MEDIA
        removed = 0
        for path in sorted(shared.rglob("*")) if shared.is_dir() else []:
            if path.is_file() and path.relative_to(shared).as_posix() not in named:
                path.unlink()
                removed += 1
        for path in sorted(shared.glob("*"), reverse=True) if shared.is_dir() else []:
            if path.is_dir() and not any(path.iterdir()):
                path.rmdir()
        return gone, removed


# ---- restoring ---------------------------------------------------------------------------


def find_backup(into: Path, name: str | None = None) -> Path:
    """Return the folder of the named backup in `into`, or of the newest; `into` may be a
    backup's own folder."""
    if name is None and (into / MANIFEST).is_file():
        return into
    whole = backups(into)
    if name is not None:
        for manifest in whole:
            if manifest.name == name:
                return into / name
        names = ", ".join(m.name for m in whole) or "none"
        raise BackupError(f"no backup named {name} in {into} (backups there: {names})")
    if not whole:
        raise BackupError(f"no backup in {into} (a backup's folder holds {MANIFEST})")
    return into / whole[-1].name


def verify(folder: Path) -> Manifest:
    """Check the database copy and every photo against the manifest's checksums; any that
    differs or is missing is a BackupError naming it."""
    manifest = Manifest.read(folder)
    copy = folder / manifest.database_file
    if not copy.is_file() or _sha256(copy) != manifest.database_sha256:
        raise BackupError(f"{copy} is missing or damaged (its checksum differs from the manifest)")
    shared = folder.parent / MEDIA
    bad = [
        rel
        for rel, sha in sorted(manifest.photos.items())
        if not _safe(rel) or not (shared / rel).is_file() or _sha256(shared / rel) != sha
    ]
    if bad:
        raise BackupError(
            f"{len(bad)} photo(s) of backup {manifest.name} missing or damaged in {shared}, "
            f"e.g. {bad[0]}"
        )
    return manifest


def holdings(url: str, media_dir: Path) -> tuple[list[str], int]:
    """Return the tables a database holds and how many files a media folder holds."""
    engine = make_engine(url)
    try:
        tables = inspect(engine).get_table_names()
    finally:
        engine.dispose()
    files = sum(1 for p in media_dir.rglob("*") if p.is_file()) if media_dir.is_dir() else 0
    return tables, files


def restore(
    *,
    into: Path,
    url: str,
    media_dir: Path,
    name: str | None = None,
    force: bool = False,
    pg_restore: str | None = None,
) -> Restored:
    """Put a backup (the newest in `into`, or the named one) back into an empty database and
    media folder, after checking its checksums; then migrate it to this version's schema.

    A database with tables or a media folder with files is refused unless `force`: then the
    database is replaced and the backup's photos are added to the folder.
    """
    folder = find_backup(Path(into), name)
    manifest = verify(folder)
    parsed = make_url(url)
    kind = parsed.get_backend_name()
    if kind != manifest.kind:
        raise BackupError(
            f"backup {manifest.name} is of a {manifest.kind} database; "
            f"DATABASE_URL is {kind}: restore it into a {manifest.kind} database"
        )
    _known_revision(url, manifest)
    tool = find_tool("pg_restore", pg_restore) if kind == "postgresql" else None
    tables, files = holdings(url, media_dir)
    if (tables or files) and not force:
        raise BackupError(
            f"the target is not empty ({len(tables)} tables in the database, {files} files in "
            f"{media_dir}): restore into an empty database and media folder, or add --force to "
            "replace the database and add the photos"
        )
    if tool is None:
        _sqlite_restore(folder / manifest.database_file, parsed)
    else:
        if tables:
            _drop_every_table(url)
        with _pg_environment(parsed) as env:
            dump = str(folder / manifest.database_file)
            flags = ["--no-owner", "--no-privileges", "--exit-on-error", "--single-transaction"]
            _run_tool([tool, *flags, "--no-password", f"--dbname={parsed.database}", dump], env)
    _check_counts(url, manifest)
    shared = folder.parent / MEDIA
    for rel, sha in manifest.photos.items():
        target = Path(media_dir) / rel
        if not (target.is_file() and _sha256(target) == sha):
            _copy_in(shared / rel, target)
    database = Database(url)
    try:
        _, now = database.migrate()
    finally:
        database.dispose()
    return Restored(manifest, now)


def _known_revision(url: str, manifest: Manifest) -> None:
    """Refuse a backup of a schema newer than this version of the bot knows."""
    from alembic.script import ScriptDirectory
    from alembic.util import CommandError

    from models.db import alembic_config

    if manifest.schema_revision is None:
        return
    scripts = ScriptDirectory.from_config(alembic_config(url))
    try:
        scripts.get_revision(manifest.schema_revision)
    except CommandError:
        raise BackupError(
            f"backup {manifest.name} has schema {manifest.schema_revision}, newer than this "
            f"version of the bot knows ({scripts.get_current_head()}): upgrade the bot first"
        ) from None


def _sqlite_restore(copy: Path, url: URL) -> None:
    """Copy the backup's pages into the SQLite file of the URL (replacing what it held)."""
    if not url.database or url.database == ":memory:":
        raise BackupError("restore into a SQLite file, not an in-memory database")
    target_path = Path(url.database)
    target_path.parent.mkdir(parents=True, exist_ok=True)
    source = sqlite3.connect(f"{copy.resolve().as_uri()}?mode=ro", uri=True)
    target = sqlite3.connect(target_path, timeout=15)
    try:
        source.backup(target)
    finally:
        source.close()
        target.close()


def _drop_every_table(url: str) -> None:
    """Drop every table of a database (restore --force on PostgreSQL)."""
    engine = make_engine(url)
    try:
        meta = MetaData()
        meta.reflect(bind=engine)
        meta.drop_all(bind=engine)
    finally:
        engine.dispose()


def _check_counts(url: str, manifest: Manifest) -> None:
    """Check that the restored database holds the rows the manifest counted."""
    engine = make_engine(url)
    try:
        with engine.connect() as conn:
            found = _tables(conn)
    finally:
        engine.dispose()
    if found != manifest.tables:
        differ = sorted(
            t
            for t in found.keys() | manifest.tables.keys()
            if found.get(t) != manifest.tables.get(t)
        )
        raise BackupError(f"the restored database differs from backup {manifest.name} in {differ}")


# ---- the scheduled backup's claim ----------------------------------------------------------


def day_done(session: Session, *, day: date) -> bool:
    """Tell whether the day's scheduled backup was made (or tried to its end)."""
    run = session.get(BackupRun, day)
    return run is not None and run.finished_at is not None


def take_day(session: Session, *, day: date, by: str) -> bool:
    """Claim the day's scheduled backup, or take over one whose process died mid-way; False if
    another process made it or is making it."""
    try:
        with session.begin_nested():
            session.add(BackupRun(day=day, claimed_by=by))
            session.flush()
        return True
    except IntegrityError:
        pass
    run = session.get(BackupRun, day)
    if run is None or run.finished_at is not None:
        return False
    if clock.aware(run.started_at) > clock.now() - STALE_RUN:
        return False
    taken = session.execute(
        update(BackupRun)
        .where(col(BackupRun.day) == day, col(BackupRun.started_at) == run.started_at)
        .values(started_at=clock.now(), claimed_by=by)
        .execution_options(synchronize_session=False)
    )
    return taken.rowcount == 1


def finish_day(session: Session, *, day: date, outcome: str) -> None:
    """Record how the day's scheduled backup ended: its name, or why it failed."""
    run = session.get(BackupRun, day)
    if run is not None:
        run.finished_at = clock.now()
        run.outcome = outcome[:200]
        session.add(run)
