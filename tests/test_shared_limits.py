"""Two processes on one database keep each platform's send limits together: no chat over its
pause, no sliding window over the overall limit, WeCom's member windows kept, a 429's hold
honoured by both; and the per-process pacers of before do not (the control).

A "process" here is a thread with its own engine on the same database (the SQLite file, or
PostgreSQL under TEST_DATABASE_URL), its own event loop and its own offline platform client;
what they sent is merged on the machine's monotonic clock. The limits are shrunk to keep the
test fast: a "second" of SPAN seconds.
"""

from __future__ import annotations

import asyncio
import threading
import time
from collections.abc import Awaitable, Callable, Sequence
from datetime import datetime
from typing import TypeVar

import pytest
from sqlmodel import select

from bot.telegram.common import SlidingRateLimiter
from bot.telegram.delivery import TelegramDelivery
from bot.telegram.offline import OfflineTelegram
from bot.telegram.stand_in import build_offline
from bot.wecom.offline import OfflineWeCom
from bot.wecom.stand_in import offline as wecom_offline
from jobs.notices import Notice
from jobs.pacing import MemberPacer, SharedLimits
from jobs.sender import ChatPacer, tell
from models import people, sends
from models.db import Database
from models.settings import Settings
from models.tables import Platform, PushStatus, Role, SendHold, SendPlace
from tests.conftest import World

T = TypeVar("T")
SPAN = 0.3  # seconds: the chat pause and the overall window (Telegram's second, shrunk)
RATE = 4  # sends in any SPAN in all (Telegram's 29 a second, shrunk)
CHATS = 6
WINDOWS = ((0.4, 2), (1.2, 4))  # WeCom's 30 a minute and 1,000 an hour to a member, shrunk
MEMBERS = ("m1", "m2", "m3")
HOLD = 1.0  # seconds a member is held (WeCom names no wait for 45009: a minute, shrunk)
EPS = 0.005  # seconds: the wall clock of the places against the monotonic one of arrivals


Ready = Callable[[], Awaitable[None]]


def side_by_side(url: str, work: Callable[[Database, Ready, int], Awaitable[T]]) -> list[T]:
    """Run `work` in two threads (numbered 0 and 1), each with its own engine and event loop;
    `work` awaits its `ready()` once set up, and both go on from there together."""
    barrier = threading.Barrier(2, timeout=30)
    results: list[T | None] = [None, None]
    errors: list[BaseException] = []

    async def ready() -> None:
        await asyncio.to_thread(barrier.wait)

    def run(i: int) -> None:
        database = Database(url)
        try:
            results[i] = asyncio.run(work(database, ready, i))
        except BaseException as exc:  # noqa: BLE001  (re-raised in the test's thread)
            errors.append(exc)
            barrier.abort()
        finally:
            database.dispose()

    threads = [threading.Thread(target=run, args=(i,)) for i in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)
    assert not any(t.is_alive() for t in threads), "a process did not finish"
    if errors:
        raise errors[0]
    return results  # type: ignore[return-value]


def most_within(times: Sequence[float], span: float) -> int:
    """Return the most sends in any sliding `span` (each send ends a window)."""
    ordered = sorted(times)
    return max(
        (sum(1 for t in ordered if end - span + EPS < t <= end) for end in ordered), default=0
    )


def closest(times: Sequence[float]) -> float:
    """Return the shortest gap between two sends (inf for fewer than two)."""
    ordered = sorted(times)
    return min((b - a for a, b in zip(ordered, ordered[1:], strict=False)), default=float("inf"))


def _people(db: Database, world: World, platform: Platform, accounts: Sequence[str]) -> list[int]:
    with db.session() as s:
        return [
            people.add_member(
                s,
                project_id=world.project_id,
                platform=platform,
                account=account,
                name=f"Worker {account}",
                roles=[Role.contractor],
                contractor_id=world.huajian,
            ).id
            for account in accounts
        ]


# -- Telegram: one a SPAN per chat, RATE in any SPAN in all ----------------------------------


