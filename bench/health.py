"""What /healthz and /metrics ask of the database on a site of 1,000,000 items.

`python -m bench.health [--items N] [--logs N] [--reps N] [--url URL]`: fills a fresh database
(bench.overdue's synthetic project, plus N push-log rows of a year's mornings, reports and
digests, a few still being sent, and as many notice-log rows), then times the product's own
queries: the ping, the queue depth (/healthz) and the open items per project and state (the
/metrics collector, uncached), and a whole /metrics page (Metrics.exposition, cache off).
"""

from __future__ import annotations

import argparse
import random
import tempfile
from datetime import timedelta
from pathlib import Path

from bench import Timing, measure, table
from bench.overdue import fill
from bot.metrics import Metrics, OpenItemsCollector
from models import clock, health
from models.db import Database
from models.tables import AppUser, NoticeLog, PushKind, PushLog, PushStatus

PEOPLE = 1_000
KINDS = (PushKind.morning, PushKind.overdue, PushKind.report)


def fill_logs(db: Database, project_id: int, logs: int, seed: int = 5) -> None:
    """Write PEOPLE people, `logs` push-log rows over past days and `logs` notice-log rows."""
    rng = random.Random(seed)
    now = clock.now()
    with db.engine.begin() as conn:
        conn.execute(
            AppUser.__table__.insert(),
            [{"name": f"p{n}", "active": True, "created_at": now} for n in range(PEOPLE)],
        )
        users = [row[0] for row in conn.exec_driver_sql("SELECT id FROM appuser")]
        today = clock.today("Asia/Shanghai")
        pushes, notices = [], []
        for n in range(logs):
            day, rest = divmod(n, PEOPLE * len(KINDS))
            kind, person = divmod(rest, PEOPLE)
            status = PushStatus.sending if rng.random() < 0.001 else PushStatus.sent
            pushes.append(
                {
                    "kind": KINDS[kind].value,
                    "project_id": project_id,
                    "day": today - timedelta(days=day),
                    "user_id": users[person],
                    "status": status.value,
                    "attempts": 1,
                    "parts_sent": 1,
                    "claimed_at": now,
                    "claimed_by": "bench",
                }
            )
            notices.append(
                {
                    "user_id": rng.choice(users),
                    "platform": "telegram",
                    "summary": "返修",
                    "status": status.value,
                    "attempts": 1,
                    "created_at": now - timedelta(minutes=n % 500_000),
                }
            )
        for start in range(0, logs, 50_000):
            conn.execute(PushLog.__table__.insert(), pushes[start : start + 50_000])
            conn.execute(NoticeLog.__table__.insert(), notices[start : start + 50_000])


def run(db: Database, items: int, logs: int, reps: int) -> list[Timing]:
    """Fill the database and time what /healthz and /metrics ask of it."""
    project_id = fill(db, items)
    fill_logs(db, project_id, logs)
    label = f"{items:,} items, {logs:,} + {logs:,} logs"
    queue = db.run(health.queue)
    print(f"queue: {queue}; open: {sum(r.count for r in db.run(health.open_items)):,}")
    metrics = Metrics()
    metrics.registry.register(OpenItemsCollector(db, fresh=0.0))  # counted at every scrape
    return [
        measure("ping (SELECT 1)", label, lambda: db.run(health.ping), reps),
        measure("queue depth (2 counts)", label, lambda: db.run(health.queue), reps),
        measure("open items per project and state", label, lambda: db.run(health.open_items), reps),
        measure("/metrics page, uncached", label, metrics.exposition, reps),
    ]


def main() -> None:
    """Parse the arguments, fill a database, print the table."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--items", type=int, default=1_000_000)
    parser.add_argument("--logs", type=int, default=300_000)
    parser.add_argument("--reps", type=int, default=10)
    parser.add_argument("--url", help="an empty database to fill (default: a temporary SQLite)")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as folder:
        db = Database(args.url or f"sqlite:///{Path(folder) / 'health.db'}")
        db.migrate()
        print(table(run(db, args.items, args.logs, args.reps)))
        db.dispose()


if __name__ == "__main__":
    main()
