"""The smart robot's long connection: frames, the subscribe, the heartbeat, requests and acks.

Every frame is one JSON text: `{"cmd", "headers": {"req_id"}, "body"}` from either side; the
gateway acknowledges each request of ours with `{"headers": {"req_id"}, "errcode", "errmsg"}`
(no cmd), and pushes members' messages (`aibot_msg_callback`) and events
(`aibot_event_callback`) with a req_id of its own, which a reply names again. Replies to one
req_id go one at a time, each after the previous one's ack (as Tencent's SDK queues them).
Sources: see the package's docstring (bot/wecom_robot/__init__.py).
"""

from __future__ import annotations

import asyncio
import base64
import json
import logging
import uuid
from collections.abc import Awaitable, Callable
from typing import Any

import aiohttp
from cryptography.hazmat.primitives.ciphers import Cipher, algorithms, modes

log = logging.getLogger(__name__)

GATEWAY = "wss://openws.work.weixin.qq.com"
SUBSCRIBE = "aibot_subscribe"
PING = "ping"
RESPOND = "aibot_respond_msg"
WELCOME = "aibot_respond_welcome_msg"
UPDATE = "aibot_respond_update_msg"
SEND = "aibot_send_msg"
MESSAGE = "aibot_msg_callback"
EVENT = "aibot_event_callback"
UPLOAD_INIT = "aibot_upload_media_init"
UPLOAD_CHUNK = "aibot_upload_media_chunk"
UPLOAD_FINISH = "aibot_upload_media_finish"
HEARTBEAT_SECONDS = 30.0
MISSED_PINGS = 2  # unanswered pings in a row: the connection is dead, reconnect
ACK_SECONDS = 10.0
# Uploads go in chunks of at most 512 KB (base64), at most 100 of them.
CHUNK_RAW = 384 * 1024
CHUNKS_MAX = 100
DOWNLOAD_MAX = 100 * 1024 * 1024  # a member's file: up to 100 MB

Frame = dict[str, Any]
OnFrame = Callable[[Frame], Awaitable[None]]


class GatewayError(Exception):
    """The gateway refused a request (its errcode and errmsg)."""

    def __init__(self, errcode: int, errmsg: str) -> None:
        super().__init__(f"errcode {errcode}: {errmsg}")
        self.errcode = errcode
        self.errmsg = errmsg


class Closed(Exception):
    """The connection is down (not yet open, closed, or an ack never came)."""


def new_req_id(prefix: str) -> str:
    """Return a request id no other request of ours has: the command and 32 hex digits."""
    return f"{prefix}_{uuid.uuid4().hex}"


def frame(cmd: str, body: Any = None, *, req_id: str | None = None) -> Frame:
    """Return a frame to send (a new req_id unless it answers one)."""
    out: Frame = {"cmd": cmd, "headers": {"req_id": req_id or new_req_id(cmd)}}
    if body is not None:
        out["body"] = body
    return out


def req_id_of(found: Frame) -> str:
    """Return a frame's req_id ("" when it has none)."""
    headers = found.get("headers")
    return str(headers.get("req_id", "")) if isinstance(headers, dict) else ""


class Connection:
    """One subscribed connection to the gateway; `on_frame` runs for each message and event.

    Each callback runs as a task of its own, so the reading goes on (and acks arrive) while a
    member's input is being handled.
    """

    def __init__(
        self,
        session: aiohttp.ClientSession,
        url: str,
        bot_id: str,
        secret: str,
        on_frame: OnFrame,
        *,
        heartbeat: float = HEARTBEAT_SECONDS,
        ack_seconds: float = ACK_SECONDS,
    ) -> None:
        self.session = session
        self.url = url
        self._bot_id = bot_id
        self._secret = secret
        self.on_frame = on_frame
        self.heartbeat = heartbeat
        self.ack_seconds = ack_seconds
        self._ws: aiohttp.ClientWebSocketResponse | None = None
        self._acks: dict[str, asyncio.Future[Frame]] = {}
        self._turns: dict[str, asyncio.Lock] = {}
        self._tasks: set[asyncio.Task[Any]] = set()
        self.closed = asyncio.Event()

    @property
    def is_open(self) -> bool:
        """Tell whether requests can go now."""
        return self._ws is not None and not self._ws.closed and not self.closed.is_set()

    async def open(self) -> None:
        """Connect, subscribe with the bot id and secret, and start the heartbeat."""
        self._ws = await self.session.ws_connect(self.url, heartbeat=None, autoping=True)
        self._spawn(self._read())
        try:
            await self.request(SUBSCRIBE, {"bot_id": self._bot_id, "secret": self._secret})
        except BaseException:
            await self.close()
            raise
        self._spawn(self._beat())

    async def close(self) -> None:
        """Close the connection and stop its tasks; waiting requests fail with Closed."""
        self.closed.set()
        if self._ws is not None:
            await self._ws.close()
        for task in list(self._tasks):
            if task is not asyncio.current_task() and not task.done():
                task.cancel()
        self._fail_waiting()

    async def request(self, cmd: str, body: Any = None, *, req_id: str | None = None) -> Frame:
        """Send a frame and return its ack; raise GatewayError on a refusal, Closed if none came.

        Requests naming the same req_id (replies to one message) go one after another.
        """
        out = frame(cmd, body, req_id=req_id)
        key = out["headers"]["req_id"]
        async with self._turns.setdefault(key, asyncio.Lock()):
            try:
                return await self._exchange(out, key)
            finally:
                if req_id is None:
                    self._turns.pop(key, None)

    def forget(self, req_id: str) -> None:
        """Let go of a member's req_id once nothing more answers it."""
        self._turns.pop(req_id, None)

    async def _exchange(self, out: Frame, key: str) -> Frame:
        if not self.is_open or self._ws is None:
            raise Closed("not connected")
        waiting: asyncio.Future[Frame] = asyncio.get_running_loop().create_future()
        self._acks[key] = waiting
        try:
            await self._ws.send_str(json.dumps(out, ensure_ascii=False))
            ack = await asyncio.wait_for(waiting, self.ack_seconds)
        except (TimeoutError, ConnectionError, aiohttp.ClientError) as exc:
            raise Closed(f"{out['cmd']}: no ack ({type(exc).__name__})") from exc
        finally:
            self._acks.pop(key, None)
        errcode = int(ack.get("errcode") or 0)
        if errcode:
            raise GatewayError(errcode, str(ack.get("errmsg", "")))
        return ack

    def _spawn(self, work: Awaitable[Any]) -> asyncio.Task[Any]:
        task = asyncio.ensure_future(work)
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)
        return task

    async def _read(self) -> None:
        assert self._ws is not None
        try:
            async for message in self._ws:
                if message.type is not aiohttp.WSMsgType.TEXT:
                    continue
                try:
                    found = json.loads(message.data)
                except ValueError:
                    log.warning("wecom robot: a frame that is not JSON, ignored")
                    continue
                if isinstance(found, dict):
                    self._take(found)
        finally:
            self.closed.set()
            self._fail_waiting()

    def _take(self, found: Frame) -> None:
        cmd = found.get("cmd")
        if cmd in (MESSAGE, EVENT):
            self._spawn(self._handle(found))
            return
        waiting = self._acks.get(req_id_of(found))
        if waiting is not None and not waiting.done():
            waiting.set_result(found)
        else:
            log.info("wecom robot: an ack nobody waits for (%s)", cmd or "no cmd")

    async def _handle(self, found: Frame) -> None:
        try:
            await self.on_frame(found)
        except Exception:
            log.exception("wecom robot: a callback failed")

    async def _beat(self) -> None:
        missed = 0
        while not self.closed.is_set():
            await asyncio.sleep(self.heartbeat)
            try:
                await self.request(PING)
                missed = 0
            except (Closed, GatewayError):
                missed += 1
                if missed >= MISSED_PINGS:
                    log.warning("wecom robot: %d pings unanswered, reconnecting", missed)
                    await self.close()
                    return

    def _fail_waiting(self) -> None:
        for waiting in self._acks.values():
            if not waiting.done():
                waiting.set_exception(Closed("the connection closed"))
        self._acks.clear()


