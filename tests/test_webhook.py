"""The real `python -m bot run --webhook URL`: Telegram's updates posted to it, with the secret,
on the process's one HTTP server; and its graceful stop on SIGTERM."""

from __future__ import annotations

import asyncio
import json
import signal
import socket
import subprocess
import sys
from pathlib import Path

import httpx
import pytest
from sqlmodel import select

from bot.telegram.apiserver import serve
from bot.telegram.offline import OfflineTelegram
from bot.telegram.serve import SECRET_HEADER
from models import clock
from models.db import Database
from models.pushes import STALE_CLAIM, claim
from models.tables import Platform, PushKind, PushLog, PushStatus
from tests.test_real_run import TOKEN, USER_ID, bot_env, prepared_database, stop
from tests.test_wecom_run import (  # 60 s: a loaded machine imports every flow slowly
    free_port,
    wait_for,
)

# The bot under test runs in another process, on the machine's time: so do these tests.
pytestmark = pytest.mark.usefixtures("real_clock")


def start(
    tmp_path: Path, env: dict[str, str], *args: str, log: str = "bot.log"
) -> subprocess.Popen:
    """Start `python -m bot run ARGS` in tmp_path, its output in tmp_path/log."""
    with (tmp_path / log).open("wb") as out:
        return subprocess.Popen(
            [sys.executable, "-m", "bot", "run", *args],
            cwd=tmp_path,
            env=env,
            stdin=subprocess.DEVNULL,
            stdout=out,
            stderr=out,
        )


def say(user_id: int, text: str, **who: str) -> dict:
    """A control API request: this user sends this text."""
    return {"user_id": user_id, "text": text, **who}


async def test_run_takes_telegram_updates_by_webhook_and_refuses_strangers(tmp_path: Path) -> None:
    database_url, code = prepared_database(tmp_path)
    transport = OfflineTelegram()
    port = free_port()
    hook = f"http://127.0.0.1:{port}/telegram/hook-7"
    async with await serve("127.0.0.1", 0, transport) as server:
        env = {**bot_env(tmp_path, server, database_url), "HTTP_LISTEN": f"127.0.0.1:{port}"}
        proc = start(tmp_path, env, "--webhook", hook)
        try:
            async with httpx.AsyncClient(base_url=server.control_url, timeout=5) as control:

                async def registered() -> bool:
                    return transport.webhook_url == hook

                await wait_for(registered, "setWebhook", proc)
                secret = transport.webhook_secret
                assert secret and TOKEN not in secret
                (set_call,) = transport.calls_of("setWebhook")
                assert set_call.params["allowed_updates"] == ["message", "callback_query"]

                # Over HTTP as Telegram would: polling is refused while the webhook is set.
                polled = await control.post(f"{server.base_url}{TOKEN}/getUpdates", json={})
                assert polled.status_code == 409
                info = await control.post(f"{server.base_url}{TOKEN}/getWebhookInfo", json={})
                assert info.json()["result"]["url"] == hook

                mark = len(transport.outbox)
                start_code = say(USER_ID, f"/start {code}", first_name="Ann", language_code="en")
                assert (await control.post("/text", json=start_code)).status_code == 200

                async def welcomed() -> bool:
                    return any("Welcome, Ann" in (m.text or "") for m in transport.outbox[mark:])

                await wait_for(welcomed, "the welcome, through the webhook", proc)
                delivered = [d for d in server.webhook.deliveries if d.ok]
                assert [d.url for d in delivered] == [hook]
                # The operator's figures on the same server: health, and the update counted.
                async with httpx.AsyncClient(base_url=f"http://127.0.0.1:{port}") as op:
                    health = await op.get("/healthz")
                    figures = (await op.get("/metrics")).text
                assert health.status_code == 200 and health.json()["database"]["ok"], health.text
                assert 'handover_updates_total{flow="/start",outcome="ok",platform="telegram"}' in (
                    figures
                ), figures

                # A stranger posting an update: refused without the secret or with a wrong one.
                forged = {"update_id": 99, "message": {"message_id": 1, "date": 0, "text": "/help"}}
                async with httpx.AsyncClient(timeout=5) as stranger:
                    bare = await stranger.post(hook, json=forged)
                    wrong = await stranger.post(hook, json=forged, headers={SECRET_HEADER: "x"})
                    # Even with the secret, a body far over an update's size is refused.
                    huge = b'{"update_id": 100, "x": "' + b"a" * (2 * 1024 * 1024) + b'"}'
                    big = await stranger.post(
                        hook,
                        content=huge,
                        headers={SECRET_HEADER: secret, "Content-Type": "application/json"},
                    )
                assert (bare.status_code, wrong.status_code, big.status_code) == (403, 403, 413)
                # The bot never polled: the one getUpdates was ours, refused.
                assert [c.error is not None for c in transport.calls_of("getUpdates")] == [True]
        finally:
            returncode = await stop(proc)
    log = (tmp_path / "bot.log").read_text(errors="replace")
    assert returncode == 0, log
    assert log.count("webhook: refused a request from 127.0.0.1") == 2, log
    assert "no secret token" in log and "a wrong secret token" in log
    assert secret not in log and TOKEN not in log and "Traceback" not in log, log
    # The stranger's update was never handled: only Ann's chat was answered.
    assert {m.chat_id for m in transport.outbox} == {USER_ID}


