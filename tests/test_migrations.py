"""The migrations build exactly the schema the models describe."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from datetime import date
from pathlib import Path

import pytest
from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import Connection, create_engine, inspect, text
from sqlalchemy.engine import make_url
from sqlmodel import SQLModel

import models.tables  # noqa: F401  (registers the tables)
from models import people, pushes
from models.db import Database, alembic_config
from models.tables import Platform, PushKind, Role
from tests.conftest import POSTGRES


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


@pytest.fixture
def blank_url(tmp_path: Path) -> Iterator[str]:
    """Return the URL of an empty database: a SQLite file, or a new PostgreSQL database."""
    if not POSTGRES:
        yield f"sqlite:///{tmp_path}/old.db"
        return
    name = f"handover_m_{uuid.uuid4().hex[:12]}"
    admin = create_engine(POSTGRES, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.exec_driver_sql(f"CREATE DATABASE {name}")
    yield make_url(POSTGRES).set(database=name).render_as_string(False)
    with admin.connect() as conn:
        conn.exec_driver_sql(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")
    admin.dispose()


AT = "2026-11-30 08:00:00"
# At 0008 people were their Telegram ids; two of them had blocked the bot.
OLD_USERS = [
    # id, telegram_id, name, language, blocked_at
    (1, 2001, "Wang", "zh", None),
    (2, 1101, "Li", None, "2026-12-01 07:30:00"),
    (3, 8_000_000_001, "Big id", "en", None),
    (4, 1201, "Zhou", "zh", "2026-12-02 09:15:00"),
]


def _fill_0008(conn: Connection) -> None:
    """Write a small project as it stood at migration 0008: users, items, events, photos."""
    run = conn.execute
    for uid, telegram_id, name, language, blocked in OLD_USERS:
        run(
            text(
                "INSERT INTO appuser (id, telegram_id, name, language, active, blocked_at,"
                " created_at) VALUES (:id, :tg, :name, :lang, :active, :blocked, :at)"
            ),
            {
                "id": uid,
                "tg": telegram_id,
                "name": name,
                "lang": language,
                "active": uid != 3,
                "blocked": blocked,
                "at": AT,
            },
        )
    run(
        text(
            "INSERT INTO project (id, name, timezone, repair_days, rework_days, created_at)"
            " VALUES (1, 'Hillside', 'Asia/Shanghai', 7, 3, :at)"
        ),
        {"at": AT},
    )
    run(text("INSERT INTO contractor (id, project_id, name, trades) VALUES (1, 1, '华建', 'leak')"))
    run(
        text(
            "INSERT INTO category (id, project_id, code, name_zh, name_en)"
            " VALUES (1, 1, 'leak', '渗漏', 'Leak')"
        )
    )
    run(
        text(
            "INSERT INTO unit (id, project_id, code, building, entrance, floor)"
            " VALUES (1, 1, '3-1-1202', '3', '1', 12)"
        )
    )
    run(
        text(
            "INSERT INTO membership (id, user_id, project_id, role, contractor_id) VALUES"
            " (1, 1, 1, 'contractor', 1), (2, 2, 1, 'inspector', NULL),"
            " (3, 4, 1, 'manager', NULL)"
        )
    )
    for item_id in (1, 2):
        run(
            text(
                "INSERT INTO item (id, project_id, unit_id, location, category_id, description,"
                " raised_on, contractor_id, state, rework_count, entered_at, version)"
                " VALUES (:id, 1, 1, '卫生间', 1, '吊顶渗水', '2026-11-30', 1, 'repaired', 0,"
                " :at, 2)"
            ),
            {"id": item_id, "at": AT},
        )
    events = [
        (1, 1, 2, "raise", None, "open", "raised"),
        (2, 1, 1, "report_repaired", "open", "repaired", "sealed"),
        (3, 2, None, "raise", None, "open", None),
        (4, 2, 1, "report_repaired", "open", "repaired", None),
    ]
    for event_id, item_id, actor, action, before, after, note in events:
        run(
            text(
                "INSERT INTO event (id, item_id, at, actor_id, action, from_state, to_state,"
                " contractor_id, note) VALUES (:id, :item, :at, :actor, :action, :before,"
                " :after, 1, :note)"
            ),
            {
                "id": event_id,
                "item": item_id,
                "at": AT,
                "actor": actor,
                "action": action,
                "before": before,
                "after": after,
                "note": note,
            },
        )
    for photo_id, event_id, item_id in ((1, 2, 1), (2, 2, 1), (3, 4, 2)):
        run(
            text(
                "INSERT INTO photo (id, event_id, item_id, file_id, sha256, path, created_at)"
                " VALUES (:id, :event, :item, :file, :sha, :path, :at)"
            ),
            {
                "id": photo_id,
                "event": event_id,
                "item": item_id,
                "file": f"AgAC{photo_id}",
                "sha": f"{photo_id:064x}",
                "path": f"1/{photo_id}.jpg",
                "at": AT,
            },
        )


def _rows(conn: Connection, sql: str) -> list[tuple]:
    return [tuple(row) for row in conn.execute(text(sql)).all()]


def test_upgrading_from_0008_keeps_every_person_event_and_photo(blank_url):
    database = Database(blank_url)
    cfg = alembic_config(database.url)
    with database.engine.begin() as conn:
        cfg.attributes["connection"] = conn
        command.upgrade(cfg, "0008")
        _fill_0008(conn)
    with database.engine.connect() as conn:
        users = _rows(
            conn, "SELECT id, name, language, active, created_at FROM appuser ORDER BY id"
        )
        old = _rows(conn, "SELECT id, telegram_id, blocked_at, created_at FROM appuser ORDER BY id")
        events = _rows(conn, "SELECT * FROM event ORDER BY id")
        photos = _rows(conn, "SELECT * FROM photo ORDER BY id")
        items = _rows(conn, "SELECT * FROM item ORDER BY id")
        members = _rows(conn, "SELECT * FROM membership ORDER BY id")

    database.migrate()

    with database.engine.connect() as conn:
        assert _rows(conn, "SELECT * FROM appuser ORDER BY id") == users
        identities = _rows(
            conn,
            "SELECT user_id, platform, account, blocked_at, created_at FROM identity ORDER BY id",
        )
        assert identities == [
            (uid, "telegram", str(telegram_id), blocked, created)
            for uid, telegram_id, blocked, created in old
        ]
        assert sum(blocked is not None for *_, blocked, _ in identities) == 2
        # 0011: an event may say what a correction changed and the due date a move replaced;
        # the events before it say neither, and keep every value they had.
        assert _rows(conn, "SELECT * FROM event ORDER BY id") == [
            (*e, None, None, None, None) for e in events
        ]
        # Every photo so far came in on Telegram: 0010 says whose file id it is, nothing else.
        assert _rows(conn, "SELECT * FROM photo ORDER BY id") == [
            (*p, "telegram" if p[3] else None) for p in photos
        ]
        assert _rows(conn, "SELECT * FROM item ORDER BY id") == items
        assert _rows(conn, "SELECT * FROM membership ORDER BY id") == members
        assert _rows(conn, "SELECT * FROM dialogue") == []
        assert _rows(conn, "SELECT * FROM inboundseen") == []
    # The people are found by their Telegram accounts now, blocked or not, as before.
    with database.session() as s:
        wang = people.find_person(s, platform=Platform.telegram, account="2001")
        li = people.find_person(s, platform=Platform.telegram, account="1101")
        assert (wang.id, wang.name, wang.roles, wang.blocked_at) == (
            1,
            "Wang",
            {Role.contractor},
            None,
        )
        assert li.id == 2 and li.blocked_at is not None
        assert people.find_person(s, platform=Platform.telegram, account="8000000001") is None
        assert people.accounts(s, user_ids=[1, 2, 3, 4], platform=Platform.telegram) == {
            1: "2001",
            2: "1101",
            3: "8000000001",
            4: "1201",
        }
        assert not pushes.reachable(s, user_id=4, platform=Platform.telegram)
    database.dispose()


def test_downgrading_0009_gives_the_telegram_ids_back(blank_url):
    database = Database(blank_url)
    cfg = alembic_config(database.url)
    cols = "SELECT id, telegram_id, name, language, active, blocked_at, created_at FROM appuser"
    with database.engine.begin() as conn:
        cfg.attributes["connection"] = conn
        command.upgrade(cfg, "0008")
        _fill_0008(conn)
    with database.engine.connect() as conn:
        before = _rows(conn, f"{cols} ORDER BY id")
    database.migrate()
    with database.engine.begin() as conn:
        cfg.attributes["connection"] = conn
        command.downgrade(cfg, "0008")
    with database.engine.connect() as conn:
        assert _rows(conn, f"{cols} ORDER BY id") == before
    database.dispose()


# At 0012 the PTB era's persistence still wrote half-finished conversations here.
OLD_CHAT_STATES = [
    ("user", "2001", '{"report": 1}'),
    ("conversation:contractor_report", "[2001, 2001]", "1"),
]


def _at_0012_with_chat_states(database: Database) -> dict[str, list[tuple]]:
    """Fill a database at 0012 with a project and chat states; return every other table's rows."""
    cfg = alembic_config(database.url)
    with database.engine.begin() as conn:
        cfg.attributes["connection"] = conn
        command.upgrade(cfg, "0008")
        _fill_0008(conn)
        command.upgrade(cfg, "0012")
        for kind, key, value in OLD_CHAT_STATES:
            conn.execute(
                text(
                    "INSERT INTO chatstate (kind, key, value, updated_at)"
                    " VALUES (:kind, :key, :value, :at)"
                ),
                {"kind": kind, "key": key, "value": value, "at": AT},
            )
    return _every_table(database, but=("chatstate", "alembic_version"))


