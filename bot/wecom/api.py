"""WeCom's server API as an httpx client: one cached access token per app, sends, cards, media,
and who signed in to a page.

The secret and the access token never reach a log line or an exception message: URLs are
masked before they are shown, and httpx's own request log is filtered (see `mask`).
"""

from __future__ import annotations

import asyncio
import json
import logging
import re
import time
from collections.abc import Callable, Mapping
from email.message import Message
from types import TracebackType
from typing import Any, Literal
from urllib.parse import unquote

import httpx

log = logging.getLogger(__name__)

DEFAULT_BASE_URL = "https://qyapi.weixin.qq.com"
# 40014 invalid access_token, 41001 access_token missing, 42001 access_token expired:
# drop the cached token, fetch a new one once and repeat the call once.
TOKEN_ERRORS = frozenset({40014, 41001, 42001})
# 45009 "api freq out of limit"; -1 "system busy, try again".
FREQ_LIMIT = 45009
BUSY = -1
# The member cannot be reached by this app: 40003 invalid UserID, 60111 UserID not found,
# 81013 every UserID/party/tag invalid or out of the app's visible range, 60011 no permission,
# 60021 userid outside the app's visible range, 50002 member outside the permitted range,
# 43004 userid not bound to WeChat / not following the app.
UNREACHABLE = frozenset({40003, 43004, 50002, 60011, 60021, 60111, 81013})
# WeCom names no wait for 45009; its member limits are per minute, so wait a minute.
SLOW_DOWN_SECONDS = 60.0
# Fetch a new token this long before the old one's expires_in runs out. Within its lifetime
# gettoken answers the same token with what is left of it (every process gets the same one, and
# none spoils another's), so a token with less than twice this left is kept to its end.
TOKEN_MARGIN = 300.0
TIMEOUT = 30.0
MediaKind = Literal["image", "file"]

_FILENAME_STAR_RE = re.compile(r"filename\*\s*=\s*([\w-]*)'[^']*'([^;\s]+)", re.IGNORECASE)
# A sign-in code is a one-time secret too (not errcode=).
_SECRET_RE = re.compile(
    r"((?:access_token|corpsecret|(?<![a-z_])code)=)[^&\s\"'<>]+", re.IGNORECASE
)


def mask(text: str) -> str:
    """Return `text` with every access_token=, corpsecret= and code= value replaced by ***."""
    return _SECRET_RE.sub(r"\1***", text)


class _MaskSecrets(logging.Filter):
    """Mask tokens and secrets in the URLs httpx and httpcore log for each request."""

    def filter(self, record: logging.LogRecord) -> bool:
        """Rewrite the record's message with its secrets masked; never drop it."""
        message = record.getMessage()
        masked = mask(message)
        if masked != message:
            record.msg, record.args = masked, ()
        return True


_FILTER = _MaskSecrets()
for _name in ("httpx", "httpcore"):
    if _FILTER not in logging.getLogger(_name).filters:
        logging.getLogger(_name).addFilter(_FILTER)


class WeComError(Exception):
    """WeCom answered an error code (errcode, errmsg), or could not be reached at all."""

    def __init__(self, errcode: int, errmsg: str, *, call: str = "", status: int = 200) -> None:
        self.errcode = errcode
        self.errmsg = mask(errmsg)
        self.call = call
        self.status = status  # the HTTP status; 0 when no answer came
        where = f"{call}: " if call else ""
        super().__init__(f"{where}errcode {errcode}: {self.errmsg}")

    @property
    def retryable(self) -> bool:
        """Say whether the same call may simply be made again later (busy, 429, 5xx, no route)."""
        return (
            self.errcode in (BUSY, FREQ_LIMIT)
            or self.status == 429
            or self.status >= 500
            or self.status == 0
        )

    @property
    def unreachable(self) -> bool:
        """Say whether the member is unknown to the app or outside its visible range."""
        return self.errcode in UNREACHABLE


class SlowDown(WeComError):
    """45009 api freq out of limit: send nothing more for `seconds`."""

    def __init__(self, errmsg: str, *, call: str = "", seconds: float = SLOW_DOWN_SECONDS) -> None:
        super().__init__(FREQ_LIMIT, errmsg, call=call)
        self.seconds = seconds


