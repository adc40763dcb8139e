"""The database: engine, sessions and schema migrations."""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any, TypeVar

from sqlalchemy import Connection, Engine, event, text
from sqlalchemy.engine import make_url
from sqlmodel import Session, create_engine

T = TypeVar("T")
log = logging.getLogger(__name__)

MIGRATIONS_DIR = Path(__file__).parent / "migrations"
# PostgreSQL's advisory lock held around migrations (any 64-bit number no other code uses).
MIGRATION_LOCK = 0x68616E646F766572  # "handover"


def _sqlite_pragmas(dbapi_connection: Any, _record: Any) -> None:
    cursor = dbapi_connection.cursor()
    # WAL lets readers go on while one writer commits; foreign keys are off by default.
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute("PRAGMA busy_timeout=15000")
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.close()


def make_engine(url: str) -> Engine:
    """Create an engine for a SQLAlchemy URL; a SQLite file and its folder are created."""
    parsed = make_url(url)
    kwargs: dict[str, Any] = {}
    if parsed.get_backend_name() == "sqlite":
        if parsed.database and parsed.database != ":memory:":
            Path(parsed.database).parent.mkdir(parents=True, exist_ok=True)
        kwargs["connect_args"] = {"check_same_thread": False, "timeout": 15}
    else:
        kwargs["pool_pre_ping"] = True
    engine = create_engine(url, **kwargs)
    if parsed.get_backend_name() == "sqlite":
        event.listen(engine, "connect", _sqlite_pragmas)
    return engine


def alembic_config(url: str) -> Any:
    """Return an alembic Config pointing at our migrations and the given database."""
    from alembic.config import Config

    cfg = Config()
    cfg.set_main_option("script_location", str(MIGRATIONS_DIR))
    cfg.set_main_option("sqlalchemy.url", url.replace("%", "%%"))
    return cfg


def _lock_for_migration(connection: Connection) -> None:
    """Take the database's lock for the rest of this transaction: one process migrates."""
    if connection.dialect.name == "postgresql":
        connection.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": MIGRATION_LOCK})
    elif connection.dialect.name == "sqlite":
        # SQLite's write lock, taken at once (busy_timeout waits for it); the migration's DDL
        # then runs inside this one transaction, so the other process sees all of it or none.
        connection.exec_driver_sql("BEGIN IMMEDIATE")


class Database:
    """One database: the engine and a way to run a unit of work in a session."""

    def __init__(self, url: str) -> None:
        self.url = url
        self.engine = make_engine(url)

    def migrate(self) -> tuple[str | None, str | None]:
        """Create or upgrade the schema to the newest migration, under the database's lock (a
        process started beside another waits, then finds it done); return (before, after)."""
        from alembic import command
        from alembic.runtime.migration import MigrationContext

        cfg = alembic_config(self.url)
        with self.engine.begin() as connection:
            _lock_for_migration(connection)
            cfg.attributes["connection"] = connection
            before = MigrationContext.configure(connection).get_current_revision()
            command.upgrade(cfg, "head")
            after = MigrationContext.configure(connection).get_current_revision()
        # One line for an upgrade (the command line keeps alembic's own chatter out of its log).
        if after != before:
            log.info("database schema upgraded from %s to %s", before or "nothing", after)
        return before, after

    @contextmanager
    def session(self) -> Iterator[Session]:
        """Open a session that commits on success and rolls back on any error."""
        with Session(self.engine, expire_on_commit=False) as session:
            try:
                yield session
                session.commit()
            except BaseException:
                session.rollback()
                raise

    def run(self, fn: Callable[..., T], /, **kwargs: Any) -> T:
        """Call a domain function with a fresh session in one transaction."""
        with self.session() as session:
            return fn(session=session, **kwargs)

    def dispose(self) -> None:
        """Close every pooled connection."""
        self.engine.dispose()
