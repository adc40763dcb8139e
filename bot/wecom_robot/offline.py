"""The offline gateway: an in-process WebSocket server that speaks the robot's protocol.

It is what the robot connects to in tests, the console and benchmarks: it checks the subscribe
(bot id and secret), answers pings, acknowledges every request, records what the robot sent
each member, serves members' images and files encrypted with a key of their own, and lets a
test act as members (`text`, `image`, `file`, `mixed`, `press`, `enter`). It refuses what the
real gateway would refuse, and notes it in `errors`: a reply to a req_id it never sent or one
already answered with a card, a card press update outside a press, a proactive send to a
member who never wrote, more than 30 messages a minute (1,000 an hour) to a member, a card
over 6 buttons or with a button text over 10 characters, a markdown message over its bytes.
Its errcodes are its own (ERR_*): which numbers WeCom answers was not in the material read.
"""

from __future__ import annotations

import base64
import json
import os
import re
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from aiohttp import WSMsgType, web

from bot.wecom_robot import protocol as p
from bot.wecom_robot.delivery import MEMBER_WINDOWS
from bot.wecom_robot.render import BUTTON_TEXT_MAX, BUTTONS_MAX, KEY_MAX, TEXT_MAX, TITLE_MAX
from jobs.pacing import SlidingWindows
from models import clock

STREAM_MAX = 20480  # bytes of a stream's content
ERR_AUTH = 91001
ERR_NOT_SUBSCRIBED = 91002
ERR_REQ_ID = 91003
ERR_NO_CHAT = 91004
ERR_LIMIT = 91005
ERR_BAD = 91006
ERR_RATE = 45009


@dataclass
class Sent:
    """One message the robot sent a member, as the member sees it."""

    to: str
    msgtype: str  # markdown, template_card, image, file (a stream reply reads as markdown)
    text: str = ""
    card: dict[str, Any] | None = None
    content: bytes | None = None  # an image's or file's bytes
    filename: str = ""
    via: str = p.SEND

    @property
    def visible(self) -> str:
        """Return what the member reads: the text without markup, or a card's words."""
        if self.card is not None:
            title = self.card.get("main_title", {})
            parts = [
                title.get("title", ""),
                title.get("desc", ""),
                self.card.get("sub_title_text", ""),
            ]
            parts += [b.get("text", "") for b in self.card.get("button_list", [])]
            return "\n".join(x for x in parts if x)
        return re.sub(r"\*\*|`", "", self.text)

    @property
    def keys(self) -> list[str]:
        """Return a card's button keys."""
        return [b["key"] for b in (self.card or {}).get("button_list", [])]


@dataclass
class Card:
    """A card a member was sent: pressable until pressed (then updated or not)."""

    to: str
    card: dict[str, Any]
    live: bool = True
    pressed: str | None = None


@dataclass
class _Callback:
    """A callback the gateway pushed, awaiting the robot's reply on its req_id."""

    to: str
    kind: str  # text, image..., or the event type
    carded: bool = False  # a card went as its reply (only one may)
    replied: int = 0


@dataclass
class _Upload:
    kind: str
    filename: str
    total: int
    chunks: dict[int, bytes] = field(default_factory=dict)


