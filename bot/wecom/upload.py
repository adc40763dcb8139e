"""One-time upload pages: how a WeCom member sends a workbook (a self-built app receives no files).

`/upload` in WeCom answers with a link /wecom/upload/<token>: valid 30 minutes, for one file,
and only for the member it was sent to; kept in the database (models.uploads), so any process
behind a load balancer honours it. Opening it goes through WeCom's sign-in for web pages
(OAuth 2, scope snsapi_base, silent in WeCom's own browser): WeCom sends the browser back with a
code, the code names the member (auth/getuserinfo), and only that member's browser is given the
form (a cookie on the link's path). WeCom sends a browser back only to the app's 可信域名
(trusted domain): it must be the host of WECOM_PUBLIC_URL, or the page says so (50001).

The form's POST hands the file to the chat as the member's own file message (an Incoming with
`document`); the answer goes out in WeCom. The link is claimed in the database before the body
is read, so a second upload through it meanwhile is refused, whichever process it reaches. When
nothing was taken (too big, empty, malformed, the connection lost) the claim is released and
the member may try again: what uses a link up is a file handed to the chat, nothing else. The
body is read as a stream up to the largest file the chat takes (not the callback's 1 MB); a
malformed one is a 400 page in the member's language, logged as one WARNING line, never a
traceback.
"""

from __future__ import annotations

import asyncio
import logging
import secrets
import unicodedata
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from pathlib import PureWindowsPath
from typing import Any, TypeVar
from urllib.parse import urlencode, urlsplit

from aiohttp import BodyPartReader, MultipartReader, web

from bot.wecom.adapter import LIMITS
from bot.wecom.api import WeComAPI, WeComError
from handlers.i18n import t
from handlers.screens import FileIn
from handlers.text import esc
from models import clock, uploads
from models.db import Database
from models.uploads import Claim, Ticket

log = logging.getLogger(__name__)

T = TypeVar("T")
UPLOAD_PATH = "/wecom/upload/{token}"
MAX_FILE = LIMITS.file  # the largest file the chat takes (README "Files")
MAX_MB = MAX_FILE // (1024 * 1024)
MAX_BODY = MAX_FILE + 64 * 1024  # and the form around it: boundaries, part headers
MAX_PARTS = 8  # the form has one field; a browser sends nothing else
MAX_PART_HEADERS = 8  # Content-Disposition, Content-Type and a few more at most
MAX_HEADER = 1024  # characters of one part header
NAME_MAX = 255  # characters of a file name (what file systems take)
READ_CHUNK = 64 * 1024
REF_PREFIX = "upload:"  # a FileIn.ref of a file that came through an upload page
VISIT_COOKIE = "upload_visit"  # the signed-in member's browser
STATE_COOKIE = "upload_state"  # the browser a sign-in was started in
NOT_AN_ID = 50001  # WeCom: the redirect host is not the app's trusted domain

OnUpload = Callable[[str, FileIn], Awaitable[None]]


@dataclass(frozen=True)
class SignIn:
    """WeCom's sign-in for web pages (OAuth 2, snsapi_base) of one self-built app."""

    api: WeComAPI
    authorize_url: str

    def address(self, back: str, state: str) -> str:
        """Return where a browser signs in, to be sent back to `back` with a code."""
        query = urlencode(
            {
                "appid": self.api.corp_id,
                "redirect_uri": back,
                "response_type": "code",
                "scope": "snsapi_base",
                "state": state,
                "agentid": str(self.api.agent_id),
            }
        )
        return f"{self.authorize_url}?{query}#wechat_redirect"

    async def member(self, code: str) -> str | None:
        """Return the userid a sign-in code names (None: someone who is no member)."""
        return await self.api.member_of_code(code)


class _Refused(Exception):
    """A page to answer instead of taking a file: its status, text key and whether a form."""

    def __init__(self, status: int, key: str, reason: str, *, form: bool = True) -> None:
        super().__init__(reason)
        self.status, self.key, self.reason, self.form = status, key, reason, form


@dataclass(frozen=True)
class _Sent:
    name: str
    data: bytes
    mime: str | None


