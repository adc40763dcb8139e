"""An offline WeCom server API: in process as an httpx transport, or over HTTP with aiohttp.

It answers what a self-built app calls (gettoken, message/send, message/update_template_card,
media/upload, media/get, user/get, auth/getuserinfo) the way WeCom documents it, and records
what each member got; `authorize` is WeCom's sign-in for web pages as a member's browser goes
through it. Where the real API cuts silently (a text over 2,048 bytes, messages over 30 a minute
or 1,000 an hour to one member), the stand-in does the same but writes it down in `problems` and
`drops`, so tests assert that none happened (`assert_clean`). Expiry (tokens, media after 3
days, a card's response_code after 72 h) follows the product clock, models.clock, which tests
pin and move.
Errcodes are WeCom's; where its docs name none for a check, 40058 (invalid parameter).
"""

from __future__ import annotations

import contextlib
import itertools
import json
import re
import secrets
from collections import Counter, defaultdict, deque
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any
from urllib.parse import parse_qs, quote, urlencode, urlsplit

import httpx

from bot.wecom.adapter import LIMITS
from models import clock

JSON = dict[str, Any]
# WeCom's limits, as its adapter declares them (bot.wecom.adapter.LIMITS).
TEXT_MAX = LIMITS.text
TOKEN_LIFETIME = 7200
MEDIA_LIFETIME = timedelta(days=3)
RESPONSE_CODE_LIFETIME = timedelta(hours=72)
SIGN_IN_CODE_LIFETIME = timedelta(minutes=5)  # a sign-in code: once, within 5 minutes
SIGN_IN_SCOPES = frozenset({"snsapi_base", "snsapi_privateinfo"})
IMAGE_MAX = LIMITS.photo or LIMITS.file
FILE_MAX = LIMITS.file
TASK_ID_RE = re.compile(r"^[A-Za-z0-9_\-@]{1,128}$")
INTERACTIVE = frozenset({"button_interaction", "vote_interaction", "multiple_interaction"})
# Suggested lengths ("建议不超过"): over them WeCom shows the text cut; noted as problems.
SUGGESTED = {
    "main_title.title": 36,
    "main_title.desc": 44,
    "sub_title_text": 160,
    "button": LIMITS.button_text,
}


class Refused(Exception):
    """An errcode the stand-in answers."""

    def __init__(self, errcode: int, errmsg: str) -> None:
        super().__init__(f"{errcode} {errmsg}")
        self.errcode = errcode
        self.errmsg = errmsg


@dataclass
class Sent:
    """A message the app sent a member, as WeCom took it."""

    user: str
    msgtype: str
    content: JSON
    at: datetime
    msgid: str
    response_code: str | None = None
    # For cards: what update_template_card did (button text replaced, or a new card).
    pressed: str | None = None
    replaced_by: JSON | None = None

    @property
    def text(self) -> str | None:
        """Return a text message's content (None for other kinds)."""
        return self.content.get("content") if self.msgtype == "text" else None

    @property
    def keys(self) -> list[str]:
        """Return a card's button keys."""
        return [b.get("key", "") for b in self.content.get("button_list", [])]

    @property
    def live(self) -> bool:
        """Say whether a card's buttons can still be pressed."""
        return self.msgtype == "template_card" and self.pressed is None and self.replaced_by is None


@dataclass
class Media:
    """A temporary media file (uploaded by the app, or sent by a member)."""

    media_id: str
    kind: str
    filename: str
    content: bytes
    content_type: str
    created_at: datetime


@dataclass(frozen=True)
class Click:
    """A member pressed a card's button: what WeCom's template_card_event callback carries."""

    user: str
    task_id: str
    key: str
    response_code: str
    card_type: str = "button_interaction"


@dataclass
class _SignIn:
    """A code WeCom's sign-in gave a browser: who it was, and where it was sent back to."""

    user: str
    host: str
    issued: datetime
    used: bool = False


@dataclass
class _Token:
    value: str
    until: datetime
    valid: bool = True


@dataclass
class _Code:
    sent: Sent
    issued: datetime
    used: bool = False


