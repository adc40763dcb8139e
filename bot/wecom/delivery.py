"""WeCom's side of the sender: a neutral notice as text, template cards, images and files.

WeCom lets one app send a member at most 30 messages a minute and 1,000 an hour and drops the
rest without an error, so every message to a member waits its turn in a `MemberPacer` with
those two sliding windows (shared with whatever else sends to members, e.g. chat replies).
"""

from __future__ import annotations

import asyncio
import html
import logging
import re
import time
from collections.abc import AsyncIterator, Awaitable, Callable, Hashable, Sequence
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from typing import Any

from bot.wecom import cards
from bot.wecom.api import SlowDown, WeComAPI, WeComError
from jobs.notices import Attachment, Notice
from jobs.pacing import SlidingWindows
from jobs.sender import Backoff, Blocked, ChatPacer, DeliveryFailed, RetryLater, Unavailable
from models.tables import Platform, Undelivered

log = logging.getLogger(__name__)

TEXT_MAX = 2048  # bytes: message/send text.content
# (window in seconds, messages in it) an app may send one member.
MEMBER_WINDOWS: tuple[tuple[float, int], ...] = ((60.0, 30), (3600.0, 1000))
IMAGE_MAX = 10 * 1024 * 1024  # media/upload type=image: JPG or PNG up to 10 MB
FILE_MAX = 20 * 1024 * 1024  # type=file: up to 20 MB
MEDIA_MIN = 6  # every upload: more than 5 bytes
# When WeCom answers HTTP 429 (no errcode, no wait named), wait this long.
BUSY_WAIT = 5.0
_IMAGE_SIGNATURES = (b"\x89PNG\r\n\x1a\n", b"\xff\xd8\xff")


class MemberPacer:
    """Hold the messages to one member within sliding windows (WeCom: 30 a minute, 1,000 an hour).

    Same interface as jobs.sender.ChatPacer (`turn`, `hold`); the clock and the sleep are
    injectable so a test can run an hour of sends without waiting for it.
    """

    def __init__(
        self,
        windows: Sequence[tuple[float, int]] = MEMBER_WINDOWS,
        *,
        clock: Callable[[], float] = time.monotonic,
        sleep: Callable[[float], Awaitable[Any]] = asyncio.sleep,
    ) -> None:
        self._sent = SlidingWindows(windows, clock=clock)
        self.windows = self._sent.windows
        self.clock = clock
        self.sleep = sleep
        self._free_at: dict[Hashable, float] = {}
        self._locks: dict[Hashable, asyncio.Lock] = {}

    def wait(self, member: Hashable) -> float:
        """Return how many seconds the next message to `member` must wait (0: it may go now)."""
        held = self._free_at.get(member, 0.0) - self.clock()
        return max(self._sent.wait(member) or 0.0, held, 0.0)

    @asynccontextmanager
    async def turn(self, member: Hashable) -> AsyncIterator[None]:
        """Wait until `member` may get one more message; it counts from when the send ends."""
        async with self._locks.setdefault(member, asyncio.Lock()):
            while (wait := self.wait(member)) > 0:
                await self.sleep(wait)
            try:
                yield
            finally:
                # Counted even if the send failed: WeCom may have taken it all the same.
                self._sent.ended(member)

    def hold(self, member: Hashable, seconds: float) -> None:
        """Send `member` nothing more for `seconds` (WeCom asked us to slow down)."""
        until = self.clock() + seconds
        self._free_at[member] = max(self._free_at.get(member, 0.0), until)

    def sent_within(self, member: Hashable, seconds: float) -> int:
        """Return how many messages went to `member` in the last `seconds`."""
        return self._sent.within(member, seconds)


# -- text ------------------------------------------------------------------------------------

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


def split_text(text: str, limit: int = TEXT_MAX) -> list[str]:
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


# -- the delivery ----------------------------------------------------------------------------


@dataclass
class _Progress:
    """What of one part already went, so a retried part never sends a message twice."""

    notice: Notice  # kept so its id() stays this notice's while the part is retried
    done: int = 0
    media_id: str | None = None
    steps: list[Callable[[], Awaitable[Any]]] = field(default_factory=list)


