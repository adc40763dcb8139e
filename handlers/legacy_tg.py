"""Telegram-bound helpers of the flows not yet on the core (removed as each flow moves)."""

from __future__ import annotations

import asyncio
import contextlib
import logging
from pathlib import Path
from typing import Any

from telegram import Bot, BotCommand, BotCommandScopeChat, InputMediaPhoto, Message
from telegram.error import TelegramError

from handlers.common import BotContext
from handlers.i18n import t
from handlers.menu import commands_for
from handlers.tell import contractor_notices
from jobs.sender import DeliveryFailed
from models.media import store_file
from models.people import Person
from models.queries import PhotoRef, item_line
from models.repair import Outcome

ALBUM_MAX = 10
log = logging.getLogger(__name__)


async def save_photo_tg(context: BotContext, message: Message) -> dict[str, str]:
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


def answer_due_tg(draft: dict, message: Message) -> bool:
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


async def tell_contractor_tg(
    context: BotContext, outcome: Outcome, key: str, **params: Any
) -> None:
    """Send each of the item's contractor people the text `key` and the item, in their language."""
    if not outcome.tell:
        return
    line = await context.call(item_line, item_id=outcome.item.id)
    delivery = context.application.bot_data["delivery"]
    for notice in contractor_notices(
        outcome, line, key, context.settings.default_language, **params
    ):
        try:
            await delivery.deliver(notice, 0)
        except DeliveryFailed:
            # They will still find it on their list; one blocked chat must not stop the rest.
            log.warning("could not tell %s about item %s", notice.user_id, outcome.item.id)


async def set_menu(bot: Bot, chat_id: int, lang: str, person: Person) -> None:
    """Show this chat only its own commands, described in its language."""
    commands = [BotCommand(c, t(lang, f"cmd.{c}")) for c in commands_for(person)]
    # A menu is a convenience; the commands work without it.
    with contextlib.suppress(TelegramError):
        await bot.set_my_commands(commands, scope=BotCommandScopeChat(chat_id))
