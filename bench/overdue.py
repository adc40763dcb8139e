"""Overdue at scale: the digest, a contractor's line and list on a site of 1,000,000 items.

`python -m bench.overdue [--items N] [--reps N] [--url URL]`: fills a fresh database (a
temporary SQLite file unless --url names an empty one) with synthetic rows in bulk, then times
the domain calls. The rows are written straight to the tables (the demo builder would take
hours at this size); the calls under test are the product's own.
"""

from __future__ import annotations

import argparse
import random
import tempfile
import time
from datetime import timedelta
from pathlib import Path

from sqlmodel import select

from bench import Timing, measure, table
from bot.telegram.adapter import LIMITS as TELEGRAM
from handlers.overdue_text import overdue_digest as digest_text
from models import clock, people
from models import project as setup
from models.db import Database
from models.overdue import my_overdue, overdue_digest
from models.queries import contractor_list
from models.tables import Category, Item, ItemState, Platform, Role, Unit

FIRMS = 40
CONTRACTOR_ID = 900001  # telegram id of the persona of the busiest firm
# State shares (of 200) of a site some months after handover: most items closed, one in nine
# still with its contractor, most of those late.
STATES = [ItemState.closed] * 170 + [ItemState.cancelled] * 4 + [ItemState.open] * 16
STATES += [ItemState.rework] * 6 + [ItemState.repaired] * 3 + [ItemState.disputed]


def fill(db: Database, items: int, seed: int = 11) -> int:
    """Write a project with FIRMS contractors and `items` items; return the project id."""
    rng = random.Random(seed)
    with db.session() as s:
        project = setup.create_project(s, name="Bench overdue")
        today = clock.today(project.timezone)
        firms = [
            setup.add_contractor(s, project_id=project.id, name=f"施工单位{n:02d}").id
            for n in range(FIRMS)
        ]
        for b in range(1, 21):
            for f in range(1, 101):
                s.add(
                    Unit(
                        project_id=project.id,
                        code=f"{b}-1-{f:04d}",
                        building=str(b),
                        floor=f // 4,
                    )
                )
        s.flush()
        units = list(s.exec(select(Unit.id).where(Unit.project_id == project.id)))
        categories = list(s.exec(select(Category.id).where(Category.project_id == project.id)))
        people.add_member(
            s,
            project_id=project.id,
            platform=Platform.telegram,
            account=str(CONTRACTOR_ID),
            name="bench",
            roles=[Role.contractor],
            contractor_id=firms[0],
        )
        project_id = project.id
        s.commit()
    table_ = Item.__table__
    batch = 50_000
    with db.engine.begin() as conn:
        for start in range(0, items, batch):
            rows = []
            for _ in range(min(batch, items - start)):
                raised = today - timedelta(days=rng.randint(0, 150))
                state = rng.choice(STATES)
                rows.append(
                    {
                        "project_id": project_id,
                        "unit_id": rng.choice(units),
                        "location": "卫生间",
                        "category_id": rng.choice(categories),
                        "description": "吊顶渗水",
                        "raised_on": raised,
                        "contractor_id": firms[min(int(rng.expovariate(0.15)), FIRMS - 1)],
                        "state": state.value,
                        "rework_count": 1 if state is ItemState.rework else 0,
                        "due_on": raised + timedelta(days=7),
                        "entered_at": clock.now(),
                        "version": 1,
                    }
                )
            conn.execute(table_.insert(), rows)
    return project_id


def run(db: Database, items: int, reps: int) -> list[Timing]:
    """Fill the database and time the overdue calls."""
    start = time.perf_counter()
    project_id = fill(db, items)
    print(f"filled {items:,} items in {time.perf_counter() - start:.1f} s")
    label = f"{items:,} items"
    digest = db.run(overdue_digest, project_id=project_id)
    found = db.run(people.find_person, platform=Platform.telegram, account=str(CONTRACTOR_ID))
    mine = found.id
    print(f"overdue: {digest.total:,} items of {len(digest.contractors)} contractors")
    return [
        measure(
            "overdue_digest (1 query)",
            label,
            lambda: db.run(overdue_digest, project_id=project_id),
            reps,
        ),
        measure(
            "digest text (zh)", label, lambda: digest_text("zh", digest, limits=TELEGRAM), reps
        ),
        measure(
            "my_overdue (busiest firm)",
            label,
            lambda: db.run(my_overdue, user_id=mine),
            reps,
        ),
        measure(
            "contractor_list (header counts overdue)",
            label,
            lambda: db.run(contractor_list, user_id=mine),
            reps,
        ),
    ]


def main() -> None:
    """Parse the arguments, fill a database, print the table."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--items", type=int, default=1_000_000)
    parser.add_argument("--reps", type=int, default=10)
    parser.add_argument("--url", help="an empty database to fill (default: a temporary SQLite)")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as folder:
        db = Database(args.url or f"sqlite:///{Path(folder) / 'overdue.db'}")
        db.migrate()
        print(table(run(db, args.items, args.reps)))
        db.dispose()


if __name__ == "__main__":
    main()
