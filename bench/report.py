"""The manager's report at a million items: a bulk-built site (cached under data/bench/), timed.

The site is a benchmark fixture, not a demo: its items and events are written by bulk inserts
from arrays (numpy), following the same story the state machine allows (raise, repaired,
fail or pass, sometimes reopen, sometimes cancel), cut at the bench's day. The domain functions
one by one would take hours for a million items.
"""

from __future__ import annotations

import argparse
import sqlite3
import statistics
import sys
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import date, timedelta
from pathlib import Path

import numpy as np
from sqlalchemy.engine import make_url
from sqlmodel import Session, select

from bench import timed
from models import project as setup
from models.db import Database
from models.report import daily_report, rework_report
from models.tables import Action, Category, ItemState, Meta, Project

CACHE = Path("data/bench")
STAMP = "report-bench v1"  # bump when the story below changes: cached files are rebuilt
DAY = date(2026, 12, 15)  # the bench's "today" on the site (Asia/Shanghai, UTC+8 all year)
HISTORY_DAYS = 400
CONTRACTORS = 30
BUILDINGS = 20
FLATS_PER_BUILDING = 150  # 2 entrances x 25 floors x 3 flats
SEED = 8
TZ_HOURS = 8  # Asia/Shanghai has no summer time: local = UTC + 8 h, which the arrays use

FIRMS = (
    "华建装饰", "明达水电", "远大门窗", "中建三局", "金鹏防水", "佳美精装", "恒信安装", "宏图幕墙",
    "鑫达瓷砖", "永安电气", "东方园林", "广厦建设", "天成涂料", "新城地坪", "安居门业", "博雅石材",
    "海川管道", "长城消防", "瑞丰暖通", "立邦墙面", "华美吊顶", "百年木业", "德力五金", "九州照明",
    "联创弱电", "润泽卫浴", "鼎盛钢构", "金盾门窗", "荣达保温", "青松绿化",
)  # fmt: skip

# Codes of the item's story; the event row gets action and from/to states from them.
RAISE, REPAIRED, FAIL, PASS, REOPEN, CANCEL = range(6)
STEP = {
    RAISE: (Action.raise_, None, ItemState.open),
    REPAIRED: (Action.report_repaired, None, ItemState.repaired),  # from open or rework
    FAIL: (Action.fail, ItemState.repaired, ItemState.rework),
    PASS: (Action.pass_, ItemState.repaired, ItemState.closed),
    REOPEN: (Action.reopen, ItemState.closed, ItemState.rework),
    CANCEL: (Action.cancel, None, ItemState.cancelled),  # from the state before
}


@dataclass(frozen=True)
class Site:
    """The built site: where it is, what it holds, how long building it took (0: cached)."""

    db: Database
    project_id: int
    items: int
    events: int
    build_s: float


