"""Photos in and out: keep Telegram's file id and a stored copy; send albums back."""

from __future__ import annotations

import asyncio
import logging
from pathlib import Path

from telegram import InputMediaPhoto, Message
from telegram.error import TelegramError

from handlers.common import BotContext
from models.media import store_file
from models.queries import PhotoRef

ALBUM_MAX = 10
log = logging.getLogger(__name__)


async def save_photo(context: BotContext, message: Message) -> dict[str, str]:
    """Download the photo (or image file) of a message and store a copy by its hash."""
    if message.photo:
        file_id = message.photo[-1].file_id
        suffix = ".jpg"
    else:
        file_id = message.document.file_id
        suffix = Path(message.document.file_name or "x.jpg").suffix.lower() or ".jpg"
    tg_file = await context.bot.get_file(file_id)
    data = bytes(await tg_file.download_as_bytearray())
    sha, path = await asyncio.to_thread(store_file, context.settings.media_dir, data, suffix)
    return {"file_id": file_id, "sha256": sha, "path": path}


def answer_due(draft: dict, message: Message) -> bool:
    """Tell whether to answer this photo: every single photo, but an album only once."""
    group = message.media_group_id
    if group is None:
        return True
    # An album arrives as one update per photo; one answer is enough for a phone screen.
    if draft.get("album") == group:
        return False
    draft["album"] = group
    return True


def _media(context: BotContext, ref: PhotoRef) -> str | bytes | None:
    if ref.file_id:
        return ref.file_id
    if ref.path:
        stored = context.settings.media_dir / ref.path
        return stored.read_bytes() if stored.exists() else None
    return None


async def send_album(context: BotContext, chat_id: int, refs: list[PhotoRef]) -> None:
    """Send photos as one album (or one photo); a photo that cannot be sent is skipped."""
    media = [m for m in (_media(context, r) for r in refs[-ALBUM_MAX:]) if m is not None]
    try:
        if len(media) == 1:
            await context.bot.send_photo(chat_id, media[0])
        elif media:
            await context.bot.send_media_group(chat_id, [InputMediaPhoto(m) for m in media])
    except TelegramError:
        # The card still shows how many photos there are; the record is in the database.
        log.warning("could not send an album to %s", chat_id, exc_info=True)
