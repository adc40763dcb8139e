"""What a push says, in no platform's terms: text, choices and attachments for one person."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

# A button lives with the screens (handlers/choices.py); a notice carries the same ones.
from handlers.choices import Choice

__all__ = ["Attachment", "Choice", "Notice"]


@dataclass(frozen=True)
class Attachment:
    """A file sent after the text: a picture (chart) or a document (printable list)."""

    filename: str
    content: bytes
    kind: Literal["photo", "document"] = "document"
    caption: str | None = None


@dataclass(frozen=True)
class Notice:
    """One push to one person: the text (the flows' HTML subset), choices, attachments."""

    user_id: int  # AppUser.id: the person
    text: str
    choices: tuple[tuple[Choice, ...], ...] = ()
    attachments: tuple[Attachment, ...] = ()
    lang: str = "zh"