class WeComDelivery:
    """Send notices through one WeCom app; each message waits its member's turn."""

    platform = Platform.wecom

    def __init__(
        self,
        api: WeComAPI,
        account_of: Callable[[int], str | None],
        *,
        members: MemberPacer | None = None,
        pacer: ChatPacer | None = None,
        busy_wait: float = BUSY_WAIT,
        backoff: Backoff | None = None,
    ) -> None:
        self.api = api
        self.account_of = account_of
        # WeCom's own limits, message by message, per member (share it with chat replies).
        self.members = members or MemberPacer()
        # The sender's turn per recipient: no pause of its own (the member windows do the
        # pacing), but it keeps one notice at a time per person and honours RetryLater holds,
        # on the members' clock.
        self.pacer = pacer or ChatPacer(0.0, clock=self.members.clock, sleep=self.members.sleep)
        self.busy_wait = busy_wait
        self.backoff = backoff or Backoff()
        self._progress: dict[tuple[int, int], _Progress] = {}

    def item_link(self, item_id: int) -> str | None:
        """Return None: no WeCom link opens an app's chat (the printed id is typed instead)."""
        return None

    async def reach(self, user_ids: Sequence[int]) -> None:
        """Find nothing ahead: `account_of` answers for each person as their notice goes."""

    async def deliver(self, notice: Notice, part: int) -> None:
        """Send one part: 0 the text and a card for its choices, then each attachment in turn."""
        account = self.account_of(notice.user_id)
        if not account:
            raise Blocked(f"user {notice.user_id} has no WeCom account", Undelivered.no_account)
        key = (id(notice), part)
        progress = self._progress.get(key)
        if progress is None or progress.notice is not notice:
            progress = _Progress(notice)
            progress.steps = self._steps(account, notice, part, progress)
            self._progress[key] = progress
        try:
            while progress.done < len(progress.steps):
                await progress.steps[progress.done]()
                progress.done += 1
        except SlowDown as exc:
            self.members.hold(account, exc.seconds)
            raise RetryLater(exc.seconds) from exc
        except WeComError as exc:
            # Retried, the part goes on from the message that failed, never from its first.
            if exc.status == 429:
                raise RetryLater(self.busy_wait) from exc
            if exc.retryable:
                # A 5xx or a time-out after WeCom may have taken the message: it is sent again
                # (message/send has no idempotency key; its duplicate check compares contents
                # and would drop a legitimate repeat), as a message twice is better than a
                # rework notice or a morning list lost.
                raise Unavailable(str(exc)) from exc
            self._progress.pop(key, None)
            if exc.unreachable:
                raise Blocked(str(exc)) from exc
            raise DeliveryFailed(str(exc)) from exc
        except BaseException:
            self._progress.pop(key, None)
            raise
        self._progress.pop(key, None)

    def _steps(
        self, account: str, notice: Notice, part: int, progress: _Progress
    ) -> list[Callable[[], Awaitable[Any]]]:
        """Return the messages of one part, in order, each a call to make."""
        if part == 0:  # drawn as a chat reply's screen is (bot.wecom.cards.draw)
            drawn = cards.draw(plain(notice.text), notice.choices, lang=notice.lang)
            send = self.api.send_text
            steps = [self._message(account, send, chunk) for chunk in split_text(drawn.text)]
            for card in drawn.cards:
                steps.append(self._message(account, self.api.send_card, card))
            return steps
        file = notice.attachments[part - 1]
        kind = "image" if _is_image(file) else "file"

        async def upload() -> None:
            progress.media_id = await self.api.upload_media(kind, file.filename, file.content)

        async def send() -> None:
            assert progress.media_id is not None
            method = self.api.send_image if kind == "image" else self.api.send_file
            async with self.members.turn(account):
                await method(account, progress.media_id)

        steps: list[Callable[[], Awaitable[Any]]] = [upload, send]
        if file.caption:
            # WeCom's image and file messages carry no caption: it follows as a text.
            steps.append(self._message(account, self.api.send_text, plain(file.caption)))
        return steps

    def _message(
        self, account: str, method: Callable[[str, Any], Awaitable[Any]], content: Any
    ) -> Callable[[], Awaitable[Any]]:
        async def step() -> None:
            async with self.members.turn(account):
                await method(account, content)

        return step


def _is_image(file: Attachment) -> bool:
    """Say whether an attachment can go as a WeCom image (a JPG or PNG photo within 10 MB)."""
    return (
        file.kind == "photo"
        and len(file.content) <= IMAGE_MAX
        and file.content.startswith(_IMAGE_SIGNATURES)
    )