async def upload(connection: Connection, kind: str, filename: str, content: bytes) -> str:
    """Upload a file in chunks (init, chunks, finish) and return its media_id."""
    chunks = [content[i : i + CHUNK_RAW] for i in range(0, len(content), CHUNK_RAW)] or [b""]
    if len(chunks) > CHUNKS_MAX:
        raise GatewayError(-1, f"{filename}: over {CHUNKS_MAX} chunks")
    init = await connection.request(
        UPLOAD_INIT,
        {
            "type": kind,
            "filename": filename,
            "total_size": len(content),
            "total_chunks": len(chunks),
        },
    )
    upload_id = (init.get("body") or {}).get("upload_id")
    if not upload_id:
        raise GatewayError(-1, "upload init: no upload_id")
    for index, chunk in enumerate(chunks):
        data = base64.b64encode(chunk).decode("ascii")
        body = {"upload_id": upload_id, "chunk_index": index, "base64_data": data}
        await connection.request(UPLOAD_CHUNK, body)
    done = await connection.request(UPLOAD_FINISH, {"upload_id": upload_id})
    media_id = (done.get("body") or {}).get("media_id")
    if not media_id:
        raise GatewayError(-1, "upload finish: no media_id")
    return str(media_id)


def aes_key(aeskey: str) -> bytes:
    """Return a message's media key: its base64 text decoded (padding restored)."""
    return base64.b64decode(aeskey + "=" * (-len(aeskey) % 4))


def decrypt(data: bytes, aeskey: str) -> bytes:
    """Return a member's image or file as sent: AES-256-CBC, IV the key's first 16 bytes,
    PKCS#7 padded to 32 bytes."""
    key = aes_key(aeskey)
    if len(key) != 32 or not data or len(data) % 16:
        raise ValueError("not an encrypted media file of this key")
    decryptor = Cipher(algorithms.AES(key), modes.CBC(key[:16])).decryptor()
    plain = decryptor.update(data) + decryptor.finalize()
    pad = plain[-1]
    if not 1 <= pad <= 32 or plain[-pad:] != bytes([pad]) * pad:
        raise ValueError("bad padding: not this key's file")
    return plain[:-pad]


def encrypt(data: bytes, aeskey: str) -> bytes:
    """Return a file encrypted as the gateway serves it (the offline gateway's side)."""
    key = aes_key(aeskey)
    pad = 32 - len(data) % 32
    encryptor = Cipher(algorithms.AES(key), modes.CBC(key[:16])).encryptor()
    return encryptor.update(data + bytes([pad]) * pad) + encryptor.finalize()


async def download(session: aiohttp.ClientSession, url: str, aeskey: str | None) -> bytes:
    """Download a member's image or file and decrypt it (within DOWNLOAD_MAX)."""
    async with session.get(url) as response:
        response.raise_for_status()
        if (response.content_length or 0) > DOWNLOAD_MAX:
            raise ValueError("over the download limit")
        data = await response.content.read(DOWNLOAD_MAX + 1)
    if len(data) > DOWNLOAD_MAX:
        raise ValueError("over the download limit")
    # Off the event loop: tens of milliseconds for a large file.
    return await asyncio.to_thread(decrypt, data, aeskey) if aeskey else data
