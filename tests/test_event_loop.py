"""No press blocks the event loop: the presses of the repair loop on both offline platforms
(/mylist, open a card, Repaired + photo + Done, the inspector's fail and pass), with asyncio in
debug mode and a slow-callback threshold of 50 ms.

Two kinds of blocking are caught in every step the loop runs:
- a database call made on the loop's own thread: the database answers such a query as a
  distant server would (DISTANT, over the threshold, so asyncio's debug mode reports the step
  as "Executing … took"), while a query in a worker thread (`asyncio.to_thread`) is answered at
  once; SQLite on this machine would be too fast to show it otherwise;
- a step that computes for more than 50 ms on the loop (a PDF drawn, a workbook read inline).
A step is judged by the loop thread's own CPU time, not by the wall clock alone: on a shared
machine (two cores, several test runs) a 20 ms step is often preempted past 100 ms, which is
not a call of ours holding the loop. asyncio's own warnings are kept in the failure message.
"""

from __future__ import annotations

import asyncio
import contextlib
import gc
import logging
import threading
import time
from collections.abc import Iterator
from typing import Any

import pytest
from sqlalchemy import event

from models.db import Database
from tests.conftest import World
from tests.test_wecom_chat import (
    LOOP,
    TelegramDriver,
    WeComDriver,
    _loop_closed,
    _speak_english,
    run_scenario,
    waiting_skips_ahead,  # noqa: F401  (the wecom fixture's helper)
    wecom,  # noqa: F401  (the fixture)
    wecom_settings,  # noqa: F401  (the fixture)
)

SLOW = 0.05  # seconds: a step holding the loop longer is a blocking call
DISTANT = 0.08  # seconds a query made on the loop's own thread takes (over SLOW)


@contextlib.contextmanager
def blocking_steps(db: Database, caplog: pytest.LogCaptureFixture) -> Iterator[list[str]]:
    """Run the loop in debug mode; yield the steps found blocking (filled on leaving)."""
    loop = asyncio.get_running_loop()
    loop_thread = threading.current_thread()
    on_loop: list[str] = []  # statements run on the loop's thread

    def distant(_conn: Any, _cursor: Any, statement: str, *_args: Any) -> None:
        if threading.current_thread() is loop_thread:
            on_loop.append(" ".join(statement.split())[:60])
            time.sleep(DISTANT)

    found: list[str] = []
    original = asyncio.events.Handle._run

    def measured(handle: asyncio.Handle) -> None:
        if threading.current_thread() is not loop_thread:
            return original(handle)
        cpu, queries = time.thread_time(), len(on_loop)
        try:
            return original(handle)
        finally:
            spent, made = time.thread_time() - cpu, on_loop[queries:]
            if spent > SLOW or made:
                found.append(f"{handle!r}: {spent * 1000:.0f} ms of CPU, queries {made}")

    debug, threshold = loop.get_debug(), loop.slow_callback_duration
    loop.set_debug(True)
    loop.slow_callback_duration = SLOW
    # A collection of the whole heap may hold the loop as long; it is no call of ours.
    collecting = gc.isenabled()
    gc.disable()
    event.listen(db.engine, "before_cursor_execute", distant)
    asyncio.events.Handle._run = measured  # type: ignore[method-assign]
    try:
        with caplog.at_level(logging.WARNING, logger="asyncio"):
            yield found
        warned = [r.getMessage() for r in caplog.records if r.name == "asyncio"]
        if found:
            found.append(f"asyncio said: {[w for w in warned if w.startswith('Executing')]}")
    finally:
        asyncio.events.Handle._run = original  # type: ignore[method-assign]
        event.remove(db.engine, "before_cursor_execute", distant)
        if collecting:
            gc.enable()
        loop.set_debug(debug)
        loop.slow_callback_duration = threshold


async def test_no_press_on_telegram_blocks_the_loop(
    bot: object, world: World, db: Database, caplog: pytest.LogCaptureFixture
) -> None:
    _speak_english(db)
    with blocking_steps(db, caplog) as blocking:
        await run_scenario(TelegramDriver(bot), LOOP, world)
    assert blocking == []
    _loop_closed(db, world.items["leak"])


async def test_no_press_on_wecom_blocks_the_loop(
    wecom: WeComDriver,  # noqa: F811
    world: World,
    db: Database,
    caplog: pytest.LogCaptureFixture,
) -> None:
    _speak_english(db)
    with blocking_steps(db, caplog) as blocking:
        await run_scenario(wecom, LOOP, world)
    assert blocking == []
    _loop_closed(db, world.items["leak"])


async def test_no_press_on_the_wecom_robot_blocks_the_loop(
    settings: Any, world: World, db: Database, caplog: pytest.LogCaptureFixture
) -> None:
    from tests.test_wecom_robot import Desk, offline_robot

    _speak_english(db)
    async with offline_robot(settings, db) as desk:
        assert isinstance(desk, Desk)
        with blocking_steps(db, caplog) as blocking:
            await run_scenario(desk, LOOP, world)
    assert blocking == []
    _loop_closed(db, world.items["leak"])
