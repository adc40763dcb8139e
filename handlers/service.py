"""Customer service: a flat's live record, finding a flat, an item's history, owner summary."""

from __future__ import annotations

from telegram import InlineKeyboardButton as Button
from telegram import InlineKeyboardMarkup as Markup
from telegram import Update
from telegram.ext import Application, CallbackQueryHandler, CommandHandler

from handlers import render
from handlers.common import BotContext, esc, send_long
from handlers.photos import send_album
from models.service import Flat, FlatHit, find_flats, flat_by_id, item_history, look_up_flat

FLAT = r"^un:(\d{1,12})$"
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


def _flat_choices(context: BotContext, hits: tuple[FlatHit, ...] | list[FlatHit]) -> Markup:
    return Markup(
        [
            [
                Button(
                    context.t("btn.flat", code=h.code, owner=h.owner_name or ""),
                    callback_data=f"un:{h.unit_id}",
                )
            ]
            for h in hits
        ]
    )


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
    found = await context.call(look_up_flat, telegram_id=update.effective_user.id, text=text)
    if found.flat is not None:
        await _show_flat(update, context, found.flat)
    elif found.suggestions:
        await update.message.reply_text(
            context.t("service.no_flat_near", text=esc(text)),
            reply_markup=_flat_choices(context, found.suggestions),
        )
    else:
        await update.message.reply_text(context.t("service.no_flat", text=esc(text)))


async def flat_button(update: Update, context: BotContext) -> None:
    """Show the flat a suggestion or search button names."""
    await update.callback_query.answer()
    record = await context.call(
        flat_by_id, telegram_id=update.effective_user.id, unit_id=int(context.matches[0][1])
    )
    await _show_flat(update, context, record)


async def find(update: Update, context: BotContext) -> None:
    """Find a flat by owner name, phone (or its last 4 digits) or sheet number."""
    text = " ".join(context.args)
    if not text:
        await update.message.reply_text(context.t("service.find_usage"))
        return
    hits = await context.call(find_flats, telegram_id=update.effective_user.id, text=text)
    if not hits:
        await update.message.reply_text(context.t("service.found_none", text=esc(text)))
    elif len(hits) == 1:
        record = await context.call(
            flat_by_id, telegram_id=update.effective_user.id, unit_id=hits[0].unit_id, kind="find"
        )
        await _show_flat(update, context, record)
    else:
        await update.message.reply_text(
            context.t("service.found_many", n=len(hits)), reply_markup=_flat_choices(context, hits)
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
    card = await context.call(item_history, telegram_id=update.effective_user.id, item_id=item_id)
    await send_album(context, update.effective_chat.id, [p for e in card.events for p in e.photos])
    await send_long(
        context,
        update.effective_chat.id,
        render.card(context.lang, card),
    )


async def owner_summary(update: Update, context: BotContext) -> None:
    """Write the summary staff can forward or read to the owner, in the chosen language."""
    await update.callback_query.answer()
    unit_id, lang = int(context.matches[0][1]), context.matches[0][2]
    record = await context.call(
        flat_by_id, telegram_id=update.effective_user.id, unit_id=unit_id, kind="summary"
    )
    await send_long(context, update.effective_chat.id, render.owner_summary(lang, record))


def register(app: Application) -> None:
    """Add the customer-service handlers."""
    app.add_handler(CommandHandler("unit", unit))
    app.add_handler(CommandHandler("find", find))
    app.add_handler(CommandHandler("item", item))
    app.add_handler(CallbackQueryHandler(flat_button, pattern=FLAT))
    app.add_handler(CallbackQueryHandler(history_button, pattern=HISTORY))
    app.add_handler(CallbackQueryHandler(owner_summary, pattern=OWNER_SUMMARY))
