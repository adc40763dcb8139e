"""The offline Telegram over HTTP: a real `python -m bot run` polls it as if it were Telegram,
or is posted each update once its webhook is set (setWebhook, with the secret: WebhookPoster).

Run `python -m bot fake-telegram`, point the bot at it with
TELEGRAM_API_BASE_URL=http://127.0.0.1:8081/bot (any token), and play the users through the
control API under /_offline/ (see `_Handler.control`). Only the standard library is used: a
small HTTP/1.1 server on asyncio streams, so the OfflineTelegram (which is not thread-safe)
lives in one event loop with the server.
"""

from __future__ import annotations

import asyncio
import base64
import contextlib
import dataclasses
import json
import logging
import mimetypes
import re
import sys
from collections.abc import Callable
from dataclasses import dataclass
from http import HTTPStatus
from typing import Any
from urllib.parse import parse_qsl, unquote, urlsplit

import httpx
from telegram import Bot, Update
from telegram.request import RequestData

from bot.telegram.offline import JSON, Files, OfflineTelegram, OfflineUser, OutMessage

__all__ = ["Delivery", "FakeTelegramServer", "WebhookPoster", "decode_form_value", "main", "serve"]

log = logging.getLogger("bot.telegram.apiserver")

MAX_BODY = 60 * 1024 * 1024  # the Bot API takes uploads up to 50 MB
WEBHOOK_SECRET_HEADER = "X-Telegram-Bot-Api-Secret-Token"
_API_PATH = re.compile(r"^/bot(?P<token>[^/]+)/(?P<method>[A-Za-z]+)/?$")
_FILE_PATH = re.compile(r"^/file/bot(?P<token>[^/]+)/(?P<path>.+)$")
_TOKEN_RE = re.compile(r"\d+:[\w-]+")
_PARAM_RE = re.compile(r'(\w+)="((?:[^"\\]|\\.)*)"|(\w+)=([^;\s]+)')
_FORM_ESCAPE = re.compile(r"%(22|[01][0-9A-Fa-f])")
# Bot API parameters that are strings by type: PTB sends them raw, so "123" or "true" in a
# message text must stay a string. Every other form value is JSON if it parses as JSON,
# because PTB JSON-encodes everything that is not a str (ints, bools, keyboards, lists).
STRING_PARAMS = frozenset(
    {
        "text",
        "caption",
        "parse_mode",
        "callback_query_id",
        "inline_message_id",
        "url",
        "file_id",
        "photo",
        "document",
        "language_code",
        "description",
        "short_description",
        "name",
        "title",
        "emoji",
        "secret_token",
        "ip_address",
        "business_connection_id",
        "message_effect_id",
    }
)


def decode_form_value(name: str, raw: str) -> Any:
    """Undo PTB's form encoding of one parameter (strings raw, everything else JSON)."""
    if name in STRING_PARAMS:
        return raw
    try:
        return json.loads(raw)
    except ValueError:
        return raw


class _WireRequest(RequestData):
    """RequestData rebuilt from an HTTP body, as OfflineTelegram.do_request reads it."""

    __slots__ = ("_files", "_values")

    def __init__(self, values: JSON, files: Files) -> None:
        super().__init__([])
        self._values = values
        self._files = files
        self.contains_files = bool(files)

    @property
    def parameters(self) -> JSON:  # type: ignore[override]
        """The decoded parameters."""
        return dict(self._values)

    @property
    def multipart_data(self) -> dict[str, Any]:  # type: ignore[override]
        """Uploaded parts as (filename, bytes, mime type)."""
        return dict(self._files)


@dataclass
class _Request:
    """One parsed HTTP request."""

    method: str
    target: str
    headers: dict[str, str]
    body: bytes = b""
    keep_alive: bool = True

    @property
    def path(self) -> str:
        """The decoded path without the query."""
        return unquote(urlsplit(self.target).path)

    @property
    def query(self) -> dict[str, str]:
        """Query parameters (last one wins)."""
        return dict(parse_qsl(urlsplit(self.target).query, keep_blank_values=True))


@dataclass
class _Response:
    """An HTTP response to write."""

    status: int
    body: bytes
    content_type: str = "application/json"


class _BadRequest(Exception):
    """A request this server cannot read: answered 400 (or `status`) and the connection closed."""

    def __init__(self, message: str, status: int = 400) -> None:
        super().__init__(message)
        self.status = status


def _json_response(data: Any, status: int = 200) -> _Response:
    """A JSON response."""
    return _Response(status, json.dumps(data, ensure_ascii=False).encode())


