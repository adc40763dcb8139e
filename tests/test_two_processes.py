"""Two real `python -m bot run --webhook URL` processes on one database behind a balancer.

The offline Telegram (bot/telegram/apiserver.py) posts every update to the webhook, as
Telegram does; a small round-robin balancer (bot/balancer.py) hands each to one process or
the other. 20 people act at once, each waiting for the answer to one update before the next, 200
updates in all: inspectors pressing Pass on the same items, contractors reporting the same
items done, while the morning push falls due. Then: every update answered once, every
transition made once, every push sent once, and Telegram's limits kept across both processes,
as Telegram itself counts them (1 send a second to a chat, 30 in any sliding second in all).
"""

from __future__ import annotations

import asyncio
import os
import signal
import subprocess
import sys
import time
from collections import Counter
from collections.abc import Awaitable, Callable
from datetime import timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from sqlmodel import Session, select

from bot.balancer import Balancer
from bot.telegram.apiserver import serve
from bot.telegram.offline import ApiCall, FloodLimits, OfflineTelegram, OfflineUser
from models import clock, people
from models import project as setup
from models.db import Database
from models.intake import raise_item
from models.repair import apply_transition
from models.tables import (
    Action,
    AppUser,
    Event,
    Identity,
    ItemState,
    Platform,
    PushKind,
    PushLog,
    PushRun,
    PushStatus,
    Role,
)
from tests.test_real_run import ROOT, TOKEN
from tests.test_wecom_run import free_port

# The bots under test run in other processes, on the machine's time: so does this test.
pytestmark = [
    pytest.mark.usefixtures("real_clock"),
    # Two processes starting and 200 updates take 20-45 s on a loaded 2-core machine: too long
    # for `make test`; CI runs it on PostgreSQL. (It passes on SQLite too: drop this to try.)
    pytest.mark.skipif(
        not os.environ.get("TEST_DATABASE_URL"),
        reason="two real processes on one database: on PostgreSQL only (TEST_DATABASE_URL)",
    ),
]

# Each process paces its own sends only, and a reply to a person's own press not at all, so a
# person's two quick presses handled by the two processes get two messages within a second.
# The limits branch (issue 16, point 2) shares the limits across processes; once it is merged
# this goes, and a 429 fails the test.
SHARED_LIMITS_PENDING = False

CONTRACTORS = [2001 + n for n in range(10)]
INSPECTORS = [3001 + n for n in range(10)]
PRESSES_EACH = 9  # after one list command: 10 updates a person, 200 in all
WAIT = 30.0  # seconds for one answer on a loaded machine (normally well under one)


def morning_zone() -> str:
    """Return a time zone where it is between 01:00 and 10:59 now: the morning push (00:00) is
    due there all through the test, and the day does not turn."""
    now = clock.system()
    for hours in range(-12, 15):
        name = f"Etc/GMT{-hours:+d}" if hours else "Etc/GMT"
        if 1 <= now.astimezone(ZoneInfo(name)).hour <= 10:
            return name
    raise AssertionError("some zone is always in its morning")


def prepared(db: Database, zone: str) -> tuple[list[int], list[int]]:
    """A project: one contractor firm with 10 people, 10 inspectors, 10 items awaiting
    acceptance and 10 open; return (items to check, items to repair)."""
    with db.session() as s:
        project = setup.create_project(s, name="Riverside 1", timezone=zone)
        firm = setup.add_contractor(s, project_id=project.id, name="华建装饰", trades="leak")
        setup.add_unit(s, project_id=project.id, code="3-1-1202")
        setup.set_rule(s, project_id=project.id, category_code="leak", contractor_id=firm.id)
        for account, roles in [(c, [Role.contractor]) for c in CONTRACTORS] + [
            (i, [Role.inspector]) for i in INSPECTORS
        ]:
            people.add_member(
                s,
                project_id=project.id,
                platform=Platform.telegram,
                account=str(account),
                name=f"P{account}",
                roles=roles,
                contractor_id=firm.id if Role.contractor in roles else None,
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
                raised_on=clock.today(zone) - timedelta(days=2),
            ).id
            for n in range(20)
        ]
        first = _user(s, CONTRACTORS[0])
        for item_id in items[:10]:
            apply_transition(s, item_id=item_id, user=first, action=Action.report_repaired)
    return items[:10], items[10:]


