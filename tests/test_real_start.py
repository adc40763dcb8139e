"""The real `python -m bot run` at its edges: killed mid-report, token refused, no Telegram yet."""

from __future__ import annotations

import asyncio
import base64
import io
import logging
import os
import signal
import socket
import subprocess
import sys
import time
from datetime import timedelta
from pathlib import Path

import httpx
import pytest
from sqlmodel import Session, select
from telegram.error import InvalidToken

from bot.cli.common import RedactSecret
from bot.telegram.apiserver import FakeTelegramServer, serve
from bot.telegram.offline import OfflineTelegram
from models import clock, people
from models import project as setup
from models.db import Database
from models.intake import raise_item
from models.tables import Dialogue, Item, ItemState, Role
from tests.conftest import PNG
from tests.test_real_run import ROOT, TOKEN, bot_env, stop, wait_for

# The bot under test runs in another process, on the machine's time: so do these tests.
pytestmark = pytest.mark.usefixtures("real_clock")


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
            platform="telegram",
            account=str(WANG),
            name="Wang",
            roles=[Role.contractor],
            contractor_id=firm.id,
        )
        raised_on = clock.today("Asia/Shanghai") - timedelta(days=3)
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


async def saved_soon(url: str, step: str, within: float = 0.5) -> bool:
    """Whether someone's dialogue is in this step in the database within `within` seconds."""
    db = Database(url)

    def steps(session: Session) -> list[str | None]:
        return list(session.exec(select(Dialogue.step)).all())

    try:
        end = time.monotonic() + within
        while time.monotonic() < end:
            if step in db.run(steps):
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
            # The core writes the step before the reply is drawn: it is there once it is seen.
            saved = await saved_soon(url, "repair")
            assert saved, "the step was not in the database at once"
        finally:
            # The person was asked for a photo: the process dies now, saving nothing more.
            assert await stop(proc, signal.SIGKILL) == -signal.SIGKILL

        proc = start_bot(tmp_path, server, url, log)
        try:
            mark = len(transport.outbox)
            photo = {"base64": base64.b64encode(PNG(7)).decode(), "caption": "resealed"}
            await control.post("/photo", json=wang | photo)
            await wait_for(lambda: reply(mark, "saved (1)"), "the photo kept", proc)
            await control.post("/press", json=wang | {"data": f"done:{leak}"})
            await wait_for(lambda: reply(mark, "reported done"), "the report", proc)
        finally:
            assert await stop(proc) == 0, log.read_text(errors="replace")
    db = Database(url)
    with db.session() as s:
        assert s.get(Item, leak).state is ItemState.repaired
    db.dispose()


def start_logged(tmp_path: Path, base_url: str, url: str, **env: str) -> subprocess.Popen:
    """Start `python -m bot run` at `base_url` with stdout and stderr in files of their own."""
    environment = {
        "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
        "HOME": str(tmp_path),
        "PYTHONPATH": str(ROOT),
        "TELEGRAM_BOT_TOKEN": TOKEN,
        "TELEGRAM_API_BASE_URL": base_url,
        "DATABASE_URL": url,
        "MEDIA_DIR": str(tmp_path / "media"),
    }
    with (tmp_path / "stdout").open("wb") as out, (tmp_path / "stderr").open("wb") as err:
        return subprocess.Popen(
            [sys.executable, "-m", "bot", "run"],
            cwd=tmp_path,
            env=environment | env,
            stdin=subprocess.DEVNULL,
            stdout=out,
            stderr=err,
        )