def _api_error(status: int, description: str) -> _Response:
    """An error in the Bot API's shape, so PTB raises a readable exception."""
    return _json_response(
        {"ok": False, "error_code": status, "description": description}, status=status
    )


async def _read_request(reader: asyncio.StreamReader) -> _Request | None:
    """Read one request from a kept-alive connection; None at a clean end of stream."""
    line = await reader.readline()
    if not line.strip():
        return None
    try:
        method, target, version = line.decode("latin-1").split()
    except ValueError:
        raise _BadRequest("malformed request line") from None
    headers: dict[str, str] = {}
    while (header := await reader.readline()) not in (b"\r\n", b"\n", b""):
        name, _, value = header.decode("latin-1").partition(":")
        headers[name.strip().lower()] = value.strip()
    connection = headers.get("connection", "").lower()
    keep_alive = connection != "close" and (version != "HTTP/1.0" or connection == "keep-alive")
    request = _Request(method.upper(), target, headers, keep_alive=keep_alive)
    if "chunked" in headers.get("transfer-encoding", "").lower():
        request.body = await _read_chunked(reader)
    elif (length := int(headers.get("content-length", "0") or 0)) > 0:
        if length > MAX_BODY:
            raise _BadRequest("Request Entity Too Large", 413)
        request.body = await reader.readexactly(length)
    return request


async def _read_chunked(reader: asyncio.StreamReader) -> bytes:
    """Read a chunked transfer-encoded body (httpx uses it for streamed uploads)."""
    body = bytearray()
    while True:
        size = int((await reader.readline()).split(b";")[0].strip() or b"0", 16)
        if size == 0:
            while (await reader.readline()) not in (b"\r\n", b"\n", b""):
                pass  # trailers are ignored
            return bytes(body)
        body += await reader.readexactly(size)
        await reader.readline()
        if len(body) > MAX_BODY:
            raise _BadRequest("Request Entity Too Large", 413)


def _header_params(value: str) -> tuple[str, dict[str, str]]:
    """Split `form-data; name="x"; filename="y"` into its value and parameters."""
    head, _, rest = value.partition(";")
    params = {}
    for quoted_key, quoted, plain_key, plain in _PARAM_RE.findall(rest):
        if quoted_key:
            # httpx escapes like HTML5 forms: " as %22, control characters as %XX, \ doubled.
            text = _FORM_ESCAPE.sub(lambda m: chr(int(m.group(1), 16)), quoted)
            params[quoted_key.lower()] = text.replace("\\\\", "\\")
        else:
            params[plain_key.lower()] = plain
    return head.strip().lower(), params


def _parse_multipart(body: bytes, content_type: str) -> tuple[JSON, Files]:
    """Split a multipart/form-data body into form fields and uploaded files, byte-exact."""
    boundary = _header_params(content_type)[1].get("boundary")
    if not boundary:
        raise _BadRequest("multipart body without a boundary")
    values: JSON = {}
    files: Files = {}
    # Each delimiter is CRLF--boundary; prefixing CRLF lets the first one match as well.
    sections = (b"\r\n" + body).split(b"\r\n--" + boundary.encode("latin-1"))
    for section in sections[1:]:
        if section.startswith(b"--"):
            break  # the closing delimiter
        raw_headers, _, content = section.partition(b"\r\n\r\n")
        headers: dict[str, str] = {}
        for line in raw_headers.decode("utf-8", "replace").split("\r\n"):
            name, sep, value = line.partition(":")
            if sep:
                headers[name.strip().lower()] = value.strip()
        _, disposition = _header_params(headers.get("content-disposition", ""))
        name = disposition.get("name")
        if name is None:
            continue
        if "filename" in disposition:
            mime_type = headers.get("content-type", "application/octet-stream")
            files[name] = (disposition["filename"], content, mime_type)
        else:
            values[name] = decode_form_value(name, content.decode("utf-8"))
    return values, files


def _decode_api_body(request: _Request) -> tuple[JSON, Files]:
    """Parameters and files of a Bot API call, from the query and a form, multipart or JSON body."""
    values: JSON = {k: decode_form_value(k, v) for k, v in request.query.items()}
    content_type = request.headers.get("content-type", "")
    kind = content_type.split(";")[0].strip().lower()
    files: Files = {}
    if kind == "multipart/form-data":
        form, files = _parse_multipart(request.body, content_type)
        values |= form
    elif kind == "application/json" and request.body:
        try:
            body = json.loads(request.body)
        except ValueError:
            raise _BadRequest("body is not valid JSON") from None
        if not isinstance(body, dict):
            raise _BadRequest("JSON body must be an object")
        values |= body  # already typed: no form decoding
    elif request.body:
        pairs = parse_qsl(request.body.decode("utf-8"), keep_blank_values=True)
        values |= {k: decode_form_value(k, v) for k, v in pairs}
    return values, files