def _user(session: Session, account: int) -> AppUser:
    identity = session.exec(select(Identity).where(Identity.account == str(account))).one()
    return session.get(AppUser, identity.user_id)


async def until(probe: Callable[[], Awaitable[bool] | bool], what: str, within: float) -> None:
    """Wait until `probe` holds, failing after `within` seconds."""
    end = time.monotonic() + within
    while time.monotonic() < end:
        held = probe()
        if held if isinstance(held, bool) else await held:
            return
        await asyncio.sleep(0.02)
    raise AssertionError(f"timed out after {within}s waiting for {what}")


def worst_second(sends: list[ApiCall], key: Callable[[ApiCall], object]) -> int:
    """Return the most sends of one key (a chat, or all) in any sliding second."""
    worst = 0
    by_key: dict[object, list[float]] = {}
    for call in sends:
        by_key.setdefault(key(call), []).append(call.at)
    for times in by_key.values():
        times.sort()
        start = 0
        for end, at in enumerate(times):
            while times[start] <= at - 1.0:
                start += 1
            worst = max(worst, end - start + 1)
    return worst


async def test_two_processes_behind_a_balancer_act_as_one(tmp_path: Path, db: Database) -> None:
    zone = morning_zone()
    to_check, to_repair = prepared(db, zone)
    transport = OfflineTelegram(limits=FloodLimits())  # Telegram's own: 30/s, 1/s to a chat
    ports = [free_port(), free_port()]
    balancer = Balancer([f"http://127.0.0.1:{port}" for port in ports], free_port())
    hook = f"http://{balancer.host}:{balancer.port}/tg"
    procs: list[subprocess.Popen] = []
    async with balancer, await serve("127.0.0.1", 0, transport) as server:
        try:
            for n, port in enumerate(ports):
                env = {
                    "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
                    "HOME": str(tmp_path),
                    "PYTHONPATH": str(ROOT),
                    "TELEGRAM_BOT_TOKEN": TOKEN,
                    "TELEGRAM_API_BASE_URL": server.base_url,
                    "DATABASE_URL": db.url,
                    "MEDIA_DIR": str(tmp_path / "media"),
                    "HTTP_LISTEN": f"127.0.0.1:{port}",
                    "REQUIRE_REPAIR_PHOTO": "false",
                    "DEFAULT_LANGUAGE": "en",
                    "MORNING_PUSH_AT": "00:00",
                    "DAILY_REPORT_AT": "23:59",
                }
                with (tmp_path / f"bot{n}.log").open("wb") as out:
                    procs.append(
                        subprocess.Popen(
                            [sys.executable, "-m", "bot", "run", "--webhook", hook],
                            cwd=tmp_path,
                            env=env,
                            stdin=subprocess.DEVNULL,
                            stdout=out,
                            stderr=out,
                        )
                    )
            await until(
                lambda: len(transport.calls_of("setWebhook")) == 2, "both webhooks", 2 * WAIT
            )
            presses: list[str] = []

            async def act(account: int, first: str, data: list[str]) -> None:
                """One person: a list command, then presses, each after the last was answered."""
                user = OfflineUser(account, f"P{account}", language_code="en")
                mark = len(transport.outbox)
                server.put_text(user, first)
                await until(
                    lambda: any(m.chat_id == account for m in transport.outbox[mark:]),
                    f"{account}'s list",
                    WAIT,
                )
                for pressed in data:
                    query = server.put_press(user, pressed).callback_query.id
                    presses.append(query)
                    await until(
                        lambda q=query: any(
                            a.callback_query_id == q for a in transport.callback_answers
                        ),
                        f"the answer to {account}'s {pressed}",
                        WAIT,
                    )

            work = []
            for n, account in enumerate(INSPECTORS):
                # Each item is pressed by 9 of the 10 inspectors, in a different order each.
                mine = [to_check[(n + k) % 10] for k in range(PRESSES_EACH)]
                work.append(act(account, "/tocheck", [f"ps:{item}" for item in mine]))
            for n, account in enumerate(CONTRACTORS):
                # Each item is reported by 4 of the 10 contractors; one opens another's card.
                mine = [to_repair[(n + k) % 10] for k in range(4)]
                steps = [s for item in mine for s in (f"rp:{item}", f"done:{item}")]
                work.append(act(account, "/mylist", [*steps, f"it:{to_repair[n]}"]))
            await asyncio.gather(*work)

            def pushed() -> bool:
                return db.run(_morning_finished) >= 1

            await until(pushed, "the morning push (the first beat, 10 s after start)", WAIT)
            await until(lambda: transport.webhook_pending == 0, "every update delivered", WAIT)
        finally:
            codes = [await _stop(proc) for proc in procs]
    logs = [(tmp_path / f"bot{n}.log").read_text(errors="replace") for n in range(2)]
    assert codes == [0, 0], logs
    assert not any("Traceback" in log for log in logs), logs

    # 200 updates, all posted to the webhook and taken; both processes had a share.
    assert len(presses) == 180 and server.webhook.dropped == []
    assert len({d.update_id for d in server.webhook.deliveries if d.ok}) == 200
    assert all(balancer.taken[b] > 20 for b in balancer.backends), balancer.taken
    # Every press answered exactly once (Telegram allows one answer a press).
    answers = Counter(a.callback_query_id for a in transport.callback_answers)
    assert set(answers) == set(presses) and set(answers.values()) == {1}, answers.most_common(3)

    # Every transition once: each item passed once, each reported done once.
    moves = db.run(_moves)
    assert [moves[item, Action.pass_] for item in to_check] == [1] * 10, moves
    assert [moves[item, Action.report_repaired] for item in to_repair] == [1] * 10, moves
    states = db.run(_states, items=to_check + to_repair)
    assert states == [ItemState.closed] * 10 + [ItemState.repaired] * 10

    # Every push once: each person's morning list (with its PDF) sent once, by one process.
    logged = db.run(_morning_log)
    assert logged and all(status is PushStatus.sent for status in logged.values()), logged
    documents = Counter(
        int(c.params["chat_id"]) for c in transport.sends() if c.method == "sendDocument"
    )
    accounts = db.run(_accounts, user_ids=list(logged))
    assert {accounts[user]: documents[accounts[user]] for user in logged} == {
        accounts[user]: 1 for user in logged
    }

    # Telegram's limits, as Telegram counts them (the offline Telegram answers 429 beyond them),
    # across both processes: every send tried, the refused ones too.
    tried = [c for c in transport.calls if c.method.lower() in _SENDS]
    per_chat = worst_second(tried, lambda c: c.params.get("chat_id"))
    overall = worst_second(tried, lambda c: "all")
    if transport.throttled and SHARED_LIMITS_PENDING:
        pytest.xfail(
            f"{len(transport.throttled)} sends refused with 429 (worst second: {per_chat} to one "
            f"chat, {overall} in all): the limits shared across processes are the limits branch's"
        )
    assert transport.throttled == [], (
        f"{len(transport.throttled)} sends refused with 429; worst second: {per_chat} to one "
        f"chat, {overall} in all"
    )
    assert per_chat <= 1 and overall <= 30


