"""Customer service: a flat's live record, finding a flat, an item's history, owner summary."""

from __future__ import annotations

from telegram import InlineKeyboardButton as Button
from telegram import InlineKeyboardMarkup as Markup
from telegram import Update
from telegram.ext import Application, CallbackQueryHandler, CommandHandler

from handlers import render
from handlers.common import BotContext, quoted, send_long
from handlers.legacy_tg import send_album
from models.service import (
    Flat,
    FlatHit,
    FoundFlats,
    find_flats,
    find_page,
    flat_by_id,
    item_history,
    look_up_flat,
)

FLAT = r"^un:(\d{1,12})$"
FIND_TURN = r"^fd:(\d{1,12}):(\d{1,6})$"
HISTORY = r"^hi:(\d{1,12})$"
OWNER_SUMMARY = r"^os:(\d{1,12}):(zh|en)$"
HISTORY_BUTTONS = 8


def _flat_keyboard(context: BotContext, record: Flat) -> Markup:
    live = [x for x in record.open + record.awaiting][:HISTORY_BUTTONS]
    rows = [
        [
            Button(context.t("btn.owner_summary_zh"), callback_data=f"os:{record.unit_id}:zh"),
            Button(context.t("btn.owner_summary_en"), callback_data=f"os:{record.unit_id}:en"),
        ]
    ]
    buttons = [Button(context.t("btn.history", id=x.id), callback_data=f"hi:{x.id}") for x in live]
    rows += [buttons[i : i + 4] for i in range(0, len(buttons), 4)]
    return Markup(rows)


def _flat_label(context: BotContext, hit: FlatHit) -> str:
    if hit.project:
        return context.t("btn.flat_in", code=hit.code, project=hit.project)
    return context.t("btn.flat", code=hit.code, owner=hit.owner_name or "").strip()


def _flat_choices(context: BotContext, hits: tuple[FlatHit, ...] | list[FlatHit]) -> Markup:
    return Markup(
        [[Button(_flat_label(context, h), callback_data=f"un:{h.unit_id}")] for h in hits]
    )


def _found_text(context: BotContext, found: FoundFlats) -> str:
    if found.pages == 1:
        return context.t("service.found_many", n=found.total)
    return context.t("service.found_page", n=found.total, page=found.page + 1, pages=found.pages)


def _found_keyboard(context: BotContext, found: FoundFlats) -> Markup:
    rows = list(_flat_choices(context, found.hits).inline_keyboard)
    turn = []
    if found.page > 0:
        data = f"fd:{found.search_id}:{found.page - 1}"
        turn.append(Button(context.t("btn.prev"), callback_data=data))
    if found.page + 1 < found.pages:
        data = f"fd:{found.search_id}:{found.page + 1}"
        turn.append(Button(context.t("btn.next"), callback_data=data))
    return Markup([*rows, turn] if turn else rows)


async def _show_flat(update: Update, context: BotContext, record: Flat) -> None:
    await send_long(
        context,
        update.effective_chat.id,
        render.flat(context.lang, record),
        reply_markup=_flat_keyboard(context, record),
    )


async def unit(update: Update, context: BotContext) -> None:
    """Show every item of a flat: /unit 3-1-1202 (any common form of the code)."""
    text = " ".join(context.args)
    if not text:
        await update.message.reply_text(context.t("service.unit_usage"))
        return
    found = await context.call(look_up_flat, user_id=context.person.id, text=text)
    if found.flat is not None:
        await _show_flat(update, context, found.flat)
    elif found.choices:
        await update.message.reply_text(
            context.t("service.which_flat", text=quoted(text), n=len(found.choices)),
            reply_markup=_flat_choices(context, found.choices),
        )
    elif found.suggestions:
        await update.message.reply_text(
            context.t("service.no_flat_near", text=quoted(text)),
            reply_markup=_flat_choices(context, found.suggestions),
        )
    else:
        await update.message.reply_text(context.t("service.no_flat", text=quoted(text)))


async def flat_button(update: Update, context: BotContext) -> None:
    """Show the flat a choice, suggestion or search button names."""
    record = await context.call(
        flat_by_id, user_id=context.person.id, unit_id=int(context.matches[0][1])
    )
    await update.callback_query.answer()
    await _show_flat(update, context, record)


async def find(update: Update, context: BotContext) -> None:
    """Find a flat by owner name, phone (or its last 4 digits) or sheet number."""
    text = " ".join(context.args)
    if not text:
        await update.message.reply_text(context.t("service.find_usage"))
        return
    found = await context.call(find_flats, user_id=context.person.id, text=text)
    if not found.total:
        await update.message.reply_text(context.t("service.found_none", text=quoted(text)))
    elif found.total == 1:
        record = await context.call(
            flat_by_id,
            user_id=context.person.id,
            unit_id=found.hits[0].unit_id,
            kind="find",
        )
        await _show_flat(update, context, record)
    else:
        await update.message.reply_text(
            _found_text(context, found), reply_markup=_found_keyboard(context, found)
        )


async def find_turn(update: Update, context: BotContext) -> None:
    """Turn the page of a search's flats."""
    search_id, page = (int(x) for x in context.matches[0].groups())
    found = await context.call(find_page, user_id=context.person.id, search_id=search_id, page=page)
    await update.callback_query.answer()
    await update.callback_query.edit_message_text(
        _found_text(context, found), reply_markup=_found_keyboard(context, found)
    )


async def item(update: Update, context: BotContext) -> None:
    """Show an item's whole history with its photos: /item 1042."""
    number = "".join(context.args).lstrip("#＃")
    if not number.isdecimal():  # isdigit() takes "²", which int() refuses
        await update.message.reply_text(context.t("service.item_usage"))
        return
    await _show_history(update, context, int(number))


async def history_button(update: Update, context: BotContext) -> None:
    """Show the history of the item a button names."""
    await update.callback_query.answer()
    await _show_history(update, context, int(context.matches[0][1]))


async def _show_history(update: Update, context: BotContext, item_id: int) -> None:
    card = await context.call(item_history, user_id=context.person.id, item_id=item_id)
    await send_album(context, update.effective_chat.id, [p for e in card.events for p in e.photos])
    await send_long(
        context,
        update.effective_chat.id,
        render.card(context.lang, card, full=True),
    )


async def owner_summary(update: Update, context: BotContext) -> None:
    """Write the summary staff can forward or read to the owner, in the chosen language."""
    await update.callback_query.answer()
    unit_id, lang = int(context.matches[0][1]), context.matches[0][2]
    record = await context.call(
        flat_by_id, user_id=context.person.id, unit_id=unit_id, kind="summary"
    )
    await send_long(context, update.effective_chat.id, render.owner_summary(lang, record))


def register(app: Application) -> None:
    """Add the customer-service handlers."""
    app.add_handler(CommandHandler("unit", unit))
    app.add_handler(CommandHandler("find", find))
    app.add_handler(CommandHandler("item", item))
    app.add_handler(CallbackQueryHandler(flat_button, pattern=FLAT))
    app.add_handler(CallbackQueryHandler(find_turn, pattern=FIND_TURN))
    app.add_handler(CallbackQueryHandler(history_button, pattern=HISTORY))
    app.add_handler(CallbackQueryHandler(owner_summary, pattern=OWNER_SUMMARY))
