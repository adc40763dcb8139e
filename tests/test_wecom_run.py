"""The real `python -m bot run --platform wecom` process, against the offline WeCom over HTTP."""

from __future__ import annotations

import asyncio
import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Awaitable, Callable
from datetime import timedelta
from pathlib import Path
from typing import Any

import httpx
import pytest

from bot.wecom.crypto import CallbackCrypto
from bot.wecom.offline import OfflineWeCom
from bot.wecom.sender_side import (
    callback,
    template_card_event,
    text_message,
    verification_query,
)
from models import clock
from models import project as setup
from models.db import Database
from models.intake import raise_item
from models.people import add_member
from models.tables import Role
from tests.test_real_run import stop

# The bot under test runs in another process, on the machine's time: so do these tests.
pytestmark = pytest.mark.usefixtures("real_clock")

ROOT = Path(__file__).resolve().parent.parent
AES_KEY = "jWmYm7qr5nMoAUwZRjGtBxmz3KA1tkAj3ykkR6q2B2C"
TOKEN = "QDG6eK"
MEMBER = "WangWei"
# Seconds for the process to start and answer: it imports every flow (slow on a busy machine).
DEADLINE = 60.0


async def wait_for(probe: Callable[[], Awaitable[Any]], what: str, proc: subprocess.Popen) -> Any:
    """Poll `probe` until it returns something truthy; fail at DEADLINE or if the bot exits."""
    end = time.monotonic() + DEADLINE
    while time.monotonic() < end:
        if result := await probe():
            return result
        if proc.poll() is not None:
            _out, err = proc.communicate()
            raise AssertionError(f"the bot exited ({proc.returncode}) waiting for {what}: {err}")
        await asyncio.sleep(0.05)
    raise AssertionError(f"timed out after {DEADLINE}s waiting for {what}")


def free_port() -> int:
    """Return a TCP port nothing listens on now."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def prepared_database(tmp_path: Path) -> tuple[str, int]:
    """A migrated SQLite file with a contractor on WeCom and one item of theirs: (url, item)."""
    url = f"sqlite:///{tmp_path / 'handover.db'}"
    db = Database(url)
    db.migrate()
    with db.session() as s:
        project = setup.create_project(s, name="Riverside 1")
        huajian = setup.add_contractor(s, project_id=project.id, name="华建装饰", trades="leak")
        setup.add_unit(
            s, project_id=project.id, code="3-1-1202", owner_name="业主", owner_phone="1"
        )
        setup.set_rule(s, project_id=project.id, category_code="leak", contractor_id=huajian.id)
        add_member(
            s,
            project_id=project.id,
            platform="wecom",
            account=MEMBER,
            name="Wang",
            roles=[Role.contractor],
            contractor_id=huajian.id,
            language="en",
        )
        item = raise_item(
            s,
            project_id=project.id,
            unit_code="3-1-1202",
            location="kitchen",
            category_code="leak",
            description="卫生间吊顶渗水",
            raised_on=clock.today("Asia/Shanghai") - timedelta(days=2),
        )
        item_id = item.id
    db.dispose()
    return url, item_id


def environment(tmp_path: Path, **settings: str) -> dict[str, str]:
    """Return the process environment: this one without any WECOM_ or TELEGRAM_, plus these."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("WECOM_", "TELEGRAM_"))}
    env.update({"MEDIA_DIR": str(tmp_path / "media"), **settings})
    return env


