"""The one WeCom renderer: a screen as text messages, template cards, images and files, for a
chat reply and a push alike (within WeCom's limits, bot.wecom.adapter).

What WeCom cannot do as Telegram does, decided here:
- no markup: the flows' HTML becomes plain text (`plain`), split at 2,048 bytes (`split_text`);
- no albums: a screen shows at most the latest `LIMITS.album` photos, and its text says how many;
- no captions: an image's or file's caption follows it as a text;
- choices: on template cards (bot.wecom.cards), six buttons a card.
Every message to a member waits its turn in the member pacer (WeCom's per-member windows).
"""

from __future__ import annotations

import asyncio
import html
import logging
import re
from collections.abc import Awaitable, Callable
from datetime import datetime, timedelta
from pathlib import Path
from typing import TYPE_CHECKING, Any

from bot.wecom import cards
from bot.wecom.adapter import LIMITS
from bot.wecom.api import WeComAPI, WeComError
from handlers.choices import Rows
from handlers.i18n import t
from handlers.screens import Attachment, Screen
from models import clock
from models.queries import PhotoRef

if TYPE_CHECKING:
    from bot.wecom.delivery import MemberPacer

log = logging.getLogger(__name__)
# WeCom keeps an uploaded media_id 3 days; use one for a little less.
MEDIA_LIFETIME = timedelta(days=3) - timedelta(hours=1)
_IMAGE_SIGNATURES = (b"\x89PNG\r\n\x1a\n", b"\xff\xd8\xff")

Step = Callable[[], Awaitable[Any]]  # one message to send (or a file to upload first)


_TAG_RE = re.compile(r"<(/?)([a-zA-Z][a-zA-Z0-9-]*)((?:\s[^<>]*)?)>")
_HREF_RE = re.compile(r"""href\s*=\s*(?:"([^"]*)"|'([^']*)')""")


def plain(text: str) -> str:
    """Return the flows' HTML subset (<b> <i> <code> <pre> <a>, &lt; &gt; &amp;) as plain text.

    A link keeps its address after its text, since WeCom's text shows no markup.
    """
    out: list[str] = []
    links: list[tuple[int, str]] = []  # where a link's text began, and its address
    pos = 0
    for match in _TAG_RE.finditer(text):
        out.append(text[pos : match.start()])
        pos = match.end()
        closing, name = match.group(1), match.group(2).lower()
        if name == "a" and not closing:
            href = _HREF_RE.search(match.group(3) or "")
            address = (href.group(1) or href.group(2)) if href else ""
            links.append((len(out), html.unescape(address)))
        elif name == "a" and links:
            start, href = links.pop()
            label = html.unescape("".join(out[start:]))
            if href and href != label.strip():
                out.append(f" ({href})")
        elif name == "br":
            out.append("\n")
    out.append(text[pos:])
    return html.unescape("".join(out))


def split_text(text: str, limit: int = LIMITS.chunk) -> list[str]:
    """Split a text into messages of at most `limit` UTF-8 bytes, at line ends where possible."""
    if len(text.encode()) <= limit:
        return [text] if text.strip() else []
    chunks: list[str] = []
    current = ""
    for line in text.splitlines(keepends=True):
        if len((current + line).encode()) <= limit:
            current += line
            continue
        if current.strip():
            chunks.append(current.rstrip("\n"))
        current = ""
        while len(line.encode()) > limit:
            head = _prefix(line, limit)
            chunks.append(head)
            line = line[len(head) :]
        current = line
    if current.strip():
        chunks.append(current.rstrip("\n"))
    return chunks


def _prefix(text: str, limit: int) -> str:
    """Return the longest start of `text` within `limit` bytes, never cutting a character."""
    cut = text.encode()[:limit].decode("utf-8", errors="ignore")
    space = cut.rfind(" ")
    return cut[: space + 1] if space > len(cut) // 2 else cut


def is_image(file: Attachment) -> bool:
    """Say whether an attachment can go as a WeCom image (a JPG or PNG photo within 10 MB)."""
    return (
        file.kind == "photo"
        and len(file.content) <= (LIMITS.photo or LIMITS.file)
        and file.content.startswith(_IMAGE_SIGNATURES)
    )


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


