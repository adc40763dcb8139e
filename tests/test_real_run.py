"""The real `python -m bot run` process, polling the offline Telegram served over local HTTP."""

from __future__ import annotations

import asyncio
import base64
import os
import signal
import subprocess
import sys
import time
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

import httpx
import pytest
from telegram import (
    Bot,
    BotCommand,
    BotCommandScopeChat,
    InlineKeyboardButton,
    InlineKeyboardMarkup,
    InputMediaPhoto,
)

from bot.telegram.apiserver import FakeTelegramServer, decode_form_value, serve
from bot.telegram.offline import OfflineTelegram
from models.db import Database
from models.people import create_invite
from models.project import create_project
from models.tables import Role

# The bot under test runs in another process, on the machine's time: so do these tests.
pytestmark = pytest.mark.usefixtures("real_clock")


ROOT = Path(__file__).resolve().parent.parent
TOKEN = "123:TEST"
USER_ID = 4242
# Bytes that would break a careless multipart parser: CRLFs, NULs and a fake boundary.
JPEG = b"\xff\xd8\xff\xe0" + bytes(range(256)) * 4 + b"\r\n--boundary\r\n\r\n\x00"
DEADLINE = 15.0  # seconds for the bot to start and answer; normally it takes about two


async def wait_for(
    probe: Callable[[], Awaitable[Any]], what: str, proc: subprocess.Popen | None = None
) -> Any:
    """Poll `probe` with short sleeps until it returns something truthy, failing at DEADLINE."""
    end = time.monotonic() + DEADLINE
    while time.monotonic() < end:
        if result := await probe():
            return result
        if proc is not None and proc.poll() is not None:
            raise AssertionError(f"the bot exited ({proc.returncode}) while waiting for {what}")
        await asyncio.sleep(0.05)
    raise AssertionError(f"timed out after {DEADLINE}s waiting for {what}")


async def stop(proc: subprocess.Popen, sig: int = signal.SIGTERM) -> int:
    """Signal the process and wait without blocking the loop: its shutdown still polls us."""
    if proc.poll() is None:
        proc.send_signal(sig)
    end = time.monotonic() + 10
    while proc.poll() is None and time.monotonic() < end:
        await asyncio.sleep(0.05)
    if proc.poll() is None:
        proc.kill()  # last resort; the assertion on the exit code then fails
        proc.wait(timeout=5)
    return proc.returncode


def prepared_database(tmp_path: Path) -> tuple[str, str]:
    """A migrated SQLite file with a project and an admin invite: (url, invite code)."""
    url = f"sqlite:///{tmp_path / 'handover.db'}"
    db = Database(url)
    db.migrate()
    with db.session() as s:
        project = create_project(s, name="Riverside 1")
        code = create_invite(s, project_id=project.id, roles=[Role.admin]).code
    db.dispose()
    return url, code


def bot_env(tmp_path: Path, server: FakeTelegramServer, database_url: str) -> dict[str, str]:
    """A clean environment: nothing from ours (no proxies, no real token) leaks in."""
    return {
        "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
        "HOME": str(tmp_path),
        "PYTHONPATH": str(ROOT),
        "TELEGRAM_BOT_TOKEN": TOKEN,
        "TELEGRAM_API_BASE_URL": server.base_url,
        "DATABASE_URL": database_url,
        "MEDIA_DIR": str(tmp_path / "media"),
    }


async def test_real_run_polls_the_fake_telegram(tmp_path: Path) -> None:
    database_url, code = prepared_database(tmp_path)
    transport = OfflineTelegram()
    stderr_path = tmp_path / "bot.stderr"
    async with await serve("127.0.0.1", 0, transport) as server:
        assert server.host == "127.0.0.1" and server.port > 0
        with stderr_path.open("wb") as stderr:
            proc = subprocess.Popen(
                [sys.executable, "-m", "bot", "run"],
                cwd=tmp_path,
                env=bot_env(tmp_path, server, database_url),
                stdin=subprocess.DEVNULL,
                stdout=stderr,
                stderr=stderr,
            )
        try:
            async with httpx.AsyncClient(base_url=server.control_url, timeout=5) as control:

                async def polling() -> bool:
                    return bool(transport.calls_of("getUpdates"))

                async def replies(since: int, needle: str) -> list[dict]:
                    params = {"chat_id": USER_ID, "since": since}
                    found = (await control.get("/outbox", params=params)).json()
                    return found if any(needle in (m["text"] or "") for m in found) else []

                await wait_for(polling, "the bot's first getUpdates", proc)
                sent = await control.post(
                    "/text",
                    json={
                        "user_id": USER_ID,
                        "first_name": "Ann",
                        "language_code": "en",
                        "text": f"/start {code}",
                    },
                )
                assert sent.status_code == 200 and sent.json()["ok"] is True
                welcome = await wait_for(lambda: replies(0, "Welcome"), "the welcome", proc)
                assert "Welcome, Ann" in welcome[0]["text"]

                mark = len(transport.outbox)
                sent = await control.post("/text", json={"user_id": USER_ID, "text": "/help"})
                assert sent.status_code == 200
                helped = await wait_for(lambda: replies(mark, "Commands"), "the help", proc)
                help_text = "\n".join(m["text"] for m in helped)
                assert "/invite" in help_text and "/help" in help_text and "/lang" in help_text
                # The bot set this person's own command menu through the HTTP API as well.
                menu = transport.commands_for(BotCommandScopeChat(USER_ID)) or []
                assert {"invite", "help", "lang"} <= {c["command"] for c in menu}
        finally:
            returncode = await stop(proc)
    stderr_text = stderr_path.read_text(errors="replace")
    assert returncode == 0, stderr_text
    assert "Traceback" not in stderr_text and " ERROR " not in stderr_text, stderr_text
    assert f"polling {server.base_url}" in stderr_text