def start(tmp_path: Path, env: dict[str, str]) -> subprocess.Popen:
    """Start `python -m bot run --platform wecom` in tmp_path (no .env there)."""
    return subprocess.Popen(
        [sys.executable, "-m", "bot", "run", "--platform", "wecom"],
        cwd=tmp_path,
        env={**env, "PYTHONPATH": str(ROOT)},
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


async def test_run_serves_the_callback_over_http(tmp_path: Path) -> None:
    url, item_id = prepared_database(tmp_path)
    wecom = OfflineWeCom()
    wecom.add_member(MEMBER)
    crypto = CallbackCrypto(TOKEN, AES_KEY, wecom.corp_id)
    port = free_port()
    async with wecom.served() as api_base:
        env = environment(
            tmp_path,
            DATABASE_URL=url,
            WECOM_CORP_ID=wecom.corp_id,
            WECOM_AGENT_ID=str(wecom.agent_id),
            WECOM_SECRET=wecom.secret,
            WECOM_TOKEN=TOKEN,
            WECOM_ENCODING_AES_KEY=AES_KEY,
            WECOM_API_BASE_URL=api_base,
            WECOM_LISTEN=f"127.0.0.1:{port}",
        )
        proc = start(tmp_path, env)
        base = f"http://127.0.0.1:{port}/wecom/callback"
        try:
            async with httpx.AsyncClient(timeout=5) as http:

                async def verified() -> str | None:
                    query = verification_query(crypto, "echo-1234")
                    try:
                        answer = await http.get(base, params=query)
                    except httpx.TransportError:
                        return None  # not listening yet
                    return answer.text if answer.status_code == 200 else None

                # WeCom's URL verification: the decrypted echostr, as it is.
                assert await wait_for(verified, "the URL verification", proc) == "echo-1234"

                # The contractor writes /mylist: answered 200 at once, the list through the API.
                message = text_message(corp_id=wecom.corp_id, user=MEMBER, content="/mylist")
                sealed = callback(crypto, message)
                posted = await http.post(base, params=sealed.query(), content=sealed.body)
                assert posted.status_code == 200 and posted.text == ""

                async def listed() -> bool:
                    return any(c for c in wecom.cards_to(MEMBER) if f"it:{item_id}" in c.keys)

                await wait_for(listed, "the list and its card", proc)
                # A short list is on its card itself (one message per prompt).
                shown = [str(m.content) for m in wecom.messages_to(MEMBER)]
                assert any(f"#{item_id}" in content for content in shown)

                # A button click on the card: the item opens; the pressed card is greyed out.
                card = wecom.last_card(MEMBER)
                click = wecom.press(MEMBER, f"it:{item_id}", card=card)
                event = template_card_event(
                    corp_id=wecom.corp_id,
                    user=MEMBER,
                    event_key=click.key,
                    task_id=click.task_id,
                    response_code=click.response_code,
                )
                sealed = callback(crypto, event)
                posted = await http.post(base, params=sealed.query(), content=sealed.body)
                assert posted.status_code == 200

                async def opened() -> bool:
                    return any(f"rp:{item_id}" in c.keys for c in wecom.cards_to(MEMBER))

                await wait_for(opened, "the item's card with its moves", proc)
                shown = [str(m.content) for m in wecom.messages_to(MEMBER)]
                assert any("卫生间吊顶渗水" in content for content in shown)
                assert card.pressed is not None  # greyed out before the press was handled
        finally:
            code = await stop(proc, signal.SIGTERM)
        _out, err = proc.communicate(timeout=5)
    assert code == 0, err
    wecom.assert_clean()
    for secret in (wecom.secret, TOKEN, AES_KEY):
        assert secret not in err


def test_missing_settings_exit_2_with_one_line(tmp_path: Path) -> None:
    env = environment(tmp_path, DATABASE_URL=f"sqlite:///{tmp_path / 'x.db'}", WECOM_CORP_ID="ww1")
    proc = start(tmp_path, env)
    out, err = proc.communicate(timeout=30)
    assert proc.returncode == 2
    lines = err.strip().splitlines()
    assert len(lines) == 1, err
    for name in ("WECOM_AGENT_ID", "WECOM_SECRET", "WECOM_TOKEN", "WECOM_ENCODING_AES_KEY"):
        assert name in lines[0]
    assert "WECOM_CORP_ID" not in lines[0]
