"""One-time upload pages: how a WeCom member sends a workbook (a self-built app receives no files).

`/upload` in WeCom answers with a link /wecom/upload/<token>: valid 30 minutes, once, for that
member only. The page (GET) is a plain form; its POST hands the file to the chat as the
member's own file message (an Incoming with `document`), and the answer goes out in WeCom.
"""

from __future__ import annotations

import asyncio
import logging
import secrets
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import datetime, timedelta

from aiohttp import web

from handlers.i18n import t
from handlers.screens import FileIn
from handlers.text import esc
from models import clock
from models.workbooks import MAX_UNPACKED_MB

log = logging.getLogger(__name__)

UPLOAD_PATH = "/wecom/upload/{token}"
LIFETIME = timedelta(minutes=30)
MAX_UPLOAD = MAX_UNPACKED_MB * 1024 * 1024
REF_PREFIX = "upload:"  # a FileIn.ref of a file that came through an upload page

OnUpload = Callable[[str, FileIn], Awaitable[None]]


@dataclass(frozen=True)
class _Ticket:
    account: str
    lang: str
    until: datetime


class Uploads:
    """The open upload links and the files that came through them, until the chat takes them."""

    def __init__(self, base_url: str) -> None:
        self.base_url = base_url.rstrip("/")
        self._tickets: dict[str, _Ticket] = {}
        self._files: dict[str, bytes] = {}

    def link(self, account: str, lang: str) -> str:
        """Open a one-time link for this member; return its address."""
        now = clock.now()
        self._tickets = {k: v for k, v in self._tickets.items() if v.until > now}
        token = secrets.token_urlsafe(24)
        self._tickets[token] = _Ticket(account, lang, now + LIFETIME)
        return self.base_url + UPLOAD_PATH.format(token=token)

    def ticket(self, token: str) -> _Ticket | None:
        """Return the link's ticket while it is valid."""
        found = self._tickets.get(token)
        if found is None or found.until <= clock.now():
            return None
        return found

    def keep(self, token: str, name: str | None, data: bytes, mime: str | None) -> FileIn:
        """Use up the link: keep the file for the chat to fetch; return it as a file sent."""
        self._tickets.pop(token, None)
        ref = REF_PREFIX + secrets.token_hex(12)
        self._files[ref] = data
        return FileIn(ref, name, len(data), mime)

    def take(self, ref: str) -> bytes:
        """Return (and forget) a file that came through an upload page."""
        return self._files.pop(ref)

    def add_routes(self, app: web.Application, on_upload: OnUpload) -> None:
        """Serve the upload pages on `app`; a file received is handed to `on_upload`."""
        tasks: set[asyncio.Task[None]] = set()

        async def page(request: web.Request) -> web.Response:
            ticket = self.ticket(request.match_info["token"])
            if ticket is None:
                return _page("zh", t("zh", "wecom.upload_gone"), status=404)
            return _page(ticket.lang, None, form=True)

        async def receive(request: web.Request) -> web.Response:
            token = request.match_info["token"]
            ticket = self.ticket(token)
            if ticket is None:
                log.warning("upload refused: an unknown or expired link from %s", request.remote)
                return _page("zh", t("zh", "wecom.upload_gone"), status=404)
            lang = ticket.lang
            if request.content_length is not None and request.content_length > MAX_UPLOAD:
                return _page(lang, t(lang, "wecom.upload_too_big", limit=MAX_UNPACKED_MB), 413)
            try:
                form = await request.post()
            except web.HTTPRequestEntityTooLarge:
                return _page(lang, t(lang, "wecom.upload_too_big", limit=MAX_UNPACKED_MB), 413)
            sent = form.get("file")
            if not isinstance(sent, web.FileField):
                return _page(lang, t(lang, "wecom.upload_empty"), status=400, form=True)
            data = sent.file.read()
            if not data:
                return _page(lang, t(lang, "wecom.upload_empty"), status=400, form=True)
            file = self.keep(token, sent.filename, data, sent.content_type)
            task = asyncio.create_task(on_upload(ticket.account, file))
            tasks.add(task)
            task.add_done_callback(tasks.discard)
            return _page(lang, t(lang, "wecom.upload_done"))

        app.router.add_get(UPLOAD_PATH, page)
        app.router.add_post(UPLOAD_PATH, receive)


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
