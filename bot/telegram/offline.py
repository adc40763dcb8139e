"""In-process Telegram Bot API so a real PTB Application runs, and is tested, with no network."""

from __future__ import annotations

import asyncio
import contextlib
import dataclasses
import html
import inspect
import itertools
import json
import math
import mimetypes
import random
import re
import time
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass, field
from http import HTTPStatus
from pathlib import PurePosixPath
from typing import Any
from urllib.parse import unquote, urlsplit

from telegram import Bot, BotCommandScope, Update
from telegram.error import TimedOut
from telegram.ext import Application, ApplicationBuilder, ContextTypes
from telegram.request import BaseRequest, RequestData

from bot.telegram.adapter import LIMITS

__all__ = [
    "ApiCall",
    "CallbackAnswer",
    "FloodLimits",
    "OfflineChat",
    "OfflineTelegram",
    "OfflineUser",
    "OutMessage",
    "StoredFile",
    "html_to_text",
    "scope_key",
]

JSON = dict[str, Any]
Files = dict[str, tuple[str, bytes, str]]
# Telegram's limits, as its adapter declares them (bot.telegram.adapter.LIMITS).
MAX_TEXT = LIMITS.text
MAX_CAPTION = LIMITS.caption
MAX_ALERT = LIMITS.alert  # answerCallbackQuery text
MAX_CALLBACK_DATA = LIMITS.button_data  # bytes
_HTML_TAGS = frozenset(
    {"b", "strong", "i", "em", "u", "ins", "s", "strike", "del", "span", "tg-spoiler", "a"}
    | {"code", "pre", "blockquote", "tg-emoji"}
)
_TAG_RE = re.compile(r"<(/?)([a-zA-Z][a-zA-Z0-9-]*)([^<>]*)>")
_ENTITY_RE = re.compile(r"&(lt|gt|amp|quot|#\d+|#x[0-9a-fA-F]+);")
_COMMAND_RE = re.compile(r"^[a-z0-9_]{1,32}$")
_TOKEN_RE = re.compile(r"(\d+):[\w-]+$")


class _ApiError(Exception):
    """A Bot API error response (HTTP status, description, and its ResponseParameters)."""

    def __init__(self, code: int, description: str, parameters: JSON | None = None) -> None:
        super().__init__(description)
        self.code = code
        self.description = description
        self.parameters = parameters


# The methods that send a message: what Telegram's flood limits count.
SENDS = frozenset({"sendmessage", "sendphoto", "senddocument", "sendmediagroup"})


@dataclass(frozen=True)
class FloodLimits:
    """Telegram's flood limits, as the offline transport enforces them with 429 Too Many Requests.

    At most `overall` sends in any `window` in all, and `per_chat` to one chat: a sliding
    window (every instant ends one), not a bucket refilled each window, so 30 at once are
    followed by none until the first of them is a window old. Telegram does not publish how it
    counts; this is the strict reading of "30 a second", so a client that passes here passes
    there. Tests shrink the window to keep fast; the real Bot API's retry_after is whole seconds.
    """

    overall: int = LIMITS.sends_per_second or 30
    per_chat: int = 1  # one message per chat_interval, as the adapter declares it
    window: float = LIMITS.chat_interval
    whole_seconds: bool = True


def _too_many(retry_after: float) -> _ApiError:
    """Build a 429 answer, as the Bot API words it."""
    shown = f"{retry_after:g}"
    return _ApiError(429, f"Too Many Requests: retry after {shown}", {"retry_after": retry_after})


def _bad(description: str) -> _ApiError:
    """Build a 400 Bad Request error."""
    return _ApiError(400, f"Bad Request: {description}")


def html_to_text(source: str) -> str:
    """Return the visible text of an HTML-formatted message, failing like Telegram on bad markup."""
    out: list[str] = []
    stack: list[str] = []
    pos = 0
    while pos < len(source):
        char = source[pos]
        offset = len(source[:pos].encode())
        if char == "<":
            match = _TAG_RE.match(source, pos)
            if not match:
                raise _bad(f"can't parse entities: unescaped '<' at byte offset {offset}")
            name = match.group(2).lower()
            if name not in _HTML_TAGS:
                raise _bad(
                    f'can\'t parse entities: unsupported start tag "{name}" at byte offset {offset}'
                )
            if match.group(1):
                if not stack or stack[-1] != name:
                    raise _bad(f"can't parse entities: unexpected end tag at byte offset {offset}")
                stack.pop()
            else:
                stack.append(name)
            pos = match.end()
        elif char == "&" and (match := _ENTITY_RE.match(source, pos)):
            out.append(html.unescape(match.group(0)))
            pos = match.end()
        else:
            out.append(char)
            pos += 1
    if stack:
        raise _bad(
            f"can't parse entities: can't find end tag corresponding to start tag \"{stack[-1]}\""
        )
    return "".join(out)


def scope_key(scope: BotCommandScope | JSON | None = None) -> str:
    """Canonical JSON key of a command scope (None means the default scope)."""
    if isinstance(scope, BotCommandScope):
        scope = scope.to_dict()
    return json.dumps(scope or {"type": "default"}, sort_keys=True, separators=(",", ":"))


@dataclass(frozen=True)
class OfflineUser:
    """A simulated Telegram user; their private chat id equals their user id."""

    id: int
    first_name: str
    last_name: str | None = None
    username: str | None = None
    language_code: str | None = "zh"

    def to_dict(self) -> JSON:
        """Bot API User object."""
        data = {"id": self.id, "is_bot": False, **dataclasses.asdict(self)}
        return {key: value for key, value in data.items() if value is not None}


@dataclass
class ApiCall:
    """One Bot API request the bot made, with its decoded parameters and uploaded files."""

    method: str
    params: JSON
    files: Files = field(default_factory=dict)
    result: Any = None
    error: str | None = None
    at: float = 0.0  # when it arrived, on the transport's monotonic clock