def _telegram(settings: Settings, notices: list[Notice], shared: bool):  # noqa: ANN202
    async def work(database: Database, ready: Ready, _i: int) -> list[tuple[float, int]]:
        limits = SharedLimits(database, Platform.telegram) if shared else None
        transport = OfflineTelegram()
        limiter = SlidingRateLimiter(RATE, SPAN, shared=limits)
        app = build_offline(settings, database, transport, limiter=limiter, beat=False)
        async with app:
            delivery = TelegramDelivery(app.bot, database, ChatPacer(SPAN, shared=limits))
            await ready()
            outcomes = await tell(db=database, delivery=delivery, notices=notices)
        assert [o.status for o in outcomes] == [PushStatus.sent] * len(notices)
        return [(c.at, int(c.params["chat_id"])) for c in transport.sends()]

    return work


def _telegram_sends(
    settings: Settings, db: Database, world: World, shared: bool
) -> list[tuple[float, int]]:
    chats = [str(70_000 + n) for n in range(CHATS)]
    users = _people(db, world, Platform.telegram, chats)
    notices = [Notice(u, f"第{n}条") for n in range(2) for u in users]
    sent = side_by_side(db.url, _telegram(settings, notices, shared))
    merged = [s for one in sent for s in one]
    assert len(merged) == 2 * len(notices)  # every notice went, once from each process
    return merged


def test_two_processes_keep_telegrams_limits_together(
    settings: Settings, db: Database, world: World
) -> None:
    merged = _telegram_sends(settings, db, world, shared=True)
    assert most_within([at for at, _ in merged], SPAN) <= RATE
    for chat in {chat for _, chat in merged}:
        assert closest([at for at, c in merged if c == chat]) >= SPAN - EPS
    with db.session() as s:  # the places are kept in the database, each ended
        places = s.exec(select(SendPlace)).all()
        assert {p.kind for p in places} == {"chat", "all"}
        assert all(p.ended_at is not None for p in places)


def test_per_process_pacers_break_telegrams_limits_together(
    settings: Settings, db: Database, world: World
) -> None:
    """The control: the same two processes, each keeping the limits on its own, double them."""
    merged = _telegram_sends(settings, db, world, shared=False)
    assert most_within([at for at, _ in merged], SPAN) > RATE
    assert min(closest([at for at, c in merged if c == chat]) for _, chat in merged) < SPAN - EPS


def test_a_429_in_one_process_holds_the_other(
    settings: Settings, db: Database, world: World
) -> None:
    first, other = _people(db, world, Platform.telegram, ["71000", "71001"])
    hold = 0.6
    seen: dict[str, list[tuple[float, int]]] = {}
    throttled_at: list[float] = []
    held = threading.Event()

    async def work(database: Database, ready: Ready, i: int) -> None:
        limits = SharedLimits(database, Platform.telegram)
        transport = OfflineTelegram()
        limiter = SlidingRateLimiter(RATE, SPAN, shared=limits)
        app = build_offline(settings, database, transport, limiter=limiter, beat=False)
        async with app:
            delivery = TelegramDelivery(app.bot, database, ChatPacer(SPAN, shared=limits))
            await ready()
            if i == 0:  # the first process meets the 429
                transport.throttle(71000, retry_after=hold)
                telling = asyncio.create_task(
                    tell(db=database, delivery=delivery, notices=[Notice(first, "一")])
                )
                while not transport.throttled:
                    await asyncio.sleep(0.005)
                await asyncio.sleep(0.05)  # the sender has met it (well within the hold)
                await limits.settled()  # what this process holds is written down
                held.set()
                await telling
                throttled_at.append(transport.throttled[0].at)
                seen["a"] = [(c.at, int(c.params["chat_id"])) for c in transport.sends()]
                return
            # The other sends as soon as the first has met the 429 (and noted it).
            assert await asyncio.to_thread(held.wait, 30)
            notices = [Notice(first, "二"), Notice(other, "三")]
            outcomes = await tell(db=database, delivery=delivery, notices=notices)
            assert all(o.status is PushStatus.sent for o in outcomes)
            seen["b"] = [(c.at, int(c.params["chat_id"])) for c in transport.sends()]

    side_by_side(db.url, work)
    ((retried, _),) = seen["a"]
    assert retried >= throttled_at[0] + hold - EPS
    assert len(seen["b"]) == 2
    for at, _chat in seen["b"]:  # the chat's hold, and the overall one, kept here too
        assert at >= throttled_at[0] + hold - EPS
    with db.session() as s:
        assert {h.kind for h in s.exec(select(SendHold))} == {"chat", "all"}


# -- WeCom: each member's windows ---------------------------------------------------------------


