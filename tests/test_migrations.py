"""The migrations build exactly the schema the models describe."""

from __future__ import annotations

from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlmodel import SQLModel

import models.tables  # noqa: F401  (registers the tables)
from models.db import Database, alembic_config


def test_migrations_match_the_models(db):
    with db.engine.connect() as conn:
        context = MigrationContext.configure(conn, opts={"compare_type": True})
        assert compare_metadata(context, SQLModel.metadata) == []


def test_migrating_twice_changes_nothing(tmp_path):
    database = Database(f"sqlite:///{tmp_path}/fresh.db")
    database.migrate()
    database.migrate()
    with database.engine.connect() as conn:
        version = conn.exec_driver_sql("select version_num from alembic_version").scalar()
        assert (
            version == ScriptDirectory.from_config(alembic_config(database.url)).get_current_head()
        )
        assert conn.exec_driver_sql("PRAGMA journal_mode").scalar() == "wal"
        assert conn.exec_driver_sql("PRAGMA foreign_keys").scalar() == 1
    database.dispose()