def _every_table(database: Database, *, but: tuple[str, ...]) -> dict[str, list[tuple]]:
    """Return the rows of every table but these, each table in key order."""
    with database.engine.connect() as conn:
        names = sorted(set(inspect(conn).get_table_names()) - set(but))
        return {name: _rows(conn, f"SELECT * FROM {name} ORDER BY 1") for name in names}


def test_upgrading_past_0013_drops_the_chat_states_and_keeps_every_other_row(blank_url):
    database = Database(blank_url)
    before = _at_0012_with_chat_states(database)
    assert len(before) > 15 and before["event"] and before["photo"] and before["identity"]

    database.migrate()

    with database.engine.connect() as conn:
        assert "chatstate" not in inspect(conn).get_table_names()
    after = _every_table(database, but=("alembic_version",))
    assert {name: after[name] for name in before} == before
    assert all(after[name] == [] for name in after.keys() - before.keys())  # later tables: empty
    database.dispose()


def test_downgrading_0013_gives_the_chat_state_table_back(blank_url):
    database = Database(blank_url)
    before = _at_0012_with_chat_states(database)
    with database.engine.connect() as conn:
        columns = [
            (c["name"], str(c["type"]), c["nullable"])
            for c in inspect(conn).get_columns("chatstate")
        ]
        key = inspect(conn).get_pk_constraint("chatstate")["constrained_columns"]
    database.migrate()
    cfg = alembic_config(database.url)
    with database.engine.begin() as conn:
        cfg.attributes["connection"] = conn
        command.downgrade(cfg, "0012")
    with database.engine.connect() as conn:
        assert [
            (c["name"], str(c["type"]), c["nullable"])
            for c in inspect(conn).get_columns("chatstate")
        ] == columns
        assert inspect(conn).get_pk_constraint("chatstate")["constrained_columns"] == key
        # The rows went with the table; the table takes them again as it did.
        assert _rows(conn, "SELECT * FROM chatstate") == []
    with database.engine.begin() as conn:
        conn.execute(
            text(
                "INSERT INTO chatstate (kind, key, value, updated_at)"
                " VALUES ('user', '1', '{}', :at)"
            ),
            {"at": AT},
        )
    assert _every_table(database, but=("chatstate", "alembic_version")) == before
    database.dispose()