async def test_sigterm_finishes_the_update_in_flight_and_hands_back_push_claims(
    tmp_path: Path,
) -> None:
    database_url, code = prepared_database(tmp_path)
    transport = OfflineTelegram()
    port = free_port()
    hook = f"http://127.0.0.1:{port}/tg"
    async with await serve("127.0.0.1", 0, transport) as server:
        env = {
            **bot_env(tmp_path, server, database_url),
            "HTTP_LISTEN": f"127.0.0.1:{port}",
            "TELEGRAM_WEBHOOK_URL": hook,  # the setting, not the option, this time
            "STOP_GRACE_SECONDS": "10",
        }
        proc = start(tmp_path, env)
        db = Database(database_url)
        try:
            async with httpx.AsyncClient(base_url=server.control_url, timeout=5) as control:
                await control.post("/text", json=say(USER_ID, f"/start {code}", first_name="Ann"))

                async def answered(since: int) -> bool:
                    return any(m.chat_id == USER_ID for m in transport.outbox[since:])

                await wait_for(lambda: answered(0), "the welcome", proc)
                # This process holds a push claim while it runs (as a push under way would).
                by = f"{socket.gethostname()}:{proc.pid}"
                held = db.run(_claim_push, by=by)

                # The answer to /help is held by Telegram for 2 s: SIGTERM comes meanwhile.
                transport.hold(USER_ID, 2.0)
                mark, calls = len(transport.outbox), len(transport.calls)
                await control.post("/text", json=say(USER_ID, "/help"))

                async def sending() -> bool:
                    return any(c.method == "sendMessage" for c in transport.calls[calls:])

                await wait_for(sending, "the answer on its way", proc)
                proc.send_signal(signal.SIGTERM)
                await asyncio.sleep(0.3)
                # Stopping: a new update is refused with 503 (Telegram tries it again later).
                async with httpx.AsyncClient(timeout=5) as telegram:
                    later = await telegram.post(
                        hook,
                        json={"update_id": 500, "message": {"message_id": 9}},
                        headers={SECRET_HEADER: transport.webhook_secret},
                    )
                assert later.status_code == 503
                assert proc.poll() is None  # still finishing the answer in flight
                returncode = await stop(proc)
                assert await answered(mark), "the update in flight was finished before the exit"
        finally:
            returncode = await stop(proc)
    log = (tmp_path / "bot.log").read_text(errors="replace")
    assert returncode == 0, log
    assert "/lang" in transport.outbox[mark].text  # the help, in full
    assert transport.webhook_url == hook  # the other processes still serve it
    assert "handed back 1 push claims" in log, log
    # Handed back: another process takes the claim over at once, not after STALE_CLAIM.
    released = db.run(_row, push_id=held)
    assert clock.aware(released.claimed_at) < clock.now() - STALE_CLAIM
    assert db.run(_claim_push, by="other:1") == held
    db.dispose()


