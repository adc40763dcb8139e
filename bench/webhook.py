"""Webhook mode, one process against two behind a balancer, on PostgreSQL: 50 people at once.

`python -m bench.webhook [--people 50] [--presses 6] [--processes 1 2]` with
DATABASE_URL=postgresql+psycopg://... (a server where the role may create databases; a fresh
database is made and dropped). Real `python -m bot run --webhook URL` processes; the offline
Telegram over HTTP (bot/telegram/apiserver.py) posts every update to a loopback round-robin
balancer in front of them. Half the people are inspectors, half contractors; each sends a list
command and then presses cards open (ck:ID / it:ID), one update after the answer to the last,
all at once. An update's latency runs from Telegram having it until the bot answered it (the
press's answerCallbackQuery; the list's first message). Telegram's flood limits are off here:
they would measure Telegram, not the bot. See BENCHMARKS.md.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from dataclasses import dataclass
from pathlib import Path

from sqlalchemy import create_engine
from sqlalchemy.engine import make_url
from sqlmodel import select

from bot.balancer import Balancer
from bot.telegram.apiserver import serve
from bot.telegram.offline import OfflineTelegram, OfflineUser
from models import clock, people
from models import project as setup
from models.db import Database
from models.intake import raise_item
from models.repair import apply_transition
from models.tables import Action, AppUser, Identity, Platform, Role

ROOT = Path(__file__).resolve().parent.parent
TOKEN = "123:BENCH"
FIRST_ACCOUNT = 5000
ITEMS = 40  # 20 awaiting acceptance, 20 open


@dataclass(frozen=True)
class Figures:
    """One run: how many processes, updates, seconds, and the latencies in ms."""

    processes: int
    people: int
    updates: int
    seconds: float
    latencies: list[float]

    def row(self) -> str:
        """Return a Markdown table row."""
        ordered = sorted(self.latencies)
        p95 = ordered[max(0, round(0.95 * len(ordered)) - 1)]
        return (
            f"| {self.processes} | {self.people} | {self.updates} | {self.seconds:.1f} | "
            f"{self.updates / self.seconds:.1f} | {statistics.median(ordered):.0f} | {p95:.0f} |"
        )


def free_port() -> int:
    """Return a loopback port nothing listens on now."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def fresh_database(server_url: str) -> tuple[str, str]:
    """Create an empty database on the server; return (its URL, its name)."""
    name = f"handover_bench_{uuid.uuid4().hex[:10]}"
    admin = create_engine(server_url, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.exec_driver_sql(f"CREATE DATABASE {name}")
    admin.dispose()
    return make_url(server_url).set(database=name).render_as_string(False), name


def drop_database(server_url: str, name: str) -> None:
    """Drop the bench's database."""
    admin = create_engine(server_url, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.exec_driver_sql(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")
    admin.dispose()


def prepare(url: str, crowd: int) -> tuple[list[int], list[int]]:
    """Migrate and fill the database: half inspectors, half contractors of one firm, 40 items."""
    db = Database(url)
    db.migrate()
    with db.session() as s:
        project = setup.create_project(s, name="Bench")
        firm = setup.add_contractor(s, project_id=project.id, name="华建装饰", trades="leak")
        setup.add_unit(s, project_id=project.id, code="3-1-1202")
        setup.set_rule(s, project_id=project.id, category_code="leak", contractor_id=firm.id)
        for n in range(crowd):
            contractor = n % 2 == 1
            people.add_member(
                s,
                project_id=project.id,
                platform=Platform.telegram,
                account=str(FIRST_ACCOUNT + n),
                name=f"P{n}",
                roles=[Role.contractor if contractor else Role.inspector],
                contractor_id=firm.id if contractor else None,
                language="en",
            )
        s.flush()
        items = [
            raise_item(
                s,
                project_id=project.id,
                unit_code="3-1-1202",
                location=f"room {n}",
                category_code="leak",
                description=f"leak {n}",
                raised_on=clock.today("Asia/Shanghai"),
            ).id
            for n in range(ITEMS)
        ]
        account = str(FIRST_ACCOUNT + 1)
        identity = s.exec(select(Identity).where(Identity.account == account)).one()
        first = s.get(AppUser, identity.user_id)
        for item_id in items[: ITEMS // 2]:
            apply_transition(s, item_id=item_id, user=first, action=Action.report_repaired)
    db.dispose()
    return items[: ITEMS // 2], items[ITEMS // 2 :]


async def run(url: str, processes: int, crowd: int, presses: int, folder: Path) -> Figures:
    """Start the processes, let the crowd act, stop them; return the figures."""
    to_check, to_repair = await asyncio.to_thread(prepare, url, crowd)
    transport = OfflineTelegram()  # no flood limits: they would measure Telegram
    ports = [free_port() for _ in range(processes)]
    front = Balancer([f"http://127.0.0.1:{port}" for port in ports], free_port())
    hook = f"http://{front.host}:{front.port}/tg"
    procs: list[subprocess.Popen] = []
    async with front, await serve("127.0.0.1", 0, transport) as server:
        try:
            for n, port in enumerate(ports):
                env = {
                    "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
                    "HOME": str(folder),
                    "PYTHONPATH": str(ROOT),
                    "TELEGRAM_BOT_TOKEN": TOKEN,
                    "TELEGRAM_API_BASE_URL": server.base_url,
                    "DATABASE_URL": url,
                    "MEDIA_DIR": str(folder / "media"),
                    "HTTP_LISTEN": f"127.0.0.1:{port}",
                    "MORNING_PUSH_AT": "23:59",
                    "DAILY_REPORT_AT": "23:59",
                }
                with (folder / f"bot{processes}-{n}.log").open("wb") as out:
                    procs.append(
                        subprocess.Popen(
                            [sys.executable, "-m", "bot", "run", "--webhook", hook],
                            cwd=folder,
                            env=env,
                            stdin=subprocess.DEVNULL,
                            stdout=out,
                            stderr=out,
                        )
                    )
            while len(transport.calls_of("setWebhook")) < processes:
                await asyncio.sleep(0.05)
            latencies: list[float] = []

            async def answered(check: object, since: int) -> None:
                while not check(since):  # type: ignore[operator]
                    await asyncio.sleep(0.005)

            async def act(n: int) -> None:
                account = FIRST_ACCOUNT + n
                user = OfflineUser(account, f"P{n}", language_code="en")
                contractor = n % 2 == 1
                mark = len(transport.outbox)
                began = time.perf_counter()
                command = "/mylist" if contractor else "/tocheck"
                server.put_text(user, command)
                await answered(
                    lambda since: any(m.chat_id == account for m in transport.outbox[since:]),
                    mark,
                )
                latencies.append((time.perf_counter() - began) * 1000)
                cards = to_repair if contractor else to_check
                for k in range(presses):
                    item = cards[(n + k) % len(cards)]
                    data = f"it:{item}" if contractor else f"ck:{item}"
                    mark = len(transport.callback_answers)
                    began = time.perf_counter()
                    query = server.put_press(user, data).callback_query.id
                    await answered(
                        lambda since, q=query: any(
                            a.callback_query_id == q for a in transport.callback_answers[since:]
                        ),
                        mark,
                    )
                    latencies.append((time.perf_counter() - began) * 1000)

            began = time.perf_counter()
            await asyncio.gather(*(act(n) for n in range(crowd)))
            seconds = time.perf_counter() - began
        finally:
            for proc in procs:
                proc.send_signal(signal.SIGTERM)
            for proc in procs:
                while proc.poll() is None:
                    await asyncio.sleep(0.05)
    return Figures(processes, crowd, len(latencies), seconds, latencies)


def bench_webhook(server_url: str, crowd: int, presses: int, counts: list[int]) -> str:
    """Run each process count on a fresh database; return the Markdown table."""
    rows = [
        "| processes | people at once | updates | seconds | updates/s | median ms | p95 ms |",
        "|---|---|---|---|---|---|---|",
    ]
    with tempfile.TemporaryDirectory(prefix="bench-webhook-") as tmp:
        for count in counts:
            url, name = fresh_database(server_url)
            try:
                folder = Path(tmp) / f"run{count}"
                folder.mkdir()
                figures = asyncio.run(run(url, count, crowd, presses, folder))
            finally:
                drop_database(server_url, name)
            rows.append(figures.row())
            print(rows[-1], file=sys.stderr, flush=True)
    return "\n".join(rows)


def main(argv: list[str] | None = None) -> int:
    """Run the webhook benchmark (PostgreSQL only: DATABASE_URL or TEST_DATABASE_URL)."""
    parser = argparse.ArgumentParser(prog="python -m bench.webhook", description=__doc__)
    parser.add_argument("--people", type=int, default=50, help="people acting at once")
    parser.add_argument("--presses", type=int, default=6, help="presses after each list")
    parser.add_argument("--processes", type=int, nargs="+", default=[1, 2])
    args = parser.parse_args(argv)
    url = os.environ.get("TEST_DATABASE_URL") or os.environ.get("DATABASE_URL", "")
    if not url.startswith("postgresql"):
        print("set DATABASE_URL=postgresql+psycopg://... (several processes need PostgreSQL)")
        return 2
    with os.popen("uptime") as load:
        print(f"load at start: {load.read().strip()}", file=sys.stderr)
    print(bench_webhook(url, args.people, args.presses, args.processes))
    with os.popen("uptime") as load:
        print(f"load at end: {load.read().strip()}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