# At 0013 a day's run was claimed once per kind, project and day, whatever the platform.
OLD_RUNS = [
    ("morning", "2026-12-01", "2026-11-30 23:30:00", "2026-11-30 23:31:00", "host:1"),
    ("report", "2026-12-01", "2026-12-01 10:00:00", None, "host:1"),
]


def _at_0013_with_runs(database: Database) -> list[tuple]:
    """Fill a database at 0013 with a project and its runs; return the runs' rows."""
    cfg = alembic_config(database.url)
    with database.engine.begin() as conn:
        cfg.attributes["connection"] = conn
        command.upgrade(cfg, "0008")
        _fill_0008(conn)
        command.upgrade(cfg, "0013")
        for kind, day, started, finished, by in OLD_RUNS:
            conn.execute(
                text(
                    "INSERT INTO pushrun (kind, project_id, day, started_at, finished_at,"
                    " claimed_by) VALUES (:kind, 1, :day, :started, :finished, :by)"
                ),
                {"kind": kind, "day": day, "started": started, "finished": finished, "by": by},
            )
    with database.engine.connect() as conn:
        return _rows(conn, RUNS)


RUNS = "SELECT kind, project_id, day, started_at, finished_at, claimed_by FROM pushrun ORDER BY 1"


def _run_key(database: Database) -> list[str]:
    with database.engine.connect() as conn:
        return inspect(conn).get_pk_constraint("pushrun")["constrained_columns"]


