"""The WeCom adapter: a callback's fields become an Incoming, a Reply becomes messages and cards.

What WeCom cannot do as Telegram does, decided here:
- no albums: a screen shows at most the PHOTOS_SHOWN latest photos, and its text says how many;
- no editing a sent message: a screen that replaces another is sent as a new one;
- a pressed card is answered with update_template_card (its ResponseCode) so that it cannot be
  pressed again, and a second press of the same card (TaskId) changes nothing;
- no files from members (a self-built app receives text, image, voice, video, location, link):
  `/upload` answers with a one-time upload page (bot.wecom.upload);
- no per-person command menu: Reply.menus is left alone;
- no name in a member's messages: a joiner's name is read from the directory (user/get).
Everything sent to a member waits its turn in the same MemberPacer as the delivery's.
"""

from __future__ import annotations

import asyncio
import contextlib
import dataclasses
import logging
from collections.abc import Awaitable, Callable, Coroutine, Iterator
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import httpx

from bot.wecom import cards
from bot.wecom.api import WeComAPI, WeComError
from bot.wecom.delivery import WeComDelivery, plain, split_text
from bot.wecom.upload import REF_PREFIX, Uploads
from handlers.core import Core
from handlers.i18n import pick_language, t
from handlers.screens import Attachment, FileIn, Incoming, Reply, Screen
from jobs.sender import tell
from models import clock
from models.people import Person, find_person
from models.queries import PhotoRef

PLATFORM = "wecom"
PHOTOS_SHOWN = 3
# WeCom keeps an uploaded media_id 3 days; use one for a little less.
MEDIA_LIFETIME = timedelta(days=3) - timedelta(hours=1)
CARD_EVENT = "template_card_event"
log = logging.getLogger(__name__)

Seen = Callable[[str], Awaitable[bool]]  # record a key; True when it was seen before


class WeComPlatform:
    """What the core asks of WeCom: files people sent (by media_id, or through an upload page)."""

    name = PLATFORM

    def __init__(self, api: WeComAPI, uploads: Uploads) -> None:
        self.api = api
        self.uploads = uploads

    async def fetch(self, file: FileIn) -> bytes:
        """Download a photo a member sent, or take a file that came through an upload page."""
        if file.ref.startswith(REF_PREFIX):
            return self.uploads.take(file.ref)
        content, _name, _mime = await self.api.get_media(file.ref)
        return content

    def invite_link(self, code: str) -> str | None:
        """Return None: no WeCom link opens the app with a code (`/start CODE` is typed)."""
        return None

    def item_link(self, item_id: int) -> str | None:
        """Return None: no WeCom link opens an app's chat (the printed id is typed instead)."""
        return None


def incoming(fields: dict[str, str]) -> Incoming | None:
    """Return a callback's fields as the core's input; None for what no flow takes."""
    account = fields.get("FromUserName")
    if not account:
        return None
    base: dict[str, Any] = {"platform": PLATFORM, "account": account}
    kind = fields.get("MsgType")
    if kind == "text":
        return Incoming(**base, text=fields.get("Content", ""))
    if kind == "image" and fields.get("MediaId"):
        return Incoming(**base, photo=FileIn(fields["MediaId"], None, None, "image/jpeg"))
    if kind == "file" and fields.get("MediaId"):  # not sent by WeCom itself; the offline one
        size = fields.get("FileSize", "")
        found = FileIn(
            fields["MediaId"], fields.get("FileName"), int(size) if size.isdigit() else None
        )
        return Incoming(**base, document=found)
    if kind == "event" and fields.get("Event") == CARD_EVENT and fields.get("EventKey"):
        return Incoming(**base, choice=fields["EventKey"])
    return None  # voice, video, location, link, entering the app...


