"""Contractor: my list, an item's card, report it repaired with a photo, or dispute it."""

from __future__ import annotations

from telegram import Update
from telegram.ext import (
    Application,
    CallbackQueryHandler,
    CommandHandler,
    ConversationHandler,
    MessageHandler,
    filters,
)

from handlers import keyboards, render
from handlers.common import BotContext, refusal, refuse
from handlers.photos import answer_due, save_photo, send_album
from models.errors import DomainError
from models.queries import contractor_list, item_card
from models.repair import MOVES, PhotoIn, act, check_move
from models.tables import Action, Role

REPAIR_PHOTO, REPAIR_NOTE, DISPUTE_REASON = range(3)
PHOTO = filters.PHOTO | filters.Document.IMAGE
TEXT = filters.TEXT & ~filters.COMMAND
TIMEOUT = 30 * 60


async def my_list(update: Update, context: BotContext) -> None:
    """Show the first page of my items to repair, oldest first."""
    context.require(Role.contractor)
    page = await context.call(contractor_list, telegram_id=update.effective_user.id)
    await update.message.reply_text(
        render.my_list(context.lang, page), reply_markup=keyboards.my_list(page, context.lang)
    )


async def my_list_page(update: Update, context: BotContext) -> None:
    """Show another page of my list in the same message."""
    query = update.callback_query
    await query.answer()
    page = await context.call(
        contractor_list, telegram_id=update.effective_user.id, page=int(context.matches[0][1])
    )
    await query.edit_message_text(
        render.my_list(context.lang, page), reply_markup=keyboards.my_list(page, context.lang)
    )


async def open_item(update: Update, context: BotContext) -> None:
    """Show an item's card with its photos and the Repaired / Not ours buttons."""
    query = update.callback_query
    await query.answer()
    card = await context.call(
        item_card, telegram_id=update.effective_user.id, item_id=int(context.matches[0][1])
    )
    photos = [p for e in card.events for p in e.photos]
    await send_album(context, update.effective_chat.id, photos)
    actionable = card.line.state in MOVES[Action.report_repaired].sources
    await context.bot.send_message(
        update.effective_chat.id,
        render.card(context.lang, card),
        reply_markup=keyboards.contractor_card(card.line.id, context.lang, actionable=actionable),
    )


async def start_repair(update: Update, context: BotContext) -> int:
    """Ask for a photo of the repair of this item."""
    query = update.callback_query
    await query.answer()
    item_id = int(context.matches[0][1])
    item = await context.call(
        check_move,
        telegram_id=update.effective_user.id,
        item_id=item_id,
        action=Action.report_repaired,
    )
    context.user_data["repair"] = {"item": item_id, "version": item.version, "photos": []}
    may_skip = not context.settings.require_repair_photo
    await query.message.reply_text(
        context.t("repair.ask_photo", id=item_id),
        reply_markup=keyboards.photo_step(context.lang, may_skip=may_skip),
    )
    return REPAIR_PHOTO


async def repair_photo(update: Update, context: BotContext) -> int:
    """Keep a photo of the repair; a caption is the note and finishes a single-photo report."""
    draft = context.user_data["repair"]
    draft["photos"].append(await save_photo(context, update.message))
    if update.message.caption:
        draft["note"] = update.message.caption
    album = update.message.media_group_id is not None
    if draft.get("note") and not album:  # the rest of an album is still on its way
        return await _finish_repair(update, context)
    if answer_due(draft, update.message):
        await update.message.reply_text(
            context.t(
                "repair.album_saved" if album else "repair.photo_saved", n=len(draft["photos"])
            ),
            reply_markup=keyboards.finish(context.lang, can_finish=True),
        )
    return REPAIR_NOTE


async def repair_note(update: Update, context: BotContext) -> int:
    """Take a typed note; finish unless a required photo is still missing."""
    draft = context.user_data["repair"]
    draft["note"] = update.message.text
    if draft["photos"] or not context.settings.require_repair_photo:
        return await _finish_repair(update, context)
    await update.message.reply_text(
        context.t("repair.still_need_photo"), reply_markup=keyboards.cancel_only(context.lang)
    )
    return REPAIR_PHOTO


async def repair_done(update: Update, context: BotContext) -> int:
    """Finish the report with what was sent (Done, or Skip when photos are optional)."""
    await update.callback_query.answer()
    return await _finish_repair(update, context)


