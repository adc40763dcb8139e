"""The real `python -m bot run` at its edges: killed mid-report, token refused, no Telegram yet."""

from __future__ import annotations

import asyncio
import base64
import signal
import subprocess
import sys
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

import httpx

from bot.apiserver import FakeTelegramServer, serve
from bot.transport import OfflineTelegram
from models import people
from models import project as setup
from models.chatstate import load_states
from models.db import Database
from models.repair import raise_item
from models.tables import Item, ItemState, Role
from tests.conftest import PNG
from tests.test_real_run import bot_env, stop, wait_for

WANG = 2001


def database_with_an_item(tmp_path: Path) -> tuple[str, int]:
    """A migrated SQLite file with one contractor (Telegram id WANG) and one open item."""
    url = f"sqlite:///{tmp_path / 'handover.db'}"
    db = Database(url)
    db.migrate()
    with db.session() as s:
        project = setup.create_project(s, name="Riverside 1")
        firm = setup.add_contractor(s, project_id=project.id, name="华建装饰", trades="leak")
        setup.add_unit(s, project_id=project.id, code="3-1-1202")
        setup.set_rule(s, project_id=project.id, category_code="leak", contractor_id=firm.id)
        people.add_member(
            s,
            project_id=project.id,
            telegram_id=WANG,
            name="Wang",
            roles=[Role.contractor],
            contractor_id=firm.id,
        )
        # The bot runs in another process, on the real clock: raise the item in its past.
        raised_on = datetime.now(UTC).date() - timedelta(days=3)
        item = raise_item(
            s,
            project_id=project.id,
            unit_code="3-1-1202",
            location="kitchen",
            category_code="leak",
            description="卫生间吊顶渗水",
            raised_on=raised_on,
        )
        item_id = item.id
    db.dispose()
    return url, item_id


async def saved_soon(url: str, *kinds: str, within: float = 0.5) -> bool:
    """Whether chat state of each kind is in the database within `within` seconds."""
    db = Database(url)
    try:
        end = time.monotonic() + within
        while time.monotonic() < end:
            if all(db.run(load_states, kind=kind) for kind in kinds):
                return True
            await asyncio.sleep(0.02)
        return False
    finally:
        db.dispose()


def start_bot(tmp_path: Path, server: FakeTelegramServer, url: str, log: Path, **env: str):
    """Start `python -m bot run` with stdout and stderr going to `log`."""
    with log.open("ab") as out:
        return subprocess.Popen(
            [sys.executable, "-m", "bot", "run"],
            cwd=tmp_path,
            env=bot_env(tmp_path, server, url) | env,
            stdin=subprocess.DEVNULL,
            stdout=out,
            stderr=out,
        )


async def test_a_step_the_person_saw_survives_kill_9(tmp_path: Path) -> None:
    url, leak = database_with_an_item(tmp_path)
    transport = OfflineTelegram()
    log = tmp_path / "bot.log"
    async with (
        await serve("127.0.0.1", 0, transport) as server,
        httpx.AsyncClient(base_url=server.control_url, timeout=5) as control,
    ):

        async def reply(since: int, needle: str) -> bool:
            found = (await control.get("/outbox", params={"chat_id": WANG, "since": since})).json()
            return any(needle in (m["text"] or "") for m in found)

        wang = {"user_id": WANG, "first_name": "Wang", "language_code": "en"}
        proc = start_bot(tmp_path, server, url, log)
        try:
            await control.post("/text", json=wang | {"text": "/mylist"})
            await wait_for(lambda: reply(0, f"#{leak}"), "the list", proc)
            mark = len(transport.outbox)
            await control.post("/press", json=wang | {"data": f"rp:{leak}"})
            await wait_for(lambda: reply(mark, "send a photo"), "the photo question", proc)
            # The step is written as the update finishes, milliseconds after the reply; PTB's
            # own persistence timer would be seconds away.
            saved = await saved_soon(url, "user", "conversation:contractor_report")
            assert saved, "the step was not in the database at once"
        finally:
            # The person was asked for a photo: the process dies now, saving nothing more.
            assert await stop(proc, signal.SIGKILL) == -signal.SIGKILL

        proc = start_bot(tmp_path, server, url, log)
        try:
            mark = len(transport.outbox)
            photo = {"base64": base64.b64encode(PNG(7)).decode(), "caption": "resealed"}
            await control.post("/photo", json=wang | photo)
            await wait_for(lambda: reply(mark, "reported repaired"), "the report", proc)
        finally:
            assert await stop(proc) == 0, log.read_text(errors="replace")
    db = Database(url)
    with db.session() as s:
        assert s.get(Item, leak).state is ItemState.repaired
    db.dispose()
