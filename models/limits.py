"""How long a typed text may be, in one place: the checks at every entry use these.

A site writes a defect in a sentence or two; 500 characters is a long paragraph, and a card with
it still fits a phone screen (and a Telegram message, 4,096 at most) with room for its history.
Longer text is refused where it enters, never cut: nothing written down is lost.
"""

from __future__ import annotations

from models.errors import DomainError

DESCRIPTION_MAX = 500  # an item's description (chat, a photo's caption, an import row)
NOTE_MAX = 500  # a repair note, a reason (not ours, fail, cancel, reopen), any event's note
LOCATION_MAX = 60  # as Item.location
SHEET_NO_MAX = 40  # as Item.sheet_no
PHOTO_REF_MAX = 500  # an import row's photo file name or link, kept as a note


def check_length(text: str, *, limit: int, error: str) -> str:
    """Return the text if it has at most `limit` characters, else refuse with `error`."""
    if len(text) > limit:
        raise DomainError(error, max=limit, length=len(text))
    return text


def check_note(text: str | None) -> str | None:
    """Return a note or reason, trimmed (None when blank); refuse a too long one."""
    text = (text or "").strip()
    return check_length(text, limit=NOTE_MAX, error="note_too_long") or None


def check_description_length(text: str) -> str:
    """Return a description if it is not too long, else refuse."""
    return check_length(text, limit=DESCRIPTION_MAX, error="description_too_long")