def _wecom_sends(
    settings: Settings, db: Database, world: World, shared: bool
) -> tuple[OfflineWeCom, dict[str, list[datetime]]]:
    users = _people(db, world, Platform.wecom, MEMBERS)
    notices = [Notice(u, f"第{n}条") for n in range(3) for u in users]
    wecom = OfflineWeCom(members=set(MEMBERS), member_windows=WINDOWS)  # one WeCom for both

    async def work(database: Database, ready: Ready, _i: int) -> None:
        limits = SharedLimits(database, Platform.wecom) if shared else None
        members = MemberPacer(WINDOWS, shared=limits)
        async with wecom_offline(
            settings, database, wecom=wecom, members=members, beat=False
        ) as run:
            await ready()
            outcomes = await tell(db=database, delivery=run.server.delivery, notices=notices)
        assert all(o.status is PushStatus.sent for o in outcomes)

    side_by_side(db.url, work)
    return wecom, {
        m: [s.at for s in wecom.sent[m]] + [s.at for s in wecom.drops if s.user == m]
        for m in MEMBERS
    }


def test_two_processes_keep_wecoms_member_windows_together(
    settings: Settings, db: Database, world: World
) -> None:
    wecom, sent = _wecom_sends(settings, db, world, shared=True)
    assert wecom.drops == []  # WeCom dropped nothing over its member windows
    for member in MEMBERS:
        times = [(at - sent[member][0]).total_seconds() for at in sent[member]]
        assert len(times) == 6  # three notices from each process
        for span, limit in WINDOWS:
            assert most_within(times, span) <= limit


def test_per_process_pacers_break_wecoms_member_windows(
    settings: Settings, db: Database, world: World
) -> None:
    """The control: each process alone keeps the windows; together WeCom drops what is over."""
    wecom, _sent = _wecom_sends(settings, db, world, shared=False)
    assert wecom.drops


async def test_a_slow_down_in_one_process_holds_the_member_in_the_other(db: Database) -> None:
    url = db.url
    one, two = Database(url), Database(url)
    try:
        first = MemberPacer(WINDOWS, shared=SharedLimits(one, Platform.wecom))
        second = MemberPacer(WINDOWS, shared=SharedLimits(two, Platform.wecom))
        began = time.monotonic()
        first.hold("m1", HOLD)  # WeCom answered 45009 to the first process
        await first.shared.settled()  # type: ignore[union-attr]
        async with second.turn("m2"):  # another member is not held
            other = time.monotonic() - began
        async with second.turn("m1"):
            held = time.monotonic() - began
    finally:
        one.dispose()
        two.dispose()
    assert other < HOLD <= held + EPS


@pytest.mark.parametrize("flying", [1, 3])
def test_a_send_in_flight_holds_its_place_in_every_process(db: Database, flying: int) -> None:
    """Places taken and not yet ended count in every window; once ended, from their end."""

    windows = ((1.0, 3),)
    places = [
        db.run(
            sends.take_place, platform="telegram", kind="all", key="all", windows=windows, now=100.0
        )
        for _ in range(flying)
    ]
    assert all(p.place is not None for p in places)
    other = Database(db.url)
    try:
        taken = other.run(
            sends.take_place, platform="telegram", kind="all", key="all", windows=windows, now=100.5
        )
        assert (taken.place is None) is (flying == 3)  # three in flight fill the window
        for p in places:
            db.run(sends.end_place, place=p.place, now=100.6)
        if flying == 3:
            later = other.run(
                sends.take_place,
                platform="telegram",
                kind="all",
                key="all",
                windows=windows,
                now=100.7,
            )
            assert later.place is None and later.wait == pytest.approx(0.9)
    finally:
        other.dispose()


def test_a_place_left_in_flight_by_a_killed_process_is_freed_after_a_while(db: Database) -> None:
    """A process killed mid-send never ends its place: it counts as ended when it went stale."""
    windows = ((1.0, 1),)
    take = {"platform": "telegram", "kind": "chat", "key": "7", "windows": windows}
    assert db.run(sends.take_place, **take, now=100.0).place is not None  # then killed
    assert db.run(sends.take_place, **take, now=100.0 + sends.STALE - 1).wait is None
    later = db.run(sends.take_place, **take, now=100.0 + sends.STALE + 0.5)
    assert later.place is None and later.wait == pytest.approx(0.5)
    assert db.run(sends.take_place, **take, now=100.0 + sends.STALE + 1).place is not None