def _claim_push(session, *, by: str) -> int | None:  # noqa: ANN001
    """Claim the day's morning push to the first person, as process `by`; its row's id."""
    row = claim(
        session,
        kind=PushKind.morning,
        project_id=1,
        day=clock.today("Asia/Shanghai"),
        user_id=1,
        by=by,
        platform=Platform.telegram,
    )
    return None if row is None or row.status is not PushStatus.sending else row.id


def _row(session, *, push_id: int) -> PushLog:  # noqa: ANN001
    return session.exec(select(PushLog).where(PushLog.id == push_id)).one()


def test_webhook_secret_is_derived_from_the_token_unless_set() -> None:
    from bot.telegram.serve import webhook_secret
    from models.settings import Settings

    one = Settings(_env_file=None, telegram_bot_token="1:A")
    assert webhook_secret(one) == webhook_secret(Settings(_env_file=None, telegram_bot_token="1:A"))
    assert webhook_secret(one) != webhook_secret(Settings(_env_file=None, telegram_bot_token="1:B"))
    assert set(webhook_secret(one)) <= set("0123456789abcdef") and len(webhook_secret(one)) == 64
    chosen = Settings(_env_file=None, telegram_bot_token="1:A", telegram_webhook_secret="s-1")
    assert webhook_secret(chosen) == "s-1"
    assert json.dumps(webhook_secret(chosen))  # plain text Telegram takes


def test_old_names_of_the_http_settings_still_work(monkeypatch: pytest.MonkeyPatch) -> None:
    from models.settings import Settings

    monkeypatch.setenv("WECOM_LISTEN", "0.0.0.0:9000")
    monkeypatch.setenv("WECOM_PUBLIC_URL", "https://bot.example.cn/")
    old = Settings(_env_file=None)
    assert old.http_host_port == ("0.0.0.0", 9000) and old.public_base == "https://bot.example.cn"
    monkeypatch.setenv("HTTP_LISTEN", "127.0.0.1:9100")
    assert Settings(_env_file=None).http_listen == "127.0.0.1:9100"


async def test_one_process_serves_telegram_and_wecom_on_one_http_server(tmp_path: Path) -> None:
    from bot.wecom.crypto import CallbackCrypto
    from bot.wecom.offline import OfflineWeCom
    from bot.wecom.sender_side import callback, text_message, verification_query
    from tests import test_wecom_run as wecom_run

    database_url, item_id = wecom_run.prepared_database(tmp_path)
    wecom = OfflineWeCom()
    wecom.add_member(wecom_run.MEMBER)
    crypto = CallbackCrypto(wecom_run.TOKEN, wecom_run.AES_KEY, wecom.corp_id)
    transport = OfflineTelegram()
    port = free_port()
    hook = f"http://127.0.0.1:{port}/tg"
    async with wecom.served() as wecom_base, await serve("127.0.0.1", 0, transport) as server:
        env = {
            **bot_env(tmp_path, server, database_url),
            "WECOM_LISTEN": f"127.0.0.1:{port}",  # the old name of HTTP_LISTEN still works
            "WECOM_CORP_ID": wecom.corp_id,
            "WECOM_AGENT_ID": str(wecom.agent_id),
            "WECOM_SECRET": wecom.secret,
            "WECOM_TOKEN": wecom_run.TOKEN,
            "WECOM_ENCODING_AES_KEY": wecom_run.AES_KEY,
            "WECOM_API_BASE_URL": wecom_base,
        }
        proc = start(tmp_path, env, "--platform", "telegram,wecom", "--webhook", hook)
        try:
            async with httpx.AsyncClient(timeout=5) as http:

                async def both_up() -> bool:
                    if transport.webhook_url != hook:
                        return False
                    query = verification_query(crypto, "echo-77")
                    answer = await http.get(f"http://127.0.0.1:{port}/wecom/callback", params=query)
                    return answer.text == "echo-77"

                await wait_for(both_up, "the webhook and WeCom's callback on one port", proc)
                # WeCom: the contractor's /mylist, answered through WeCom's API.
                message = text_message(
                    corp_id=wecom.corp_id, user=wecom_run.MEMBER, content="/mylist"
                )
                sealed = callback(crypto, message)
                base = f"http://127.0.0.1:{port}/wecom/callback"
                posted = await http.post(base, params=sealed.query(), content=sealed.body)
                assert posted.status_code == 200

                async def listed() -> bool:
                    shown = [str(m.content) for m in wecom.messages_to(wecom_run.MEMBER)]
                    return any(f"#{item_id}" in content for content in shown)

                await wait_for(listed, "the WeCom list", proc)
                # Telegram: a stranger's /help through the webhook, answered on Telegram.
                await http.post(
                    f"{server.control_url}/text", json=say(USER_ID, "/help", language_code="en")
                )

                async def answered() -> bool:
                    return any(m.chat_id == USER_ID for m in transport.outbox)

                await wait_for(answered, "the Telegram answer", proc)
        finally:
            returncode = await stop(proc)
    log = (tmp_path / "bot.log").read_text(errors="replace")
    assert returncode == 0, log
    assert f"serving HTTP on http://127.0.0.1:{port}" in log and "Traceback" not in log, log
    assert wecom.secret not in log and wecom_run.AES_KEY not in log