class Uploads:
    """The upload links (in the database) and the files that came through them, until the chat
    (in this process: the one that received the file) takes them."""

    def __init__(self, base_url: str, sign_in: SignIn, db: Database) -> None:
        self.base_url = base_url.rstrip("/")
        self.sign_in = sign_in
        self.db = db
        self._files: dict[str, bytes] = {}

    async def _run(self, fn: Callable[..., T], /, **kwargs: Any) -> T:
        return await asyncio.to_thread(self.db.run, fn, **kwargs)

    async def link(self, account: str, lang: str) -> str:
        """Open a one-time link for this member; return its address."""
        token = await self._run(uploads.open_link, account=account, lang=lang)
        return self.base_url + UPLOAD_PATH.format(token=token)

    async def ticket(self, token: str) -> Ticket | None:
        """Return the link's ticket while it is valid."""
        return await self._run(uploads.find_link, token=token)

    async def claim(self, token: str) -> Claim:
        """Claim the link for one upload before its body is read."""
        return await self._run(uploads.claim_link, token=token)

    async def release(self, token: str) -> None:
        """Let the link take another upload: nothing was taken from this one."""
        await asyncio.shield(self._run(uploads.release_link, token=token))

    async def keep(self, token: str, name: str | None, data: bytes, mime: str | None) -> FileIn:
        """Use up the link: keep the file for the chat to fetch; return it as a file sent."""
        await self._run(uploads.use_link, token=token)
        ref = REF_PREFIX + secrets.token_hex(12)
        self._files[ref] = data
        return FileIn(ref, name, len(data), mime)

    def take(self, ref: str) -> bytes:
        """Return (and forget) a file that came through an upload page."""
        return self._files.pop(ref)

    def forget(self, ref: str) -> None:
        """Drop a file the chat did not fetch (not a workbook, not the person's to import)."""
        self._files.pop(ref, None)

    def add_routes(self, app: web.Application, on_upload: OnUpload) -> None:
        """Serve the upload pages on `app`; a file received is handed to `on_upload`."""
        pages = _Pages(self, on_upload)
        app.router.add_get(UPLOAD_PATH, pages.open)
        app.router.add_post(UPLOAD_PATH, pages.receive)


class _Pages:
    """The two handlers of an upload link: open it (signing in), and post the file."""

    def __init__(self, uploads: Uploads, on_upload: OnUpload) -> None:
        self.uploads = uploads
        self.on_upload = on_upload
        self.tasks: set[asyncio.Task[None]] = set()

    async def open(self, request: web.Request) -> web.StreamResponse:
        """Show the form to the member signed in; send anyone else through WeCom's sign-in."""
        token = request.match_info["token"]
        ticket = await self.uploads.ticket(token)
        if ticket is None:
            return _page("zh", t("zh", "wecom.upload_gone"), status=404)
        if _signed_in(request, ticket):
            return _page(ticket.lang, None, form=True)
        try:
            if "code" not in request.query:
                return self._to_sign_in(token, ticket)
            return await self._signed_back(request, token, ticket)
        except _Refused as refused:
            _log_refusal(request, refused.reason)
            return _page(ticket.lang, t(ticket.lang, refused.key), refused.status)

    def _to_sign_in(self, token: str, ticket: Ticket) -> web.StreamResponse:
        state = secrets.token_hex(16)
        away = _redirect(302, self.uploads.sign_in.address(self._address(token), state))
        self._cookie(away, token, STATE_COOKIE, state, ticket)
        return away

    async def _signed_back(
        self, request: web.Request, token: str, ticket: Ticket
    ) -> web.StreamResponse:
        state = request.cookies.get(STATE_COOKIE, "")
        if not state or not _same(state, request.query.get("state", "")):
            raise _Refused(403, "wecom.upload_open_in_wecom", "sign-in state is not this browser's")
        try:
            member = await self.uploads.sign_in.member(request.query["code"])
        except WeComError as error:
            raise _sign_in_refusal(error) from None
        if member is None or member.casefold() != ticket.account.casefold():
            raise _Refused(403, "wecom.upload_not_yours", "signed in as another member")
        # The code is used up: send the browser to the plain link, now with its cookie.
        back = _redirect(303, self._public_path(token))
        self._cookie(back, token, VISIT_COOKIE, ticket.visitor, ticket)
        return back

    def _address(self, token: str) -> str:
        return self.uploads.base_url + UPLOAD_PATH.format(token=token)

    def _public_path(self, token: str) -> str:
        """Return the link's path as the browser sees it (behind a proxy, with its prefix)."""
        return urlsplit(self._address(token)).path

    def _cookie(
        self, response: web.StreamResponse, token: str, name: str, value: str, ticket: Ticket
    ) -> None:
        left = max(1, int((ticket.until - clock.now()).total_seconds()))
        response.set_cookie(
            name,
            value,
            path=self._public_path(token),
            max_age=left,
            httponly=True,
            samesite="Lax",
            secure=self.uploads.base_url.startswith("https://"),
        )

    async def receive(self, request: web.Request) -> web.StreamResponse:
        """Take the file of the member signed in; refuse anything else with a page."""
        token = request.match_info["token"]
        ticket = await self.uploads.ticket(token)
        if ticket is None:
            _log_refusal(request, "an unknown or expired link")
            return _page("zh", t("zh", "wecom.upload_gone"), status=404)
        lang = ticket.lang
        if not _signed_in(request, ticket):
            _log_refusal(request, "not signed in as the link's member")
            return _page(lang, t(lang, "wecom.upload_open_in_wecom"), status=403)
        claim = await self.uploads.claim(token)  # before the first byte is read
        if claim is Claim.gone:  # used up or expired since
            _log_refusal(request, "an unknown or expired link")
            return _page(lang, t(lang, "wecom.upload_gone"), status=404)
        if claim is Claim.busy:
            _log_refusal(request, "an upload through this link is under way")
            return _page(lang, t(lang, "wecom.upload_busy"), status=409)
        try:
            sent = await _read_file(request)
        except _Refused as refused:
            await self.uploads.release(token)
            _log_refusal(request, refused.reason)
            message = t(lang, refused.key, limit=MAX_MB)
            return _page(lang, message, refused.status, form=refused.form)
        except BaseException:  # the connection lost: nothing taken, the link stays
            await self.uploads.release(token)
            raise
        file = await self.uploads.keep(token, sent.name, sent.data, sent.mime)
        task = asyncio.create_task(self.on_upload(ticket.account, file))
        self.tasks.add(task)
        task.add_done_callback(self.tasks.discard)
        return _page(lang, t(lang, "wecom.upload_done"))