def _message_json(message: OutMessage, seq: int | None = None) -> JSON:
    """An outbox entry for the control API (file bytes left out, their size given)."""
    data = dataclasses.asdict(message)
    payload = data.pop("file_bytes")
    data["file_size"] = None if payload is None else len(payload)
    data["buttons"] = [[list(button) for button in row] for row in message.buttons()]
    if seq is not None:
        data["seq"] = seq
    return data


class _Handler:
    """Routes requests to the transport's Bot API and to the control API."""

    def __init__(self, transport: OfflineTelegram, token: str | None = None) -> None:
        self.transport = transport
        self.token = token  # when set, any other token is refused as Telegram does
        self.outage = 0  # answer this many Bot API calls 502 Bad Gateway (Telegram is down)
        # The update factories need a Bot to build Update objects; one that never connects.
        self._factory_bot = Bot("1:OFFLINE", request=transport, get_updates_request=transport)

    async def handle(self, request: _Request) -> _Response:
        """Answer one request."""
        path = request.path
        if match := _API_PATH.match(path):
            if refused := self.refuse(match.group("token")):
                return refused
            return await self.api(request)
        if match := _FILE_PATH.match(path):
            if refused := self.refuse(match.group("token")):
                return refused
            if request.method != "GET":
                return _api_error(405, "Method Not Allowed")
            status, body = await self.transport.do_request(request.target, "GET")
            if status != 200:
                return _Response(status, body)
            mime_type = mimetypes.guess_type(match.group("path"))[0]
            return _Response(200, body, mime_type or "application/octet-stream")
        if path.startswith("/_offline/"):
            return await self.control(request, path.removeprefix("/_offline/").strip("/"))
        return _api_error(404, "Not Found")

    def refuse(self, token: str) -> _Response | None:
        """Telegram's answer to a wrong token or while it is down, else None."""
        if self.outage > 0:
            self.outage -= 1
            return _api_error(502, "Bad Gateway")
        if self.token is None or token == self.token:
            return None
        if _TOKEN_RE.fullmatch(token) is None:
            return _api_error(404, "Not Found")  # a malformed token
        return _api_error(401, "Unauthorized")

    async def api(self, request: _Request) -> _Response:
        """A Bot API method; Telegram takes GET and POST alike."""
        values, files = _decode_api_body(request)
        # OfflineTelegram treats an HTTP GET as a download, so API calls always go as POST.
        url = urlsplit(request.target).path
        status, body = await self.transport.do_request(url, "POST", _WireRequest(values, files))
        return _Response(status, body)

    async def control(self, request: _Request, action: str) -> _Response:
        """The control API for a tester or operator (JSON in, JSON out).

        POST text {"user_id", "text", "first_name"?, "last_name"?, "username"?, "language_code"?}
        POST press {"user_id", "data", "message_id"?} (default: the latest keyboard)
        POST photo {"user_id", "base64", "caption"?}
        POST document {"user_id", "base64", "file_name", "mime_type"?, "caption"?}
        GET outbox?chat_id=&since= (messages and edits in order, each with its `seq`)
        GET chat?chat_id= (the bot's live messages in a chat, as they look now)
        GET calls?method=&since= (Bot API calls the bot made)
        """
        routes: dict[tuple[str, str], Callable[[JSON], JSON | list[JSON]]] = {
            ("POST", "text"): self._text,
            ("POST", "press"): self._press,
            ("POST", "photo"): self._photo,
            ("POST", "document"): self._document,
            ("GET", "outbox"): self._outbox,
            ("GET", "chat"): self._chat,
            ("GET", "calls"): self._calls,
        }
        route = routes.get((request.method, action))
        if route is None:
            return _json_response({"error": f"no control action {request.method} {action}"}, 404)
        try:
            if request.method == "POST":
                params = json.loads(request.body or b"{}")
                if not isinstance(params, dict):
                    raise ValueError("the body must be a JSON object")
            else:
                params = request.query
            return _json_response(route(params))
        except (KeyError, TypeError, ValueError) as exc:
            return _json_response({"error": f"bad {action} request: {exc!r}"}, 400)
        except LookupError as exc:
            return _json_response({"error": str(exc)}, 404)

    def _user(self, params: JSON) -> OfflineUser:
        """The acting user: a known one keeps the fields the request does not give."""
        user_id = int(params["user_id"])
        known = self.transport.users.get(user_id) or OfflineUser(user_id, "User")
        given = ("first_name", "last_name", "username", "language_code")
        return dataclasses.replace(known, **{key: params[key] for key in given if key in params})

    def _queue(self, update_factory: Callable[..., Any], *args: Any, **kwargs: Any) -> JSON:
        """Build an update with the transport's factory and put it in the getUpdates queue."""
        bot = self.transport.bot or self._factory_bot
        update = update_factory(*args, **kwargs, bot=bot)
        self.transport.put_update(update)
        return {"ok": True, "update_id": update.update_id}

    def _text(self, params: JSON) -> JSON:
        """A user sends a text or a /command."""
        return self._queue(self.transport.text_update, self._user(params), str(params["text"]))

    def _press(self, params: JSON) -> JSON:
        """A user presses an inline button."""
        message_id = params.get("message_id")
        return self._queue(
            self.transport.callback_update,
            self._user(params),
            str(params["data"]),
            None if message_id is None else int(message_id),
        )

    def _photo(self, params: JSON) -> JSON:
        """A user sends a photo (bytes as base64)."""
        data = base64.b64decode(params["base64"], validate=True)
        return self._queue(
            self.transport.photo_update, self._user(params), data, params.get("caption")
        )

    def _document(self, params: JSON) -> JSON:
        """A user sends a document (bytes as base64)."""
        data = base64.b64decode(params["base64"], validate=True)
        return self._queue(
            self.transport.document_update,
            self._user(params),
            data,
            str(params["file_name"]),
            params.get("mime_type"),
            params.get("caption"),
        )

    def _outbox(self, params: JSON) -> list[JSON]:
        """Messages and edits the bot sent, optionally for one chat and after a `seq`."""
        chat_id = int(params["chat_id"]) if params.get("chat_id") else None
        since = int(params.get("since") or 0)
        outbox = self.transport.outbox
        return [
            _message_json(message, seq)
            for seq, message in enumerate(outbox[since:], start=since)
            if chat_id is None or message.chat_id == chat_id
        ]

    def _chat(self, params: JSON) -> list[JSON]:
        """The bot's live messages in one chat."""
        return [_message_json(m) for m in self.transport.chat_messages(int(params["chat_id"]))]

    def _calls(self, params: JSON) -> list[JSON]:
        """Recorded Bot API calls (uploaded bytes left out)."""
        since = int(params.get("since") or 0)
        method = (params.get("method") or "").lower()
        return [
            {"method": c.method, "params": c.params, "files": sorted(c.files), "error": c.error}
            for c in self.transport.calls[since:]
            if not method or c.method.lower() == method
        ]