@dataclass
class StoredFile:
    """A file the transport can serve through getFile and a download."""

    file_id: str
    file_unique_id: str
    kind: str
    data: bytes
    file_path: str
    file_name: str | None = None
    mime_type: str | None = None


@dataclass
class OutMessage:
    """A bot message as the user sees it; `text` holds the text or the caption."""

    chat_id: int
    message_id: int
    kind: str
    text: str | None = None
    reply_markup: JSON | None = None
    file_id: str | None = None
    file_bytes: bytes | None = None
    filename: str | None = None
    mime_type: str | None = None
    media_group_id: str | None = None
    parse_mode: str | None = None
    raw_text: str | None = None
    date: int = 0
    edited: bool = False
    edit_date: int | None = None

    def buttons(self) -> list[list[tuple[str, str | None]]]:
        """Inline keyboard rows as (text, callback_data) pairs."""
        rows = (self.reply_markup or {}).get("inline_keyboard", [])
        return [[(button["text"], button.get("callback_data")) for button in row] for row in rows]


@dataclass
class CallbackAnswer:
    """An answerCallbackQuery call."""

    callback_query_id: str
    text: str | None
    show_alert: bool
    url: str | None = None


class OfflineTelegram(BaseRequest):
    """A BaseRequest that answers the Bot API in process and records everything the bot does."""

    def __init__(
        self,
        *,
        bot_id: int | None = None,
        bot_username: str = "offline_bot",
        bot_first_name: str = "Offline Bot",
        max_poll_wait: float = 0.5,
        clock: Callable[[], float] = time.time,
        limits: FloodLimits | None = None,
        monotonic: Callable[[], float] = time.monotonic,
        first_update_id: int | None = None,
    ) -> None:
        self.bot_id = bot_id
        self.bot_username = bot_username
        self.bot_first_name = bot_first_name
        self.max_poll_wait = max_poll_wait
        self.clock = clock
        # None: no flood limits (most tests); else sends beyond them are answered with 429.
        self.limits = limits
        self.monotonic = monotonic
        self.bot: Bot | None = None
        self.calls: list[ApiCall] = []
        # Every call Telegram would have refused, in order: a test asserts none it did not provoke.
        self.errors: list[ApiCall] = []
        # Sends answered 429 (beyond the limits, or injected with `throttle`): a client's to
        # wait out and retry, so kept apart from `errors`.
        self.throttled: list[ApiCall] = []
        # Sends answered with a server error or let time out (injected with `fail`, `time_out`):
        # a client's to try again later, so kept apart from `errors` too.
        self.unavailable: list[ApiCall] = []
        # When the accepted sends arrived, in all and by chat, for the sliding windows.
        self._sent_at: deque[float] = deque()
        self._chat_sent_at: dict[int, deque[float]] = {}
        # What the next sends to a chat meet: None passes, else the error it is answered with.
        self._faults: dict[int, list[Exception | None]] = {}
        # How long the next sends to a chat are held before they are answered (`hold`).
        self._holds: dict[int, list[float]] = {}
        self.outbox: list[OutMessage] = []
        self.messages: dict[tuple[int, int], OutMessage] = {}
        self.deleted: list[tuple[int, int]] = []
        self.files: dict[str, StoredFile] = {}
        self.commands: dict[tuple[str, str], list[JSON]] = {}
        self.menu_buttons: dict[int | None, JSON] = {}
        self.callback_answers: list[CallbackAnswer] = []
        self.users: dict[int, OfflineUser] = {}
        self.blocked: set[int] = set()
        self.gone: set[int] = set()  # chats Telegram no longer knows (a deleted account)
        self.webhook_url = ""
        # What setWebhook asked for: the secret to send with each update, how many at once.
        self.webhook_secret: str | None = None
        self.webhook_connections = 40
        self.webhook_allowed: list[str] | None = None
        self.webhook_pending = 0  # updates taken for the webhook and not yet delivered
        self._pending_callbacks: dict[str, int] = {}
        self._user_messages: set[tuple[int, int]] = set()
        self._last_message_id: dict[int, int] = {}
        self._updates: list[JSON] = []
        # Telegram starts a bot's update ids at a number of its own (and after a week without
        # updates at a random one): each stand-in too, so that updates of a new one are not
        # taken for another's already handled on the same database (the bot records them).
        first = first_update_id or random.SystemRandom().randrange(1, 2**31 - 2**24)
        self._update_ids = itertools.count(first)
        self._ids = itertools.count(1)
        self._update_event: asyncio.Event | None = None
        self._methods: dict[str, Callable[[JSON, Files], Any]] = {
            "getme": lambda p, f: self._bot_user(full=True),
            "deletewebhook": self._delete_webhook,
            "setwebhook": self._set_webhook,
            "getwebhookinfo": self._webhook_info,
            "getupdates": self._get_updates,
            "sendmessage": self._send_message,
            "editmessagetext": self._edit_text,
            "editmessagecaption": self._edit_caption,
            "editmessagereplymarkup": self._edit_markup,
            "deletemessage": self._delete_message,
            "answercallbackquery": self._answer_callback,
            "sendphoto": lambda p, f: self._send_file("photo", p, f),
            "senddocument": lambda p, f: self._send_file("document", p, f),
            "sendmediagroup": self._send_media_group,
            "getfile": self._get_file,
            "setmycommands": self._set_commands,
            "getmycommands": lambda p, f: self.commands.get(self._command_key(p), []),
            "deletemycommands": self._delete_commands,
            "setchatmenubutton": self._set_menu_button,
            "getchatmenubutton": lambda p, f: self.menu_buttons.get(
                p.get("chat_id"), {"type": "default"}
            ),
            "sendchataction": lambda p, f: bool(self._chat_id(p)),
            "close": lambda p, f: True,
            "logout": lambda p, f: True,
        }

    # -- BaseRequest ------------------------------------------------------------------------

    @property
    def read_timeout(self) -> float | None:
        """Default read timeout (nothing here ever blocks on a socket)."""
        return 5.0

    async def initialize(self) -> None:
        """Nothing to set up."""

    async def shutdown(self) -> None:
        """Nothing to release."""

    async def do_request(
        self,
        url: str,
        method: str,
        request_data: RequestData | None = None,
        read_timeout: Any = BaseRequest.DEFAULT_NONE,
        write_timeout: Any = BaseRequest.DEFAULT_NONE,
        connect_timeout: Any = BaseRequest.DEFAULT_NONE,
        pool_timeout: Any = BaseRequest.DEFAULT_NONE,
    ) -> tuple[int, bytes]:
        """Answer one HTTP request: a GET is a file download, a POST a Bot API method."""
        path = unquote(urlsplit(url).path)
        if method == "GET":
            return self._download(path)
        head, _, api_method = path.rstrip("/").rpartition("/")
        if self.bot_id is None and (token := _TOKEN_RE.search(head)):
            self.bot_id = int(token.group(1))
        params = dict(request_data.parameters) if request_data else {}
        files = _read_files(request_data)
        call = ApiCall(api_method, params, files, at=self.monotonic())
        self.calls.append(call)
        try:
            handler = self._methods.get(api_method.lower())
            if handler is None:
                raise _bad(f"method {api_method} is not supported offline")
            sends = api_method.lower() in SENDS
            if sends:
                await self._held(params)
                self._check_flood(params, call.at)
            result = handler(params, files)
            if inspect.isawaitable(result):
                result = await result
            if sends:
                self._count_send(params, call.at)
        except TimedOut as exc:
            call.error = exc.message
            self.unavailable.append(call)
            raise
        except _ApiError as exc:
            call.error = exc.description
            if exc.code == 429:
                self.throttled.append(call)
            else:
                (self.unavailable if exc.code >= 500 else self.errors).append(call)
            body: JSON = {"ok": False, "error_code": exc.code, "description": exc.description}
            if exc.parameters:
                body["parameters"] = exc.parameters
            return exc.code, json.dumps(body, ensure_ascii=False).encode()
        call.result = result
        return 200, json.dumps({"ok": True, "result": result}, ensure_ascii=False).encode()

    def _download(self, path: str) -> tuple[int, bytes]:
        """Serve the raw bytes of a known file_path (the URL ends with it)."""
        for stored in self.files.values():
            if path.endswith("/" + stored.file_path):
                return 200, stored.data
        self.errors.append(ApiCall("download", {"path": path}, error="Not Found"))
        body = {"ok": False, "error_code": 404, "description": "Not Found"}
        return 404, json.dumps(body).encode()

    # -- wiring -----------------------------------------------------------------------------

    def application_builder(self, token: str = "123:ABC") -> ApplicationBuilder:
        """An ApplicationBuilder whose bot talks only to this transport."""
        return ApplicationBuilder().token(token).request(self).get_updates_request(self)

    def build_application(self, token: str = "123:ABC") -> Application:
        """Build an Application on this transport and bind its bot for the update factories."""
        application = self.application_builder(token).build()
        self.bind(application.bot)
        return application

    def bind(self, bot: Bot) -> None:
        """Use this bot for Update objects built by the factories."""
        self.bot = bot

    # -- recording queries ------------------------------------------------------------------

    def mark(self) -> int:
        """A position in the outbox, for `events_since`."""
        return len(self.outbox)

    def events_since(self, mark: int, chat_id: int | None = None) -> list[OutMessage]:
        """New messages and edits after a mark, optionally for one chat."""
        return [m for m in self.outbox[mark:] if chat_id is None or m.chat_id == chat_id]

    def outbox_for(self, chat_id: int, since: int = 0) -> list[OutMessage]:
        """Message and edit events sent to one chat (e.g. notifications to other users)."""
        return self.events_since(since, chat_id)

    def chat_messages(self, chat_id: int) -> list[OutMessage]:
        """Current state of the bot's live (not deleted) messages in a chat, oldest first."""
        return sorted(
            (m for (cid, _), m in self.messages.items() if cid == chat_id),
            key=lambda m: m.message_id,
        )

    def last_message(self, chat_id: int, *, with_keyboard: bool = False) -> OutMessage | None:
        """The newest live bot message in a chat, optionally only one with an inline keyboard."""
        candidates = [m for m in self.chat_messages(chat_id) if not with_keyboard or m.buttons()]
        return candidates[-1] if candidates else None

    def calls_of(self, method: str) -> list[ApiCall]:
        """Recorded calls of one API method (case-insensitive)."""
        return [c for c in self.calls if c.method.lower() == method.lower()]

    def commands_for(
        self, scope: BotCommandScope | JSON | None = None, language_code: str = ""
    ) -> list[JSON] | None:
        """Commands set for exactly this scope and language, or None."""
        return self.commands.get((scope_key(scope), language_code))

    @property
    def unanswered_callbacks(self) -> list[str]:
        """Callback query ids the bot has not answered (the user's button keeps spinning)."""
        return list(self._pending_callbacks)

    def block(self, chat_id: int) -> None:
        """Simulate a user who blocked the bot: sends to them fail with 403 Forbidden."""
        self.blocked.add(chat_id)

    def throttle(
        self, chat_id: int, *, times: int = 1, retry_after: float = 1, after: int = 0
    ) -> None:
        """Answer 429 with this retry_after to `times` sends to a chat, after `after` more go.

        Like `fail` and `time_out`, it queues behind what is already injected for that chat.
        """
        self._inject(chat_id, _too_many(retry_after), times, after)

    def fail(self, chat_id: int, *, status: int = 500, times: int = 1, after: int = 0) -> None:
        """Answer `times` sends to a chat with the server error `status`, after `after` more go."""
        phrase = HTTPStatus(status).phrase
        self._inject(chat_id, _ApiError(status, phrase), times, after)

    def time_out(self, chat_id: int, *, times: int = 1, after: int = 0) -> None:
        """Let `times` sends to a chat time out (they never reach Telegram), after `after` go."""
        self._inject(chat_id, TimedOut(), times, after)

    def hold(self, chat_id: int, seconds: float, *, times: int = 1) -> None:
        """Answer the next `times` sends to a chat only after `seconds` (a slow Telegram)."""
        self._holds.setdefault(chat_id, []).extend([seconds] * times)

    def _inject(self, chat_id: int, error: Exception, times: int, after: int) -> None:
        self._faults.setdefault(chat_id, []).extend([None] * after + [error] * times)

    def sends(self) -> list[ApiCall]:
        """The sends Telegram accepted (sendMessage, sendPhoto...), in order of arrival."""
        return [c for c in self.calls if c.method.lower() in SENDS and c.error is None]

    async def _held(self, params: JSON) -> None:
        """Wait as `hold` asked for a send to this chat."""
        with contextlib.suppress(TypeError, ValueError):
            held = self._holds.get(int(params.get("chat_id")))
            if held:
                await asyncio.sleep(held.pop(0))

    def _check_flood(self, params: JSON, at: float) -> None:
        """Refuse a send as injected, or with 429 if it goes beyond the flood limits."""
        try:
            chat_id = int(params.get("chat_id"))
        except (TypeError, ValueError):
            return  # the method itself answers "chat not found"
        if (injected := self._faults.get(chat_id)) and (fault := injected.pop(0)) is not None:
            raise fault
        if self.limits is None:
            return
        limits = self.limits
        wait = max(
            _window_wait(self._sent_at, limits.overall, limits.window, at),
            _window_wait(self._chat_sent_at.get(chat_id, ()), limits.per_chat, limits.window, at),
        )
        if wait > 0:
            whole = max(1, math.ceil(wait)) if limits.whole_seconds else round(wait + 5e-4, 3)
            raise _too_many(whole)

    def _count_send(self, params: JSON, at: float) -> None:
        """Count an accepted send in the sliding windows (what Telegram took is what counts)."""
        if self.limits is None:
            return
        self._sent_at.append(at)
        self._chat_sent_at.setdefault(int(params["chat_id"]), deque()).append(at)
        horizon = at - self.limits.window
        for sent in (self._sent_at, self._chat_sent_at[int(params["chat_id"])]):
            while sent and sent[0] <= horizon:
                sent.popleft()

    # -- injecting user actions -------------------------------------------------------------

    def put_update(self, update: Update | JSON) -> None:
        """Queue an update for getUpdates (polling)."""
        self._updates.append(update.to_dict() if isinstance(update, Update) else dict(update))
        if self._update_event is not None:
            self._update_event.set()

    def register_file(
        self, data: bytes, kind: str, file_name: str | None = None, mime_type: str | None = None
    ) -> StoredFile:
        """Store bytes under a new file_id, as Telegram does for any upload."""
        n = next(self._ids)
        if kind == "photo":
            file_path, mime_type = f"photos/file_{n}.jpg", mime_type or "image/jpeg"
        else:
            suffix = PurePosixPath(file_name or "").suffix
            mime_type = mime_type or mimetypes.guess_type(file_name or "")[0]
            file_path = f"documents/file_{n}{suffix}"
        stored = StoredFile(
            f"offline-{kind}-{n}", f"u{n}", kind, data, file_path, file_name, mime_type
        )
        self.files[stored.file_id] = stored
        return stored

    def text_update(self, user: OfflineUser, text: str, *, bot: Bot | None = None) -> Update:
        """A private text message; a leading /command gets its bot_command entity."""
        message = self._user_message(user)
        message["text"] = text
        if text.startswith("/"):
            command = text.split(maxsplit=1)[0]
            length = len(command.encode("utf-16-le")) // 2
            message["entities"] = [{"type": "bot_command", "offset": 0, "length": length}]
        return self._update({"message": message}, bot)

    def callback_update(
        self,
        user: OfflineUser,
        data: str | None,
        message_id: int | None = None,
        *,
        bot: Bot | None = None,
    ) -> Update:
        """A button press on a bot message in the user's chat (default: latest with a keyboard)."""
        if message_id is None:
            target = self.last_message(user.id, with_keyboard=True)
            if target is None:
                raise LookupError(f"no bot message with an inline keyboard in chat {user.id}")
        elif (target := self.messages.get((user.id, message_id))) is None:
            raise LookupError(f"no live bot message {message_id} in chat {user.id}")
        self.users[user.id] = user
        query_id = f"cb{next(self._ids)}"
        self._pending_callbacks[query_id] = user.id
        query = {
            "id": query_id,
            "from": user.to_dict(),
            "message": self._message_json(target),
            "chat_instance": f"ci{user.id}",
            "data": data,
        }
        return self._update({"callback_query": query}, bot)

    def photo_update(
        self,
        user: OfflineUser,
        data: bytes,
        caption: str | None = None,
        media_group_id: str | None = None,
        *,
        bot: Bot | None = None,
    ) -> Update:
        """A private photo message whose bytes can be fetched with getFile and a download."""
        message = self._user_message(user)
        message["photo"] = [self._photo_size(self.register_file(data, "photo"))]
        if caption is not None:
            message["caption"] = caption
        if media_group_id is not None:
            message["media_group_id"] = media_group_id
        return self._update({"message": message}, bot)

    def document_update(
        self,
        user: OfflineUser,
        data: bytes,
        file_name: str,
        mime_type: str | None = None,
        caption: str | None = None,
        *,
        bot: Bot | None = None,
    ) -> Update:
        """A private document message whose bytes can be fetched with getFile and a download."""
        message = self._user_message(user)
        message["document"] = self._document_json(
            self.register_file(data, "document", file_name, mime_type)
        )
        if caption is not None:
            message["caption"] = caption
        return self._update({"message": message}, bot)

    def _user_message(self, user: OfflineUser) -> JSON:
        """Common fields of a message the user sends in their private chat."""
        self.users[user.id] = user
        message_id = self._next_message_id(user.id)
        self._user_messages.add((user.id, message_id))
        return {
            "message_id": message_id,
            "date": self._now(),
            "chat": self._chat_json(user.id),
            "from": user.to_dict(),
        }

    def _update(self, payload: JSON, bot: Bot | None) -> Update:
        """Wrap a payload in an Update with the next update_id, bound to the bot."""
        bot = bot or self.bot
        if bot is None:
            raise RuntimeError("no bot bound: call transport.bind(application.bot) first")
        return Update.de_json({"update_id": next(self._update_ids), **payload}, bot)

    # -- JSON shapes ------------------------------------------------------------------------

    def _now(self) -> int:
        """Current Unix time as Telegram reports it."""
        return int(self.clock())

    def _next_message_id(self, chat_id: int) -> int:
        """Message ids are per chat and shared by the user's and the bot's messages."""
        self._last_message_id[chat_id] = self._last_message_id.get(chat_id, 0) + 1
        return self._last_message_id[chat_id]

    def _bot_user(self, full: bool = False) -> JSON:
        """The bot as a User object; getMe adds the capability flags."""
        data: JSON = {
            "id": self.bot_id or 1,
            "is_bot": True,
            "first_name": self.bot_first_name,
            "username": self.bot_username,
        }
        if full:
            data |= {
                "can_join_groups": True,
                "can_read_all_group_messages": False,
                "supports_inline_queries": False,
                "can_connect_to_business": False,
                "has_main_web_app": False,
            }
        return data

    def _chat_json(self, chat_id: int) -> JSON:
        """A Chat object: private for positive ids, a group for negative ones."""
        if chat_id < 0:
            return {"id": chat_id, "type": "supergroup", "title": f"Group {chat_id}"}
        user = self.users.get(chat_id)
        if user is None:
            return {"id": chat_id, "type": "private", "first_name": f"User {chat_id}"}
        data = {"id": chat_id, "type": "private", "first_name": user.first_name}
        data |= {"last_name": user.last_name, "username": user.username}
        return {key: value for key, value in data.items() if value is not None}

    @staticmethod
    def _photo_size(stored: StoredFile) -> JSON:
        """A PhotoSize for a stored photo."""
        return {
            "file_id": stored.file_id,
            "file_unique_id": stored.file_unique_id,
            "width": 1280,
            "height": 960,
            "file_size": len(stored.data),
        }

    @staticmethod
    def _document_json(stored: StoredFile) -> JSON:
        """A Document object for a stored file."""
        data = {
            "file_id": stored.file_id,
            "file_unique_id": stored.file_unique_id,
            "file_name": stored.file_name,
            "mime_type": stored.mime_type,
            "file_size": len(stored.data),
        }
        return {key: value for key, value in data.items() if value is not None}

    def _message_json(self, message: OutMessage) -> JSON:
        """The Message object Telegram returns for a bot message in its current state."""
        data: JSON = {
            "message_id": message.message_id,
            "date": message.date,
            "chat": self._chat_json(message.chat_id),
            "from": self._bot_user(),
        }
        if message.edit_date is not None:
            data["edit_date"] = message.edit_date
        if message.media_group_id is not None:
            data["media_group_id"] = message.media_group_id
        if message.kind == "text":
            data["text"] = message.text
        else:
            stored = self.files[message.file_id or ""]
            if stored.kind == "photo":
                data["photo"] = [self._photo_size(stored)]
            else:
                data["document"] = self._document_json(stored)
            if message.text is not None:
                data["caption"] = message.text
        if message.reply_markup and "inline_keyboard" in message.reply_markup:
            data["reply_markup"] = message.reply_markup
        return data

    # -- API methods ------------------------------------------------------------------------

    async def webhook_updates(self) -> list[JSON]:
        """Take every queued update once a webhook is set, waiting for both (the HTTP front
        posts them to it: bot/telegram/apiserver.py)."""
        while not (self.webhook_url and self._updates):
            self._update_event = self._update_event or asyncio.Event()
            self._update_event.clear()
            await self._update_event.wait()
        taken, self._updates = self._updates, []
        return taken

    def _set_webhook(self, params: JSON, files: Files) -> bool:
        """setWebhook: remember the URL, the secret, the updates wanted and the connections."""
        self.webhook_url = str(params.get("url", ""))
        self.webhook_secret = params.get("secret_token")
        self.webhook_allowed = params.get("allowed_updates")
        self.webhook_connections = int(params.get("max_connections") or 40)
        if self._update_event is not None:
            self._update_event.set()  # updates queued before are posted now
        return True

    def _delete_webhook(self, params: JSON, files: Files) -> bool:
        """deleteWebhook: back to getUpdates; with drop_pending_updates the queue is emptied."""
        self.webhook_url, self.webhook_secret = "", None
        if params.get("drop_pending_updates"):
            self._updates = []
        return True

    def _webhook_info(self, params: JSON, files: Files) -> JSON:
        """getWebhookInfo: the URL set (empty when polling) and the updates waiting."""
        info: JSON = {
            "url": self.webhook_url,
            "has_custom_certificate": False,
            "pending_update_count": len(self._updates) + self.webhook_pending,
            "max_connections": self.webhook_connections,
        }
        if self.webhook_allowed is not None:
            info["allowed_updates"] = self.webhook_allowed
        return info

    async def _get_updates(self, params: JSON, files: Files) -> Any:
        """Return queued updates from `offset`, waiting briefly (long polling) when none."""
        if self.webhook_url:
            raise _ApiError(
                409,
                "Conflict: can't use getUpdates method while webhook is active; "
                "use deleteWebhook to delete the webhook first",
            )
        offset = int(params.get("offset", 0))
        if offset > 0:
            self._updates = [u for u in self._updates if u["update_id"] >= offset]
        elif offset < 0:
            self._updates = self._updates[offset:]
        if not self._updates and float(params.get("timeout", 0)) > 0:
            self._update_event = self._update_event or asyncio.Event()
            self._update_event.clear()
            wait = min(float(params["timeout"]), self.max_poll_wait)
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._update_event.wait(), wait)
        return self._updates[: int(params.get("limit", 100))]

    def _chat_id(self, params: JSON) -> int:
        """The target chat id; fails like Telegram for unknown or blocked chats."""
        raw = params.get("chat_id")
        try:
            chat_id = int(raw)
        except (TypeError, ValueError):
            raise _bad("chat not found") from None
        if chat_id in self.blocked:
            raise _ApiError(403, "Forbidden: bot was blocked by the user")
        if chat_id in self.gone:
            raise _bad("chat not found")
        return chat_id

    @staticmethod
    def _markup(params: JSON) -> JSON | None:
        """The reply_markup parameter, validated like Telegram validates inline keyboards."""
        markup = params.get("reply_markup")
        if isinstance(markup, str):
            markup = json.loads(markup)
        for row in (markup or {}).get("inline_keyboard", []):
            for button in row:
                data = button.get("callback_data")
                if data is not None and not 1 <= len(str(data).encode()) <= MAX_CALLBACK_DATA:
                    raise _bad("BUTTON_DATA_INVALID")
                if len(button) == 1:
                    raise _bad(
                        "can't parse inline keyboard button: "
                        "Text buttons are unallowed in the inline keyboard"
                    )
        return markup

    @staticmethod
    def _render(raw: str | None, parse_mode: str | None, limit: int, what: str) -> str | None:
        """Visible text after parse_mode, with Telegram's length checks."""
        if raw is None:
            return None
        text = html_to_text(raw) if str(parse_mode).upper() == "HTML" else raw
        if what == "text" and not text.strip():
            raise _bad("message text is empty")
        if len(text) > limit:
            raise _bad("message is too long" if what == "text" else "message caption is too long")
        return text

    def _store(self, chat_id: int, kind: str, **fields: Any) -> JSON:
        """Record a new bot message and return its Message JSON."""
        message_id = self._next_message_id(chat_id)
        message = OutMessage(chat_id, message_id, kind, date=self._now(), **fields)
        self.messages[(chat_id, message_id)] = message
        self.outbox.append(dataclasses.replace(message))
        return self._message_json(message)

    @staticmethod
    def _file_fields(stored: StoredFile) -> JSON:
        """OutMessage fields describing an attached file."""
        return {
            "file_id": stored.file_id,
            "file_bytes": stored.data,
            "filename": stored.file_name,
            "mime_type": stored.mime_type,
        }

    def _send_message(self, params: JSON, files: Files) -> JSON:
        """sendMessage."""
        chat_id = self._chat_id(params)
        raw, parse_mode = str(params.get("text", "")), params.get("parse_mode")
        text = self._render(raw, parse_mode, MAX_TEXT, "text")
        return self._store(
            chat_id,
            "text",
            text=text,
            reply_markup=self._markup(params),
            parse_mode=parse_mode,
            raw_text=raw,
        )

    def _resolve_media(self, ref: Any, files: Files, kind: str) -> StoredFile:
        """An uploaded file (multipart part or attach:// URI) or an existing file_id."""
        if isinstance(ref, str) and ref.startswith("attach://"):
            ref = files.get(ref.removeprefix("attach://"))
        if isinstance(ref, tuple):
            file_name, data, mime_type = ref
            if kind == "photo":
                return self.register_file(data, "photo")
            if mime_type == "application/octet-stream":
                mime_type = mimetypes.guess_type(file_name)[0] or mime_type
            return self.register_file(data, "document", file_name, mime_type)
        if isinstance(ref, str) and ref in self.files:
            return self.files[ref]
        if ref is None:
            raise _bad(f"there is no {kind} in the request")
        raise _bad("wrong file identifier/HTTP URL specified")

    def _send_file(self, kind: str, params: JSON, files: Files) -> JSON:
        """sendPhoto and sendDocument."""
        chat_id = self._chat_id(params)
        stored = self._resolve_media(params.get(kind, files.get(kind)), files, kind)
        raw, parse_mode = params.get("caption"), params.get("parse_mode")
        caption = self._render(raw, parse_mode, MAX_CAPTION, "caption")
        return self._store(
            chat_id,
            kind,
            text=caption,
            reply_markup=self._markup(params),
            parse_mode=parse_mode,
            raw_text=raw,
            **self._file_fields(stored),
        )

    def _send_media_group(self, params: JSON, files: Files) -> list[JSON]:
        """sendMediaGroup of 2-10 photos or documents."""
        chat_id = self._chat_id(params)
        media = params.get("media") or []
        if not 2 <= len(media) <= 10:
            raise _bad("media group must contain 2-10 items")
        group_id = f"mg{next(self._ids)}"
        resolved = []
        for item in media:
            if item.get("type") not in ("photo", "document"):
                raise _bad(f"media type {item.get('type')} is not supported offline")
            stored = self._resolve_media(item.get("media"), files, item["type"])
            caption = self._render(
                item.get("caption"), item.get("parse_mode"), MAX_CAPTION, "caption"
            )
            resolved.append((item, stored, caption))
        results = []
        for item, stored, caption in resolved:
            fields = self._file_fields(stored) | {"media_group_id": group_id}
            fields |= {"parse_mode": item.get("parse_mode"), "raw_text": item.get("caption")}
            results.append(self._store(chat_id, "media_group_item", text=caption, **fields))
        return results

    def _editable(self, params: JSON) -> OutMessage:
        """The bot message an edit targets."""
        if "inline_message_id" in params:
            raise _bad("inline messages are not supported offline")
        key = (self._chat_id(params), int(params.get("message_id", 0)))
        if key in self._user_messages:
            raise _bad("message can't be edited")
        if key not in self.messages:
            raise _bad("message to edit not found")
        return self.messages[key]

    def _apply_edit(self, message: OutMessage, changes: JSON) -> JSON:
        """Apply an edit, refusing a no-op like Telegram, and record it as an event."""
        compared = ("text", "raw_text", "reply_markup")
        if all(
            getattr(message, name) == changes.get(name, getattr(message, name)) for name in compared
        ):
            raise _bad(
                "message is not modified: specified new message content and reply markup "
                "are exactly the same as a current content and reply markup of the message"
            )
        for name, value in changes.items():
            setattr(message, name, value)
        message.edited, message.edit_date = True, self._now()
        self.outbox.append(dataclasses.replace(message))
        return self._message_json(message)

    def _edit_text(self, params: JSON, files: Files) -> JSON:
        """editMessageText; like Telegram, omitting reply_markup removes the inline keyboard."""
        message = self._editable(params)
        if message.kind != "text":
            raise _bad("there is no text in the message to edit")
        raw, parse_mode = str(params.get("text", "")), params.get("parse_mode")
        text = self._render(raw, parse_mode, MAX_TEXT, "text")
        changes = {"text": text, "raw_text": raw, "reply_markup": self._markup(params)}
        return self._apply_edit(message, changes | {"parse_mode": parse_mode})

    def _edit_caption(self, params: JSON, files: Files) -> JSON:
        """editMessageCaption; omitting reply_markup removes the inline keyboard."""
        message = self._editable(params)
        if message.kind == "text":
            raise _bad("there is no caption in the message to edit")
        raw, parse_mode = params.get("caption"), params.get("parse_mode")
        caption = self._render(raw, parse_mode, MAX_CAPTION, "caption")
        changes = {"text": caption, "raw_text": raw, "reply_markup": self._markup(params)}
        return self._apply_edit(message, changes | {"parse_mode": parse_mode})

    def _edit_markup(self, params: JSON, files: Files) -> JSON:
        """editMessageReplyMarkup; no reply_markup removes the keyboard."""
        return self._apply_edit(self._editable(params), {"reply_markup": self._markup(params)})

    def _delete_message(self, params: JSON, files: Files) -> bool:
        """deleteMessage of a bot message or of a user's message in a private chat."""
        key = (self._chat_id(params), int(params.get("message_id", 0)))
        if key in self.messages:
            del self.messages[key]
        elif key in self._user_messages:
            self._user_messages.discard(key)
        else:
            raise _bad("message to delete not found")
        self.deleted.append(key)
        return True

    def _answer_callback(self, params: JSON, files: Files) -> bool:
        """answerCallbackQuery, once per query id like Telegram."""
        query_id = str(params.get("callback_query_id"))
        if query_id not in self._pending_callbacks:
            raise _bad("query is too old and response timeout expired or query ID is invalid")
        if len(str(params.get("text") or "")) > MAX_ALERT:
            raise _bad("MESSAGE_TOO_LONG")
        del self._pending_callbacks[query_id]
        answer = CallbackAnswer(
            query_id, params.get("text"), bool(params.get("show_alert", False)), params.get("url")
        )
        self.callback_answers.append(answer)
        return True

    def _get_file(self, params: JSON, files: Files) -> JSON:
        """getFile with a relative file_path, as the hosted Bot API returns."""
        stored = self.files.get(str(params.get("file_id")))
        if stored is None:
            raise _bad("invalid file_id")
        return {
            "file_id": stored.file_id,
            "file_unique_id": stored.file_unique_id,
            "file_size": len(stored.data),
            "file_path": stored.file_path,
        }

    @staticmethod
    def _command_key(params: JSON) -> tuple[str, str]:
        """Key of the commands table for a scope and language."""
        return scope_key(params.get("scope")), str(params.get("language_code", ""))

    def _set_commands(self, params: JSON, files: Files) -> bool:
        """setMyCommands with Telegram's name and description rules."""
        commands = list(params.get("commands") or [])
        for command in commands:
            if not _COMMAND_RE.match(str(command.get("command", ""))):
                raise _bad("BOT_COMMAND_INVALID")
            if not 1 <= len(str(command.get("description", ""))) <= 256:
                raise _bad("BOT_COMMAND_DESCRIPTION_INVALID")
        self.commands[self._command_key(params)] = commands
        return True

    def _delete_commands(self, params: JSON, files: Files) -> bool:
        """deleteMyCommands."""
        self.commands.pop(self._command_key(params), None)
        return True

    def _set_menu_button(self, params: JSON, files: Files) -> bool:
        """setChatMenuButton; no chat_id sets the default button."""
        chat_id = params.get("chat_id")
        button = params.get("menu_button") or {"type": "default"}
        self.menu_buttons[None if chat_id is None else int(chat_id)] = button
        return True


