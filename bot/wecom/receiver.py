"""WeCom's callback URL on aiohttp.web: verify, decrypt, deduplicate, answer at once, work after.

GET /wecom/callback is WeCom's URL verification: the decrypted echostr, as plain text. POST
carries a member's message or event, encrypted. WeCom counts only an HTTP 200 answered within
5 s as received and otherwise posts the same callback again (three tries in all), so a good
message is answered 200 with an empty body before anything is done with it, and the work
(`on_message`) runs after, as a background task; the replies go out through the API.

A refusal is answered at once, logged as one WARNING line with the reason (never the token,
the key or what the message says), and nothing else happens:
- 403: a bad signature, a timestamp more than 300 s from the product's clock (the URL
  verification GET too: a captured one replayed later), a ciphertext that does not decrypt, a
  receive id that is not our corp id (not WeCom, or not for us);
- 400: a request without its parameters, malformed XML, a message with nothing to deduplicate by;
- 413: a body over the limit;
- 200: a message already seen (WeCom's own retry, or a replay): 200 so that WeCom stops retrying.
"""

from __future__ import annotations

import asyncio
import hashlib
import logging
from collections import OrderedDict
from collections.abc import Awaitable, Callable, Mapping

from aiohttp import web

from bot.wecom.crypto import CallbackCrypto, CryptoError, Reason, envelope, parse_fields
from models import clock

__all__ = [
    "CALLBACK_PATH",
    "MAX_BODY",
    "MAX_SKEW",
    "MemorySeen",
    "OnMessage",
    "Seen",
    "dedupe_key",
    "make_app",
]

log = logging.getLogger("bot.wecom.receiver")

CALLBACK_PATH = "/wecom/callback"
MAX_BODY = 1024 * 1024  # WeCom's callbacks are a few kB; a text is at most 2,048 bytes
MAX_SKEW = 300  # seconds between a callback's timestamp and our clock
KEY_LIMIT = 160  # InboundSeen.key is a str(160)

OnMessage = Callable[[dict[str, str]], Awaitable[None]]
# Record `key` and say whether it had been seen before (first sight: False).
Seen = Callable[[str], Awaitable[bool]]


class MemorySeen:
    """Remember the last `limit` callback keys in memory: for tests and a single process."""

    def __init__(self, limit: int = 10_000) -> None:
        self.limit = limit
        self._keys: OrderedDict[str, None] = OrderedDict()

    async def __call__(self, key: str) -> bool:
        """Record `key`; return whether it had been seen before."""
        if key in self._keys:
            self._keys.move_to_end(key)
            return True
        self._keys[key] = None
        if len(self._keys) > self.limit:
            self._keys.popitem(last=False)
        return False

    def __len__(self) -> int:
        return len(self._keys)


def dedupe_key(fields: Mapping[str, str]) -> str | None:
    """Return the key a callback is deduplicated by, or None when it has nothing to go by.

    A message by its MsgId; an event (no MsgId) by FromUserName + CreateTime, as WeCom advises,
    plus a digest of what was pressed (Event, EventKey, TaskId) so that two presses within one
    second on different cards stay two.
    """
    msg_id = fields.get("MsgId")
    if msg_id:
        key = f"msg:{msg_id}"
    else:
        user, created = fields.get("FromUserName"), fields.get("CreateTime")
        if not user or not created:
            return None
        what = "\x1f".join(fields.get(name, "") for name in ("Event", "EventKey", "TaskId"))
        digest = hashlib.sha1(what.encode()).hexdigest()[:16]
        key = f"evt:{user}:{created}:{digest}"
    if len(key) > KEY_LIMIT:
        key = "sha1:" + hashlib.sha1(key.encode()).hexdigest()
    return key


class _Refused(Exception):
    def __init__(self, status: int, reason: str) -> None:
        super().__init__(reason)
        self.status = status
        self.reason = reason


_FORBIDDEN = 403
_BAD_REQUEST = 400
_MALFORMED = frozenset({Reason.bad_xml, Reason.no_encrypt})


def _crypto_refusal(error: CryptoError) -> _Refused:
    return _Refused(_BAD_REQUEST if error.reason in _MALFORMED else _FORBIDDEN, error.reason)


def _params(request: web.Request, names: tuple[str, ...]) -> tuple[str, ...]:
    values = tuple(request.query.get(name, "") for name in names)
    if not all(values):
        raise _Refused(
            _BAD_REQUEST,
            "missing " + "/".join(n for n, v in zip(names, values, strict=True) if not v),
        )
    return values


