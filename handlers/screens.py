"""What a flow is given and what it shows, in no chat platform's terms.

A chat adapter turns its own updates into an `Incoming` and draws a `Reply`: Telegram as
messages in HTML with inline keyboards, WeCom as text, image and file messages and template
cards. Text is the flows' markup: plain text with `&lt;` `&gt;` `&amp;` escaped and the tags
<b>, <i>, <code>, <pre> (handlers.text makes and splits it); an adapter that cannot show the
tags takes them out (handlers.text.plain).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Literal

from handlers.choices import Choice, Rows
from models.queries import PhotoRef

__all__ = [
    "Attachment",
    "Choice",
    "FileIn",
    "Incoming",
    "Limits",
    "Notice",
    "Reply",
    "Rows",
    "Screen",
]

COMMAND = re.compile(r"^/([A-Za-z0-9_]{1,32})(?:@\w+)?(?:\s+(.*))?$", re.DOTALL)


@dataclass(frozen=True)
class Limits:
    """What one platform lets a screen, a file and a sender be: each adapter declares its own
    (bot/<platform>/adapter.py); its renderer and stand-in read them there, and a flow asks
    for them through the core's Platform (`ask.platform.limits`)."""

    text: int  # one message's text at most: characters, or UTF-8 bytes if `text_in_bytes`
    chunk: int  # where a long text is split into messages (a little under `text`, or it)
    file: int  # bytes: the largest file a person may send (and the bot fetch or send)
    button_data: int  # bytes of one choice's data
    chat_interval: float  # seconds between two messages to one chat (0: paced otherwise)
    text_in_bytes: bool = False
    caption: int | None = None  # characters of a photo's or file's caption (None: none shown)
    photo: int | None = None  # bytes of a picture sent as one (None: as `file`)
    buttons: int | None = None  # choices on one card (None: as many as a screen needs; 0: none)
    button_text: int | None = None  # characters a button shows (None: the whole label)
    album: int = 1  # photos shown together
    alert: int | None = None  # characters of a press's answer shown as an alert (None: none)
    sends_per_second: int | None = None  # all chats together (None: no overall limit)
    # It can message a person who has not written first (a morning push); else only replies.
    reaches_anyone: bool = True
    # (window in seconds, messages in it) one person may get, where the platform counts so.
    member_windows: tuple[tuple[float, int], ...] = ()

    def fits(self, text: str) -> bool:
        """Tell whether a text goes as one message."""
        size = len(text.encode()) if self.text_in_bytes else len(text)
        return size <= self.text


@dataclass(frozen=True)
class FileIn:
    """A photo or file a person sent, as the platform names it (fetched only when needed)."""

    ref: str  # Telegram's file_id, WeCom's media_id
    name: str | None = None
    size: int | None = None  # bytes, when the platform says
    mime: str | None = None


@dataclass(frozen=True)
class Incoming:
    """One thing a person did: wrote, sent a photo or file, or pressed a choice."""

    platform: str
    account: str  # the person on that platform (Telegram user id, WeCom userid)
    name: str = ""
    language: str | None = None  # what the platform says the person's app speaks
    text: str | None = None  # a message's text, or a photo's or file's caption
    choice: str | None = None  # the pressed choice's data: prefix:payload
    # The screen whose choice was pressed, as the platform names it (Telegram's message id,
    # WeCom's task id): tells an old screen's choice from the same choice on a newer one.
    screen: str | None = None
    photo: FileIn | None = None  # a photo, or an image sent as a file
    document: FileIn | None = None  # any other file
    album: str | None = None  # photos sent together carry the same album id

    @property
    def command(self) -> tuple[str, list[str]] | None:
        """Return the command and its words (`/mylist 3` -> ("mylist", ["3"])), if any."""
        if self.choice is not None or self.text is None:
            return None
        if self.photo is not None or self.document is not None:
            return None  # a caption is a note, even one starting with "/"
        found = COMMAND.match(self.text.strip())
        if found is None:
            return None
        return found[1].lower(), (found[2] or "").split()

    @property
    def is_command(self) -> bool:
        """Tell whether this is a command (any word after "/", known or not)."""
        text = (self.text or "").lstrip()
        return self.choice is None and self.photo is None and text.startswith("/")


@dataclass(frozen=True)
class Attachment:
    """A file shown after a text: a picture (chart) or a document (printable list)."""

    filename: str
    content: bytes
    kind: Literal["photo", "document"] = "document"
    caption: str | None = None


@dataclass(frozen=True)
class Screen:
    """One thing to show: photos first (an album), then the text and its choices, then files."""

    text: str = ""
    choices: Rows = ()
    photos: tuple[PhotoRef, ...] = ()
    files: tuple[Attachment, ...] = ()
    # In place of the screen whose choice was pressed (a list's next page), where possible.
    replace: bool = False


@dataclass(frozen=True)
class Notice:
    """A screen for another person (what a flow tells them, or a push): the same shape a reply
    shows, with whom it goes to and the language it is drawn in."""

    user_id: int  # AppUser.id: the person; the adapter finds their account on its platform
    text: str
    choices: Rows = ()
    attachments: tuple[Attachment, ...] = ()
    lang: str = "zh"

    @property
    def screen(self) -> Screen:
        """Return what the person is shown: drawn as a reply's screen is, by the same renderer."""
        return Screen(self.text, self.choices, files=self.attachments)


@dataclass
class Reply:
    """All a flow shows for one input, in order, and what goes to others."""

    screens: list[Screen] = field(default_factory=list)
    # A short answer to the pressed choice (plain text): Telegram shows it as the button's
    # alert when it fits, WeCom as a message.
    answer: str | None = None
    notices: list[Notice] = field(default_factory=list)
    # People whose roles or language changed (the asker, or whoever an admin changed): the
    # adapter redoes their command menu where the platform has one.
    menus: list[int] = field(default_factory=list)
    busy: str | None = None  # "upload_photo", "upload_document": shown while it is made
    # The asker's language after the input (a join or /language may have set it): the adapter
    # draws in it without looking the person up again.
    lang: str | None = None
