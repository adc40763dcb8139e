"""Run the benchmarks: demo data, the real bot over the offline transport, the raw domain calls."""

from __future__ import annotations

import argparse
import asyncio
import itertools
import logging
import os
import platform
import sqlite3
import statistics
import sys
import tempfile
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from sqlalchemy import event
from sqlmodel import Session

from bench import Timing, atimed, item_ids, keyboard_message, measure, table, timed
from bench.charts import report_path_bench
from bench.push import bench_push
from bench.report import report_bench
from bench.updates import updates_bench
from bench.workbooks import workbooks
from bot.telegram.offline import OfflineChat, OfflineTelegram, OfflineUser
from bot.telegram.stand_in import build_offline
from demo import INSPECTOR_IDS, DemoSummary, build_demo
from models.db import Database
from models.people import find_person
from models.queries import contractor_list, item_card, to_check_list
from models.repair import apply_transition
from models.settings import Settings
from models.tables import Action, AppUser, Item, ItemState, Platform

INSPECTOR = INSPECTOR_IDS[0]
BUILD_BUDGET = 180.0  # seconds the big build may take; a bigger site is scaled down to fit
PNG_HEAD = b"\x89PNG\r\n\x1a\n"


@dataclass
class Dataset:
    """A built demo database and the people the benchmarks act as."""

    label: str
    db: Database
    folder: Path
    summary: DemoSummary
    build_s: float
    contractor: int  # telegram id of the contractor persona with the most items to repair
    contractor_name: str
    to_repair: int
    to_check: int

    @property
    def size_mb(self) -> float:
        """Return the size of the SQLite file (and its WAL) in MB."""
        files = self.folder.glob("bench.db*")
        return sum(f.stat().st_size for f in files) / 1e6


def uid(db: Database, telegram_id: int) -> int:
    """Return the user id of a demo person known by their Telegram id."""
    person = db.run(find_person, platform=Platform.telegram, account=str(telegram_id))
    if person is None:
        raise RuntimeError(f"no demo person has Telegram id {telegram_id}")
    return person.id


def build(root: Path, items: int) -> Dataset:
    """Build the demo with `items` items in a fresh SQLite file and pick the busiest contractor."""
    folder = root / f"items-{items}"
    db = Database(f"sqlite:///{folder / 'bench.db'}")
    db.migrate()
    start = time.perf_counter()
    summary = build_demo(db, items=items)
    build_s = time.perf_counter() - start
    with db.engine.connect() as conn:  # fold the WAL into the file, so its size is the data's
        conn.exec_driver_sql("PRAGMA wal_checkpoint(TRUNCATE)")
    contractors = [p for p in summary.personas if p.role.endswith("(contractor)")]
    totals = {p: db.run(contractor_list, user_id=uid(db, p.telegram_id)).total for p in contractors}
    busiest = max(contractors, key=lambda p: totals[p])
    firm = busiest.role.split("·", 1)[1].rsplit("(", 1)[0].strip()
    to_check = db.run(to_check_list, user_id=uid(db, INSPECTOR)).total
    label = f"{summary.items:,} items"
    return Dataset(
        label, db, folder, summary, build_s, busiest.telegram_id, firm, totals[busiest], to_check
    )


class Bot:
    """The real application on the offline transport, and chats as demo people."""

    def __init__(self, data: Dataset) -> None:
        self.data = data
        self.settings = Settings(
            _env_file=None,
            database_url=data.db.url,
            media_dir=data.folder / "media",
            default_language="zh",
            require_repair_photo=True,
        )
        self.transport = OfflineTelegram(bot_username="handover_bench_bot")
        self.app = build_offline(self.settings, data.db, self.transport)

    def chat(self, telegram_id: int) -> OfflineChat:
        """Return a chat driver for a demo person; any refusal raises, so no error path is timed."""
        user = OfflineUser(id=telegram_id, first_name=str(telegram_id), language_code="zh")
        return OfflineChat(self.app, self.transport, user)


async def chat_lists(bot: Bot, reps: int) -> list[Timing]:
    """Time /mylist, paging, /tocheck as the app answers them in chat."""
    label, mine, checker = bot.data.label, bot.chat(bot.data.contractor), bot.chat(INSPECTOR)
    out = []
    first = await atimed(mine.send("/mylist"))
    samples = [await atimed(mine.send("/mylist")) for _ in range(reps)]
    out.append(Timing("chat /mylist (contractor)", label, tuple(samples), first))

    listing = keyboard_message(await mine.send("/mylist"))
    samples = []
    for _ in range(reps):
        samples.append(await atimed(mine.press("ml:1", listing.message_id)))
        await mine.press("ml:0", listing.message_id)  # back, so the next ml:1 changes the text
    out.append(Timing("chat press ml:1 (next page)", label, tuple(samples)))

    first = await atimed(checker.send("/tocheck"))
    samples = [await atimed(checker.send("/tocheck")) for _ in range(reps)]
    out.append(Timing("chat /tocheck (inspector)", label, tuple(samples), first))
    return out