class OfflineGateway:
    """The smart robot's gateway, offline; serve `app` and point WECOM_ROBOT_WS_URL at it."""

    def __init__(
        self,
        *,
        bot_id: str = "aibot-offline",
        secret: str = "offline-robot-secret",
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.bot_id = bot_id
        self.secret = secret
        self.base_url = ""  # http://host:port, set by whoever serves `app`
        self.sent: list[Sent] = []
        self.errors: list[str] = []
        self.cards: dict[str, Card] = {}
        self.talked: set[str] = set()  # members who wrote to the robot
        self.answer_pings = True  # False: a gateway gone silent (the robot must reconnect)
        self.expire_replies = False  # True: replies come too late for every message
        self.refuse_sends: list[int] = []  # errcodes the next proactive sends are answered with
        self.frames: list[dict[str, Any]] = []  # every frame the robot sent, as it came
        self._windows = SlidingWindows(MEMBER_WINDOWS, clock=clock)
        self._callbacks: dict[str, _Callback] = {}
        self._uploads: dict[str, _Upload] = {}
        self._media: dict[str, tuple[str, str, bytes]] = {}  # media_id -> kind, name, bytes
        self._files: dict[str, bytes] = {}  # served encrypted, by id
        self._ws: web.WebSocketResponse | None = None
        self._last_push: tuple[str, str, str, dict[str, Any]] | None = None
        self.app = web.Application()
        self.app.router.add_get("/", self._connect)
        self.app.router.add_get("/media/{id}", self._download)

    @property
    def ws_url(self) -> str:
        """Return the address the robot connects to."""
        return self.base_url.replace("http://", "ws://", 1) + "/"

    # -- members -------------------------------------------------------------------------------

    async def text(self, user: str, content: str) -> str:
        """Write a text as `user`; return the callback's req_id."""
        return await self._message(user, "text", {"content": content})

    async def voice(self, user: str, transcript: str) -> str:
        """Send a voice message as `user` (the gateway gives its transcript)."""
        return await self._message(user, "voice", {"content": transcript})

    async def image(self, user: str, data: bytes) -> str:
        """Send an image as `user`, served encrypted with a key of its own."""
        return await self._message(user, "image", self._served(data))

    async def file(self, user: str, data: bytes, filename: str) -> str:
        """Send a file as `user`."""
        return await self._message(user, "file", {**self._served(data), "filename": filename})

    async def mixed(self, user: str, text: str, images: list[bytes]) -> str:
        """Send text and images in one message as `user`."""
        items: list[dict[str, Any]] = [{"msgtype": "text", "text": {"content": text}}]
        items += [{"msgtype": "image", "image": self._served(d)} for d in images]
        return await self._message(user, "mixed", {"msg_item": items})

    async def press(self, user: str, key: str) -> str:
        """Press the button with `key` on the newest live card `user` has; LookupError if none."""
        for task, shown in reversed(self.cards.items()):
            if (
                shown.to == user
                and shown.live
                and key in [b["key"] for b in shown.card["button_list"]]
            ):
                return await self.press_card(user, task, key)
        raise LookupError(f"no live card of {user} offers {key!r}")

    async def press_card(self, user: str, task: str, key: str) -> str:
        """Press a button of a given card (also an old one: the member's app still shows it)."""
        shown = self.cards[task]
        shown.pressed = key
        event = {
            "eventtype": "template_card_event",
            "template_card_event": {
                "card_type": shown.card.get("card_type"),
                "event_key": key,
                "task_id": task,
            },
        }
        return await self._event(user, event)

    async def enter(self, user: str) -> str:
        """Open the robot's chat as `user` (the day's first time)."""
        return await self._event(user, {"eventtype": "enter_chat"})

    async def drop(self) -> None:
        """Close the robot's connection, as a network drop or a gateway restart does."""
        if self._ws is not None:
            await self._ws.close()

    @property
    def subscriptions(self) -> int:
        """Return how many times the robot subscribed (connected)."""
        return sum(f.get("cmd") == p.SUBSCRIBE for f in self.frames)

    def messages_to(self, user: str) -> list[Sent]:
        """Return what the robot sent `user`, in order."""
        return [m for m in self.sent if m.to == user]

    def cards_to(self, user: str) -> list[Card]:
        """Return the cards `user` was sent, in order."""
        return [c for c in self.cards.values() if c.to == user]

    def assert_clean(self) -> None:
        """Fail if the robot sent anything the gateway refused."""
        assert not self.errors, self.errors

    # -- what members send ---------------------------------------------------------------------

    def _served(self, data: bytes) -> dict[str, Any]:
        key = base64.b64encode(os.urandom(32)).decode().rstrip("=")
        file_id = uuid.uuid4().hex
        self._files[file_id] = p.encrypt(data, key)
        return {"url": f"{self.base_url}/media/{file_id}", "aeskey": key}

    async def _message(self, user: str, kind: str, part: dict[str, Any]) -> str:
        self.talked.add(user)
        body = {"msgtype": kind, kind: part}
        return await self._push(p.MESSAGE, user, kind, body)

    async def _event(self, user: str, event: dict[str, Any]) -> str:
        body = {"msgtype": "event", "event": event}
        return await self._push(p.EVENT, user, event["eventtype"], body)

    async def _push(self, cmd: str, user: str, kind: str, body: dict[str, Any]) -> str:
        common = {
            "msgid": uuid.uuid4().hex,
            "aibotid": self.bot_id,
            "chattype": "single",
            "from": {"userid": user},
            "create_time": int(clock.now().timestamp()),
        }
        self._last_push = (cmd, user, kind, common | body)
        return await self._send_push(cmd, user, kind, common | body)

    async def redeliver(self) -> str:
        """Deliver the last message or event again, same msgid, as after a reconnect."""
        if self._last_push is None:
            raise LookupError("nothing was delivered yet")
        return await self._send_push(*self._last_push)

    async def _send_push(self, cmd: str, user: str, kind: str, body: dict[str, Any]) -> str:
        if self._ws is None or self._ws.closed:
            raise ConnectionError("the robot is not connected")
        req_id = p.new_req_id(cmd)
        self._callbacks[req_id] = _Callback(user, kind)
        await self._ws.send_str(json.dumps(p.frame(cmd, body, req_id=req_id)))
        return req_id

    async def _download(self, request: web.Request) -> web.Response:
        data = self._files.get(request.match_info["id"])
        if data is None:
            raise web.HTTPNotFound()
        return web.Response(body=data, content_type="application/octet-stream")

    # -- the robot's side ----------------------------------------------------------------------

    async def _connect(self, request: web.Request) -> web.WebSocketResponse:
        ws = web.WebSocketResponse()
        await ws.prepare(request)
        subscribed = False
        async for message in ws:
            if message.type is not WSMsgType.TEXT:
                continue
            found = json.loads(message.data)
            self.frames.append(found)
            req_id, cmd = p.req_id_of(found), found.get("cmd")
            if cmd == p.PING and not self.answer_pings:
                continue
            if cmd == p.SUBSCRIBE:
                subscribed = await self._subscribe(ws, req_id, found.get("body") or {})
                continue
            if not subscribed:
                await self._ack(ws, req_id, ERR_NOT_SUBSCRIBED, "subscribe first")
                continue
            try:
                extra = self._request(cmd, req_id, found.get("body") or {})
            except _Refused as refused:
                self.errors.append(f"{cmd}: {refused.reason}")
                await self._ack(ws, req_id, refused.errcode, refused.reason)
                continue
            await self._ack(ws, req_id, 0, "ok", extra)
        if self._ws is ws:
            self._ws = None
        return ws

    async def _subscribe(
        self, ws: web.WebSocketResponse, req_id: str, body: dict[str, Any]
    ) -> bool:
        if body.get("bot_id") != self.bot_id or body.get("secret") != self.secret:
            await self._ack(ws, req_id, ERR_AUTH, "invalid bot_id or secret")
            await ws.close()
            return False
        old, self._ws = self._ws, ws
        if old is not None and not old.closed:  # one connection per bot: the newer one wins
            event = {"msgtype": "event", "event": {"eventtype": "disconnected_event"}}
            await old.send_str(json.dumps(p.frame(p.EVENT, event)))
            await old.close()
        await self._ack(ws, req_id, 0, "ok")
        return True

    async def _ack(
        self,
        ws: web.WebSocketResponse,
        req_id: str,
        errcode: int,
        errmsg: str,
        body: dict[str, Any] | None = None,
    ) -> None:
        ack: dict[str, Any] = {"headers": {"req_id": req_id}, "errcode": errcode, "errmsg": errmsg}
        if body:
            ack["body"] = body
        if not ws.closed:
            await ws.send_str(json.dumps(ack))

    def _request(self, cmd: Any, req_id: str, body: dict[str, Any]) -> dict[str, Any] | None:
        if cmd == p.PING:
            return None
        if cmd == p.RESPOND:
            return self._respond(req_id, body)
        if cmd == p.UPDATE:
            return self._update(req_id, body)
        if cmd == p.WELCOME:
            return self._welcome(req_id, body)
        if cmd == p.SEND:
            return self._send(body)
        if cmd in (p.UPLOAD_INIT, p.UPLOAD_CHUNK, p.UPLOAD_FINISH):
            return self._upload(cmd, body)
        raise _Refused(ERR_BAD, f"unknown cmd {cmd!r}")

    def _respond(self, req_id: str, body: dict[str, Any]) -> None:
        callback = self._callbacks.get(req_id)
        if callback is None or callback.kind in ("template_card_event", "enter_chat"):
            raise _Refused(ERR_REQ_ID, "no message of a member has this req_id")
        if self.expire_replies:
            raise _Refused(ERR_REQ_ID, "this message can no longer be replied to")
        kind = body.get("msgtype")
        if kind == "stream":
            content = str((body.get("stream") or {}).get("content", ""))
            if len(content.encode()) > STREAM_MAX:
                raise _Refused(ERR_LIMIT, "stream content over 20480 bytes")
            self._record(Sent(callback.to, "markdown", text=content, via=p.RESPOND))
        elif kind in ("template_card", "stream_with_template_card"):
            if callback.carded:
                raise _Refused(ERR_LIMIT, "a message is answered with one card at most")
            callback.carded = True
            card = body.get("template_card") or {}
            if kind == "template_card":
                self._card(callback.to, card, via=p.RESPOND)
            else:  # one message: its text, then its card (counted once)
                content = str((body.get("stream") or {}).get("content", ""))
                if len(content.encode()) > STREAM_MAX:
                    raise _Refused(ERR_LIMIT, "stream content over 20480 bytes")
                self._check_card(card)
                self._record(Sent(callback.to, "markdown", text=content, via=p.RESPOND))
                self._card(callback.to, card, via=p.RESPOND, counted=False)
        else:
            raise _Refused(ERR_BAD, f"a reply cannot be {kind!r}")
        callback.replied += 1

    def _update(self, req_id: str, body: dict[str, Any]) -> None:
        callback = self._callbacks.get(req_id)
        if callback is None or callback.kind != "template_card_event":
            raise _Refused(ERR_REQ_ID, "a card is updated on its press's req_id only")
        card = body.get("template_card") or {}
        shown = self.cards.get(card.get("task_id", ""))
        if shown is None or shown.to != callback.to:
            raise _Refused(ERR_BAD, "no such card of this member")
        self._check_card(card)
        shown.card, shown.live = card, False

    def _welcome(self, req_id: str, body: dict[str, Any]) -> None:
        callback = self._callbacks.get(req_id)
        if callback is None or callback.kind != "enter_chat":
            raise _Refused(ERR_REQ_ID, "a welcome answers entering the chat only")
        text = str((body.get("text") or {}).get("content", ""))
        self._record(Sent(callback.to, "markdown", text=text, via=p.WELCOME))

    def _send(self, body: dict[str, Any]) -> None:
        to = str(body.get("chatid", ""))
        if self.refuse_sends:
            errcode = self.refuse_sends.pop(0)
            raise _Refused(errcode, f"refused as asked ({errcode})")
        if to not in self.talked:
            raise _Refused(ERR_NO_CHAT, f"{to or 'nobody'} never wrote to the robot")
        kind = body.get("msgtype")
        if kind == "markdown":
            content = str((body.get("markdown") or {}).get("content", ""))
            if len(content.encode()) > TEXT_MAX:
                raise _Refused(ERR_LIMIT, f"markdown over {TEXT_MAX} bytes")
            self._record(Sent(to, "markdown", text=content))
        elif kind == "template_card":
            self._card(to, body.get("template_card") or {}, via=p.SEND)
        elif kind in ("image", "file"):
            media_id = str((body.get(kind) or {}).get("media_id", ""))
            found = self._media.get(media_id)
            if found is None or found[0] != kind:
                raise _Refused(ERR_BAD, f"no {kind} uploaded as {media_id!r}")
            self._record(Sent(to, kind, content=found[2], filename=found[1]))
        else:
            raise _Refused(ERR_BAD, f"a send cannot be {kind!r}")

    def _card(self, to: str, card: dict[str, Any], *, via: str, counted: bool = True) -> None:
        self._check_card(card)
        task = card.get("task_id", "")
        if task in self.cards:
            raise _Refused(ERR_BAD, f"task_id {task} used before")
        self._record(Sent(to, "template_card", card=card, via=via), counted=counted)
        self.cards[task] = Card(to, card)

    def _check_card(self, card: dict[str, Any]) -> None:
        buttons = card.get("button_list") or []
        keys = [b.get("key", "") for b in buttons]
        title = (card.get("main_title") or {}).get("title", "")
        if not card.get("task_id") or card.get("card_type") != "button_interaction":
            raise _Refused(ERR_BAD, "a button card needs its card_type and a task_id")
        if not 1 <= len(buttons) <= BUTTONS_MAX or len(set(keys)) != len(keys):
            raise _Refused(ERR_LIMIT, f"{len(buttons)} buttons (1 to {BUTTONS_MAX}, keys unique)")
        if any(len(b.get("text", "")) > BUTTON_TEXT_MAX for b in buttons):
            raise _Refused(ERR_LIMIT, f"a button text over {BUTTON_TEXT_MAX} characters")
        if any(len(k.encode()) > KEY_MAX for k in keys) or len(title) > TITLE_MAX:
            raise _Refused(ERR_LIMIT, "a key over 1024 bytes or a title over 26 characters")

    def _record(self, sent: Sent, *, counted: bool = True) -> None:
        if counted:
            if (self._windows.wait(sent.to) or 0.0) > 0:
                raise _Refused(ERR_RATE, f"over 30 a minute or 1000 an hour to {sent.to}")
            self._windows.ended(sent.to)
        self.sent.append(sent)

    def _upload(self, cmd: str, body: dict[str, Any]) -> dict[str, Any] | None:
        if cmd == p.UPLOAD_INIT:
            total = int(body.get("total_chunks") or 0)
            if not 1 <= total <= p.CHUNKS_MAX:
                raise _Refused(ERR_LIMIT, f"{total} chunks")
            upload_id = uuid.uuid4().hex
            self._uploads[upload_id] = _Upload(
                body.get("type", ""), body.get("filename", ""), total
            )
            return {"upload_id": upload_id}
        found = self._uploads.get(str(body.get("upload_id", "")))
        if found is None:
            raise _Refused(ERR_BAD, "unknown upload_id")
        if cmd == p.UPLOAD_CHUNK:
            data = str(body.get("base64_data", ""))
            if len(data) > 512 * 1024:
                raise _Refused(ERR_LIMIT, "a chunk over 512 KB")
            found.chunks[int(body.get("chunk_index", -1))] = base64.b64decode(data)
            return None
        if sorted(found.chunks) != list(range(found.total)):
            raise _Refused(ERR_BAD, "chunks missing")
        media_id = f"m{uuid.uuid4().hex}"
        content = b"".join(found.chunks[i] for i in range(found.total))
        self._media[media_id] = (found.kind, found.filename, content)
        return {"media_id": media_id}


class _Refused(Exception):
    def __init__(self, errcode: int, reason: str) -> None:
        super().__init__(reason)
        self.errcode = errcode
        self.reason = reason