@dataclass
class OfflineWeCom:
    """WeCom's server side for one corp and one self-built app, with no network."""

    corp_id: str = "wwoffline0000000001"
    secret: str = "offline-app-secret"
    agent_id: int = 1000002
    members: set[str] = field(default_factory=set)
    token_lifetime: int = TOKEN_LIFETIME
    # (seconds, messages) WeCom lets the app send one member: beyond, it drops them silently.
    member_windows: tuple[tuple[float, int], ...] = LIMITS.member_windows
    # The app's 可信域名: a sign-in sent back to another host is refused (50001). None: any.
    trusted_domain: str | None = None

    def __post_init__(self) -> None:
        self.sent: dict[str, list[Sent]] = defaultdict(list)
        self.drops: list[Sent] = []
        self.problems: list[str] = []
        self.errors: list[tuple[str, int, str]] = []  # (call, errcode, errmsg) answered
        self.gettoken_calls = 0
        self.calls: Counter[str] = Counter()  # answered calls by name ("user/get": 2)
        self.names: dict[str, str] = {}  # the directory: a member's name (default: the userid)
        self.media: dict[str, Media] = {}
        self._tokens: dict[str, _Token] = {}
        self._codes: dict[str, _Code] = {}
        self._sign_ins: dict[str, _SignIn] = {}
        self._task_ids: set[str] = set()
        # (errcode or HTTP status, the member it is for; None: whoever the call is for)
        self._faults: dict[str, deque[tuple[int, str | None]]] = defaultdict(deque)
        self._http_faults: dict[str, deque[tuple[int, str | None]]] = defaultdict(deque)
        self._counter = itertools.count(1)

    # -- what tests set up and ask ---------------------------------------------------------

    def add_member(self, *users: str) -> None:
        """Put members in the app's visible range."""
        self.members.update(users)

    def set_name(self, user: str, name: str) -> None:
        """Name a member in the corp's directory (what user/get answers)."""
        self.names[user] = name

    def fail(self, call: str, errcode: int, *, times: int = 1, user: str | None = None) -> None:
        """Answer the next `times` calls of `call` (e.g. "message/send") with `errcode`; with
        `user`, only calls for that member."""
        self._faults[call].extend([(errcode, user)] * times)

    def fail_http(self, call: str, status: int, *, times: int = 1, user: str | None = None) -> None:
        """Answer the next `times` calls of `call` with a bare HTTP `status` (429, 502...);
        with `user`, only calls for that member."""
        self._http_faults[call].extend([(status, user)] * times)

    def expire_tokens(self) -> None:
        """Let every issued token run out now (the next call answers 42001)."""
        for token in self._tokens.values():
            token.until = clock.now()

    def invalidate_tokens(self) -> None:
        """Invalidate every issued token early, as WeCom may (the next call answers 40014)."""
        for token in self._tokens.values():
            token.valid = False

    def messages_to(self, user: str) -> list[Sent]:
        """Return everything the app sent `user` that WeCom delivered, in order."""
        return list(self.sent.get(user, ()))

    def texts_to(self, user: str) -> list[str]:
        """Return the text messages `user` got."""
        return [m.text or "" for m in self.messages_to(user) if m.msgtype == "text"]

    def cards_to(self, user: str) -> list[Sent]:
        """Return the template cards `user` got."""
        return [m for m in self.messages_to(user) if m.msgtype == "template_card"]

    def last_card(self, user: str) -> Sent:
        """Return the last template card `user` got."""
        found = self.cards_to(user)
        if not found:
            raise LookupError(f"{user} got no card")
        return found[-1]

    def files_to(self, user: str) -> list[Media]:
        """Return the media (images and files) `user` got, in order."""
        return [
            self.media[m.content["media_id"]]
            for m in self.messages_to(user)
            if m.msgtype in ("image", "file")
        ]

    def add_member_media(
        self, content: bytes, filename: str, content_type: str | None = None
    ) -> str:
        """Store a photo or file a member sends the app; return its media_id (for media/get)."""
        kind = "image" if _is_image(content) else "file"
        return self._store(kind, filename, content, content_type or _guess_type(filename)).media_id

    def press(self, user: str, key: str, *, card: Sent | None = None) -> Click:
        """Press a button on `user`'s card (the last one that has `key` if not given)."""
        if card is None:
            matching = [c for c in self.cards_to(user) if key in c.keys]
            if not matching:
                raise LookupError(f"{user} has no card with a button {key!r}")
            card = matching[-1]
        if key not in card.keys:
            raise LookupError(f"the card has no button {key!r}")
        if not card.live:
            raise LookupError("the card was updated: its buttons cannot be pressed")
        code = self._issue_code(card)
        return Click(user, card.content["task_id"], key, code, card.content["card_type"])

    def authorize(self, url: str, user: str) -> str:
        """Sign `user` in as WeCom's browser does for a page: return where it is sent back to.

        `url` is the app's connect/oauth2/authorize address; the answer is its redirect_uri
        with a code (once, 5 minutes) and the state. A user who is no member gets a code too:
        auth/getuserinfo answers an openid for it, as for someone outside the corp.
        """
        parts = urlsplit(url)
        query = {k: v[0] for k, v in parse_qs(parts.query).items()}
        if query.get("appid") != self.corp_id or query.get("response_type") != "code":
            raise ValueError(f"not a sign-in of this corp: {url}")
        if query.get("scope") not in SIGN_IN_SCOPES or parts.fragment != "wechat_redirect":
            raise ValueError(f"not a sign-in WeCom's browser takes: {url}")
        if query.get("agentid", str(self.agent_id)) != str(self.agent_id):
            raise ValueError(f"another app's sign-in: {url}")
        back = query.get("redirect_uri", "")
        code = secrets.token_urlsafe(32)
        self._sign_ins[code] = _SignIn(user, urlsplit(back).hostname or "", clock.now())
        answer = urlencode({"code": code, "state": query.get("state", "")})
        return f"{back}{'&' if '?' in back else '?'}{answer}"

    def assert_clean(self) -> None:
        """Fail if WeCom would have dropped or cut anything the app sent."""
        assert not self.drops, f"WeCom dropped {len(self.drops)} message(s) over the member limits"
        assert not self.problems, f"WeCom would have cut: {self.problems}"

    # -- transports --------------------------------------------------------------------------

    def transport(self) -> httpx.MockTransport:
        """Return an httpx transport that answers from this stand-in."""
        return httpx.MockTransport(self._handle_httpx)

    def client(self) -> httpx.AsyncClient:
        """Return an httpx client on this stand-in (for WeComAPI(client=...))."""
        return httpx.AsyncClient(transport=self.transport())

    async def _handle_httpx(self, request: httpx.Request) -> httpx.Response:
        await request.aread()
        status, headers, body = self.answer(
            request.method,
            request.url.path,
            dict(request.url.params),
            request.headers.get("content-type", ""),
            request.content,
        )
        return httpx.Response(status, headers=headers, content=body)

    def web_app(self) -> Any:
        """Return an aiohttp application serving this stand-in over HTTP."""
        from aiohttp import web

        async def handle(request: web.Request) -> web.Response:
            body = await request.read()
            status, headers, content = self.answer(
                request.method,
                request.path,
                dict(request.query),
                request.headers.get("Content-Type", ""),
                body,
            )
            return web.Response(status=status, headers=headers, body=content)

        app = web.Application(client_max_size=FILE_MAX + 1024 * 1024)
        app.router.add_route("*", "/{tail:.*}", handle)
        return app

    @contextlib.asynccontextmanager
    async def served(self, host: str = "127.0.0.1", port: int = 0) -> AsyncIterator[str]:
        """Serve over real HTTP while the block runs; yield the base URL (WECOM_API_BASE_URL)."""
        from aiohttp import web

        runner = web.AppRunner(self.web_app())
        await runner.setup()
        site = web.TCPSite(runner, host, port)
        await site.start()
        try:
            bound = runner.addresses[0][1]  # the port the system gave, when asked for 0
            yield f"http://{host}:{bound}"
        finally:
            await runner.cleanup()

    # -- the API -----------------------------------------------------------------------------

    def answer(
        self, method: str, path: str, query: dict[str, str], content_type: str, body: bytes
    ) -> tuple[int, dict[str, str], bytes]:
        """Answer one HTTP request: (status, headers, body)."""
        call = path.removeprefix("/cgi-bin/")
        routes = {
            ("GET", "gettoken"): self._gettoken,
            ("POST", "message/send"): self._send,
            ("POST", "message/update_template_card"): self._update_card,
            ("POST", "media/upload"): self._upload,
            ("GET", "media/get"): self._get_media,
            ("GET", "user/get"): self._get_user,
            ("GET", "auth/getuserinfo"): self._user_of_code,
        }
        route = routes.get((method.upper(), call))
        if route is None:
            return 404, {"Content-Type": "text/plain"}, b"not found"
        self.calls[call] += 1
        users = _users(body) if call == "message/send" else set()
        if (status := _take(self._http_faults[call], users)) is not None:
            return status, {"Content-Type": "text/html"}, b"<html/>"
        try:
            if call != "gettoken":
                self._authorize(query.get("access_token"))
            if (errcode := _take(self._faults[call], users)) is not None:
                raise Refused(errcode, _MESSAGES.get(errcode, "injected"))
            result = route(query, content_type, body)
        except Refused as refused:
            self.errors.append((call, refused.errcode, refused.errmsg))
            return _json(200, {"errcode": refused.errcode, "errmsg": refused.errmsg})
        if isinstance(result, Media):
            return 200, _file_headers(result), result.content
        return _json(200, {"errcode": 0, "errmsg": "ok", **result})

    def _gettoken(self, query: dict[str, str], _type: str, _body: bytes) -> JSON:
        self.gettoken_calls += 1
        if query.get("corpid") != self.corp_id:
            raise Refused(40013, "invalid corpid")
        if query.get("corpsecret") != self.secret:
            raise Refused(40001, "invalid credential")
        now = clock.now()
        live = [t for t in self._tokens.values() if t.valid and t.until > now]
        if live:  # within its lifetime gettoken answers the same token
            token = live[0]
        else:
            token = _Token(secrets.token_urlsafe(48), now + timedelta(seconds=self.token_lifetime))
            self._tokens[token.value] = token
        left = int((token.until - now).total_seconds())
        return {"access_token": token.value, "expires_in": left}

    def _authorize(self, value: str | None) -> None:
        if not value:
            raise Refused(41001, "access_token missing")
        token = self._tokens.get(value)
        if token is None or not token.valid:
            raise Refused(40014, "invalid access_token")
        if token.until <= clock.now():
            raise Refused(42001, "access_token expired")

    def _send(self, _query: dict[str, str], _type: str, body: bytes) -> JSON:
        data = _body(body)
        if data.get("agentid") != self.agent_id:
            raise Refused(40056, "invalid agentid")
        users = [u for u in str(data.get("touser", "")).split("|") if u]
        if not users:
            raise Refused(82001, "All touser & toparty & totag invalid")
        valid = [u for u in users if u in self.members]
        invalid = [u for u in users if u not in self.members]
        if not valid:
            raise Refused(81013, "user & party & tag all invalid")
        msgtype = data.get("msgtype")
        content = data.get(msgtype) if isinstance(msgtype, str) else None
        if msgtype not in ("text", "image", "file", "template_card") or not isinstance(
            content, dict
        ):
            raise Refused(40008, "invalid message type")
        content = self._check_content(msgtype, dict(content))
        msgid = f"msg{next(self._counter)}"
        answer: JSON = {"invaliduser": "|".join(invalid), "msgid": msgid}
        for user in valid:
            sent = Sent(user, msgtype, content, clock.now(), msgid)
            if msgtype == "template_card" and content["card_type"] in INTERACTIVE:
                sent.response_code = self._issue_code(sent)
                answer["response_code"] = sent.response_code
            if self._over_limit(user):
                self.drops.append(sent)  # WeCom drops it and says nothing
            else:
                self.sent[user].append(sent)
        if msgtype == "template_card":
            self._task_ids.add(content["task_id"])
        return answer

    def _check_content(self, msgtype: str, content: JSON) -> JSON:
        if msgtype == "text":
            text = content.get("content")
            if not isinstance(text, str) or not text:
                raise Refused(44004, "empty content")
            raw = text.encode()
            if len(raw) > TEXT_MAX:
                self.problems.append(f"text of {len(raw)} bytes cut to {TEXT_MAX}")
                content["content"] = raw[:TEXT_MAX].decode("utf-8", errors="ignore")
            return content
        if msgtype in ("image", "file"):
            media = self._live_media(content.get("media_id"))
            if msgtype == "image" and media.kind != "image":
                raise Refused(40007, "invalid media_id: not an image")
            return content
        self._check_card(content)
        return content

    def _check_card(self, card: JSON) -> None:
        card_type = card.get("card_type")
        if card_type not in {"text_notice", "news_notice", *INTERACTIVE}:
            raise Refused(40058, "invalid card_type")
        task_id = card.get("task_id")
        if card_type in INTERACTIVE or "action_menu" in card:
            if not isinstance(task_id, str) or not TASK_ID_RE.match(task_id):
                raise Refused(40058, "invalid task_id")
            if task_id in self._task_ids:
                raise Refused(40058, "task_id already used")
        title = (card.get("main_title") or {}).get("title")
        if not title and not card.get("sub_title_text"):
            raise Refused(40058, "main_title.title or sub_title_text required")
        self._suggest("main_title.title", title)
        self._suggest("main_title.desc", (card.get("main_title") or {}).get("desc"))
        self._suggest("sub_title_text", card.get("sub_title_text"))
        rows = card.get("horizontal_content_list") or []
        if len(rows) > 6 or any(not r.get("keyname") for r in rows):
            raise Refused(40058, "invalid horizontal_content_list")
        if card_type != "button_interaction":
            return
        buttons = card.get("button_list")
        if not isinstance(buttons, list) or not 1 <= len(buttons) <= (LIMITS.buttons or 6):
            raise Refused(40058, f"button_list must hold 1 to {LIMITS.buttons} buttons")
        keys = []
        for button in buttons:
            if not button.get("text"):
                raise Refused(42020, "button text missing")
            self._suggest("button", button["text"])
            if button.get("type", 0) == 0:
                key = button.get("key")
                if not isinstance(key, str) or not key or len(key.encode()) > 1024:
                    raise Refused(42018, "invalid button key")
                keys.append(key)
        if len(keys) != len(set(keys)):
            raise Refused(42018, "button keys repeat")

    def _suggest(self, name: str, value: Any) -> None:
        if isinstance(value, str) and len(value) > SUGGESTED[name]:
            limit = SUGGESTED[name]
            self.problems.append(f"{name} of {len(value)} characters shown cut to {limit}")

    def _over_limit(self, user: str) -> bool:
        now = clock.now()
        delivered = self.sent.get(user, [])
        for seconds, limit in self.member_windows:
            span = timedelta(seconds=seconds)
            if sum(1 for m in delivered[-limit:] if m.at > now - span) >= limit:
                return True
        return False

    def _issue_code(self, sent: Sent) -> str:
        code = secrets.token_hex(16)
        self._codes[code] = _Code(sent, clock.now())
        return code

    def _update_card(self, _query: dict[str, str], _type: str, body: bytes) -> JSON:
        data = _body(body)
        if data.get("agentid") != self.agent_id:
            raise Refused(40056, "invalid agentid")
        code = self._codes.get(str(data.get("response_code", "")))
        if code is None or clock.now() - code.issued > RESPONSE_CODE_LIFETIME:
            raise Refused(40058, "invalid response_code")
        if code.used:
            raise Refused(42022, "response_code already used")
        if code.sent.user not in (data.get("userids") or []):
            raise Refused(81013, "user & party & tag all invalid")
        button, card = data.get("button"), data.get("template_card")
        if isinstance(button, dict) and button.get("replace_name"):
            self._suggest("button", button["replace_name"])
            code.sent.pressed = button["replace_name"]
        elif isinstance(card, dict):
            self._check_card(card)
            code.sent.replaced_by = card
        else:
            raise Refused(40058, "button.replace_name or template_card required")
        code.used = True
        # Every code of that card is spent: a pressed card answers no second update.
        for other in self._codes.values():
            if other.sent is code.sent:
                other.used = True
        return {"invaliduser": []}

    def _upload(self, query: dict[str, str], content_type: str, body: bytes) -> JSON:
        kind = query.get("type")
        if kind not in ("image", "voice", "video", "file"):
            raise Refused(40004, "invalid media type")
        part = _multipart_file(content_type, body, "media")
        if part is None:
            raise Refused(41006, "media data missing")
        filename, data, part_type = part
        if len(data) <= 5:
            raise Refused(40006, "invalid file size")
        if kind == "image" and (len(data) > IMAGE_MAX or not _is_image(data)):
            raise Refused(40009, "invalid image size or format")
        if len(data) > FILE_MAX:
            raise Refused(40006, "invalid file size")
        media = self._store(kind, filename, data, part_type or _guess_type(filename))
        return {"type": kind, "media_id": media.media_id, "created_at": str(_epoch(media))}

    def _get_user(self, query: dict[str, str], _type: str, _body: bytes) -> JSON:
        # An app reads only the members in its visible range; WeCom's userids ignore case.
        wanted = str(query.get("userid", "")).lower()
        user = next((m for m in self.members if m.lower() == wanted), None)
        if user is None:
            raise Refused(60111, "userid not found")
        return {"userid": user, "name": self.names.get(user, user)}

    def _get_media(self, query: dict[str, str], _type: str, _body: bytes) -> Media:
        return self._live_media(query.get("media_id"))

    def _user_of_code(self, query: dict[str, str], _type: str, _body: bytes) -> JSON:
        signed = self._sign_ins.get(query.get("code", ""))
        if signed is None or signed.used or clock.now() - signed.issued > SIGN_IN_CODE_LIFETIME:
            raise Refused(40029, "invalid code")
        signed.used = True
        if self.trusted_domain is not None and signed.host != self.trusted_domain:
            raise Refused(50001, "redirect_url not authorised")
        if signed.user in self.members:
            return {"userid": signed.user}
        return {"openid": "o" + secrets.token_hex(14)}

    def _live_media(self, media_id: Any) -> Media:
        media = self.media.get(str(media_id or ""))
        if media is None or clock.now() - media.created_at > MEDIA_LIFETIME:
            raise Refused(40007, "invalid media_id")
        return media

    def _store(self, kind: str, filename: str, content: bytes, content_type: str) -> Media:
        media_id = f"{next(self._counter)}{secrets.token_urlsafe(24)}"
        media = Media(media_id, kind, filename, content, content_type, clock.now())
        self.media[media_id] = media
        return media