def _signed_in(request: web.Request, ticket: Ticket) -> bool:
    given = request.cookies.get(VISIT_COOKIE, "")
    return bool(given) and _same(given, ticket.visitor)


def _same(given: str, secret: str) -> bool:
    """Compare in constant time (as bytes: whatever a browser sent, non-ASCII too)."""
    return secrets.compare_digest(given.encode(), secret.encode())


def _sign_in_refusal(error: WeComError) -> _Refused:
    reason = f"sign-in refused by WeCom (errcode {error.errcode}, HTTP {error.status})"
    if error.retryable:
        return _Refused(503, "wecom.upload_wecom_down", reason)
    if error.errcode == NOT_AN_ID:
        return _Refused(403, "wecom.upload_no_sign_in", reason + ": set the app's trusted domain")
    return _Refused(403, "wecom.upload_open_in_wecom", reason)


async def _read_file(request: web.Request) -> _Sent:
    """Read the form's file, as a stream, within the limits; refuse anything else."""
    if request.content_length is None:  # a browser always says how long a form is
        raise _Refused(411, "wecom.upload_bad", "no Content-Length")
    if request.content_length > MAX_BODY:
        raise _Refused(413, "wecom.upload_too_big", "body too large")
    try:
        return await _first_file(await request.multipart())
    except _Refused:
        raise
    except Exception as error:
        # Whatever a malformed or cut-off body makes the parser raise, it is the body's fault:
        # one line with what it was, no traceback.
        said = f"malformed body ({type(error).__name__}: {str(error)[:120]!r})"
        raise _Refused(400, "wecom.upload_bad", said) from None


async def _first_file(reader: MultipartReader) -> _Sent:
    found: _Sent | None = None
    for _ in range(MAX_PARTS):
        part = await reader.next()
        if part is None:
            break
        if not isinstance(part, BodyPartReader):
            raise _Refused(400, "wecom.upload_bad", "a multipart inside a part")
        _check_headers(part)
        if found is None and part.name == "file" and part.filename:
            name = _file_name(part.filename)
            found = _Sent(name, await _read_part(part), part.headers.get("Content-Type"))
        else:
            await part.release()
    else:
        raise _Refused(400, "wecom.upload_bad", f"more than {MAX_PARTS} parts")
    if found is None or not found.data:
        raise _Refused(400, "wecom.upload_empty", "no file in the form")
    return found


def _check_headers(part: BodyPartReader) -> None:
    if len(part.headers) > MAX_PART_HEADERS:
        raise _Refused(400, "wecom.upload_bad", f"{len(part.headers)} part headers")
    if any(len(value) > MAX_HEADER for value in part.headers.values()):
        raise _Refused(400, "wecom.upload_bad", f"a part header over {MAX_HEADER} characters")


def _file_name(sent: str) -> str:
    """Return the file's name without a folder; refuse control characters and long names."""
    name = PureWindowsPath(sent).name  # "C:\\fakepath\\a.csv", "../a.csv": only "a.csv"
    if not name or len(name) > NAME_MAX or any(unicodedata.category(c)[0] == "C" for c in name):
        raise _Refused(400, "wecom.upload_bad_name", "a file name with control characters")
    return name


async def _read_part(part: BodyPartReader) -> bytes:
    chunks, size = [], 0
    while chunk := await part.read_chunk(READ_CHUNK):
        size += len(chunk)
        if size > MAX_FILE:
            raise _Refused(413, "wecom.upload_too_big", "file too large")
        chunks.append(chunk)
    return b"".join(chunks)


def _redirect(status: int, where: str) -> web.Response:
    return web.Response(status=status, headers={"Location": where})


def _log_refusal(request: web.Request, reason: str) -> None:
    # Never the path: the link's token is its secret.
    log.warning("upload refused (%s): %s from %s", reason, request.method, request.remote)


def _page(lang: str, message: str | None, status: int = 200, *, form: bool = False) -> web.Response:
    title = esc(t(lang, "wecom.upload_title"))
    body = f"<p>{esc(message)}</p>" if message else ""
    if form:
        button = esc(t(lang, "wecom.upload_button"))
        body += (
            '<form method="post" enctype="multipart/form-data">'
            f'<input type="file" name="file" accept=".xlsx,.csv"> <button>{button}</button></form>'
        )
    html = (
        f'<!doctype html><html lang="{lang}"><meta charset="utf-8">'
        '<meta name="viewport" content="width=device-width">'
        f"<title>{title}</title><h1>{title}</h1>{body}</html>"
    )
    return web.Response(text=html, status=status, content_type="text/html")
