"""A gateway callback as the core's input: text, voice (as its transcript), image, file, mixed
(text and images: an album, its text the caption), and a template card's button pressed.

Group chats are left alone (the product talks to one person at a time; the robot receives no
images or files there); entering the chat and feedback events ask nothing of the core.
"""

from __future__ import annotations

from collections import OrderedDict
from dataclasses import dataclass
from typing import Any

from bot.wecom_robot.protocol import EVENT, MESSAGE, Frame
from handlers.screens import FileIn, Incoming

PLATFORM = "wecom_robot"
CARD_EVENT = "template_card_event"
ENTER_CHAT = "enter_chat"
DISCONNECTED = "disconnected_event"  # a newer connection of the same bot took over
MEDIA_KEPT = 1000  # members' media remembered for fetching, newest kept


@dataclass(frozen=True)
class Media:
    """Where a member's image or file is, and its key (each message has its own)."""

    url: str
    aeskey: str | None


class MediaBook:
    """The media of recent messages, by the ref their FileIn carries (no key in the database)."""

    def __init__(self, kept: int = MEDIA_KEPT) -> None:
        self.kept = kept
        self._media: OrderedDict[str, Media] = OrderedDict()

    def add(self, ref: str, part: dict[str, Any]) -> bool:
        """Note a message part's media under `ref`; False when it names no URL."""
        url = part.get("url")
        if not isinstance(url, str) or not url:
            return False
        self._media[ref] = Media(url, part.get("aeskey") or None)
        while len(self._media) > self.kept:
            self._media.popitem(last=False)
        return True

    def get(self, ref: str) -> Media | None:
        """Return the media noted under `ref`, if still kept."""
        return self._media.get(ref)


def account_of(found: Frame) -> str | None:
    """Return the member (corp userid) a callback comes from, in a one-to-one chat only."""
    body = found.get("body")
    if not isinstance(body, dict) or body.get("chattype", "single") != "single":
        return None
    sender = body.get("from")
    userid = sender.get("userid") if isinstance(sender, dict) else None
    return str(userid) if userid else None


def incomings(found: Frame, media: MediaBook) -> list[Incoming]:
    """Return what a callback asks of the core (several for an album), noting its media."""
    account = account_of(found)
    if account is None:
        return []
    body: dict[str, Any] = found["body"]
    base = Incoming(platform=PLATFORM, account=account)
    if found.get("cmd") == EVENT:
        return _event(base, body)
    if found.get("cmd") != MESSAGE:
        return []
    msgid = str(body.get("msgid") or "")
    kind = body.get("msgtype")
    part = body.get(kind) if isinstance(kind, str) else None
    if not isinstance(part, dict):
        return []
    if kind in ("text", "voice"):  # a voice message comes with its transcript
        text = str(part.get("content") or "")
        return [_with(base, text=text)] if text.strip() else []
    if kind == "image" and media.add(f"{msgid}:0", part):
        return [_with(base, photo=FileIn(f"{msgid}:0", None, _size(part), "image/jpeg"))]
    if kind == "file" and media.add(f"{msgid}:0", part):
        name = part.get("filename") or part.get("file_name")
        return [_with(base, document=FileIn(f"{msgid}:0", name, _size(part)))]
    if kind == "mixed":
        return _mixed(base, msgid, part, media)
    return []


def _event(base: Incoming, body: dict[str, Any]) -> list[Incoming]:
    event = body.get("event")
    if not isinstance(event, dict) or event.get("eventtype") != CARD_EVENT:
        return []
    card = event.get(CARD_EVENT)
    if not isinstance(card, dict):
        return []
    key, task = card.get("event_key"), card.get("task_id")
    if not isinstance(key, str):
        return []
    return [_with(base, choice=key, screen=str(task) if task else None)]


def _mixed(base: Incoming, msgid: str, part: dict[str, Any], media: MediaBook) -> list[Incoming]:
    """Return a text-and-images message: each image one input of an album, the text its caption."""
    items = [i for i in part.get("msg_item") or [] if isinstance(i, dict)]
    text = "\n".join(
        str((i.get("text") or {}).get("content") or "") for i in items if i.get("msgtype") == "text"
    ).strip()
    photos = []
    for number, item in enumerate(i for i in items if i.get("msgtype") == "image"):
        ref = f"{msgid}:{number}"
        if isinstance(item.get("image"), dict) and media.add(ref, item["image"]):
            photos.append(FileIn(ref, None, _size(item["image"]), "image/jpeg"))
    if not photos:
        return [_with(base, text=text)] if text else []
    album = msgid if len(photos) > 1 else None
    return [
        _with(base, photo=photo, text=text if number == 0 and text else None, album=album)
        for number, photo in enumerate(photos)
    ]


def _with(base: Incoming, **fields: Any) -> Incoming:
    return Incoming(platform=base.platform, account=base.account, **fields)


def _size(part: dict[str, Any]) -> int | None:
    size = part.get("file_size")
    return int(size) if isinstance(size, int | str) and str(size).isdigit() else None


def incoming(found: Frame) -> Incoming | None:
    """Return a callback as the core's one input (an album's first photo); None for what no
    flow takes. The robot's chat asks `incomings` for every photo of an album."""
    taken = incomings(found, MediaBook())
    return taken[0] if taken else None