# Telegram answers 401 Unauthorized to a well-formed wrong token, 404 Not Found to a malformed one.
@pytest.mark.parametrize("token", ["987654:SECRETsecret-token", "SECRETnot-a-token"])
async def test_a_refused_token_is_one_line_and_shown_nowhere(tmp_path: Path, token: str) -> None:
    url, _ = database_with_an_item(tmp_path)
    transport = OfflineTelegram()
    async with await serve("127.0.0.1", 0, transport, token=TOKEN) as server:
        proc = start_logged(tmp_path, server.base_url, url, TELEGRAM_BOT_TOKEN=token)
        end = time.monotonic() + 20
        while proc.poll() is None and time.monotonic() < end:
            await asyncio.sleep(0.05)
        returncode = await stop(proc)
    assert transport.calls == [], "the refused bot reached no Bot API method"
    stderr = (tmp_path / "stderr").read_text(errors="replace")
    assert returncode == 2, stderr
    # One line, and nothing else: no migration or scheduler chatter before it.
    assert stderr.splitlines() == [
        "error: Telegram refused the token (TELEGRAM_BOT_TOKEN): check it with @BotFather"
    ]
    # Not in stdout, stderr, a log file or the database: every file the run left behind.
    for path in tmp_path.rglob("*"):
        if path.is_file():
            assert token.encode() not in path.read_bytes(), f"the token is in {path.name}"


async def test_run_waits_for_telegram_and_says_so(tmp_path: Path) -> None:
    url, _ = database_with_an_item(tmp_path)
    with socket.socket() as probe:  # a port with nothing listening yet
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    fast = {"TELEGRAM_RETRY_FIRST": "0.1", "TELEGRAM_RETRY_MAX": "0.3"}
    proc = start_logged(tmp_path, f"http://127.0.0.1:{port}/bot", url, **fast)
    stderr = tmp_path / "stderr"

    async def said(needle: str) -> bool:
        return needle in stderr.read_text(errors="replace")

    try:
        await wait_for(lambda: said("Telegram not reachable"), "the first retry", proc)
        transport = OfflineTelegram()
        async with await serve("127.0.0.1", port, transport) as server:
            server.outage = 1  # up now, but the first answer is a 502 from its proxy
            async with httpx.AsyncClient(base_url=server.control_url, timeout=5) as control:

                async def answered() -> bool:
                    found = (await control.get("/outbox", params={"chat_id": WANG})).json()
                    return bool(found)

                await control.post("/text", json={"user_id": WANG, "text": "/help"})
                await wait_for(answered, "an answer once Telegram is there", proc)
            returncode = await stop(proc)
    finally:
        await stop(proc)
    log = stderr.read_text(errors="replace")
    assert returncode == 0, log
    assert "Telegram not reachable (httpx.ConnectError" in log and "retrying in 0.1 s" in log
    assert "Telegram not reachable (Bad Gateway), retrying in" in log
    assert "Traceback" not in log and TOKEN not in log


def test_the_log_masks_the_token_in_messages_arguments_and_tracebacks() -> None:
    secret = "987654:SECRETsecret-token"
    out = io.StringIO()
    handler = logging.StreamHandler(out)
    handler.addFilter(RedactSecret(secret))
    logger = logging.getLogger("tests.redact")
    logger.addHandler(handler)
    try:
        logger.warning("POST https://api.telegram.org/bot%s/getMe", secret)
        logger.warning(f"quoted: /bot{secret.replace(':', '%3A')}/getMe")
        try:
            raise InvalidToken(f"The token `{secret}` was rejected by the server.")
        except InvalidToken:
            logger.exception("failed with %r", {"token": secret})
        logger.warning("bad format %s %s", secret)  # logging would print msg and args raw
    finally:
        logger.removeHandler(handler)
    text = out.getvalue()
    assert "/bot***/getMe" in text and "The token `***` was rejected" in text
    assert secret not in text and "SECRET" not in text


async def test_a_stop_while_waiting_for_telegram_is_quiet(tmp_path: Path) -> None:
    url, _ = database_with_an_item(tmp_path)
    with socket.socket() as probe:  # nothing will ever listen here
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    fast = {"TELEGRAM_RETRY_FIRST": "0.1", "TELEGRAM_RETRY_MAX": "0.1"}
    proc = start_logged(tmp_path, f"http://127.0.0.1:{port}/bot", url, **fast)
    stderr = tmp_path / "stderr"

    async def retrying() -> bool:
        return "retrying in" in stderr.read_text(errors="replace")

    try:
        await wait_for(retrying, "a retry", proc)
    finally:
        returncode = await stop(proc)  # SIGTERM, as a service manager stops it
    log = stderr.read_text(errors="replace")
    assert returncode == 0, log
    assert "stopped before Telegram could be reached" in log and "Traceback" not in log
