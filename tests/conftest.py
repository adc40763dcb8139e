"""Fixtures: a migrated SQLite file per test, a small project, the bot on the offline transport."""

from __future__ import annotations

import os
import shutil
import uuid
from collections.abc import AsyncIterator, Callable, Iterator
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import pytest
from hypothesis import HealthCheck, Phase
from hypothesis import settings as profiles
from sqlalchemy import Engine, create_engine
from sqlalchemy.engine import make_url
from sqlmodel import Session, select
from telegram.ext import Application

from bot.telegram.offline import OfflineChat, OfflineTelegram, OfflineUser
from bot.telegram.stand_in import build_offline
from models import clock, people
from models import project as setup
from models.db import Database
from models.errors import DomainError
from models.intake import raise_item
from models.repair import PhotoIn, apply_transition
from models.settings import Settings
from models.tables import Action, AppUser, Identity, Platform, Role

# Set TEST_DATABASE_URL to a PostgreSQL server (any database on it, e.g. .../postgres) to run
# the suite there: each test gets its own database, copied from one migrated template.
POSTGRES = os.environ.get("TEST_DATABASE_URL")


# Hypothesis (tests/test_fuzz_dialogue.py): a short, derandomized run by default, so `make test`
# stays fast and gives the same examples every time; `make test-long` (HYPOTHESIS_PROFILE=long)
# a long random one for nightly runs. Each example sets up its own state on the test's database,
# so a function-scoped fixture shared by the examples is fine.
_SHARED = dict(
    deadline=None,
    database=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
# The short run does not shrink a failure (minutes when every step fails): the long one does.
_QUICK = [Phase.explicit, Phase.reuse, Phase.generate]
profiles.register_profile("short", max_examples=6, derandomize=True, phases=_QUICK, **_SHARED)
profiles.register_profile("long", max_examples=300, **_SHARED)
profiles.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "short"))


# Every test runs at this instant, ticking on from it: 00:30 on 16 December in the project's zone
# (Asia/Shanghai) while it is still the 15th in UTC, so a date taken in the wrong zone shows.
PINNED_AT = datetime(2026, 12, 15, 16, 30, tzinfo=UTC)
PROJECT_TZ = "Asia/Shanghai"


@pytest.fixture(autouse=True)
def pinned_clock() -> Iterator[datetime]:
    """Pin the product's one clock for the test; yield the instant it starts at."""
    with clock.pinned(PINNED_AT, ticking=True):
        yield PINNED_AT


@pytest.fixture
def real_clock(pinned_clock: datetime) -> Iterator[None]:
    """Run on the machine's time, for data shared with a bot in another process."""
    before = clock.set_source(clock.system)
    yield
    clock.set_source(before)


@pytest.fixture
def today(pinned_clock: datetime) -> date:
    """Return today on the small project's site (its time zone, the pinned clock)."""
    return clock.today(PROJECT_TZ)


def _admin_engine() -> Engine:
    return create_engine(POSTGRES, isolation_level="AUTOCOMMIT")