_MESSAGES = {
    -1: "system busy",
    40014: "invalid access_token",
    42001: "access_token expired",
    45009: "api freq out of limit",
    60011: "no privilege to access/modify contact/party/agent",
    60111: "userid not found",
    81013: "user & party & tag all invalid",
}


def _users(body: bytes) -> set[str]:
    """Return whom a message/send is for (nobody, if its body does not say)."""
    try:
        data = json.loads(body or b"{}")
    except ValueError:
        return set()
    touser = data.get("touser", "") if isinstance(data, dict) else ""
    return {u for u in str(touser).split("|") if u}


def _take(faults: deque[tuple[int, str | None]], users: set[str]) -> int | None:
    """Take the first fault injected for this call (for anyone, or for one of `users`)."""
    for fault in faults:
        if fault[1] is None or fault[1] in users:
            faults.remove(fault)
            return fault[0]
    return None


def _json(status: int, body: JSON) -> tuple[int, dict[str, str], bytes]:
    data = json.dumps(body, ensure_ascii=False).encode()
    return status, {"Content-Type": "application/json; charset=UTF-8"}, data


def _body(raw: bytes) -> JSON:
    try:
        data = json.loads(raw or b"{}")
    except ValueError:
        raise Refused(47001, "data format error") from None
    if not isinstance(data, dict):
        raise Refused(47001, "data format error")
    return data


