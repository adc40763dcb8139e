"""Migrations run once, by one process, under the database's lock: two `migrate` processes
started at once on a fresh database both succeed, and the schema is built by one of them."""

from __future__ import annotations

import os
import subprocess
import sys
import time
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
from alembic.script import ScriptDirectory
from sqlalchemy import create_engine
from sqlalchemy.engine import make_url

from models.db import Database, alembic_config
from tests.conftest import POSTGRES

ROOT = Path(__file__).resolve().parent.parent
# `python -m bot migrate`, once the process has loaded everything and the test says go: two
# processes' start-up times differ by more than a migration takes.
AT_THE_SIGNAL = """
import sys, time
from pathlib import Path
from bot.cli import main
while not Path("go").exists():
    time.sleep(0.005)
sys.exit(main(["migrate"]))
"""


@pytest.fixture
def fresh_url(tmp_path: Path) -> Iterator[str]:
    """Return the URL of a database with nothing in it: a SQLite file or a new PostgreSQL one."""
    if not POSTGRES:
        yield f"sqlite:///{tmp_path}/fresh.db"
        return
    name = f"handover_lock_{uuid.uuid4().hex[:12]}"
    admin = create_engine(POSTGRES, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.exec_driver_sql(f"CREATE DATABASE {name}")
    yield make_url(POSTGRES).set(database=name).render_as_string(False)
    with admin.connect() as conn:
        conn.exec_driver_sql(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")
    admin.dispose()


def test_two_migrations_at_once_build_the_schema_once(fresh_url: str, tmp_path: Path) -> None:
    env = {**os.environ, "DATABASE_URL": fresh_url, "PYTHONPATH": str(ROOT)}
    command = [sys.executable, "-c", AT_THE_SIGNAL]
    both = [
        subprocess.Popen(command, cwd=tmp_path, env=env, stdout=subprocess.PIPE, text=True)
        for _ in range(2)
    ]
    try:
        time.sleep(1.5)  # both loaded (if one is not yet, the test is only weaker)
        (tmp_path / "go").touch()
        said = [process.communicate(timeout=60)[0] for process in both]
    finally:
        for process in both:
            process.kill()  # a no-op for one that ended
            process.wait()
    assert [process.returncode for process in both] == [0, 0], said
    head = ScriptDirectory.from_config(alembic_config(fresh_url)).get_current_head()
    built = [line for line in said if line.startswith("database schema upgraded from nothing")]
    found = [line for line in said if line.startswith(f"database up to date ({head})")]
    assert len(built) == 1 and len(found) == 1, said
    password = make_url(fresh_url).password
    assert not password or f":{password}@" not in "".join(said)  # the URL shown without it
    database = Database(fresh_url)
    with database.engine.connect() as conn:
        versions = conn.exec_driver_sql("select version_num from alembic_version").scalars().all()
    database.dispose()
    assert versions == [head]
