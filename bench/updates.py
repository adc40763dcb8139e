"""CPU per interactive update: the real bot on the offline Telegram, against a do-nothing floor.

`python -m bench.updates [--items N] [--reps N] [--url URL] [--profile FLOW]`: fills a fresh
database (a temporary SQLite file, or a database of its own on the PostgreSQL server --url
names) with synthetic rows in bulk, then times each update a person sends through the whole
application: CPU (time.process_time) and wall, p50/p95. The floor is a bare PTB application on
the same transport making the same Bot API calls the real update made, so each figure is also
given as a multiple of it. --profile FLOW prints a cProfile top 25 (cumulative) of one flow.
"""

from __future__ import annotations

import argparse
import asyncio
import cProfile
import io
import logging
import os
import pstats
import random
import statistics
import tempfile
import time
import warnings
from collections.abc import Awaitable, Callable
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path
from typing import Any

from sqlalchemy import create_engine, make_url
from sqlmodel import select

from bench import item_ids, keyboard_message
from bot.telegram.offline import ApiCall, OfflineChat, OfflineTelegram, OfflineUser, OutMessage
from bot.telegram.stand_in import build_offline
from models import clock, people
from models import project as setup
from models.db import Database
from models.settings import Settings
from models.tables import Category, Item, ItemState, Platform, Role, Unit

CONTRACTOR = 910001  # telegram ids of the personas
INSPECTOR = 910002
SERVICE = 910003  # customer service: /unit, for an owner on the phone
FIRMS = 22  # the busiest firm (the persona's) has one item in FIRMS: ~5,000 open at 1,000,000
ITEMS_PER_FLAT = 10
# State shares (of 200) of a site some months after handover, as bench.overdue draws them.
STATES = [ItemState.closed] * 170 + [ItemState.cancelled] * 4 + [ItemState.open] * 16
STATES += [ItemState.rework] * 6 + [ItemState.repaired] * 3 + [ItemState.disputed]
PNG_HEAD = b"\x89PNG\r\n\x1a\n"
FLOWS = ("mylist", "page", "card", "tocheck", "repaired", "done", "pass", "unit", "item")


@dataclass
class Site:
    """A filled database and what the flows act on."""

    db: Database
    items: int
    unit_codes: list[str]
    firm: int  # the persona's contractor
    seconds: float