async def test_ptb_bot_api_round_trips_over_http() -> None:
    """PTB's own HTTP client: form and multipart bodies decode to what Telegram would see."""
    transport = OfflineTelegram()
    async with await serve("127.0.0.1", 0, transport) as server:
        bot = Bot(TOKEN, base_url=server.base_url, base_file_url=f"{server.url}/file/bot")
        async with bot, httpx.AsyncClient(base_url=server.control_url, timeout=5) as control:
            assert (await bot.get_me()).id == 123  # the id comes from the token, like Telegram
            keyboard = InlineKeyboardMarkup([[InlineKeyboardButton("是 yes", callback_data="p:1")]])
            # Strings that look like JSON stay strings; keyboards and ints are decoded.
            sent = await bot.send_message(USER_ID, "true", reply_markup=keyboard)
            assert sent.text == "true" and sent.reply_markup == keyboard
            html = await bot.send_message(USER_ID, "<b>1</b> &amp; 中文", parse_mode="HTML")
            assert html.text == "1 & 中文"

            photo = await bot.send_photo(USER_ID, JPEG, caption="42")
            assert photo.caption == "42"
            file = await bot.get_file(photo.photo[-1].file_id)
            assert bytes(await file.download_as_bytearray()) == JPEG
            document = await bot.send_document(USER_ID, b"a,b\r\n1,2\r\n", filename='a "q" 表.csv')
            assert document.document.file_name == 'a "q" 表.csv'
            assert document.document.mime_type == "text/csv"
            album = await bot.send_media_group(
                USER_ID, [InputMediaPhoto(JPEG), InputMediaPhoto(file.file_id, caption="null")]
            )
            assert [m.caption for m in album] == [None, "null"]
            assert transport.files[album[0].photo[-1].file_id].data == JPEG

            scope = BotCommandScopeChat(USER_ID)
            await bot.set_my_commands([BotCommand("help", "帮助")], scope=scope, language_code="en")
            help_command = {"command": "help", "description": "帮助"}
            assert transport.commands_for(scope, "en") == [help_command]

            # A user presses the button and sends a photo through the control API.
            pressed = await control.post("/press", json={"user_id": USER_ID, "data": "p:1"})
            assert pressed.status_code == 200
            snap = {"user_id": USER_ID, "base64": base64.b64encode(JPEG).decode(), "caption": "x"}
            assert (await control.post("/photo", json=snap)).status_code == 200
            updates = await bot.get_updates(timeout=1)
            query, shot = updates[0].callback_query, updates[1].message
            assert query.data == "p:1" and query.message.message_id == sent.message_id
            assert await query.answer("ok")
            assert transport.callback_answers[-1].text == "ok"
            edited = await query.edit_message_text("done")
            assert edited.text == "done" and edited.reply_markup is None
            shot_file = await bot.get_file(shot.photo[-1].file_id)
            assert bytes(await shot_file.download_as_bytearray()) == JPEG

            outbox = (await control.get("/outbox", params={"chat_id": USER_ID})).json()
            assert [m["seq"] for m in outbox] == list(range(len(transport.outbox)))
            assert outbox[0]["buttons"] == [[["是 yes", "p:1"]]] and outbox[-1]["text"] == "done"
            assert outbox[2]["file_size"] == len(JPEG)
            chat = (await control.get("/chat", params={"chat_id": USER_ID})).json()
            assert chat[0]["text"] == "done" and chat[0]["edited"] is True

            # Unknown things fail in readable ways, not with a dropped connection.
            nobody = await control.post("/press", json={"user_id": 1, "data": "p:1"})
            assert nobody.status_code == 404
            assert (await control.post("/text", content=b"not json")).status_code == 400
            assert (await control.get("/nothing")).status_code == 404
            async with httpx.AsyncClient(base_url=server.url) as raw:
                missing = await raw.get(f"/file/bot{TOKEN}/photos/none.jpg")
                assert missing.status_code == 404
                unsupported = await raw.post(f"/bot{TOKEN}/sendPoll", data={"chat_id": "1"})
                assert unsupported.json()["ok"] is False and unsupported.status_code == 400
                as_json = await raw.post(
                    f"/bot{TOKEN}/sendMessage", json={"chat_id": USER_ID, "text": "123"}
                )
                assert as_json.json()["result"]["text"] == "123"


def test_form_values_decode_like_the_bot_api() -> None:
    assert decode_form_value("text", "123") == "123"
    assert decode_form_value("caption", "null") == "null"
    assert decode_form_value("chat_id", "-100") == -100
    assert decode_form_value("show_alert", "false") is False
    assert decode_form_value("reply_markup", '{"inline_keyboard": []}') == {"inline_keyboard": []}
    assert decode_form_value("chat_id", "@channel") == "@channel"
