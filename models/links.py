"""What a printed link carries into the chat: the /start payload that opens one item's card.

Telegram starts the bot from `https://t.me/BOT?start=PAYLOAD` with `/start PAYLOAD` (payloads
of at most 64 characters of A-Z, a-z, 0-9, _ and -). An item's payload is `item_<ID>`; an
invite code never starts so (models/people.py makes sure), so neither is taken for the other.
"""

from __future__ import annotations

from models import ids
from models.errors import DomainError

ITEM_START = "item_"


def item_start(item_id: int) -> str:
    """Return the /start payload that opens this item's card (for a QR code on a printed list)."""
    ids.check_item(item_id)
    return f"{ITEM_START}{item_id}"


def is_item_start(text: str) -> bool:
    """Tell whether a /start payload is an item's, not an invite code."""
    return text.startswith(ITEM_START)


def parse_item_start(text: str) -> int | None:
    """Return the item a /start payload opens; None for an invite code; refuse a broken one."""
    if not is_item_start(text):
        return None
    digits = text.removeprefix(ITEM_START)
    if not (digits.isascii() and digits.isdecimal()) or len(digits) > ids.SHOWN_DIGITS:
        raise DomainError("no_such_item", item=digits[: ids.SHOWN_DIGITS])
    item_id = int(digits)
    ids.check_item(item_id)
    return item_id