_SENDS = frozenset({"sendmessage", "sendphoto", "senddocument", "sendmediagroup"})


async def _stop(proc: subprocess.Popen) -> int:
    """SIGTERM, then wait without blocking the loop (the process still talks to Telegram)."""
    if proc.poll() is None:
        proc.send_signal(signal.SIGTERM)
    end = time.monotonic() + 20
    while proc.poll() is None and time.monotonic() < end:
        await asyncio.sleep(0.05)
    if proc.poll() is None:
        proc.kill()
        proc.wait(timeout=5)
    return proc.returncode


def _morning_finished(session: Session) -> int:
    rows = session.exec(
        select(PushRun).where(PushRun.kind == PushKind.morning, PushRun.finished_at.is_not(None))
    ).all()
    return len(rows)


def _morning_log(session: Session) -> dict[int, PushStatus]:
    rows = session.exec(select(PushLog).where(PushLog.kind == PushKind.morning)).all()
    return {row.user_id: row.status for row in rows}


def _accounts(session: Session, *, user_ids: list[int]) -> dict[int, int]:
    rows = session.exec(select(Identity).where(Identity.user_id.in_(user_ids))).all()
    return {row.user_id: int(row.account) for row in rows}


def _moves(session: Session) -> Counter[tuple[int, Action]]:
    events = session.exec(select(Event)).all()
    return Counter((event.item_id, event.action) for event in events)


def _states(session: Session, *, items: list[int]) -> list[ItemState]:
    from models.tables import Item

    return [session.get(Item, item_id).state for item_id in items]