class WeComAPI:
    """One self-built app's server API: token, messages, card updates, media, user/get."""

    def __init__(
        self,
        base_url: str = DEFAULT_BASE_URL,
        corp_id: str = "",
        secret: str = "",
        agent_id: int = 0,
        *,
        client: httpx.AsyncClient | None = None,
        clock: Callable[[], float] = time.monotonic,
        slow_down: float = SLOW_DOWN_SECONDS,
    ) -> None:
        self.base_url = base_url.rstrip("/")
        self.corp_id = corp_id
        self._secret = secret
        self.agent_id = int(agent_id)
        self._own_client = client is None
        self._client = client or httpx.AsyncClient(timeout=TIMEOUT)
        self._clock = clock
        self.slow_down = slow_down
        self._token: str | None = None
        self._token_until = 0.0
        # One fetch at a time: concurrent sends wait for the one gettoken call, then share it.
        self._lock = asyncio.Lock()

    def __repr__(self) -> str:
        return f"WeComAPI({self.base_url!r}, corp_id={self.corp_id!r}, agent_id={self.agent_id})"

    async def __aenter__(self) -> WeComAPI:
        return self

    async def __aexit__(
        self,
        kind: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        await self.aclose()

    async def aclose(self) -> None:
        """Close the HTTP client if this object made it."""
        if self._own_client:
            await self._client.aclose()

    # -- the token ---------------------------------------------------------------------------

    async def token(self) -> str:
        """Return a valid access token: the cached one, or one fetched by gettoken."""
        async with self._lock:
            if self._token and self._clock() < self._token_until:
                return self._token
            body = await self._request(
                "GET",
                "/cgi-bin/gettoken",
                "gettoken",
                params={"corpid": self.corp_id, "corpsecret": self._secret},
            )
            _check(body, "gettoken")
            token = str(body["access_token"])
            lifetime = float(body.get("expires_in", 7200))
            self._token = token
            self._token_until = self._clock() + _keep(lifetime)
            log.info("wecom: new access token, valid %.0f s", lifetime)
            return token

    def drop_token(self, token: str) -> None:
        """Forget `token` if it is still the cached one (WeCom said it is invalid or expired)."""
        if self._token == token:
            self._token, self._token_until = None, 0.0

    # -- messages ----------------------------------------------------------------------------

    async def send_text(self, user: str, content: str) -> dict[str, Any]:
        """Send a text message (content ≤ 2048 bytes) to one member."""
        return await self._send(user, "text", {"content": content})

    async def send_image(self, user: str, media_id: str) -> dict[str, Any]:
        """Send an uploaded image to one member."""
        return await self._send(user, "image", {"media_id": media_id})

    async def send_file(self, user: str, media_id: str) -> dict[str, Any]:
        """Send an uploaded file to one member."""
        return await self._send(user, "file", {"media_id": media_id})

    async def send_card(self, user: str, card: Mapping[str, Any]) -> dict[str, Any]:
        """Send a template card; the answer carries msgid and (interactive cards) response_code."""
        return await self._send(user, "template_card", dict(card))

    async def update_card(
        self, user: str, response_code: str, card: Mapping[str, Any]
    ) -> dict[str, Any]:
        """Update a card the member pressed, once: `card` is cards.pressed() or cards.replaced()."""
        if set(card) not in ({"button"}, {"template_card"}):
            raise ValueError("update_card takes {'button': ...} or {'template_card': ...}")
        body = {
            "userids": [user],
            "agentid": self.agent_id,
            "response_code": response_code,
            **card,
        }
        answer = await self._call("POST", "/cgi-bin/message/update_template_card", json=body)
        _refused_member(answer, user, "message/update_template_card")
        return answer

    async def _send(self, user: str, msgtype: str, content: dict[str, Any]) -> dict[str, Any]:
        body = {"touser": user, "msgtype": msgtype, "agentid": self.agent_id, msgtype: content}
        answer = await self._call("POST", "/cgi-bin/message/send", json=body)
        _refused_member(answer, user, "message/send")
        return answer

    # -- the directory -----------------------------------------------------------------------

    async def member_name(self, user: str) -> str:
        """Return a member's name in the corp's directory (user/get; the app's visible range)."""
        answer = await self._call("GET", "/cgi-bin/user/get", params={"userid": user})
        return str(answer.get("name") or "")

    # -- media -------------------------------------------------------------------------------

    async def upload_media(self, kind: MediaKind, filename: str, content: bytes) -> str:
        """Upload a temporary image or file (kept by WeCom 3 days); return its media_id."""
        files = {"media": (filename, content, _content_type(filename))}
        answer = await self._call(
            "POST", "/cgi-bin/media/upload", params={"type": kind}, files=files
        )
        return str(answer["media_id"])

    async def get_media(self, media_id: str) -> tuple[bytes, str, str]:
        """Download a temporary media file: its bytes, file name and content type."""
        params = {"media_id": media_id}
        response = await self._authorized("GET", "/cgi-bin/media/get", params=params)
        disposition = response.headers.get("content-disposition")
        content_type = response.headers.get("content-type", "application/octet-stream")
        if not disposition:
            # No file came: WeCom answers errors as JSON (e.g. 40007 invalid media_id).
            _check(_json(response, "media/get"), "media/get")
            raise WeComError(BUSY, "media/get answered no file", call="media/get")
        return response.content, _filename(disposition, media_id), content_type.split(";")[0]

    # -- who opened a page ------------------------------------------------------------------

    async def member_of_code(self, code: str) -> str | None:
        """Return the userid of the member WeCom's sign-in gave `code` for (None: no member)."""
        answer = await self._call("GET", "/cgi-bin/auth/getuserinfo", params={"code": code})
        found = answer.get("userid") or answer.get("UserId")  # older answers spell it UserId
        return str(found) if found else None

    # -- plumbing ----------------------------------------------------------------------------

    async def _call(
        self,
        method: str,
        path: str,
        *,
        params: Mapping[str, str] | None = None,
        json: Any = None,
        files: Any = None,
    ) -> dict[str, Any]:
        """Make an authorized call and return its JSON body; raise WeComError on an errcode."""
        response = await self._authorized(method, path, params=params, json=json, files=files)
        call = path.removeprefix("/cgi-bin/")
        body = _json(response, call)
        _check(body, call, slow_down=self.slow_down)
        return body

    async def _authorized(
        self,
        method: str,
        path: str,
        *,
        params: Mapping[str, str] | None = None,
        json: Any = None,
        files: Any = None,
    ) -> httpx.Response:
        """Make a call with the access token; on a token error fetch a new one and try once more."""
        call = path.removeprefix("/cgi-bin/")
        for attempt in (1, 2):
            token = await self.token()
            response = await self._send_request(
                method,
                path,
                call,
                params={**(params or {}), "access_token": token},
                json=json,
                files=files,
            )
            errcode = _errcode(response)
            if errcode in TOKEN_ERRORS and attempt == 1:
                log.info("wecom %s: token refused (errcode %s), fetching a new one", call, errcode)
                self.drop_token(token)
                continue
            return response
        raise AssertionError("unreachable")  # pragma: no cover

    async def _request(
        self, method: str, path: str, call: str, *, params: Mapping[str, str]
    ) -> dict[str, Any]:
        response = await self._send_request(method, path, call, params=params)
        return _json(response, call)

    async def _send_request(
        self,
        method: str,
        path: str,
        call: str,
        *,
        params: Mapping[str, str],
        json: Any = None,
        files: Any = None,
    ) -> httpx.Response:
        try:
            response = await self._client.request(
                method, self.base_url + path, params=params, json=json, files=files
            )
        except httpx.HTTPError as exc:
            # httpx's message may quote the URL: keep only the kind of failure, masked.
            said = mask(f"{type(exc).__name__}: {exc}")
            raise WeComError(BUSY, said, call=call, status=0) from None
        if response.status_code != 200:
            raise WeComError(
                BUSY, f"HTTP {response.status_code}", call=call, status=response.status_code
            )
        return response


def _keep(lifetime: float) -> float:
    """Return how long to use a token WeCom said is valid `lifetime` seconds more."""
    # Fetched early again, the same token would come back with less left, and be fetched again
    # sooner and sooner: a gettoken per call near its end. Kept to its end instead, a call at
    # the very edge meets 42001 once, and gettoken then gives the new one.
    return lifetime - TOKEN_MARGIN if lifetime > 2 * TOKEN_MARGIN else lifetime


def _json(response: httpx.Response, call: str) -> dict[str, Any]:
    try:
        body = response.json()
    except (json.JSONDecodeError, UnicodeDecodeError):
        raise WeComError(BUSY, "answer is not JSON", call=call) from None
    if not isinstance(body, dict):
        raise WeComError(BUSY, "answer is not a JSON object", call=call)
    return body


def _errcode(response: httpx.Response) -> int:
    """Return the errcode of a JSON answer, 0 for a file or a body without one."""
    if response.headers.get("content-disposition") or not response.content.startswith(b"{"):
        return 0
    try:
        return int(response.json().get("errcode", 0))
    except (ValueError, AttributeError):
        return 0


def _check(body: Mapping[str, Any], call: str, *, slow_down: float = SLOW_DOWN_SECONDS) -> None:
    """Raise the error an answer carries (errcode not 0)."""
    errcode = int(body.get("errcode", 0) or 0)
    if errcode == 0:
        return
    errmsg = str(body.get("errmsg", ""))
    if errcode == FREQ_LIMIT:
        raise SlowDown(errmsg, call=call, seconds=slow_down)
    raise WeComError(errcode, errmsg, call=call)


def _refused_member(answer: Mapping[str, Any], user: str, call: str) -> None:
    """Raise if WeCom accepted the call but listed our one member as invalid or unlicensed."""
    for field in ("invaliduser", "unlicenseduser"):
        listed = answer.get(field) or ""
        names = listed if isinstance(listed, list) else str(listed).split("|")
        if user.lower() in {n.strip().lower() for n in names if n}:
            raise WeComError(81013, f"{field}: {user}", call=call)


def _filename(disposition: str, fallback: str) -> str:
    """Return the file name of a Content-Disposition header (plain or RFC 2231 form)."""
    extended = _FILENAME_STAR_RE.search(disposition)
    if extended:
        return unquote(extended.group(2), encoding=extended.group(1) or "utf-8") or fallback
    header = Message()
    header["content-disposition"] = disposition
    return header.get_filename() or fallback


def _content_type(filename: str) -> str:
    lower = filename.lower()
    if lower.endswith(".png"):
        return "image/png"
    if lower.endswith((".jpg", ".jpeg")):
        return "image/jpeg"
    if lower.endswith(".pdf"):
        return "application/pdf"
    return "application/octet-stream"