class MediaCache:
    """Uploaded copies of stored photos, by path, while WeCom keeps them (3 days)."""

    def __init__(self, api: WeComAPI) -> None:
        self.api = api
        self._ids: dict[str, tuple[str, datetime]] = {}

    async def media_id(self, path: Path) -> str:
        """Return a media_id for the stored file, uploading it when none is fresh."""
        key = str(path)
        found = self._ids.get(key)
        if found is not None and clock.now() - found[1] < MEDIA_LIFETIME:
            return found[0]
        content = await asyncio.to_thread(path.read_bytes)
        media = await self.api.upload_media("image", path.name, content)
        self._ids[key] = (media, clock.now())
        return media


class WeComChat:
    """Feed callbacks to the core, one input at a time per member, and draw the replies."""

    def __init__(
        self,
        core: Core,
        api: WeComAPI,
        delivery: WeComDelivery,
        seen: Seen,
        uploads: Uploads,
    ) -> None:
        self.core = core
        self.api = api
        self.delivery = delivery
        self.seen = seen
        self.uploads = uploads
        self.members = delivery.members  # one pacer for replies and notices alike
        self.media = MediaCache(api)
        self._names: dict[str, str] = {}  # members' directory names, once read
        self._locks: dict[str, asyncio.Lock] = {}
        self._busy = 0
        self.handled = 0  # callbacks and uploads done with, for a test to wait on
        self._idle = asyncio.Event()
        self._idle.set()
        self._later: set[asyncio.Task[Any]] = set()

    async def idle(self) -> None:
        """Wait until no input is being handled and no notice is on its way (tests, a stop)."""
        await self._idle.wait()

    @contextlib.contextmanager
    def _working(self) -> Iterator[None]:
        self._start()
        try:
            yield
        finally:
            self.handled += 1
            self._stop()

    def _start(self) -> None:
        self._busy += 1
        self._idle.clear()

    def _stop(self, _task: object = None) -> None:
        self._busy -= 1
        if not self._busy:
            self._idle.set()

    def _in_background(self, work: Coroutine[Any, Any, Any]) -> None:
        """Run `work` after the reply, outside the member's turn (`idle` waits for it too)."""
        self._start()
        task = asyncio.create_task(work)
        self._later.add(task)
        task.add_done_callback(self._later.discard)
        task.add_done_callback(self._stop)

    async def on_message(self, fields: dict[str, str]) -> None:
        """Handle one callback (the receiver answered WeCom already)."""
        with self._working():
            await self._on_message(fields)

    async def _on_message(self, fields: dict[str, str]) -> None:
        found = incoming(fields)
        if found is None:
            if fields.get("MsgType") in ("voice", "video", "location", "link"):
                account = fields["FromUserName"]
                lang = self._lang(await self._person(account))
                await self._say(account, t(lang, "bot.not_understood"))
            return
        async with self._locks.setdefault(found.account, asyncio.Lock()):
            if found.choice is not None and not await self._first_press(found.account, fields):
                return
            await self.handle(found)

    async def on_upload(self, account: str, file: FileIn) -> None:
        """Handle a file that came through an upload page as the member's own file message."""
        with self._working():
            try:
                async with self._locks.setdefault(account, asyncio.Lock()):
                    await self.handle(Incoming(platform=PLATFORM, account=account, document=file))
            finally:
                self.uploads.forget(file.ref)  # not fetched (refused, not a workbook): let go

    async def handle(self, found: Incoming) -> None:
        """Run one input through the core and show its reply."""
        if found.command is not None and found.command[0] == "upload":
            await self._upload_link(found)
            return
        if found.command is not None and found.command[0] == "start" and not found.name:
            found = dataclasses.replace(found, name=await self._member_name(found.account))
        reply = await self.core.handle(found)
        # The person's language after the input (a join or /language may have set it).
        await self.draw(found.account, reply, self._lang(await self._person(found.account)))

    async def _first_press(self, account: str, fields: dict[str, str]) -> bool:
        """Grey out a pressed card; False when this card was pressed before (nothing to do)."""
        task = fields.get("TaskId", "")
        if not task or await self.seen(f"card:{task}"):
            log.warning("wecom: a card pressed again, ignored (task %s)", task)
            return False
        code = fields.get("ResponseCode")
        if code:
            label = t(self._lang(await self._person(account)), "wecom.pressed")
            try:
                async with self.members.turn(account):
                    await self.api.update_card(account, code, cards.pressed(label))
            except WeComError:  # the press still counts; the card stays as it was
                log.warning("wecom: could not update a pressed card", exc_info=True)
        return True

    async def _upload_link(self, found: Incoming) -> None:
        """Answer /upload with a one-time upload page for this member (people who joined only)."""
        person = await self._person(found.account)
        lang = self._lang(person)
        if person is None:
            await self._say(found.account, t(lang, "error.not_registered"))
            return
        link = self.uploads.link(found.account, lang)
        await self._say(found.account, t(lang, "wecom.upload_link", link=link))

    async def _member_name(self, account: str) -> str:
        """Return a member's name in WeCom's directory ("" when it cannot be read now)."""
        name = self._names.get(account)
        if name is None:
            try:
                name = (await self.api.member_name(account)).strip()
            except (WeComError, httpx.HTTPError):
                # Joining goes on: the welcome then names nobody, and the person is listed
                # under their userid until an admin sees who it is.
                log.warning("wecom: could not read the name of %s", account, exc_info=True)
                return ""
            self._names[account] = name
        return name

    async def _person(self, account: str) -> Person | None:
        return await asyncio.to_thread(
            self.core.db.run, find_person, platform=PLATFORM, account=account
        )

    def _lang(self, person: Person | None) -> str:
        stored = person.language if person is not None else None
        return pick_language(stored, None, self.core.settings.default_language)

    async def draw(self, account: str, reply: Reply, lang: str) -> None:
        """Show a reply: tell the others (in the background), then the answer, each screen."""
        if reply.notices:
            # The sender's careful way: the actor's next input never waits behind a member's
            # limit, nothing the actor's own reply meets keeps the others from being told, and
            # each notice goes, or is logged as missed, on its own.
            notices = list(reply.notices)
            self._in_background(tell(db=self.core.db, delivery=self.delivery, notices=notices))
        if reply.answer is not None:
            await self._say(account, reply.answer)
        for screen in reply.screens:
            await self._screen(account, screen, lang)
        # Reply.menus: WeCom has no per-person command menu.

    async def _screen(self, account: str, screen: Screen, lang: str) -> None:
        text = plain(screen.text) if screen.text else ""
        if screen.photos:
            shown = await self._photos(account, screen.photos)
            if len(screen.photos) > shown:
                note = t(lang, "wecom.photos_some", total=len(screen.photos), shown=shown)
                text = f"{text}\n{note}" if text else note
        drawn = cards.draw(text, screen.choices, lang=lang)
        for chunk in split_text(drawn.text):
            await self._send(account, self.api.send_text, chunk)
        for card in drawn.cards:
            await self._send(account, self.api.send_card, card)
        for file in screen.files:
            await self._file(account, file)

    async def _photos(self, account: str, refs: tuple[PhotoRef, ...]) -> int:
        """Send the latest photos that have a stored copy; return how many went."""
        stored = [Path(self.core.settings.media_dir) / r.path for r in refs if r.path]
        shown = 0
        for path in stored[-PHOTOS_SHOWN:]:
            if not path.exists():
                continue
            try:
                media = await self.media.media_id(path)
                await self._send(account, self.api.send_image, media)
                shown += 1
            except WeComError:
                # The card still says how many photos there are; the record is in the database.
                log.warning("wecom: could not send a photo", exc_info=True)
        return shown

    async def _file(self, account: str, file: Attachment) -> None:
        kind = "image" if file.kind == "photo" else "file"
        media = await self.api.upload_media(kind, file.filename, file.content)
        await self._send(
            account, self.api.send_image if kind == "image" else self.api.send_file, media
        )
        if file.caption:
            await self._say(account, file.caption)

    async def _say(self, account: str, text: str) -> None:
        for chunk in split_text(plain(text)):
            await self._send(account, self.api.send_text, chunk)

    async def _send(
        self, account: str, method: Callable[[str, Any], Awaitable[Any]], content: Any
    ) -> None:
        async with self.members.turn(account):
            await method(account, content)