def _fresh(timestamp: str) -> None:
    """Refuse a signed request whose timestamp is too far from our clock (a replay)."""
    try:
        sent = int(timestamp)
    except ValueError:
        raise _Refused(_BAD_REQUEST, "timestamp is not a number") from None
    if abs(clock.now().timestamp() - sent) > MAX_SKEW:
        raise _Refused(_FORBIDDEN, f"timestamp more than {MAX_SKEW} s from our clock")


_TASKS = web.AppKey("wecom_tasks", set)


class _Callback:
    """The two handlers of /wecom/callback, over one app's crypto, work and memory of keys."""

    def __init__(self, crypto: CallbackCrypto, on_message: OnMessage, seen: Seen) -> None:
        self.crypto = crypto
        self.on_message = on_message
        self.seen = seen

    async def verify(self, request: web.Request) -> web.StreamResponse:
        """Answer WeCom's URL verification with the plaintext echostr."""
        try:
            signature, timestamp, nonce, echostr = _params(
                request, ("msg_signature", "timestamp", "nonce", "echostr")
            )
            try:
                echo = self.crypto.verify_url(signature, timestamp, nonce, echostr)
            except CryptoError as error:
                raise _crypto_refusal(error) from None
            _fresh(timestamp)
        except _Refused as refused:
            return _refuse(request, refused)
        # As WeCom asks: the bare plaintext, no quotes, no BOM, no newline.
        return web.Response(text=echo, content_type="text/plain")

    async def receive(self, request: web.Request) -> web.StreamResponse:
        """Answer a posted callback at once; hand a new, good message to the work after."""
        try:
            fields, key = await self._open(request)
        except _Refused as refused:
            return _refuse(request, refused)
        if await self.seen(key):
            log.warning("wecom callback ignored (already seen) from %s", request.remote)
            return web.Response(status=200)
        response = web.Response(status=200)
        await response.prepare(request)
        await response.write_eof()
        task = asyncio.create_task(self._work(fields))
        tasks = request.app[_TASKS]
        tasks.add(task)
        task.add_done_callback(tasks.discard)
        return response

    async def _open(self, request: web.Request) -> tuple[dict[str, str], str]:
        signature, timestamp, nonce = _params(request, ("msg_signature", "timestamp", "nonce"))
        if request.content_length is not None and request.content_length > MAX_BODY:
            raise _Refused(413, "body too large")
        try:
            body = await request.read()
        except web.HTTPRequestEntityTooLarge:
            raise _Refused(413, "body too large") from None
        try:
            ciphertext = envelope(body)
            self.crypto.check(signature, timestamp, nonce, ciphertext)
        except CryptoError as error:
            raise _crypto_refusal(error) from None
        _fresh(timestamp)
        try:
            fields = parse_fields(self.crypto.decrypt(ciphertext))
        except CryptoError as error:
            raise _crypto_refusal(error) from None
        key = dedupe_key(fields)
        if key is None:
            raise _Refused(_BAD_REQUEST, "no MsgId, FromUserName or CreateTime")
        return fields, key

    async def _work(self, fields: dict[str, str]) -> None:
        try:
            await self.on_message(fields)
        except Exception:
            # The answer went out long ago: all that is left to do with a failure is to log it.
            log.exception(
                "wecom callback: handling a %s failed", fields.get("Event") or fields.get("MsgType")
            )


def _refuse(request: web.Request, refused: _Refused) -> web.Response:
    log.warning(
        "wecom callback refused (%s): %s %s from %s",
        refused.reason,
        request.method,
        request.path,
        request.remote,
    )
    return web.Response(status=refused.status)


async def _drain(app: web.Application) -> None:
    """Let the messages already answered finish their work before the app stops."""
    tasks = set(app[_TASKS])
    if tasks:
        await asyncio.gather(*tasks, return_exceptions=True)


def make_app(crypto: CallbackCrypto, on_message: OnMessage, seen: Seen) -> web.Application:
    """Return an aiohttp application serving WeCom's callback at /wecom/callback."""
    app = web.Application(client_max_size=MAX_BODY)
    add_callback(app, crypto, on_message, seen)
    return app


def add_callback(
    app: web.Application, crypto: CallbackCrypto, on_message: OnMessage, seen: Seen
) -> None:
    """Serve WeCom's callback at /wecom/callback on `app` (a process's one app)."""
    app[_TASKS] = set()
    callback = _Callback(crypto, on_message, seen)
    app.router.add_get(CALLBACK_PATH, callback.verify)
    app.router.add_post(CALLBACK_PATH, callback.receive)
    app.on_shutdown.append(_drain)


async def finish(app: web.Application) -> None:
    """Wait for the messages already answered to be handled (a graceful stop bounds it)."""
    await _drain(app)