@dataclass(frozen=True)
class Delivery:
    """One POST of an update to the webhook: its answer's status, or what went wrong."""

    update_id: int
    url: str
    status: int | None  # None: no answer (refused, timed out)
    error: str | None = None

    @property
    def ok(self) -> bool:
        """Tell whether Telegram would count the update as delivered (a 2xx answer)."""
        return self.status is not None and 200 <= self.status < 300


class WebhookPoster:
    """Telegram's side of a webhook: while one is set (setWebhook), POST each queued update to
    it with the secret in X-Telegram-Bot-Api-Secret-Token, up to max_connections at once.

    As Telegram, an update answered with anything but a 2xx, or not answered within `timeout`,
    is posted again (after `retry_first` seconds, doubling up to `retry_most`) until `attempts`
    are spent: an update the bot took but answered badly arrives twice.
    """

    def __init__(
        self,
        transport: OfflineTelegram,
        *,
        timeout: float = 10.0,
        retry_first: float = 0.1,
        retry_most: float = 2.0,
        attempts: int = 30,
    ) -> None:
        self.transport = transport
        self.timeout = timeout
        self.retry_first = retry_first
        self.retry_most = retry_most
        self.attempts = attempts
        self.deliveries: list[Delivery] = []
        self.dropped: list[int] = []  # update ids given up on after every attempt
        self._tasks: set[asyncio.Task[None]] = set()

    async def run(self) -> None:
        """Post updates until cancelled."""
        limits = httpx.Limits(max_connections=None, max_keepalive_connections=100)
        async with httpx.AsyncClient(timeout=self.timeout, limits=limits) as http:
            size = self._connections()
            slots = asyncio.Semaphore(size)
            try:
                while True:
                    updates = await self.transport.webhook_updates()
                    if size != self._connections():  # setWebhook again, with max_connections
                        size = self._connections()
                        slots = asyncio.Semaphore(size)
                    for update in updates:
                        self.transport.webhook_pending += 1
                        task = asyncio.create_task(self._deliver(http, slots, update))
                        self._tasks.add(task)
                        task.add_done_callback(self._tasks.discard)
            finally:
                for task in list(self._tasks):
                    task.cancel()
                await asyncio.gather(*self._tasks, return_exceptions=True)

    def _connections(self) -> int:
        return max(1, self.transport.webhook_connections)

    async def _deliver(
        self, http: httpx.AsyncClient, slots: asyncio.Semaphore, update: JSON
    ) -> None:
        """Post one update until it is taken or the attempts are spent."""
        pause = self.retry_first
        try:
            for _ in range(self.attempts):
                url = self.transport.webhook_url
                if not url:
                    self.transport.put_update(update)  # the webhook was deleted: back to polling
                    return
                async with slots:
                    delivery = await self._post(http, url, update)
                self.deliveries.append(delivery)
                if delivery.ok:
                    return
                await asyncio.sleep(pause)
                pause = min(pause * 2, self.retry_most)
            self.dropped.append(int(update["update_id"]))
            log.warning("gave up posting update %s to the webhook", update["update_id"])
        finally:
            self.transport.webhook_pending -= 1

    async def _post(self, http: httpx.AsyncClient, url: str, update: JSON) -> Delivery:
        headers = {}
        if self.transport.webhook_secret:
            headers[WEBHOOK_SECRET_HEADER] = self.transport.webhook_secret
        update_id = int(update["update_id"])
        try:
            answer = await http.post(url, json=update, headers=headers)
        except httpx.HTTPError as exc:
            return Delivery(update_id, url, None, type(exc).__name__)
        return Delivery(update_id, url, answer.status_code)


