"""Every attack on WeCom's callback URL, on the assembled app and its database, in one table.

tests/test_wecom_receiver.py checks the receiver alone (each refusal's log line); here the
whole WeCom front end (build_wecom: receiver, crypto, dedupe in the database, the core) is
served on the offline WeCom, and each attack must be answered with its status, record nothing
(no row of any table, not even the inbound key), send nobody anything, log no traceback, and
leave the app answering the next good message.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable
from dataclasses import dataclass, replace

import pytest

from bot.wecom.crypto import CallbackCrypto, Sealed
from bot.wecom.receiver import CALLBACK_PATH
from bot.wecom.sender_side import callback, text_message, verification_query
from models import clock
from tests.probes import changed, rows
from tests.test_wecom_chat import AES_KEY, TOKEN, wecom, wecom_settings  # noqa: F401  (fixtures)

MB = 1024 * 1024
LAUGHS = (
    '<?xml version="1.0"?><!DOCTYPE lolz [<!ENTITY lol "lol">'
    + "".join(
        f'<!ENTITY lol{n} "{("&lol" + (str(n - 1) if n > 1 else "") + ";") * 10}">'
        for n in range(1, 10)
    )
    + "]>"
)
EXTERNAL = '<?xml version="1.0"?><!DOCTYPE x [<!ENTITY xxe SYSTEM "file:///etc/passwd">]>'


@dataclass(frozen=True)
class Request:
    """One request to the callback URL."""

    method: str
    params: dict[str, str]
    body: bytes = b""


@dataclass(frozen=True)
class Attack:
    """How to build the attack from the app's crypto and a good message, and its answer."""

    build: Callable[[CallbackCrypto, str], Request]
    status: int


def _post(sealed: Sealed, body: bytes | None = None) -> Request:
    return Request("POST", sealed.query(), sealed.body if body is None else body)


def _at(skew: int) -> str:
    return str(int(clock.now().timestamp()) + skew)


def _signed(crypto: CallbackCrypto, ciphertext: str) -> Request:
    """A request whose signature is right for a ciphertext that is not one (a leaked token)."""
    timestamp, nonce = _at(0), "31337"
    query = {
        "msg_signature": crypto.signature(timestamp, nonce, ciphertext),
        "timestamp": timestamp,
        "nonce": nonce,
    }
    return Request("POST", query, f"<xml><Encrypt>{ciphertext}</Encrypt></xml>".encode())


def _inner(crypto: CallbackCrypto, xml: str) -> Request:
    """A plaintext sealed with our own keys (a leaked key): the XML inside is still read safely."""
    return _post(callback(crypto, xml))


def _envelope(prolog: str, entity: str) -> Callable[[CallbackCrypto, str], Request]:
    def build(crypto: CallbackCrypto, message: str) -> Request:
        sealed = callback(crypto, message)
        body = f"{prolog}<xml><Encrypt>{sealed.ciphertext}{entity}</Encrypt></xml>"
        return _post(sealed, body.encode())

    return build