def _file_headers(media: Media) -> dict[str, str]:
    name = media.filename
    ascii_name = name.encode("ascii", "replace").decode().replace('"', "_")
    disposition = f'attachment; filename="{ascii_name}"'
    if ascii_name != name:
        disposition += f"; filename*=UTF-8''{quote(name)}"
    return {"Content-Type": media.content_type, "Content-Disposition": disposition}


def _multipart_file(content_type: str, body: bytes, name: str) -> tuple[str, bytes, str] | None:
    """Return (filename, bytes, content type) of the form field `name` of a multipart body."""
    match = re.search(r'boundary="?([^";]+)"?', content_type)
    if not match:
        return None
    for chunk in body.split(b"--" + match.group(1).encode()):
        head, sep, data = chunk.partition(b"\r\n\r\n")
        if not sep:
            continue
        headers = head.decode("utf-8", errors="replace")
        if not re.search(rf'name="{re.escape(name)}"', headers):
            continue
        found = re.search(r'filename="([^"]*)"', headers)
        typed = re.search(r"(?im)^content-type:\s*([^\r\n]+)", headers)
        filename = found.group(1) if found else name
        return filename, data.removesuffix(b"\r\n"), typed.group(1).strip() if typed else ""
    return None


def _is_image(content: bytes) -> bool:
    return content.startswith((b"\x89PNG\r\n\x1a\n", b"\xff\xd8\xff"))


def _guess_type(filename: str) -> str:
    lower = filename.lower()
    for suffix, kind in ((".png", "image/png"), (".jpg", "image/jpeg"), (".jpeg", "image/jpeg")):
        if lower.endswith(suffix):
            return kind
    if lower.endswith(".pdf"):
        return "application/pdf"
    if lower.endswith(".xlsx"):
        return "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    return "application/octet-stream"


def _epoch(media: Media) -> int:
    return int(media.created_at.timestamp())


__all__ = ["Click", "Media", "OfflineWeCom", "Refused", "Sent"]
