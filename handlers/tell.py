"""Telling people at once when an item comes (back) to them."""

from __future__ import annotations

from typing import Any

from handlers import choices, render
from handlers.core import Ask
from handlers.i18n import pick_language, t
from handlers.screens import Notice
from handlers.text import esc
from models.queries import ItemLine, item_line
from models.repair import Outcome
from models.tables import ItemState


def contractor_notices(
    outcome: Outcome, line: ItemLine, key: str, default_language: str, **params: Any
) -> list[Notice]:
    """Return the text `key` and the item for each of the item's contractor people."""
    notices = []
    for user_id, stored in outcome.tell:
        lang = pick_language(stored, None, default_language)
        text = t(lang, key, **params) + "\n" + render.item_line(lang, line)
        notices.append(Notice(user_id, text, choices.open_item(line.id, lang), lang=lang))
    return notices


async def tell_contractor(ask: Ask, outcome: Outcome, key: str, **params: Any) -> None:
    """Tell each of the item's contractor people the text `key` and the item, now."""
    if not outcome.tell:
        return
    line = await ask.call(item_line, item_id=outcome.item.id)
    for notice in contractor_notices(outcome, line, key, ask.settings.default_language, **params):
        ask.notify(notice)


async def tell_reassigned(ask: Ask, outcome: Outcome) -> None:
    """Tell the new contractor's people the item is theirs, and the people of the contractor it
    was taken from that it is off their list (their dispute upheld, if they raised one), now."""
    line = await ask.call(item_line, item_id=outcome.item.id)
    default = ask.settings.default_language
    for notice in contractor_notices(outcome, line, "notify.reassigned", default, id=line.id):
        ask.notify(notice)
    disputed = outcome.event.from_state is ItemState.disputed
    key = "notify.dispute_upheld" if disputed else "notify.taken_off"
    for user_id, stored in outcome.tell_was:
        lang = pick_language(stored, None, default)
        text = t(lang, key, id=line.id, contractor=esc(line.contractor_name))
        text += "\n" + render.item_line(lang, line)
        ask.notify(Notice(user_id, text, choices.my_list_button(lang), lang=lang))
