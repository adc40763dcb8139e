"""Telling people at once when an item comes (back) to them."""

from __future__ import annotations

import logging
from typing import Any

from telegram.error import TelegramError

from handlers import keyboards, render
from handlers.common import BotContext, send_long
from handlers.i18n import pick_language, t
from models.people import accounts
from models.queries import item_line
from models.repair import Outcome
from models.tables import Platform

log = logging.getLogger(__name__)


async def tell_contractor(context: BotContext, outcome: Outcome, key: str, **params: Any) -> None:
    """Send each of the item's contractor people the text `key` and the item, in their language."""
    if not outcome.tell:
        return
    line = await context.call(item_line, item_id=outcome.item.id)
    chats = await context.call(
        accounts, user_ids=[user_id for user_id, _ in outcome.tell], platform=Platform.telegram
    )
    for user_id, stored in outcome.tell:
        if user_id not in chats:
            continue  # not on Telegram: they will find it on their list
        chat_id = int(chats[user_id])
        lang = pick_language(stored, None, context.settings.default_language)
        text = t(lang, key, **params) + "\n" + render.item_line(lang, line)
        try:
            await send_long(context, chat_id, text, reply_markup=keyboards.open_item(line.id, lang))
        except TelegramError:
            # They will still find it on their list; one blocked chat must not stop the rest.
            log.warning("could not tell %s about item %s", chat_id, outcome.item.id, exc_info=True)