def _window_wait(sent: deque[float] | tuple[()], limit: int, window: float, at: float) -> float:
    """Seconds until one more send fits: at most `limit` in any `window` ending at `at`."""
    inside = [t for t in sent if t > at - window]
    if len(inside) < limit:
        return 0.0
    # The limit-th latest send must leave the window first.
    return inside[-limit] + window - at


def _read_files(request_data: RequestData | None) -> Files:
    """Multipart parts as (filename, bytes, mime type), reading file handles if needed."""
    if request_data is None or not request_data.contains_files:
        return {}
    files = {}
    for name, (file_name, content, mime_type) in request_data.multipart_data.items():
        data = content if isinstance(content, bytes) else content.read()
        files[name] = (file_name, data, mime_type)
    return files


class OfflineChat:
    """Drives an Application as one user in their private chat, returning what the bot sent."""

    def __init__(
        self,
        application: Application,
        transport: OfflineTelegram,
        user: OfflineUser,
        *,
        raise_errors: bool = True,
        expected_errors: tuple[type[BaseException], ...] = (),
    ) -> None:
        self.application = application
        self.transport = transport
        self.user = user
        self.raise_errors = raise_errors
        # Errors the app's own error handler answers (refusals) are not re-raised.
        self.expected_errors = expected_errors
        self.last_step_events: list[OutMessage] = []
        self._last_query_id: str | None = None
        self._last_update: Update | None = None
        transport.users[user.id] = user
        if transport.bot is None:
            transport.bind(application.bot)

    @property
    def chat_id(self) -> int:
        """The private chat id (equal to the user id)."""
        return self.user.id

    async def send(self, text: str) -> list[OutMessage]:
        """Send a text (or /command) and return the bot's messages and edits in this chat."""
        return await self._run(self.transport.text_update(self.user, text, bot=self._bot))

    async def press(self, data: str | None, message_id: int | None = None) -> list[OutMessage]:
        """Press a button with this callback data (forged data, or none, is allowed)."""
        update = self.transport.callback_update(self.user, data, message_id, bot=self._bot)
        self._last_query_id = update.callback_query.id
        return await self._run(update)

    async def press_alert(self, data: str | None, message_id: int | None = None) -> str:
        """Press a button and return the alert the bot answered it with ("" if none)."""
        await self.press(data, message_id)
        return self.alert or ""

    async def press_label(self, label: str) -> list[OutMessage]:
        """Press the button of the latest keyboard whose text contains `label`."""
        message = self.transport.last_message(self.chat_id, with_keyboard=True)
        rows = message.buttons() if message else []
        flat = [button for row in rows for button in row]
        exact = [b for b in flat if b[0] == label]
        matches = exact or [b for b in flat if label in b[0]]
        if message is None or not matches or matches[0][1] is None:
            raise AssertionError(f"no callback button containing {label!r}; buttons: {rows}")
        return await self.press(str(matches[0][1]), message.message_id)

    async def send_photo(
        self, data: bytes, caption: str | None = None, media_group_id: str | None = None
    ) -> list[OutMessage]:
        """Send a photo with an optional caption."""
        update = self.transport.photo_update(
            self.user, data, caption, media_group_id, bot=self._bot
        )
        return await self._run(update)

    async def send_document(
        self,
        data: bytes,
        file_name: str,
        mime_type: str | None = None,
        caption: str | None = None,
    ) -> list[OutMessage]:
        """Send a document."""
        update = self.transport.document_update(
            self.user, data, file_name, mime_type, caption, bot=self._bot
        )
        return await self._run(update)

    async def redeliver(self) -> list[OutMessage]:
        """Deliver the last update again, as Telegram retries a webhook it thinks failed."""
        if self._last_update is None:
            raise AssertionError("nothing was delivered yet")
        again = Update.de_json(self._last_update.to_dict(), self._bot)
        return await self._run(again)

    def buttons(self, message: OutMessage | None = None) -> list[list[tuple[str, str | None]]]:
        """Keyboard rows of a message (default: the latest bot message with a keyboard)."""
        message = message or self.transport.last_message(self.chat_id, with_keyboard=True)
        return message.buttons() if message else []

    def last_text(self) -> str | None:
        """Text or caption of the newest live bot message in this chat."""
        message = self.transport.last_message(self.chat_id)
        return message.text if message else None

    def last_callback_answer(self) -> CallbackAnswer | None:
        """The most recent answerCallbackQuery the bot made."""
        return self.transport.callback_answers[-1] if self.transport.callback_answers else None

    @property
    def alert(self) -> str | None:
        """The alert the bot showed for this user's latest button press, if it showed one."""
        answers = [
            a for a in self.transport.callback_answers if a.callback_query_id == self._last_query_id
        ]
        return answers[0].text if answers and answers[0].show_alert else None

    @property
    def _bot(self) -> Bot:
        """The application's bot."""
        return self.application.bot

    async def _run(self, update: Update) -> list[OutMessage]:
        """Process one update; re-raise a handler exception unless raise_errors is off."""
        self._last_update = update
        mark = self.transport.mark()
        errors: list[BaseException] = []

        async def capture(_: object, context: ContextTypes.DEFAULT_TYPE) -> None:
            if context.error is not None and not isinstance(context.error, self.expected_errors):
                errors.append(context.error)

        if self.raise_errors:
            self.application.add_error_handler(capture)
        before = asyncio.all_tasks()
        try:
            await self.application.process_update(update)
            # A handler with block=False runs as a task of its own: its answer is still the
            # answer to this update, so wait for it as the person does. Its error has gone to
            # the error handlers already (and to `capture`).
            spawned = [
                task
                for task in asyncio.all_tasks() - before
                if "process_update_non_blocking" in task.get_name()
            ]
            await asyncio.gather(*spawned, return_exceptions=True)
        finally:
            if self.raise_errors:
                self.application.remove_error_handler(capture)
        self.last_step_events = self.transport.events_since(mark)
        if errors:
            raise errors[0]
        return [m for m in self.last_step_events if m.chat_id == self.chat_id]