def fill(db: Database, items: int, seed: int = 17) -> Site:
    """Write one project of `items` items in flats of ten, the busiest firm's persona, and an
    inspector, straight to the tables (the demo builder would take hours at 1,000,000)."""
    start = time.perf_counter()
    rng = random.Random(seed)
    flats = max(1, items // ITEMS_PER_FLAT)
    with db.session() as s:
        project = setup.create_project(s, name="Bench updates", timezone="Asia/Shanghai")
        today = clock.today(project.timezone)
        firms = [
            setup.add_contractor(s, project_id=project.id, name=f"施工单位{n:02d}").id
            for n in range(FIRMS)
        ]
        project_id = project.id
        categories = list(s.exec(select(Category.id).where(Category.project_id == project_id)))
        common = {"project_id": project_id, "platform": Platform.telegram}
        people.add_member(
            s,
            **common,
            account=str(CONTRACTOR),
            name="施工员",
            roles=[Role.contractor],
            contractor_id=firms[0],
        )
        people.add_member(
            s, **common, account=str(INSPECTOR), name="检查员", roles=[Role.inspector]
        )
        people.add_member(s, **common, account=str(SERVICE), name="客服", roles=[Role.service])
        s.commit()
    codes = [flat_code(n) for n in range(flats)]
    with db.engine.begin() as conn:
        for first in range(0, flats, 50_000):
            conn.execute(
                Unit.__table__.insert(),
                [
                    {
                        "project_id": project_id,
                        "code": code,
                        "building": code.split("-")[0],
                        "floor": int(code.split("-")[2][:-2]),
                    }
                    for code in codes[first : first + 50_000]
                ],
            )
    with db.session() as s:
        units = list(s.exec(select(Unit.id).where(Unit.project_id == project_id).order_by(Unit.id)))
    batch = 50_000
    with db.engine.begin() as conn:
        for first in range(0, items, batch):
            rows = []
            for n in range(first, min(items, first + batch)):
                raised = today - timedelta(days=rng.randint(0, 150))
                state = rng.choice(STATES)
                rows.append(
                    {
                        "project_id": project_id,
                        "unit_id": units[n // ITEMS_PER_FLAT % len(units)],
                        "location": "卫生间",
                        "category_id": rng.choice(categories),
                        "description": "吊顶渗水",
                        "raised_on": raised,
                        "contractor_id": rng.choice(firms),
                        "state": state.value,
                        "rework_count": 1 if state is ItemState.rework else 0,
                        "due_on": raised + timedelta(days=7),
                        "entered_at": clock.now(),
                        "version": 1,
                    }
                )
            conn.execute(Item.__table__.insert(), rows)
    if db.url.startswith("postgresql"):
        with db.engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
            conn.exec_driver_sql("VACUUM ANALYZE")
    else:
        with db.engine.connect() as conn:
            conn.exec_driver_sql("ANALYZE")
    return Site(db, items, codes, firms[0], time.perf_counter() - start)


def flat_code(n: int) -> str:
    """Return the code of the n-th flat: buildings of 2 entrances × 33 floors × 4 (3-1-1202)."""
    building, rest = divmod(n, 264)
    entrance, rest = divmod(rest, 132)
    floor, flat = divmod(rest, 4)
    return f"{building + 1}-{entrance + 1}-{floor + 1}{flat + 1:02d}"


def postgres_database(server: str, items: int) -> str:
    """Create (afresh) a database of its own on the server; return its URL."""
    name = f"handover_bench_updates_{items}"
    admin = create_engine(server, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.exec_driver_sql(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")
        conn.exec_driver_sql(f"CREATE DATABASE {name}")
    admin.dispose()
    return make_url(server).set(database=name).render_as_string(False)


@dataclass
class Sample:
    """One update: CPU and wall seconds, and the Bot API calls it made."""

    cpu: float
    wall: float


@dataclass
class Figures:
    """The samples of one flow, and of its floor."""

    name: str
    real: list[Sample]
    floor: list[Sample]


def pct(values: list[float], q: int) -> float:
    """Return the q-th percentile in ms."""
    if len(values) < 2:
        return values[0] * 1000
    return statistics.quantiles(values, n=100, method="inclusive")[q - 1] * 1000


class Floor:
    """A bare application on the same transport (no handler: PTB's dispatch alone), then the
    Bot API calls the real update made, replayed: the least an update that says the same costs.
    (bench/ may not import telegram, so the calls follow process_update rather than sit in a
    handler; the cost is the same.)"""

    def __init__(self, transport: OfflineTelegram) -> None:
        self.transport = transport
        self.app = transport.application_builder().build()
        self.calls: list[ApiCall] = []
        self.turn = 0
        # PTB asks for its named methods; the floor replays calls by name, on purpose.
        warnings.filterwarnings("ignore", "Please use 'Bot.")

    async def answer(self, user: OfflineUser, press: bool, message_id: int | None) -> None:
        """Take a text or a press from this person and make the recorded calls again."""
        bot, make = self.app.bot, self.transport
        if press:
            update = make.callback_update(user, "x", message_id, bot=bot)
        else:
            update = make.text_update(user, "/x", bot=bot)
        await self.app.process_update(update)
        self.turn += 1
        mark = "\u2060" * (self.turn % 2 + 1)  # never the text there: the app's, or ours before
        for call in self.calls:
            params: dict[str, Any] = dict(call.params)
            if call.method.lower() == "answercallbackquery":
                params["callback_query_id"] = update.callback_query.id
            if call.method.lower().startswith("edit") and "text" in params:
                params["text"] = str(params["text"]) + mark  # an edit to the same is refused
            await bot.do_api_request(call.method, api_kwargs=params)


class Bench:
    """The real application and the floor, with the two personas' chats."""

    def __init__(self, site: Site, folder: Path) -> None:
        self.site = site
        settings = Settings(
            _env_file=None,
            database_url=site.db.url,
            media_dir=folder / "media",
            default_language="zh",
        )
        self.transport = OfflineTelegram(bot_username="handover_bench_bot")
        self.app = build_offline(settings, site.db, self.transport, beat=False)
        self.floor = Floor(self.transport)
        self.transport.bind(self.app.bot)
        self.mine = self.chat(self.app, CONTRACTOR)
        self.checker = self.chat(self.app, INSPECTOR)
        self.profiler: cProfile.Profile | None = None
        self.profiled: str | None = None

    def chat(self, app: Any, telegram_id: int) -> OfflineChat:
        """Return a chat of a persona with one application."""
        user = OfflineUser(id=telegram_id, first_name=str(telegram_id), language_code="zh")
        return OfflineChat(app, self.transport, user)

    async def timed(
        self, name: str, step: Awaitable[list[OutMessage]], into: list[Sample]
    ) -> list[OutMessage]:
        """Run one update, recording its CPU and wall time, profiled if this flow is."""
        mark = len(self.transport.calls)
        profiling = self.profiler is not None and name == self.profiled
        cpu, wall = time.process_time(), time.perf_counter()
        if profiling:
            self.profiler.enable()
        out = await step
        if profiling:
            self.profiler.disable()
        into.append(Sample(time.process_time() - cpu, time.perf_counter() - wall))
        self.last_calls = self.transport.calls[mark:]
        return out

    async def floor_of(self, chat: OfflineChat, press: bool, message_id: int | None) -> Sample:
        """Replay the last update's calls through the floor, as a text or a press."""
        self.floor.calls = self.last_calls
        cpu, wall = time.process_time(), time.perf_counter()
        await self.floor.answer(chat.user, press, message_id)
        return Sample(time.process_time() - cpu, time.perf_counter() - wall)

    async def run(self, reps: int) -> list[Figures]:
        """Time every flow `reps` times (after one untimed warm-up each)."""
        figures = {name: Figures(name, [], []) for name in FLOWS}
        mine, checker, desk = self.mine, self.checker, self.chat(self.app, SERVICE)

        def text(chat: OfflineChat, words: Callable[[int], str]) -> Callable[[int], Any]:
            return lambda n: lambda: chat.send(words(n))

        listing = keyboard_message(await mine.send("/mylist"))
        ids = item_ids(listing, "it")
        total_pages = max(1, self.to_repair // 8)
        middle = total_pages // 2
        units = self.site.unit_codes
        item_numbers = self.my_item_ids()

        async def repeat(
            name: str,
            chat: OfflineChat,
            floor: OfflineChat,
            make: Callable[[int], Callable[[], Awaitable[list[OutMessage]]]],
            press_on: int | None = None,
            after: Callable[[], Awaitable[object]] | None = None,
        ) -> None:
            await make(reps)()  # warm-up, untimed
            if after:
                await after()
            for n in range(reps):
                await self.timed(name, make(n)(), figures[name].real)
                figures[name].floor.append(
                    await self.floor_of(floor, press_on is not None, press_on)
                )
                if after:
                    await after()

        await repeat("mylist", mine, self.mine, text(mine, lambda n: "/mylist"))
        await repeat(
            "page",
            mine,
            self.mine,
            lambda n: lambda: mine.press(f"ml:{middle}", listing.message_id),
            listing.message_id,
            after=lambda: mine.press("ml:0", listing.message_id),
        )
        await repeat(
            "card",
            mine,
            self.mine,
            lambda n: lambda: mine.press(f"it:{ids[n % len(ids)]}", listing.message_id),
            listing.message_id,
        )
        await repeat("tocheck", checker, self.checker, text(checker, lambda n: "/tocheck"))
        await repeat("unit", desk, desk, text(desk, lambda n: f"/unit {units[n % len(units)]}"))
        await repeat(
            "item",
            mine,
            self.mine,
            text(mine, lambda n: f"/item {item_numbers[n % len(item_numbers)]}"),
        )
        await self.rounds(reps, item_numbers, figures)
        return list(figures.values())

    async def rounds(self, reps: int, todo: list[int], figures: dict[str, Figures]) -> None:
        """Repaired, a photo (untimed), Done, then the inspector's Pass, on `reps` + 1 items."""
        mine, checker = self.mine, self.checker
        for n, item_id in enumerate(todo[: reps + 1]):
            keep = n > 0  # the first round warms up
            card = keyboard_message(await mine.press(f"it:{item_id}"))
            await self.step(figures, "repaired", keep, mine, f"rp:{item_id}", card.message_id)
            await mine.send_photo(PNG_HEAD + n.to_bytes(4, "big") * 16, caption="已重新打胶")
            kept = keyboard_message(mine.last_step_events)
            await self.step(figures, "done", keep, mine, f"done:{item_id}", kept.message_id)
            check = keyboard_message(await checker.press(f"ck:{item_id}"))
            await self.step(figures, "pass", keep, checker, f"ps:{item_id}", check.message_id)
        with self.site.db.session() as s:
            states = {s.get(Item, i).state for i in todo[: reps + 1]}
        if states != {ItemState.closed}:
            raise RuntimeError(f"the rounds did not close their items: {states}")

    async def step(
        self,
        figures: dict[str, Figures],
        name: str,
        keep: bool,
        chat: OfflineChat,
        data: str,
        message_id: int,
    ) -> None:
        """Time one press of a round and its floor (kept unless this is the warm-up round)."""
        sink: list[Sample] = figures[name].real if keep else []
        await self.timed(name, chat.press(data, message_id), sink)
        sample = await self.floor_of(chat, True, message_id)
        if keep:
            figures[name].floor.append(sample)

    @property
    def to_repair(self) -> int:
        """Return how many items the persona's firm has to repair."""
        with self.site.db.session() as s:
            firm = self.site.firm
            rows = s.exec(
                select(Item.id).where(
                    Item.contractor_id == firm,
                    Item.state.in_([ItemState.open.value, ItemState.rework.value]),
                )
            )
            return len(list(rows))

    def my_item_ids(self) -> list[int]:
        """Return ids of the persona's open items, spread over its backlog."""
        with self.site.db.session() as s:
            firm = self.site.firm
            rows = s.exec(
                select(Item.id)
                .where(Item.contractor_id == firm, Item.state == ItemState.open.value)
                .order_by(Item.id)
            )
            ids = list(rows)
        return ids[:: max(1, len(ids) // 500)]


NAMES = {
    "mylist": "/mylist",
    "page": "a middle page (ml:N)",
    "card": "item card (it:ID)",
    "tocheck": "/tocheck",
    "repaired": "Repaired (rp:ID)",
    "done": "Done (done:ID)",
    "pass": "Pass (ps:ID)",
    "unit": "/unit CODE (service)",
    "item": "/item N",
}


def render(figures: list[Figures], label: str) -> str:
    """Render the figures as a Markdown table."""
    lines = [
        "| data | update | n | CPU p50 ms | CPU p95 ms | wall p50 ms | wall p95 ms "
        "| floor CPU p50 ms | × floor (CPU p50) |",
        "|---|---|--:|--:|--:|--:|--:|--:|--:|",
    ]
    for f in figures:
        cpu = [s.cpu for s in f.real]
        wall = [s.wall for s in f.real]
        floor = statistics.median(s.cpu for s in f.floor) * 1000
        lines.append(
            f"| {label} | {NAMES[f.name]} | {len(cpu)} | {pct(cpu, 50):.1f} | {pct(cpu, 95):.1f} "
            f"| {pct(wall, 50):.1f} | {pct(wall, 95):.1f} | {floor:.2f} "
            f"| {pct(cpu, 50) / floor:.0f}× |"
        )
    return "\n".join(lines)


async def measure(site: Site, folder: Path, reps: int, profile: str | None) -> list[Figures]:
    """Start the application and the floor, and time every flow."""
    bench = Bench(site, folder)
    if profile:
        bench.profiler, bench.profiled = cProfile.Profile(), profile
        asyncio.get_running_loop().set_default_executor(Inline())
    async with bench.app, bench.floor.app:
        await bench.app.start()
        try:
            bench.transport.bind(bench.app.bot)
            print(f"the persona's firm has {bench.to_repair:,} items to repair", flush=True)
            figures = await bench.run(reps)
        finally:
            await bench.app.stop()
    if bench.profiler is not None:
        out = io.StringIO()
        stats = pstats.Stats(bench.profiler, stream=out).sort_stats("cumulative")
        stats.print_stats(25)
        head = f"cProfile of {profile}, {reps} updates (threads inline)"
        print(f"\n{head}, top 25 cumulative:\n{out.getvalue()}")
        print(f"{head}, own time by package:\n{by_package(stats)}\n")
        out.seek(0)
        out.truncate()
        stats.sort_stats("tottime").print_stats(25)
        print(f"{head}, top 25 by own time:\n{out.getvalue()}")
    return figures


def by_package(stats: pstats.Stats) -> str:
    """Sum the profile's own time (tottime) by the package each function lives in."""
    totals: dict[str, float] = {}
    for (filename, _, function), row in stats.stats.items():  # type: ignore[attr-defined]
        parts = Path(filename).parts
        if "site-packages" in parts:
            where = parts[parts.index("site-packages") + 1]
        elif filename == "~":
            where = f"built-in: {function.split(' of ')[-1].strip('<>')[:50]}"
        elif str(Path.cwd()) in filename:
            where = Path(filename).relative_to(Path.cwd()).parts[0]
        else:
            where = f"stdlib {Path(filename).stem}"
        totals[where] = totals.get(where, 0.0) + row[2]
    whole = sum(totals.values())
    ranked = sorted(totals.items(), key=lambda kv: -kv[1])[:15]
    return "\n".join(f"{t / whole:6.1%}  {where}" for where, t in ranked)


class Inline(ThreadPoolExecutor):
    """Run what is handed to a thread at once, in the loop's thread, so cProfile (which sees
    one thread) sees the database calls the bot makes through asyncio.to_thread."""

    def submit(self, fn: Callable[..., Any], /, *args: Any, **kwargs: Any) -> Future[Any]:
        """Call fn now and return its settled future."""
        future: Future[Any] = Future()
        try:
            future.set_result(fn(*args, **kwargs))
        except BaseException as exc:  # handed back to the awaiting coroutine, as a thread would
            future.set_exception(exc)
        return future


def load() -> str:
    """Return the load averages: other work on the machine skews the figures."""
    return "load average " + " ".join(f"{x:.2f}" for x in os.getloadavg())


def updates_bench(items: int, reps: int, url: str | None = None, profile: str | None = None) -> str:
    """Fill a site (SQLite, or its own database on the PostgreSQL server `url` names), time
    each update and its floor; return the Markdown table with the load at start and end."""
    started = load()
    with tempfile.TemporaryDirectory(prefix="handover-updates-") as tmp:
        folder = Path(tmp)
        own = postgres_database(url, items) if url else None
        db = Database(own or f"sqlite:///{folder / 'updates.db'}")
        db.migrate()
        site = fill(db, items)
        kind = "PostgreSQL" if own else "SQLite"
        print(f"filled {items:,} items in {site.seconds:.1f} s ({kind})", flush=True)
        figures = asyncio.run(measure(site, folder, reps, profile))
        db.dispose()
    return (
        f"{render(figures, f'{items:,} items, {kind}')}\n\n"
        f"{os.cpu_count()} cores; at start {started}; at end {load()}"
    )


def main(argv: list[str] | None = None) -> None:
    """Time each update and its floor on one site, print the table."""
    parser = argparse.ArgumentParser(prog="python -m bench.updates", description=__doc__)
    parser.add_argument("--items", type=int, default=10_000, help="items of the site")
    parser.add_argument("--reps", type=int, default=100, help="timed updates of each flow")
    parser.add_argument("--url", help="a PostgreSQL server (TEST_DATABASE_URL style)")
    parser.add_argument("--profile", choices=FLOWS, help="print a cProfile top 25 of one flow")
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.WARNING)
    print(updates_bench(args.items, args.reps, args.url, args.profile))


if __name__ == "__main__":
    main()