@pytest.fixture(scope="session")
def migrated_template(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """Migrate one database once; each test gets a copy (migrations are slow-ish)."""
    if POSTGRES:
        name = f"handover_tmpl_{os.getpid()}"
        with _admin_engine().connect() as conn:
            conn.exec_driver_sql(f"DROP DATABASE IF EXISTS {name}")
            conn.exec_driver_sql(f"CREATE DATABASE {name}")
        template = Database(make_url(POSTGRES).set(database=name).render_as_string(False))
        template.migrate()
        template.dispose()  # a template must have no open connections to be copied
        yield name
        with _admin_engine().connect() as conn:
            conn.exec_driver_sql(f"DROP DATABASE IF EXISTS {name}")
        return
    path = tmp_path_factory.mktemp("template") / "template.db"
    template = Database(f"sqlite:///{path}")
    template.migrate()
    with template.engine.connect() as conn:
        conn.exec_driver_sql("PRAGMA wal_checkpoint(TRUNCATE)")
    template.dispose()
    yield str(path)


@pytest.fixture
def db(tmp_path: Path, migrated_template: str) -> Iterator[Database]:
    """Return a fresh, migrated database: a SQLite file, or a PostgreSQL database."""
    if POSTGRES:
        name = f"handover_t_{uuid.uuid4().hex[:12]}"
        with _admin_engine().connect() as conn:
            conn.exec_driver_sql(f"CREATE DATABASE {name} TEMPLATE {migrated_template}")
        database = Database(make_url(POSTGRES).set(database=name).render_as_string(False))
        yield database
        database.dispose()
        with _admin_engine().connect() as conn:
            conn.exec_driver_sql(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")
        return
    path = tmp_path / "handover.db"
    shutil.copy(migrated_template, path)
    database = Database(f"sqlite:///{path}")
    yield database
    database.dispose()


@pytest.fixture
def settings(tmp_path: Path, db: Database) -> Settings:
    """Return settings pointing at the test database and a temporary media folder."""
    return Settings(
        _env_file=None,
        database_url=db.url,
        media_dir=tmp_path / "media",
        default_language="zh",
        require_repair_photo=True,
    )


@dataclass
class World:
    """A small project: two contractors, flats in two buildings, people in every role."""

    project_id: int
    huajian: int
    mingda: int
    items: dict[str, int]


CONTRACTOR_A = OfflineUser(id=2001, first_name="Wang", language_code="en")
CONTRACTOR_B = OfflineUser(id=2002, first_name="Zhao", language_code="en")
INSPECTOR = OfflineUser(id=1101, first_name="Li", language_code="en")
ADMIN = OfflineUser(id=1001, first_name="Chen", language_code="en")
SERVICE = OfflineUser(id=1301, first_name="Sun", language_code="en")
MANAGER = OfflineUser(id=1201, first_name="Zhou", language_code="zh")
STRANGER = OfflineUser(id=9999, first_name="Nobody", language_code="en")


@pytest.fixture
def world(db: Database, today: date) -> World:
    """Set up the small project and raise a few items."""
    with db.session() as s:
        project = setup.create_project(s, name="Riverside 1")
        huajian = setup.add_contractor(s, project_id=project.id, name="华建装饰", trades="leak")
        mingda = setup.add_contractor(s, project_id=project.id, name="明达水电", trades="plumbing")
        for code in ("3-1-1202", "3-1-502", "5-2-801"):
            setup.add_unit(s, project_id=project.id, code=code, owner_name="业主", owner_phone="1")
        setup.set_rule(s, project_id=project.id, category_code="leak", contractor_id=huajian.id)
        setup.set_rule(s, project_id=project.id, category_code="wall", contractor_id=huajian.id)
        setup.set_rule(
            s, project_id=project.id, category_code="plumbing_electric", contractor_id=mingda.id
        )
        for user, roles, contractor in (
            (CONTRACTOR_A, [Role.contractor], huajian.id),
            (CONTRACTOR_B, [Role.contractor], mingda.id),
            (INSPECTOR, [Role.inspector], None),
            (ADMIN, [Role.admin], None),
            (SERVICE, [Role.service], None),
            (MANAGER, [Role.manager], None),
        ):
            people.add_member(
                s,
                project_id=project.id,
                platform=Platform.telegram,
                account=str(user.id),
                name=user.first_name,
                roles=roles,
                contractor_id=contractor,
            )
        items = {}
        for key, unit, category, desc, days in (
            ("leak", "3-1-1202", "leak", "卫生间吊顶渗水", 5),
            ("wall", "3-1-502", "wall", "客厅墙面空鼓", 3),
            ("socket", "5-2-801", "plumbing_electric", "厨房插座无电", 4),
        ):
            item = raise_item(
                s,
                project_id=project.id,
                unit_code=unit,
                location="kitchen",
                category_code=category,
                description=desc,
                raised_on=today - timedelta(days=days),
            )
            items[key] = item.id
        return World(project.id, huajian.id, mingda.id, items)


def pytest_configure(config: pytest.Config) -> None:
    """Name the marker of tests that make Telegram refuse a call on purpose."""
    config.addinivalue_line(
        "markers", "telegram_errors: the test provokes calls the offline Telegram refuses"
    )


@pytest.fixture
async def bot(
    settings: Settings, db: Database, tmp_path: Path, request: pytest.FixtureRequest
) -> AsyncIterator[Bot]:
    """Run the real application on the offline transport; fail if Telegram refused a call."""
    transport = OfflineTelegram(bot_username="handover_test_bot")
    app = build_offline(settings, db, transport)
    async with app:
        await app.start()  # starts the job queue, which conversation timeouts use
        yield Bot(app, transport)
        await app.stop()
    if request.node.get_closest_marker("telegram_errors") is None:
        assert_no_telegram_errors(transport)


def assert_no_telegram_errors(transport: OfflineTelegram) -> None:
    """Fail if the bot made a call that Telegram would have refused."""
    refused = [f"{call.method}: {call.error}" for call in transport.errors]
    assert not refused, f"Telegram refused {len(refused)} call(s): {refused}"


@dataclass
class Bot:
    """The running application and its transport, with a way to chat as someone."""

    app: Application
    transport: OfflineTelegram

    def chat(self, user: OfflineUser) -> OfflineChat:
        """Return a chat driver for this user; refusals are answered by the bot, not raised."""
        return OfflineChat(self.app, self.transport, user, expected_errors=(DomainError,))


def tg(session: Session, telegram_id: int) -> int:
    """Return the user id behind a Telegram id (0, nobody's, for a stranger)."""
    found = session.exec(
        select(Identity.user_id).where(
            Identity.platform == Platform.telegram, Identity.account == str(telegram_id)
        )
    ).first()
    return found or 0


def tg_blocked(session: Session, telegram_id: int) -> datetime | None:
    """Return when the Telegram chat of this id was found blocked (None: it is not)."""
    return session.exec(
        select(Identity.blocked_at).where(
            Identity.platform == Platform.telegram, Identity.account == str(telegram_id)
        )
    ).first()


def tg_user(session: Session, telegram_id: int) -> AppUser:
    """Return the active user behind a Telegram id (the world's people chat as Telegram users)."""
    return people.user_for(session, user_id=tg(session, telegram_id))


def user_id(db: Database, telegram_id: int) -> int:
    """Return the user id behind a Telegram id, in a session of its own."""
    with db.session() as s:
        return tg(s, telegram_id)


def tg_person(session: Session, telegram_id: int) -> people.Person | None:
    """Return the registered person behind a Telegram id, or None."""
    return people.find_person(session, platform=Platform.telegram, account=str(telegram_id))


def move(
    db: Database,
    item_id: int,
    telegram_id: int,
    action: Action,
    note: str | None = None,
    photos: tuple[PhotoIn, ...] = (),
) -> None:
    """Move an item as this person, straight through the state machine (no chat)."""
    with db.session() as s:
        apply_transition(
            s,
            item_id=item_id,
            user=tg_user(s, telegram_id),
            action=action,
            note=note,
            photos=photos,
        )


def texts(messages: list) -> str:
    """Join the visible texts of messages, for asserting on."""
    return "\n".join(m.text or "" for m in messages)


PNG: Callable[[int], bytes] = lambda n: b"\x89PNG\r\n\x1a\n" + bytes([n]) * 64  # noqa: E731
