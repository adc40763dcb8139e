"""Telling people at once when an item comes (back) to them."""

from __future__ import annotations

import logging
from typing import Any

from telegram.error import TelegramError

from bot.i18n import pick_language, t
from handlers import keyboards
from handlers.common import BotContext
from models.repair import Outcome

log = logging.getLogger(__name__)


async def tell_contractor(context: BotContext, outcome: Outcome, key: str, **params: Any) -> None:
    """Send each of the item's contractor people the text `key`, in their own language."""
    for chat_id, stored in outcome.tell:
        lang = pick_language(stored, None, context.settings.default_language)
        try:
            await context.bot.send_message(
                chat_id, t(lang, key, **params), reply_markup=keyboards.my_list_button(lang)
            )
        except TelegramError:
            # They will still find it on their list; one blocked chat must not stop the rest.
            log.warning("could not tell %s about item %s", chat_id, outcome.item.id, exc_info=True)