class FakeTelegramServer:
    """A running HTTP front of an OfflineTelegram; `async with` closes it."""

    def __init__(
        self, server: asyncio.Server, transport: OfflineTelegram, token: str | None = None
    ) -> None:
        self.server = server
        self.transport = transport
        self._handler = _Handler(transport, token)
        self._connections: set[asyncio.Task[None]] = set()
        self.webhook = WebhookPoster(transport)
        self._poster = asyncio.get_running_loop().create_task(self.webhook.run())
        # Kept now: the sockets are gone once closed, and the URLs still name the server.
        address = server.sockets[0].getsockname()
        self.host: str = str(address[0])
        self.port: int = int(address[1])  # the one the OS chose for port 0

    def put_text(self, user: OfflineUser, text: str) -> Update:
        """Queue a user's text (as the control API's `text`); return the update."""
        update = self.transport.text_update(user, text, bot=self._factory_bot)
        self.transport.put_update(update)
        return update

    def put_press(self, user: OfflineUser, data: str) -> Update:
        """Queue a user's press on their latest keyboard (as the control API's `press`)."""
        update = self.transport.callback_update(user, data, bot=self._factory_bot)
        self.transport.put_update(update)
        return update

    @property
    def _factory_bot(self) -> Bot:
        return self.transport.bot or self._handler._factory_bot

    @property
    def outage(self) -> int:
        """How many more Bot API calls are answered 502 Bad Gateway."""
        return self._handler.outage

    @outage.setter
    def outage(self, calls: int) -> None:
        self._handler.outage = calls

    @property
    def url(self) -> str:
        """The server's root URL."""
        host = f"[{self.host}]" if ":" in self.host else self.host
        return f"http://{host}:{self.port}"

    @property
    def base_url(self) -> str:
        """The value for TELEGRAM_API_BASE_URL."""
        return f"{self.url}/bot"

    @property
    def control_url(self) -> str:
        """The root of the control API."""
        return f"{self.url}/_offline"

    async def connection(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        """Serve requests on one connection until the client closes it (keep-alive)."""
        task = asyncio.current_task()
        if task is not None:
            self._connections.add(task)
        try:
            while True:
                try:
                    request = await _read_request(reader)
                except (_BadRequest, ValueError) as exc:
                    # ValueError: an over-long line or a non-numeric length; close after it.
                    status = exc.status if isinstance(exc, _BadRequest) else 400
                    await _write(writer, _api_error(status, str(exc)), keep_alive=False)
                    return
                if request is None:
                    return
                try:
                    response = await self._handler.handle(request)
                except (_BadRequest, UnicodeDecodeError) as exc:
                    status = exc.status if isinstance(exc, _BadRequest) else 400
                    response = _api_error(status, f"Bad Request: {exc}")
                except Exception:
                    # A transport bug must not look like a network failure to the bot.
                    log.exception("error answering %s %s", request.method, request.path)
                    response = _api_error(500, "Internal Server Error")
                await _write(writer, response, keep_alive=request.keep_alive)
                if not request.keep_alive:
                    return
        except (ConnectionError, asyncio.IncompleteReadError):
            pass  # the client went away mid-request
        except asyncio.CancelledError:
            # close() cancels open connections; ending quietly here (the task's top frame)
            # avoids Python 3.11's stream callback logging the cancellation as an error.
            pass
        finally:
            if task is not None:
                self._connections.discard(task)
            writer.close()
            with contextlib.suppress(ConnectionError):
                await writer.wait_closed()

    async def close(self) -> None:
        """Stop posting and listening; end open connections, including long polls in progress."""
        self._poster.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await self._poster
        self.server.close()
        for task in list(self._connections):
            task.cancel()
        if self._connections:
            await asyncio.gather(*self._connections, return_exceptions=True)
        await self.server.wait_closed()

    async def serve_forever(self) -> None:
        """Serve until cancelled."""
        await self.server.serve_forever()

    async def __aenter__(self) -> FakeTelegramServer:
        """Already serving; just hand itself over."""
        return self

    async def __aexit__(self, *exc: object) -> None:
        """Close the server."""
        await self.close()


async def _write(writer: asyncio.StreamWriter, response: _Response, *, keep_alive: bool) -> None:
    """Write one HTTP/1.1 response."""
    try:
        reason = HTTPStatus(response.status).phrase
    except ValueError:
        reason = "Unknown"
    headers = {
        "Content-Type": response.content_type,
        "Content-Length": str(len(response.body)),
        "Connection": "keep-alive" if keep_alive else "close",
    }
    head = f"HTTP/1.1 {response.status} {reason}\r\n"
    head += "".join(f"{name}: {value}\r\n" for name, value in headers.items()) + "\r\n"
    writer.write(head.encode("latin-1") + response.body)
    await writer.drain()


async def serve(
    host: str = "127.0.0.1",
    port: int = 0,
    transport: OfflineTelegram | None = None,
    *,
    token: str | None = None,
) -> FakeTelegramServer:
    """Start serving `transport` (a new one if None) on host:port; port 0 lets the OS choose.

    With a `token`, requests with any other token are refused (401, or 404 when malformed).
    """
    transport = transport or OfflineTelegram()
    holder: list[FakeTelegramServer] = []

    async def on_connect(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        await holder[0].connection(reader, writer)

    server = await asyncio.start_server(on_connect, host, port)
    holder.append(FakeTelegramServer(server, transport, token))
    return holder[0]


async def _run_forever(
    host: str, port: int, announce: Callable[[str], None], token: str | None = None
) -> None:
    """Serve a fresh OfflineTelegram until cancelled (Ctrl-C)."""
    transport = OfflineTelegram(bot_username="handover_fake_bot")
    async with await serve(host, port, transport, token=token) as fake:
        announce(
            f"Fake Telegram listening on {fake.url}\n"
            f"  run the bot with: TELEGRAM_API_BASE_URL={fake.base_url} "
            f"TELEGRAM_BOT_TOKEN={token or '123:FAKE'} python -m bot run\n"
            f"  act as a user:    curl -s {fake.control_url}/text -d "
            '\'{"user_id": 42, "first_name": "Ann", "language_code": "en", "text": "/help"}\'\n'
            f"  see the replies:  curl -s '{fake.control_url}/outbox?chat_id=42'\n"
            "Ctrl-C to stop."
        )
        await fake.serve_forever()


def main(host: str = "127.0.0.1", port: int = 8081, token: str | None = None) -> int:
    """Run the fake Telegram in the foreground until Ctrl-C (the `fake-telegram` command)."""
    try:
        asyncio.run(_run_forever(host, port, lambda text: print(text, flush=True), token))
    except KeyboardInterrupt:
        print("stopped", flush=True)
    except OSError as exc:  # the port is taken or the address is not ours
        print(f"error: cannot listen on {host}:{port}: {exc.strerror or exc}", file=sys.stderr)
        return 2
    return 0