def test_upgrading_past_0014_claims_runs_per_platform_and_keeps_the_old_as_telegrams(blank_url):
    database = Database(blank_url)
    before = _at_0013_with_runs(database)
    assert _run_key(database) == ["kind", "project_id", "day"]

    database.migrate()

    assert _run_key(database) == ["kind", "project_id", "day", "platform"]
    with database.engine.connect() as conn:
        assert _rows(conn, RUNS) == before
        assert _rows(conn, "SELECT DISTINCT platform FROM pushrun") == [("telegram",)]
    day = before[0][2]
    day = day if isinstance(day, date) else date.fromisoformat(day)
    # The morning ran on Telegram that day; WeCom's process may now run its own, once.
    key = {"kind": PushKind.morning, "project_id": 1, "day": day, "by": "host:2"}
    assert not database.run(pushes.take_run, **key, platform=Platform.telegram)
    assert database.run(pushes.take_run, **key, platform=Platform.wecom)
    assert not database.run(pushes.take_run, **key, platform=Platform.wecom)
    database.dispose()


def test_downgrading_0014_keeps_the_first_run_of_each_day(blank_url):
    database = Database(blank_url)
    before = _at_0013_with_runs(database)
    database.migrate()
    with database.engine.begin() as conn:  # the morning also ran on WeCom, later
        conn.execute(
            text(
                "INSERT INTO pushrun (kind, project_id, day, platform, started_at, claimed_by)"
                " VALUES ('morning', 1, '2026-12-01', 'wecom', '2026-11-30 23:32:00', 'host:2')"
            )
        )
    cfg = alembic_config(database.url)
    with database.engine.begin() as conn:
        cfg.attributes["connection"] = conn
        command.downgrade(cfg, "0013")
    assert _run_key(database) == ["kind", "project_id", "day"]
    with database.engine.connect() as conn:
        assert "platform" not in {c["name"] for c in inspect(conn).get_columns("pushrun")}
        assert _rows(conn, RUNS) == before
    database.dispose()