class WeComRenderer:
    """Draw screens for members of one WeCom app, each message in its member's turn."""

    def __init__(self, api: WeComAPI, members: MemberPacer, media_dir: Path | None = None) -> None:
        self.api = api
        self.members = members
        self.media_dir = media_dir
        self.media = MediaCache(api)

    def text_steps(self, account: str, text: str, rows: Rows, lang: str) -> list[Step]:
        """Return a plain text and its choices as messages: the text, then its cards."""
        drawn = cards.draw(text, rows, lang=lang)
        steps = [self.message(account, self.api.send_text, c) for c in split_text(drawn.text)]
        steps += [self.message(account, self.api.send_card, card) for card in drawn.cards]
        return steps

    def file_steps(self, account: str, file: Attachment) -> list[Step]:
        """Return an attachment as its upload, its image or file message, then its caption."""
        kind = "image" if is_image(file) else "file"
        uploaded: list[str] = []  # kept with the steps: a retried send does not upload again

        async def upload() -> None:
            uploaded[:] = [await self.api.upload_media(kind, file.filename, file.content)]

        async def send() -> None:
            method = self.api.send_image if kind == "image" else self.api.send_file
            async with self.members.turn(account):
                await method(account, uploaded[0])

        steps: list[Step] = [upload, send]
        if file.caption:
            steps += self.say_steps(account, file.caption)
        return steps

    def say_steps(self, account: str, text: str) -> list[Step]:
        """Return a text in the flows' markup as plain text messages."""
        return [self.message(account, self.api.send_text, c) for c in split_text(plain(text))]

    def message(
        self, account: str, method: Callable[[str, Any], Awaitable[Any]], content: Any
    ) -> Step:
        """Return one message as a step that waits for the member's turn."""

        async def step() -> None:
            async with self.members.turn(account):
                await method(account, content)

        return step

    async def screen(self, account: str, screen: Screen, lang: str) -> None:
        """Show a screen in a member's chat: its latest photos, its text and cards, its files."""
        text = plain(screen.text) if screen.text else ""
        if screen.photos:
            shown = await self.photos(account, screen.photos)
            if len(screen.photos) > shown:
                note = t(lang, "wecom.photos_some", total=len(screen.photos), shown=shown)
                text = f"{text}\n{note}" if text else note
        steps = self.text_steps(account, text, screen.choices, lang)
        for file in screen.files:
            steps += self.file_steps(account, file)
        for step in steps:
            await step()

    async def say(self, account: str, text: str) -> None:
        """Send a text (the flows' markup) as plain text messages."""
        for step in self.say_steps(account, text):
            await step()

    async def photos(self, account: str, refs: tuple[PhotoRef, ...]) -> int:
        """Send the latest photos that have a stored copy; return how many went."""
        if self.media_dir is None:  # a renderer for pushes only: no stored photos to show
            return 0
        stored = [self.media_dir / r.path for r in refs if r.path]
        shown = 0
        for path in stored[-LIMITS.album :]:
            if not path.exists():
                continue
            try:
                media = await self.media.media_id(path)
                await self.message(account, self.api.send_image, media)()
                shown += 1
            except WeComError:
                # The card still says how many photos there are; the record is in the database.
                log.warning("wecom: could not send a photo", exc_info=True)
        return shown


class MemberRenderer:
    """One reply drawn in a member's chat (bot.front.Renderer); no menus, no busy sign."""

    def __init__(self, renderer: WeComRenderer, account: str, lang: str) -> None:
        self.renderer = renderer
        self.account = account
        self.lang = lang

    async def answer(self, text: str) -> None:
        """Answer as a message: WeCom shows no alert on a pressed card."""
        await self.renderer.say(self.account, text)

    async def busy(self, action: str) -> None:
        """Show nothing: WeCom has no busy sign."""

    async def menu(self, user_id: int) -> None:
        """Do nothing: WeCom has no per-person command menu."""

    async def screen(self, screen: Screen) -> None:
        """Show one screen in the member's language."""
        await self.renderer.screen(self.account, screen, self.lang)