ATTACKS: dict[str, Attack] = {
    "bad signature": Attack(
        lambda c, m: _post(replace(callback(c, m), msg_signature="f" * 40)), 403
    ),
    "signature of another nonce": Attack(
        lambda c, m: _post(replace(callback(c, m), nonce="1")), 403
    ),
    "sealed with another token": Attack(
        lambda c, m: _post(callback(CallbackCrypto("another-token", AES_KEY, c.corp_id), m)), 403
    ),
    "stale timestamp": Attack(lambda c, m: _post(callback(c, m, timestamp=_at(-301))), 403),
    "day-old timestamp": Attack(lambda c, m: _post(callback(c, m, timestamp=_at(-86400))), 403),
    "future timestamp": Attack(lambda c, m: _post(callback(c, m, timestamp=_at(301))), 403),
    "timestamp not a number": Attack(lambda c, m: _post(callback(c, m, timestamp="soon")), 400),
    "wrong corp id": Attack(
        lambda c, m: _post(callback(CallbackCrypto(TOKEN, AES_KEY, "ww_not_ours"), m)), 403
    ),
    "no query": Attack(lambda c, m: Request("POST", {}, callback(c, m).body), 400),
    "10 MB body": Attack(
        lambda c, m: _post(
            callback(c, m), b"<xml><Encrypt>" + b"A" * (10 * MB) + b"</Encrypt></xml>"
        ),
        413,
    ),
    "not XML": Attack(lambda c, m: _post(callback(c, m), b"not xml at all"), 400),
    "XML cut off": Attack(lambda c, m: _post(callback(c, m), callback(c, m).body[:40]), 400),
    "binary junk": Attack(lambda c, m: _post(callback(c, m), bytes(range(256)) * 4), 400),
    "no Encrypt": Attack(
        lambda c, m: _post(callback(c, m), b"<xml><ToUserName>x</ToUserName></xml>"), 400
    ),
    "billion laughs outside": Attack(_envelope(LAUGHS, "&lol9;"), 400),
    "external entity outside": Attack(_envelope(EXTERNAL, "&xxe;"), 400),
    "billion laughs inside": Attack(
        lambda c, m: _inner(c, LAUGHS + m.replace("</Content>", "&lol9;</Content>")), 400
    ),
    "external entity inside": Attack(
        lambda c, m: _inner(c, EXTERNAL + m.replace("</Content>", "&xxe;</Content>")), 400
    ),
    "signed junk ciphertext": Attack(lambda c, m: _signed(c, "not*base64"), 403),
    "signed ciphertext of no whole block": Attack(lambda c, m: _signed(c, "QUJD"), 403),
    "verification with a bad signature": Attack(
        lambda c, m: Request("GET", {**verification_query(c, "42"), "msg_signature": "0" * 40}),
        403,
    ),
    "stale verification": Attack(
        lambda c, m: Request("GET", verification_query(c, "42", timestamp=_at(-3600))), 403
    ),
}


async def _send(driver, request: Request) -> int:
    async with driver.client.request(
        request.method, CALLBACK_PATH, params=request.params, data=request.body
    ) as response:
        return response.status


def _everything(db) -> dict:
    return rows(db, skip=frozenset())  # the inbound keys too: an attack records nothing


def _sent(driver) -> int:
    return sum(len(messages) for messages in driver.wecom.sent.values())


async def _quiet(driver) -> None:
    await asyncio.sleep(0.02)
    await driver.server.chat.idle()


async def test_every_attack_is_refused_with_its_status_and_records_nothing(
    wecom,  # noqa: F811
    world,
    db,
    caplog,
):
    caplog.set_level(logging.WARNING)
    corp = wecom.wecom.corp_id
    crypto = wecom.server.crypto
    before, sent = _everything(db), _sent(wecom)
    answered = {}
    for name, attack in ATTACKS.items():
        message = text_message(corp_id=corp, user="LiNa", content="/tocheck")
        answered[name] = await _send(wecom, attack.build(crypto, message))
    await _quiet(wecom)
    assert answered == {name: attack.status for name, attack in ATTACKS.items()}
    assert changed(before, _everything(db)) == {}
    assert _sent(wecom) == sent
    assert [r for r in caplog.records if r.levelno >= logging.ERROR or r.exc_info] == []
    # Still serving: the next good message is answered.
    good = text_message(corp_id=corp, user="LiNa", content="/tocheck")
    assert await wecom.post(good) == 200
    assert _sent(wecom) > sent


@pytest.mark.parametrize("afresh", [False, True], ids=["same request", "sealed afresh"])
async def test_a_replay_is_answered_200_and_handled_once(wecom, world, db, afresh):  # noqa: F811
    corp, crypto = wecom.wecom.corp_id, wecom.server.crypto
    message = text_message(corp_id=corp, user="LiNa", content="/tocheck", msg_id="4242")
    sealed = callback(crypto, message)
    assert await _send(wecom, _post(sealed)) == 200
    await _quiet(wecom)
    after, sent = _everything(db), _sent(wecom)
    assert sent > 0
    again = callback(crypto, message, nonce="99") if afresh else sealed
    assert await _send(wecom, _post(again)) == 200  # 200, so that WeCom stops retrying
    await _quiet(wecom)
    assert changed(after, _everything(db)) == {}
    assert _sent(wecom) == sent