async def chat_cards(bot: Bot, reps: int) -> list[Timing]:
    """Time opening an item card (contractor) and a to-check card (inspector)."""
    label, mine, checker = bot.data.label, bot.chat(bot.data.contractor), bot.chat(INSPECTOR)
    out = []
    for chat, command, prefix, name in (
        (mine, "/mylist", "it", "chat press it:ID (item card)"),
        (checker, "/tocheck", "ck", "chat press ck:ID (to-check card)"),
    ):
        listing = keyboard_message(await chat.send(command))
        ids = itertools.cycle(item_ids(listing, prefix))
        samples = []
        for _ in range(reps):
            data = f"{prefix}:{next(ids)}"
            samples.append(await atimed(chat.press(data, listing.message_id)))
        out.append(Timing(name, label, tuple(samples)))
    return out


async def chat_rounds(bot: Bot, rounds: int) -> list[Timing]:
    """Time whole rounds: Repaired, a photo with its caption, Done, then the inspector's Pass."""
    data, mine, checker = bot.data, bot.chat(bot.data.contractor), bot.chat(INSPECTOR)
    todo = [
        line.id
        for page in range(-(-rounds // 8))
        for line in data.db.run(
            contractor_list, user_id=uid(data.db, data.contractor), page=page
        ).items
    ][:rounds]
    press, photo, done, passed, whole = [], [], [], [], []
    for n, item_id in enumerate(todo):
        card = keyboard_message(await mine.press(f"it:{item_id}"))
        t_press = await atimed(mine.press(f"rp:{item_id}", card.message_id))
        png = PNG_HEAD + n.to_bytes(4, "big") * 16  # a new photo each time, stored by its hash
        t_photo = await atimed(mine.send_photo(png, caption="已重新打胶"))
        kept = keyboard_message(mine.last_step_events)
        t_done = await atimed(mine.press(f"done:{item_id}", kept.message_id))
        check = keyboard_message(await checker.press(f"ck:{item_id}"))
        t_pass = await atimed(checker.press(f"ps:{item_id}", check.message_id))
        press.append(t_press)
        photo.append(t_photo)
        done.append(t_done)
        passed.append(t_pass)
        whole.append(t_press + t_photo + t_done + t_pass)
    with data.db.session() as session:
        states = {session.get(Item, i).state for i in todo}
    if states != {ItemState.closed}:
        raise RuntimeError(f"rounds did not close their items: {states}")
    return [
        Timing("chat press rp:ID (Repaired)", data.label, tuple(press)),
        Timing("chat photo+caption (photo kept)", data.label, tuple(photo)),
        Timing("chat press done:ID (report saved)", data.label, tuple(done)),
        Timing("chat press ps:ID (Pass)", data.label, tuple(passed)),
        Timing("chat round rp + photo + done + ps", data.label, tuple(whole), unit="round"),
    ]


async def drive(data: Dataset, reps: int, rounds: int, *, full: bool) -> list[Timing]:
    """Start the bot on a data set and time what people do in chat."""
    bot = Bot(data)
    async with bot.app:
        await bot.app.start()
        try:
            out = await chat_lists(bot, reps)
            if full:
                out += await chat_cards(bot, reps)
                out += await chat_rounds(bot, rounds)
        finally:
            await bot.app.stop()
    return out


def domain_lists(data: Dataset, reps: int, *, full: bool) -> list[Timing]:
    """Time the read models behind the lists and cards, called straight through db.run."""
    db, label = data.db, data.label
    mine, inspector = uid(db, data.contractor), uid(db, INSPECTOR)
    out = [
        measure(
            "contractor_list (page 0)",
            label,
            lambda: db.run(contractor_list, user_id=mine),
            reps,
        ),
        measure(
            "to_check_list (page 0)",
            label,
            lambda: db.run(to_check_list, user_id=inspector),
            reps,
        ),
    ]
    if full:
        ids = itertools.cycle([x.id for x in db.run(contractor_list, user_id=mine).items])
        out.append(
            measure(
                "item_card",
                label,
                lambda: db.run(item_card, user_id=mine, item_id=next(ids)),
                reps,
            )
        )
    return out


def sql_inside(data: Dataset, reps: int) -> list[str]:
    """Time each SQL statement on the item table that the two lists run, with SQLite's plan."""
    db, timings, clock = data.db, {}, []

    def before(*_: object) -> None:
        """Start the clock for one statement."""
        clock.append(time.perf_counter())

    def after(_conn: object, _cursor: object, statement: str, params: object, *_: object) -> None:
        """Stop the clock and file the time under its statement."""
        timings.setdefault((statement, params), []).append(time.perf_counter() - clock.pop())

    rows = []
    for name, fn, who in (
        ("contractor_list", contractor_list, uid(db, data.contractor)),
        ("to_check_list", to_check_list, uid(db, INSPECTOR)),
    ):
        timings.clear()
        event.listen(db.engine, "before_cursor_execute", before)
        event.listen(db.engine, "after_cursor_execute", after)
        try:
            for _ in range(reps):
                db.run(fn, user_id=who)
        finally:
            event.remove(db.engine, "before_cursor_execute", before)
            event.remove(db.engine, "after_cursor_execute", after)
        for (statement, params), samples in timings.items():
            if "FROM item" not in statement:
                continue
            with db.engine.connect() as conn:
                plan = conn.exec_driver_sql("EXPLAIN QUERY PLAN " + statement, params).all()
            kind = "count" if statement.startswith("SELECT count") else "page"
            steps = "; ".join(r[-1] for r in plan if "PRIMARY KEY" not in r[-1])
            ms = statistics.median(samples) * 1000
            rows.append(f"| {data.label} | {name} {kind} | {ms:.2f} | {steps} |")
    return rows


def _moves(db: Database, contractor: int) -> Iterator[tuple[int, Action, str | None]]:
    """Yield legal moves forever: each item of the contractor goes repaired, failed, repaired..."""
    mine = uid(db, contractor)
    items = [x.id for x in db.run(contractor_list, user_id=mine, page_size=50).items]
    if not items:
        raise RuntimeError("no items left to move")
    failed = dict.fromkeys(items, True)  # open or rework: next comes a repair
    for item_id in itertools.cycle(items):
        if failed[item_id]:
            yield item_id, Action.report_repaired, "已处理"
        else:
            yield item_id, Action.fail, "仍有渗水"
        failed[item_id] = not failed[item_id]


def transitions(data: Dataset, count: int, batch: int) -> list[Timing]:
    """Time apply_transition: many in one session (one commit) vs one session each."""
    db, label = data.db, data.label
    moves = _moves(db, data.contractor)
    ids = {Action.report_repaired: uid(db, data.contractor), Action.fail: uid(db, INSPECTOR)}

    def one(session: Session, item_id: int, action: Action, note: str | None) -> None:
        """Apply one move as the right person."""
        user = session.get(AppUser, ids[action])
        apply_transition(session, item_id=item_id, user=user, action=action, note=note)

    def batch_in_one_session() -> None:
        """Apply `batch` moves in one session and commit once."""
        with db.session() as session:
            for _ in range(batch):
                one(session, *next(moves))

    per_batch = [timed(batch_in_one_session) for _ in range(max(1, count // batch))]
    single = [timed(lambda: db.run(one, **_kw(next(moves)))) for _ in range(count)]
    return [
        Timing(
            f"apply_transition, {batch} per session",
            label,
            tuple(t / batch for t in per_batch),
            unit="transition",
        ),
        Timing("apply_transition, 1 per session", label, tuple(single), unit="transition"),
    ]


def _kw(move: tuple[int, Action, str | None]) -> dict[str, object]:
    """Name the parts of a move for db.run."""
    item_id, action, note = move
    return {"item_id": item_id, "action": action, "note": note}


def datasets_table(sets: list[Dataset]) -> str:
    """Render what each data set holds and how long it took to build."""
    lines = [
        "| data | build s | file MB | busiest contractor (persona) | to repair | to check |",
        "|---|--:|--:|---|--:|--:|",
    ]
    for d in sets:
        lines.append(
            f"| {d.label} | {d.build_s:.1f} | {d.size_mb:.1f} | {d.contractor_name} "
            f"({d.contractor}) | {d.to_repair} | {d.to_check} |"
        )
    return "\n".join(lines)


def machine() -> str:
    """Describe where the figures were taken."""
    return (
        f"{platform.machine()}, {os.cpu_count()} cores (nproc {len(os.sched_getaffinity(0))}), "
        f"Python {platform.python_version()}, SQLite {sqlite3.sqlite_version}, {platform.system()}"
    )


def load() -> str:
    """Return the load averages: other work on the machine skews the figures."""
    return "load average " + " ".join(f"{x:.2f}" for x in os.getloadavg())


def big_size(small: Dataset, wanted: int) -> int:
    """Return the biggest item count up to `wanted` whose build should fit the budget."""
    per_item = small.build_s / small.summary.items
    if per_item * wanted * 1.15 <= BUILD_BUDGET:  # the build grows a little faster than linear
        return wanted
    return max(small.summary.items, int(BUILD_BUDGET / (per_item * 1.15)) // 1000 * 1000)


def main(argv: list[str] | None = None) -> None:
    """Build the data sets, run every benchmark, print Markdown tables."""
    parser = argparse.ArgumentParser(prog="python -m bench", description=__doc__)
    parser.add_argument("--items", type=int, default=3000, help="items of the demo site")
    parser.add_argument("--big", type=int, default=20000, help="items of the big site (0: skip)")
    parser.add_argument("--reps", type=int, default=50, help="repetitions of each chat step")
    parser.add_argument("--domain-reps", type=int, default=200, help="repetitions of each query")
    parser.add_argument("--rounds", type=int, default=20, help="repair-and-pass rounds in chat")
    parser.add_argument("--transitions", type=int, default=400, help="apply_transition calls")
    parser.add_argument(
        "--push", type=int, default=3000, help="recipients of the morning push (0: skip)"
    )
    parser.add_argument(
        "--updates",
        type=int,
        default=10_000,
        help="items of the site timing each update against its floor (0: skip)",
    )
    parser.add_argument(
        "--report-items",
        type=int,
        default=1_000_000,
        help="items of the manager's report site, built once into data/bench/ (0: skip)",
    )
    parser.add_argument("--report-runs", type=int, default=7, help="timed runs of each report")
    parser.add_argument(
        "--report-postgres", help="a PostgreSQL server URL: time the report's site there too"
    )
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.WARNING)
    started = time.perf_counter()
    print(f"# Benchmarks\n\n{machine()}; at start {load()}\n", flush=True)
    with tempfile.TemporaryDirectory(prefix="handover-bench-") as tmp:
        root = Path(tmp)
        print(f"building the demo site ({args.items} items)...", file=sys.stderr, flush=True)
        small = build(root, args.items)
        sets, timings = [small], []
        timings += asyncio.run(drive(small, args.reps, args.rounds, full=True))
        timings += domain_lists(small, args.domain_reps, full=True)
        plans = sql_inside(small, args.domain_reps)
        timings += transitions(small, args.transitions, batch=50)
        timings += workbooks(small.db, small.label, args.reps)  # last on this site: it imports
        if args.big:
            items = big_size(small, args.big)
            if items < args.big:
                print(f"note: the big site is {items} items, not {args.big}, to fit the budget")
            print(f"building the big site ({items} items)...", file=sys.stderr, flush=True)
            big = build(root, items)
            sets.append(big)
            timings += asyncio.run(drive(big, args.reps, args.rounds, full=False))
            timings += domain_lists(big, args.domain_reps, full=False)
            plans += sql_inside(big, args.domain_reps)
        print(datasets_table(sets), end="\n\n")
        print(table(timings), end="\n\n")
        print(
            "SQL on the item table inside the lists (median ms; SQLite's plan, PK lookups left out)"
        )
        print("\n| data | statement | median ms | plan |\n|---|---|--:|---|")
        print("\n".join(plans), end="\n\n")
        for d in sets:
            d.db.dispose()
        if args.push:
            print(f"pushing to {args.push} people (~{args.push / 30:.0f} s)...", file=sys.stderr)
            print("A morning push through the offline Telegram enforcing the flood limits\n")
            print(bench_push(root, args.push), end="\n\n")
    if args.updates:
        print(f"timing each update on {args.updates:,} items...", file=sys.stderr, flush=True)
        print("CPU per update through the real bot, against a floor making the same calls\n")
        print(updates_bench(args.updates, args.reps), end="\n\n", flush=True)
    if args.report_items:
        print("The manager's report (models.report), one session per call\n")
        print(
            report_bench(args.report_items, args.report_runs, args.report_postgres),
            end="\n\n",
            flush=True,
        )
        print("/report end to end (figures, picture, caption) on the same site\n")
        print(report_path_bench(args.report_items, args.report_runs), end="\n\n", flush=True)
    print(f"whole run: {time.perf_counter() - started:.0f} s; at end {load()}")


if __name__ == "__main__":
    main()