async def _finish_repair(update: Update, context: BotContext) -> int:
    draft = context.user_data.pop("repair", None)
    if draft is None:
        return ConversationHandler.END
    try:
        outcome = await context.call(
            act,
            telegram_id=update.effective_user.id,
            item_id=draft["item"],
            action=Action.report_repaired,
            note=draft.get("note"),
            photos=[PhotoIn(**p) for p in draft["photos"]],
            require_photo=context.settings.require_repair_photo,
            expected_version=draft["version"],
        )
    except DomainError as error:
        await refuse(update, context, error)  # the Done button's alert, or a message
        return ConversationHandler.END
    await context.bot.send_message(
        update.effective_chat.id,
        context.t("repair.done", id=draft["item"], left=outcome.remaining_for_contractor),
        reply_markup=keyboards.my_list_button(context.lang),
    )
    return ConversationHandler.END


async def start_dispute(update: Update, context: BotContext) -> int:
    """Ask why this item is not ours."""
    query = update.callback_query
    await query.answer()
    item_id = int(context.matches[0][1])
    item = await context.call(
        check_move, telegram_id=update.effective_user.id, item_id=item_id, action=Action.dispute
    )
    context.user_data["dispute"] = {"item": item_id, "version": item.version}
    await query.message.reply_text(
        context.t("dispute.ask_reason", id=item_id),
        reply_markup=keyboards.cancel_only(context.lang),
    )
    return DISPUTE_REASON


async def dispute_reason(update: Update, context: BotContext) -> int:
    """Record the dispute with its reason; the project department settles it."""
    draft = context.user_data.pop("dispute", None)
    if draft is None:
        return ConversationHandler.END
    try:
        await context.call(
            act,
            telegram_id=update.effective_user.id,
            item_id=draft["item"],
            action=Action.dispute,
            note=update.message.text,
            expected_version=draft["version"],
        )
    except DomainError as error:
        await update.message.reply_text(refusal(context, error))
        return ConversationHandler.END
    await update.message.reply_text(context.t("dispute.done", id=draft["item"]))
    return ConversationHandler.END


async def cancel(update: Update, context: BotContext) -> int:
    """Drop what was being reported; nothing changes."""
    if update.callback_query:
        await update.callback_query.answer()
    context.user_data.pop("repair", None)
    context.user_data.pop("dispute", None)
    await context.bot.send_message(update.effective_chat.id, context.t("common.cancelled"))
    return ConversationHandler.END


async def photo_needed(update: Update, context: BotContext) -> int:
    """Refuse Skip when a photo of the repair is required."""
    await update.callback_query.answer(context.t("error.photo_required"), show_alert=True)
    return REPAIR_PHOTO


def register(app: Application) -> None:
    """Add the contractor handlers."""
    app.add_handler(CommandHandler("mylist", my_list))
    app.add_handler(CallbackQueryHandler(my_list_page, pattern=keyboards.MY_LIST))
    app.add_handler(CallbackQueryHandler(open_item, pattern=keyboards.OPEN_ITEM))
    skip = repair_done if not app.bot_data["settings"].require_repair_photo else photo_needed
    cancel_handlers = [
        CallbackQueryHandler(cancel, pattern=keyboards.CANCEL),
        CommandHandler("cancel", cancel),
    ]
    app.add_handler(
        ConversationHandler(
            entry_points=[
                CallbackQueryHandler(start_repair, pattern=keyboards.REPAIRED),
                CallbackQueryHandler(start_dispute, pattern=keyboards.DISPUTE),
            ],
            states={
                REPAIR_PHOTO: [
                    MessageHandler(PHOTO, repair_photo),
                    MessageHandler(TEXT, repair_note),
                    CallbackQueryHandler(skip, pattern=keyboards.SKIP),
                ],
                REPAIR_NOTE: [
                    MessageHandler(PHOTO, repair_photo),
                    MessageHandler(TEXT, repair_note),
                    CallbackQueryHandler(repair_done, pattern=keyboards.DONE),
                ],
                DISPUTE_REASON: [MessageHandler(TEXT, dispute_reason)],
            },
            fallbacks=cancel_handlers,
            allow_reentry=True,
            conversation_timeout=TIMEOUT,
            name="contractor_report",
            persistent=True,
        )
    )
