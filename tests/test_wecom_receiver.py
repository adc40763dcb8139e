"""The WeCom callback over real HTTP: verified, answered at once, forged/stale/replayed refused."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterator
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime

import pytest
from aiohttp.test_utils import TestClient, TestServer

from bot.wecom.crypto import CallbackCrypto, Sealed
from bot.wecom.receiver import CALLBACK_PATH, MAX_BODY, MemorySeen, dedupe_key, make_app
from bot.wecom.sender_side import (
    callback,
    template_card_event,
    text_message,
    verification_query,
)
from models import clock

# Tencent's sample app (sbzhu/weworkapi_python callback/Sample.py), see test_wecom_crypto.py.
TOKEN = "hJqcu3uJ9Tn2gXPmxx2w9kkCkCE2EPYo"
KEY = "6qkdMrq68nTKduznJYO1A37W2oEgpkMUvkttRToqhUt"
CORP = "ww1436e0e65a779aee"
LOGGER = "bot.wecom.receiver"


@dataclass
class Work:
    """What on_message was handed, and a gate it waits at when a test closes it."""

    calls: list[dict[str, str]] = field(default_factory=list)
    gate: asyncio.Event = field(default_factory=asyncio.Event)
    done: asyncio.Event = field(default_factory=asyncio.Event)
    fail: bool = False

    async def __call__(self, fields: dict[str, str]) -> None:
        await self.gate.wait()
        self.calls.append(fields)
        self.done.set()
        if self.fail:
            raise RuntimeError("the flow broke")


@pytest.fixture
def crypto() -> CallbackCrypto:
    return CallbackCrypto(TOKEN, KEY, CORP)


@pytest.fixture
def work() -> Work:
    done = Work()
    done.gate.set()
    return done


@pytest.fixture
async def client(crypto: CallbackCrypto, work: Work) -> AsyncIterator[TestClient]:
    app = make_app(crypto, work, MemorySeen(limit=100))
    async with TestClient(TestServer(app, host="127.0.0.1", port=0)) as http:
        yield http


async def _post(client: TestClient, sealed: Sealed) -> tuple[int, str]:
    async with client.post(CALLBACK_PATH, params=sealed.query(), data=sealed.body) as response:
        return response.status, await response.text()


async def _settle() -> None:
    # Let the background work (if any were started) run.
    for _ in range(5):
        await asyncio.sleep(0)


def _refusals(caplog: pytest.LogCaptureFixture) -> list[str]:
    return [r.getMessage() for r in caplog.records if r.name == LOGGER]


def _text(content: str = "/mylist", msg_id: str = "1001", **kwargs: int) -> str:
    return text_message(corp_id=CORP, user="zhangsan", content=content, msg_id=msg_id, **kwargs)


async def test_url_verification_answers_the_plain_echostr(client, crypto):
    query = verification_query(crypto, "8837316243650287654")
    async with client.get(CALLBACK_PATH, params=query) as response:
        assert response.status == 200
        assert response.content_type == "text/plain"
        assert await response.read() == b"8837316243650287654"


async def test_url_verification_with_tencents_sample(client):
    # WeCom's sample was sealed in October 2016: the clock stands then, as for a live check.
    sealed_at = datetime.fromtimestamp(1476416373, UTC)
    query = {
        "msg_signature": "012bc692d0a58dd4b10f8dfe5c4ac00ae211ebeb",
        "timestamp": "1476416373",
        "nonce": "47744683",
        "echostr": "fsi1xnbH4yQh0+PJxcOdhhK6TDXkjMyhEPA7xB2TGz6b+g7xyAbEkRxN/3cNXW9qd"
        "qjnoVzEtpbhnFyq6SVHyA==",
    }
    with clock.pinned(sealed_at):
        async with client.get(CALLBACK_PATH, params=query) as response:
            assert (response.status, await response.text()) == (200, "1288432023552776189")


@pytest.mark.parametrize("skew", [-3600, -301, 301])
async def test_stale_url_verification_is_refused(client, crypto, caplog, skew):
    # A captured verification GET replayed later must not pass: the POSTs' window holds here too.
    sent = str(int(clock.now().timestamp()) + skew)
    query = verification_query(crypto, "8837316243650287654", timestamp=sent)
    async with client.get(CALLBACK_PATH, params=query) as response:
        assert (response.status, await response.text()) == (403, "")
    assert _refusals(caplog) == [
        "wecom callback refused (timestamp more than 300 s from our clock): "
        f"GET {CALLBACK_PATH} from 127.0.0.1"
    ]


async def test_url_verification_within_the_window_is_answered(client, crypto):
    sent = str(int(clock.now().timestamp()) - 299)
    query = verification_query(crypto, "4242", timestamp=sent)
    async with client.get(CALLBACK_PATH, params=query) as response:
        assert (response.status, await response.text()) == (200, "4242")


async def test_forged_url_verification_is_refused(client, crypto, caplog):
    query = verification_query(crypto, "123")
    query["msg_signature"] = "0" * 40
    async with client.get(CALLBACK_PATH, params=query) as response:
        assert response.status == 403
        assert await response.text() == ""
    assert _refusals(caplog) == [
        f"wecom callback refused (bad signature): GET {CALLBACK_PATH} from 127.0.0.1"
    ]


async def test_a_good_text_is_answered_then_handed_on(client, crypto, work):
    work.gate.clear()  # the work cannot finish until the answer is in
    status, body = await asyncio.wait_for(_post(client, callback(crypto, _text())), 2)
    assert (status, body) == (200, "")
    assert work.calls == []
    work.gate.set()
    await asyncio.wait_for(work.done.wait(), 2)
    assert len(work.calls) == 1
    fields = work.calls[0]
    assert fields["MsgType"] == "text"
    assert fields["Content"] == "/mylist"
    assert fields["FromUserName"] == "zhangsan"
    assert fields["MsgId"] == "1001"
    assert fields["ToUserName"] == CORP


async def test_tencents_sample_message_with_the_clock_at_its_time(client, work):
    body = (
        "<xml><ToUserName><![CDATA[ww1436e0e65a779aee]]></ToUserName>\n<Encrypt><![CDATA["
        "Kl7kjoSf6DMD1zh7rtrHjFaDapSCkaOnwu3bqLc5tAybhhMl9pFeK8NslNPVdMwmBQTNoW4mY7AIjeLvEl3N"
        "yeTkAgGzBhzTtRLNshw2AEew+kkYcD+Fq72Kt00fT0WnN87hGrW8SqGc+NcT3mu87Ha3dz1pSDi6GaUA6A0s"
        "qfde0VJPQbZ9U+3JWcoD4Z5jaU0y9GSh010wsHF8KZD24YhmZH4ch4Ka7ilEbjbfvhKkNL65HHL0J6EYJIZU"
        "C2pFrdkJ7MhmEbU2qARR4iQHE7wy24qy0cRX3Mfp6iELcDNfSsPGjUQVDGxQDCWjayJOpcwocugux082f49H"
        "KYg84EpHSGXAyh+/oxwaWbvL6aSDPOYuPDGOCI8jmnKiypE+]]></Encrypt>\n"
        "<AgentID><![CDATA[1000002]]></AgentID>\n</xml>"
    )
    query = {
        "msg_signature": "0c3914025cb4b4d68103f6bfc8db550f79dcf48e",
        "timestamp": "1476422779",
        "nonce": "1597212914",
    }
    with clock.pinned(datetime.fromtimestamp(1476422779 + 4, UTC)):
        async with client.post(CALLBACK_PATH, params=query, data=body) as response:
            assert response.status == 200
        await asyncio.wait_for(work.done.wait(), 2)
    assert work.calls[0]["Content"] == "你好"
    assert work.calls[0]["FromUserName"] == "ChenJiaShun"


async def test_forged_signature_is_refused(client, crypto, work, caplog):
    sealed = callback(crypto, _text())
    forged = replace(sealed, msg_signature="f" * 40)
    assert await _post(client, forged) == (403, "")
    # Signed for another nonce: the signature does not cover this request.
    moved = replace(sealed, nonce="1")
    assert await _post(client, moved) == (403, "")
    await _settle()
    assert work.calls == []
    assert (
        _refusals(caplog)
        == [f"wecom callback refused (bad signature): POST {CALLBACK_PATH} from 127.0.0.1"] * 2
    )


async def test_a_message_sealed_with_another_token_is_refused(client, work, caplog):
    stranger = CallbackCrypto("another-token", KEY, CORP)
    assert (await _post(client, callback(stranger, _text())))[0] == 403
    await _settle()
    assert work.calls == []
    assert "bad signature" in _refusals(caplog)[0]


@pytest.mark.parametrize("skew", [-301, 301, -3600])
async def test_stale_timestamp_is_refused(client, crypto, work, caplog, skew):
    with clock.pinned(datetime(2026, 12, 15, 16, 30, tzinfo=UTC)):
        sent = str(int(clock.now().timestamp()) + skew)
        sealed = callback(crypto, _text(), timestamp=sent)
        assert await _post(client, sealed) == (403, "")
    await _settle()
    assert work.calls == []
    assert _refusals(caplog) == [
        "wecom callback refused (timestamp more than 300 s from our clock): "
        f"POST {CALLBACK_PATH} from 127.0.0.1"
    ]


async def test_a_timestamp_within_the_window_is_taken(client, crypto, work):
    with clock.pinned(datetime(2026, 12, 15, 16, 30, tzinfo=UTC)):
        sent = str(int(clock.now().timestamp()) - 299)
        assert await _post(client, callback(crypto, _text(), timestamp=sent)) == (200, "")
        await asyncio.wait_for(work.done.wait(), 2)
    assert len(work.calls) == 1


async def test_foreign_corp_id_is_refused(client, work, caplog):
    # The same token and key, but the payload names another corp: not for this app.
    foreign = CallbackCrypto(TOKEN, KEY, "ww_not_ours")
    assert await _post(client, callback(foreign, _text())) == (403, "")
    await _settle()
    assert work.calls == []
    assert _refusals(caplog) == [
        f"wecom callback refused (receive id is not our corp id): POST {CALLBACK_PATH} "
        "from 127.0.0.1"
    ]


async def test_replayed_msg_id_is_ignored_with_200(client, crypto, work, caplog):
    sealed = callback(crypto, _text(msg_id="777"))
    assert await _post(client, sealed) == (200, "")
    await asyncio.wait_for(work.done.wait(), 2)
    # WeCom's retry: the very same request; and a replay sealed afresh with the same MsgId.
    assert await _post(client, sealed) == (200, "")
    assert await _post(client, callback(crypto, _text(content="/tocheck", msg_id="777"))) == (
        200,
        "",
    )
    await _settle()
    assert len(work.calls) == 1
    assert work.calls[0]["Content"] == "/mylist"
    assert _refusals(caplog) == ["wecom callback ignored (already seen) from 127.0.0.1"] * 2


async def test_replayed_event_is_ignored(client, crypto, work, caplog):
    created = int(clock.now().timestamp())
    click = template_card_event(
        corp_id=CORP,
        user="lisi",
        event_key="ok:12:3",
        task_id="t12v3",
        response_code="rc-1",
        created=created,
    )
    assert await _post(client, callback(crypto, click)) == (200, "")
    await asyncio.wait_for(work.done.wait(), 2)
    assert await _post(client, callback(crypto, click)) == (200, "")
    await _settle()
    assert len(work.calls) == 1
    assert work.calls[0]["EventKey"] == "ok:12:3"
    assert work.calls[0]["TaskId"] == "t12v3"
    assert _refusals(caplog) == ["wecom callback ignored (already seen) from 127.0.0.1"]


async def test_two_presses_in_one_second_on_two_cards_are_two(client, crypto, work):
    created = int(clock.now().timestamp())
    for task in ("t1", "t2"):
        click = template_card_event(
            corp_id=CORP,
            user="lisi",
            event_key="ok",
            task_id=task,
            response_code="r",
            created=created,
        )
        assert await _post(client, callback(crypto, click)) == (200, "")
    for _ in range(50):
        if len(work.calls) == 2:
            break
        await asyncio.sleep(0.01)
    assert [c["TaskId"] for c in work.calls] == ["t1", "t2"]


async def test_malformed_and_oversized_bodies_are_refused(client, crypto, work, caplog):
    sealed = callback(crypto, _text())
    for body in (b"not xml", b"<xml><ToUserName>x</ToUserName></xml>"):
        async with client.post(CALLBACK_PATH, params=sealed.query(), data=body) as response:
            assert response.status == 400
    big = b"<xml><Encrypt>" + b"A" * MAX_BODY + b"</Encrypt></xml>"
    async with client.post(CALLBACK_PATH, params=sealed.query(), data=big) as response:
        assert response.status == 413
    async with client.post(CALLBACK_PATH, data=sealed.body) as response:
        assert response.status == 400
    await _settle()
    assert work.calls == []
    reasons = [m.split("(")[1].split(")")[0] for m in _refusals(caplog)]
    assert reasons == [
        "malformed XML",
        "no Encrypt element",
        "body too large",
        "missing msg_signature/timestamp/nonce",
    ]


async def test_a_failing_flow_is_logged_and_the_next_message_still_works(
    client, crypto, work, caplog
):
    work.fail = True
    assert await _post(client, callback(crypto, _text(msg_id="1"))) == (200, "")
    await asyncio.wait_for(work.done.wait(), 2)
    await _settle()
    failures = [r for r in caplog.records if r.name == LOGGER and r.levelno == logging.ERROR]
    assert len(failures) == 1
    assert failures[0].getMessage() == "wecom callback: handling a text failed"
    work.fail, work.done = False, asyncio.Event()
    assert await _post(client, callback(crypto, _text(msg_id="2"))) == (200, "")
    await asyncio.wait_for(work.done.wait(), 2)
    assert len(work.calls) == 2


async def test_logs_never_carry_secrets_or_content(client, crypto, caplog):
    caplog.set_level(logging.DEBUG)
    secret = "业主电话 13800000000"
    await _post(client, callback(CallbackCrypto(TOKEN, KEY, "ww_other"), _text(content=secret)))
    sealed = callback(crypto, _text(content=secret, msg_id="9"))
    await _post(client, sealed)
    await _post(client, sealed)
    text = caplog.text
    for needle in (secret, TOKEN, KEY, sealed.ciphertext):
        assert needle not in text


async def test_memory_seen_is_bounded():
    seen = MemorySeen(limit=3)
    assert [await seen(k) for k in "abca"] == [False, False, False, True]
    assert await seen("d") is False  # pushes out the oldest, b ("a" was just seen again)
    assert len(seen) == 3
    assert await seen("b") is False
    assert await seen("a") is True


def test_dedupe_keys():
    assert dedupe_key({"MsgId": "42", "FromUserName": "u"}) == "msg:42"
    event = {"FromUserName": "u", "CreateTime": "1700000000", "Event": "enter_agent"}
    assert dedupe_key(event).startswith("evt:u:1700000000:")
    assert dedupe_key(event) != dedupe_key({**event, "TaskId": "t2"})
    assert dedupe_key({"MsgType": "event"}) is None
    long_user = {"FromUserName": "u" * 200, "CreateTime": "1"}
    assert len(dedupe_key(long_user)) <= 160


async def test_stopping_the_server_lets_answered_work_finish(crypto):
    work = Work()  # its gate closed: the work is still running when the server stops
    http = TestClient(TestServer(make_app(crypto, work, MemorySeen()), host="127.0.0.1", port=0))
    await http.start_server()
    assert await _post(http, callback(crypto, _text())) == (200, "")
    asyncio.get_running_loop().call_later(0.05, work.gate.set)
    await http.close()
    assert len(work.calls) == 1
