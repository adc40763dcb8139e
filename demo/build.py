"""Build the demo: a fresh (or earlier demo) database filled with one realistic project."""

from __future__ import annotations

import random
import warnings
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, datetime, time
from time import perf_counter
from zoneinfo import ZoneInfo

from sqlalchemy import MetaData, func
from sqlmodel import Session, select

from demo.cast import (
    PROJECT_NAME,
    STAFF,
    TIMEZONE,
    Persona,
    add_firms_and_people,
    add_units,
    personas_of,
)
from demo.history import apply_step, ensure_every_state, plan_items
from models import clock
from models.db import Database
from models.errors import DomainError
from models.project import create_project, has_projects, is_demo, mark_demo
from models.tables import Item, ItemState, Project


@dataclass(frozen=True)
class DemoSummary:
    """What the demo built."""

    project_id: int
    project: str
    units: int
    contractors: int
    users: int
    items: int
    items_by_state: dict[ItemState, int]
    personas: tuple[Persona, ...]
    seconds: float


def build_demo(
    db: Database,
    *,
    seed: int = 7,
    items: int = 3000,
    progress: Callable[[int, int], None] | None = None,
    today: date | None = None,
    repair_days: int = 7,
    rework_days: int = 3,
) -> DemoSummary:
    """Fill a fresh or demo database with a realistic project; refuse a real one.

    Its days to repair and to redo an item are the settings' defaults for a new project.
    """
    started = perf_counter()
    rng = random.Random(seed)
    tz = ZoneInfo(TIMEZONE)
    if today is None:
        now = clock.now().astimezone(tz)
        today = now.date()
    else:
        # A given day is built as seen at 18:00 that evening, so it is reproducible.
        now = datetime.combine(today, time(18, 0), tz)
    # One session: the whole rebuild is one transaction, and it is much faster.
    with db.session() as session:
        # A demo database someone has since added a real project to is real data now.
        others = session.exec(select(Project.id).where(Project.name != PROJECT_NAME)).first()
        if has_projects(session) and (not is_demo(session) or others is not None):
            raise DomainError("not_demo_database")
        if is_demo(session):
            _wipe(session)
        mark_demo(session)
        project = create_project(
            session,
            name=PROJECT_NAME,
            timezone=TIMEZONE,
            repair_days=repair_days,
            rework_days=rework_days,
        )
        units = add_units(session, project.id, rng)
        cast = add_firms_and_people(session, project.id, rng)
        plans = plan_items(cast, units, rng, items=items, today=today, now=now)
        ensure_every_state(plans, cast, now)
        ops = sorted(
            [(p.entered, i, -1) for i, p in enumerate(plans)]
            + [(s.at, i, k) for i, p in enumerate(plans) for k, s in enumerate(p.steps)]
        )
        setup = len(units) + len(cast.firms) + len(STAFF)
        total = setup + len(ops)
        if progress:
            progress(setup, total)
        for done, (_at, i, k) in enumerate(ops, 1):
            apply_step(session, project.id, plans[i], k, cast)
            if progress and (done % 100 == 0 or done == len(ops)):
                progress(setup + done, total)
        states = dict(
            session.exec(
                select(Item.state, func.count())
                .where(Item.project_id == project.id)
                .group_by(Item.state)
            ).all()
        )
        personas = personas_of(cast)
        users = len(STAFF) + sum(len(c) for c in cast.crews.values())
        project_id = project.id
    return DemoSummary(
        project_id=project_id,
        project=PROJECT_NAME,
        units=len(units),
        contractors=len(cast.firms),
        users=users,
        items=len(plans),
        items_by_state={s: states.get(s, 0) for s in ItemState},
        personas=personas,
        seconds=round(perf_counter() - started, 2),
    )


def _wipe(session: Session) -> None:
    """Delete every row of every table (children first), keeping the migration mark."""
    # Reflected rather than taken from our models, so tables added by later migrations go too.
    meta = MetaData()
    with warnings.catch_warnings():
        # SQLite cannot reflect the expression index of migration 0008; rows are all we need.
        warnings.filterwarnings("ignore", message=".*expression-based index.*")
        meta.reflect(bind=session.connection())
    for table in reversed(meta.sorted_tables):
        if table.name != "alembic_version":
            session.execute(table.delete())
    session.expunge_all()