def test_a_stopping_process_hands_back_only_its_own_unfinished_claims(db: Database) -> None:
    from models import pushes
    from models.people import add_member
    from models.project import create_project

    with db.session() as s:
        project = create_project(s, name="Riverside 1").id
        users = [
            add_member(
                s,
                project_id=project,
                platform=Platform.telegram,
                account=str(700 + n),
                name=f"P{n}",
                roles=[],
            ).id
            for n in range(3)
        ]
    day = clock.today("Asia/Shanghai")
    run = {"kind": PushKind.morning, "project_id": project, "day": day}
    on = {"platform": Platform.telegram}
    assert db.run(pushes.take_run, **run, **on, by="a:1")
    mine = db.run(pushes.claim, **run, **on, user_id=users[0], by="a:1")
    sent = db.run(pushes.claim, **run, **on, user_id=users[1], by="a:1")
    db.run(pushes.record, push_id=sent.id, status=PushStatus.sent, attempts=1, **on)
    theirs = db.run(pushes.claim, **run, **on, user_id=users[2], by="b:2")
    # Before: another process must wait STALE_CLAIM for either.
    assert not db.run(pushes.take_run, **run, **on, by="c:3")
    assert db.run(pushes.claim, **run, **on, user_id=users[0], by="c:3") is None

    assert db.run(pushes.release_claims, by="a:1") == 2  # its run and its one unsent push
    assert db.run(pushes.take_run, **run, **on, by="c:3")
    taken = db.run(pushes.claim, **run, **on, user_id=users[0], by="c:3")
    assert taken is not None and taken.id == mine.id and taken.claimed_by == "c:3"
    # What was sent stays sent; what another process holds stays its own.
    assert db.run(pushes.claim, **run, **on, user_id=users[1], by="c:3") is None
    assert db.run(pushes.claim, **run, **on, user_id=users[2], by="c:3") is None
    assert theirs is not None


async def test_a_poller_serves_health_where_http_listen_is_set(tmp_path: Path) -> None:
    database_url, _code = prepared_database(tmp_path)
    transport = OfflineTelegram()
    port = free_port()
    async with await serve("127.0.0.1", 0, transport) as server:
        env = {**bot_env(tmp_path, server, database_url), "HTTP_LISTEN": f"127.0.0.1:{port}"}
        proc = start(tmp_path, env)
        try:
            async with httpx.AsyncClient(base_url=f"http://127.0.0.1:{port}", timeout=5) as op:

                async def healthy() -> bool:
                    try:
                        return (await op.get("/healthz")).status_code == 200
                    except httpx.TransportError:
                        return False

                await wait_for(healthy, "/healthz of a polling run", proc)
                assert (await op.get("/metrics")).text.count("handover_") > 0
            assert transport.calls_of("getUpdates"), "it polls all the same"
        finally:
            returncode = await stop(proc)
    log = (tmp_path / "bot.log").read_text(errors="replace")
    assert returncode == 0 and TOKEN not in log, log