def story(
    n: int, rng: np.random.Generator, first_pass: np.ndarray
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Return per item up to 12 steps: code (-1: none), day offset, second of the local day.

    `first_pass` is each item's chance to pass its first inspection (its firm, its trade).

    Day offsets count from the first day of the history; steps after the bench's day are cut,
    so the newest items are still open, under repair or waiting to be checked.
    """
    width = 12
    code = np.full((n, width), -1, dtype=np.int8)
    day = np.zeros((n, width), dtype=np.int32)
    # Handover comes in waves: more items raised in the first months, a steady trickle after.
    early = rng.random(n) < 0.6
    raised = np.sort(
        np.where(early, rng.integers(0, HISTORY_DAYS // 3, n), rng.integers(0, HISTORY_DAYS, n))
    )
    code[:, 0], day[:, 0] = RAISE, raised
    cancelled = rng.random(n) < 0.02
    # Failed ones: most pass the second time, a few need three or four rounds.
    u = (rng.random(n) - first_pass) / (1 - first_pass)
    fails = np.where(u < 0, 0, np.where(u < 0.65, 1, np.where(u < 0.9, 2, 3)))
    stuck = rng.random(n) < 0.015  # nobody comes for weeks: the long bars of the chart
    t = raised.copy()
    for r in range(4):  # repaired, then checked: failed while rounds remain, else passed
        active = ~cancelled & (fails >= r)
        t = t + rng.integers(1, 10, n) + (stuck * rng.integers(20, 120, n) if r == 0 else 0)
        code[active, 1 + 2 * r], day[active, 1 + 2 * r] = REPAIRED, t[active]
        t = t + rng.integers(0, 4, n)  # days until the inspectors come
        code[active, 2 + 2 * r] = np.where(fails[active] > r, FAIL, PASS)
        day[active, 2 + 2 * r] = t[active]
    # After the pass a few come back (the leak after rain), are repaired and passed again.
    back = np.nonzero(~cancelled & (rng.random(n) < 0.03))[0]
    when = day[back, 2 + 2 * fails[back]]
    for k, (what, gap) in enumerate(((REOPEN, (5, 60)), (REPAIRED, (1, 10)), (PASS, (0, 4)))):
        when = when + rng.integers(*gap, len(back))
        code[back, 3 + 2 * fails[back] + k], day[back, 3 + 2 * fails[back] + k] = what, when
    gone = np.nonzero(cancelled)[0]
    code[gone, 1], day[gone, 1] = CANCEL, raised[gone] + rng.integers(1, 20, len(gone))
    code[day > HISTORY_DAYS - 1] = -1  # not yet happened on the bench's day
    # Site hours; sorted along the row, so two steps on one day keep their order (days never
    # go down along a row), and the step number as extra seconds makes every instant distinct.
    second = np.sort(rng.integers(8 * 3600, 20 * 3600, (n, width)), axis=1) + np.arange(width)
    return code, day, second


def _instants(first: date, day: np.ndarray, second: np.ndarray) -> np.ndarray:
    """Return UTC instants as SQLAlchemy writes them to SQLite ('YYYY-MM-DD HH:MM:SS.ffffff')."""
    base = np.datetime64(first.isoformat(), "s") - np.timedelta64(TZ_HOURS * 3600, "s")
    stamps = base + day.astype("timedelta64[D]") + second.astype("timedelta64[s]")
    text = np.datetime_as_string(stamps, unit="s")
    return np.char.add(np.char.replace(text, "T", " "), ".000000")


def build(path: Path, items: int) -> Site:
    """Build the site in a fresh SQLite file (bulk inserts), or reuse the cached one."""
    db = Database(f"sqlite:///{path}")
    if path.exists():
        db.migrate()  # a newer migration (an index) applies to the cached data as well
        with db.session() as s:
            stamp = s.get(Meta, "bench_report")
            project = s.exec(select(Project).where(Project.name == "基准项目")).first()
        if stamp is not None and stamp.value == f"{STAMP} items={items}" and project:
            return Site(db, project.id, items, _count(db, "event"), 0.0)
        db.dispose()
        for stale in path.parent.glob(path.name + "*"):  # the file and its -wal, -shm
            stale.unlink()
    start = time.perf_counter()
    tmp = path.with_suffix(".building")
    for leftover in tmp.parent.glob(tmp.name + "*"):
        leftover.unlink()
    db = Database(f"sqlite:///{tmp}")
    db.migrate()
    with db.session() as s:
        project = setup.create_project(s, name="基准项目", timezone="Asia/Shanghai")
        categories = [
            c.id for c in s.exec(select(Category).where(Category.project_id == project.id))
        ]
        project_id = project.id
    db.dispose()
    events = _fill(f"sqlite:///{tmp}", project_id, categories, items)
    tmp.rename(path)
    db = Database(f"sqlite:///{path}")
    return Site(db, project_id, items, events, time.perf_counter() - start)


def build_postgres(server: str, items: int) -> Site:
    """Build the same site in a PostgreSQL database of its own (kept between runs)."""
    from sqlalchemy import create_engine

    name = f"handover_bench_report_{items}"
    url = make_url(server).set(database=name).render_as_string(False)
    admin = create_engine(server, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        exists = conn.exec_driver_sql(
            "SELECT 1 FROM pg_database WHERE datname = %(n)s", {"n": name}
        ).first()
    if exists:
        db = Database(url)
        db.migrate()
        with db.session() as s:
            stamp = s.get(Meta, "bench_report")
            project = s.exec(select(Project).where(Project.name == "基准项目")).first()
        if stamp is not None and stamp.value == f"{STAMP} items={items}" and project:
            return Site(db, project.id, items, _count(db, "event"), 0.0)
        db.dispose()
    start = time.perf_counter()
    with admin.connect() as conn:
        conn.exec_driver_sql(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")
        conn.exec_driver_sql(f"CREATE DATABASE {name}")
    admin.dispose()
    db = Database(url)
    db.migrate()
    with db.session() as s:
        project = setup.create_project(s, name="基准项目", timezone="Asia/Shanghai")
        query = select(Category).where(Category.project_id == project.id).order_by(Category.id)
        categories = [c.id for c in s.exec(query)]
        project_id = project.id
    events = _fill(url, project_id, categories, items)
    # Statistics and the visibility map (index-only scans), as autovacuum gives a live site.
    with db.engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
        conn.exec_driver_sql("VACUUM ANALYZE")
    return Site(db, project_id, items, events, time.perf_counter() - start)


def _count(db: Database, table: str) -> int:
    with db.engine.connect() as conn:
        return conn.exec_driver_sql(f"SELECT count(*) FROM {table}").scalar_one()


class _Writer:
    """One raw connection to bulk-load into: SQLite (executemany) or PostgreSQL (COPY)."""

    def __init__(self, url: str) -> None:
        self.sqlite = url.startswith("sqlite")
        if self.sqlite:
            self.conn = sqlite3.connect(make_url(url).database, isolation_level=None)
            self.conn.execute("PRAGMA journal_mode=OFF")  # a fixture: a failed build is redone
            self.conn.execute("PRAGMA synchronous=OFF")
            self.conn.execute("PRAGMA cache_size=-400000")
            self.conn.execute("BEGIN")
            listed = "SELECT name, sql FROM sqlite_master WHERE type='index' AND sql IS NOT NULL"
        else:
            import psycopg

            plain = make_url(url).set(drivername="postgresql").render_as_string(False)
            self.conn = psycopg.connect(plain)
            listed = (
                "SELECT indexname, indexdef FROM pg_indexes WHERE schemaname = 'public' "
                "AND indexname NOT LIKE '%%pkey'"
            )
        # Indexes are dropped while the rows go in and made again after: much faster in bulk.
        self.indexes = [
            (name, sql) for name, sql in self.rows(listed + " AND tablename_ IN ('item', 'event')")
        ]
        for name, _ in self.indexes:
            self.run(f"DROP INDEX {name}")
        self.stamp_suffix = "" if self.sqlite else "+00"  # SQLite keeps UTC without offset

    def run(self, sql: str, params: tuple = ()) -> None:
        """Run one statement ('?' placeholders)."""
        self.conn.execute(sql if self.sqlite else sql.replace("?", "%s"), params)

    def rows(self, sql: str, params: tuple = ()) -> list[tuple]:
        """Return the rows of one query ('?' placeholders)."""
        if self.sqlite:
            sql = sql.replace("tablename_", "tbl_name")
            return self.conn.execute(sql, params).fetchall()
        sql = sql.replace("tablename_", "tablename").replace("?", "%s")
        return self.conn.execute(sql, params).fetchall()

    def many(self, table: str, columns: tuple[str, ...], rows: Iterable[tuple]) -> None:
        """Insert many rows into a table."""
        names = ", ".join(columns)
        if self.sqlite:
            marks = ", ".join("?" * len(columns))
            self.conn.executemany(f"INSERT INTO {table} ({names}) VALUES ({marks})", rows)
            return
        with self.conn.cursor().copy(f"COPY {table} ({names}) FROM STDIN") as copy:
            for row in rows:
                copy.write_row(row)

    def finish(self) -> None:
        """Make the indexes again, commit, close."""
        for _, sql in self.indexes:
            self.run(sql)
        self.conn.commit() if not self.sqlite else self.conn.execute("COMMIT")
        if self.sqlite:
            self.conn.execute("PRAGMA journal_mode=WAL")  # as the app runs it
        self.conn.close()


def _fill(url: str, project_id: int, categories: list[int], n: int) -> int:
    """Write flats, firms, rules, items and events with one raw connection; return the events."""
    rng = np.random.default_rng(SEED)
    first = DAY - timedelta(days=HISTORY_DAYS - 1)
    out = _Writer(url)
    out.many(
        "contractor",
        ("project_id", "name", "trades"),
        [(project_id, name, "") for name in FIRMS[:CONTRACTORS]],
    )
    firms = [
        r[0] for r in out.rows("SELECT id FROM contractor WHERE project_id = ?", (project_id,))
    ]
    units = [
        (project_id, f"{b}-{e}-{f}{k:02d}", str(b), str(e), f)
        for b in range(1, BUILDINGS + 1)
        for e in (1, 2)
        for f in range(1, 26)
        for k in range(1, 4)
    ][: BUILDINGS * FLATS_PER_BUILDING]
    out.many("unit", ("project_id", "code", "building", "entrance", "floor"), units)
    unit_rows = out.rows(
        "SELECT id, building FROM unit WHERE project_id = ? ORDER BY id", (project_id,)
    )
    unit_ids = np.array([u[0] for u in unit_rows])
    unit_building = np.array([int(u[1]) - 1 for u in unit_rows])
    # Who repairs what: each category has a firm, some buildings have their own for it.
    rule = rng.integers(0, len(firms), (len(categories), BUILDINGS))
    rule[:, :] = rule[:, :1]
    own = rng.random((len(categories), BUILDINGS)) < 0.3
    rule[own] = rng.integers(0, len(firms), own.sum())
    out.many(
        "assignmentrule",
        ("project_id", "category_id", "building", "contractor_id"),
        [(project_id, categories[c], None, firms[rule[c, 0]]) for c in range(len(categories))]
        + [
            (project_id, categories[c], str(b + 1), firms[rule[c, b]])
            for c in range(len(categories))
            for b in range(BUILDINGS)
            if own[c, b]
        ],
    )

    unit = rng.integers(0, len(unit_ids), n)
    category = rng.choice(len(categories), n, p=[0.3, 0.2, 0.15, 0.15, 0.1, 0.06, 0.04])
    firm = rule[category, unit_building[unit]]
    contractor = np.array(firms)[firm]
    # Some firms are better than others, and leaks (category 0) come back most.
    quality = rng.uniform(0.55, 0.9, len(firms))
    penalty = np.array([0.12, 0.05, 0.03, 0.06, 0.02, 0.0, 0.0])[: len(categories)]
    code, day, second = story(n, rng, np.clip(quality[firm] - penalty[category], 0.3, 0.95))
    valid = code >= 0
    steps = valid.sum(axis=1)
    last = steps - 1
    last_code = code[np.arange(n), last]
    last_day = day[np.arange(n), last]
    state = np.array([STEP[c][2].value for c in range(6)], dtype=object)[last_code]
    rework = ((code == FAIL) | (code == REOPEN)).sum(axis=1)
    first_inspection = np.where(
        code[:, 2] == PASS, "pass", np.where(code[:, 2] == FAIL, "fail", None)
    )
    # Due 7 days after raised; a failed or reopened item no sooner than 3 days after that day.
    back_day = np.where((code == FAIL) | (code == REOPEN), day, -1).max(axis=1)
    due = np.maximum(day[:, 0] + 7, np.where(back_day >= 0, back_day + 3, 0))
    dates = np.array(
        [(first + timedelta(days=k)).isoformat() for k in range(HISTORY_DAYS + 80)], dtype=object
    )
    stamps = np.char.add(_instants(first, day, second), out.stamp_suffix)
    closed = state == ItemState.closed.value
    out.many(
        "item",
        (
            "project_id",
            "unit_id",
            "location",
            "category_id",
            "description",
            "raised_on",
            "contractor_id",
            "state",
            "rework_count",
            "due_on",
            "first_inspection",
            "closed_on",
            "entered_at",
            "closed_at",
            "version",
        ),
        zip(
            [project_id] * n,
            unit_ids[unit].tolist(),
            ["卫生间"] * n,
            np.array(categories)[category].tolist(),
            ["吊顶渗水，墙角发霉"] * n,
            dates[day[:, 0]].tolist(),
            contractor.tolist(),
            state.tolist(),
            rework.tolist(),
            dates[due].tolist(),
            first_inspection.tolist(),
            np.where(closed, dates[last_day], None).tolist(),
            stamps[:, 0].tolist(),
            np.where(closed, stamps[np.arange(n), last], None).tolist(),
            last.tolist(),
            strict=True,
        ),
    )
    first_id = out.rows("SELECT min(id) FROM item WHERE project_id = ?", (project_id,))[0][0]

    # Events: every valid step, in the order they happened (ids grow with time, as live).
    item_of, step_of = np.nonzero(valid)
    ev_code = code[item_of, step_of]
    before = np.where(step_of > 0, code[item_of, np.maximum(step_of - 1, 0)], -1)
    states = np.array([STEP[c][2].value for c in range(6)] + [None], dtype=object)
    to_state, from_state = states[ev_code], states[before]  # index -1: None, nothing before
    order = np.lexsort((second[item_of, step_of], day[item_of, step_of]))
    actions = np.array([STEP[c][0].value for c in range(6)], dtype=object)
    out.many(
        "event",
        ("item_id", "at", "action", "from_state", "to_state", "contractor_id"),
        zip(
            (item_of[order] + first_id).tolist(),
            stamps[item_of, step_of][order].tolist(),
            actions[ev_code][order].tolist(),
            from_state[order].tolist(),
            to_state[order].tolist(),
            np.where(ev_code == RAISE, contractor[item_of], None)[order].tolist(),
            strict=True,
        ),
    )
    out.many("meta", ("key", "value"), [("bench_report", f"{STAMP} items={n}")])
    out.finish()
    return len(order)


def timings(site: Site, runs: int) -> list[tuple[str, float, list[float]]]:
    """Time the two reports and the parts of the daily one: (name, cold s, warm samples)."""
    from models.report import _ageing, _series, _today

    db, pid = site.db, site.project_id
    with db.session() as s:
        project = s.get(Project, pid)
        live = _today(s, project, DAY).open

    def part(fn: Callable[[Session], object]) -> Callable[[], object]:
        """Run one part of the daily report in its own session."""

        def call() -> object:
            with db.session() as s:
                return fn(s)

        return call

    cases: list[tuple[str, Callable[[], object]]] = [
        ("daily_report", lambda: db.run(daily_report, project_id=pid, day=DAY)),
        ("rework_report", lambda: db.run(rework_report, project_id=pid, day=DAY)),
        ("daily: today's counts", part(lambda s: _today(s, project, DAY))),
        ("daily: ageing, pass rate, median", part(lambda s: _ageing(s, pid, DAY))),
        ("daily: the 30 days", part(lambda s: _series(s, project, DAY, live))),
    ]
    out = []
    for name, fn in cases:
        cold = timed(fn)
        out.append((name, cold, [timed(fn) for _ in range(runs)]))
    return out


def render(site: Site, rows: list[tuple[str, float, list[float]]], label: str) -> str:
    """Render the timings as a Markdown table."""
    lines = [
        f"{label}: {site.items:,} items, {site.events:,} events; "
        + (f"built in {site.build_s:.0f} s" if site.build_s else "reused from the cache"),
        "",
        "| operation | runs | min ms | median ms | max ms | cold ms |",
        "|---|--:|--:|--:|--:|--:|",
    ]
    for name, cold, samples in rows:
        lines.append(
            f"| {name} | {len(samples)} | {min(samples) * 1000:.0f} "
            f"| {statistics.median(samples) * 1000:.0f} | {max(samples) * 1000:.0f} "
            f"| {cold * 1000:.0f} |"
        )
    return "\n".join(lines)


def report_bench(items: int, runs: int, postgres: str | None = None) -> str:
    """Build (or reuse) the big site, time the reports, return the Markdown."""
    CACHE.mkdir(parents=True, exist_ok=True)
    print(f"the report's site ({items:,} items) in {CACHE}...", file=sys.stderr, flush=True)
    site = build(CACHE / f"report-{items}.db", items)
    try:
        out = render(site, timings(site, runs), "SQLite")
    finally:
        site.db.dispose()
    if postgres:
        print(f"the report's site ({items:,} items) on PostgreSQL...", file=sys.stderr, flush=True)
        site = build_postgres(postgres, items)
        try:
            out += "\n\n" + render(site, timings(site, runs), "PostgreSQL")
        finally:
            site.db.dispose()
    return out


def main(argv: list[str] | None = None) -> None:
    """Time the manager's report on a big site; print Markdown."""
    parser = argparse.ArgumentParser(prog="python -m bench.report", description=__doc__)
    parser.add_argument("--items", type=int, default=1_000_000)
    parser.add_argument("--runs", type=int, default=7)
    parser.add_argument("--postgres", help="a PostgreSQL server URL to time the same site on")
    args = parser.parse_args(argv)
    print(report_bench(args.items, args.runs, args.postgres))


if __name__ == "__main__":
    main()
