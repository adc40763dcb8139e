"""Inspector: the to-check list, pass an item, or fail it with a reason and photos."""

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
from handlers.common import BotContext, esc, refuse
from handlers.photos import answer_due, save_photo, send_album
from handlers.tell import tell_contractor
from models.errors import DomainError
from models.people import CHECKERS
from models.queries import item_card, to_check_list
from models.repair import MOVES, PhotoIn, act, check_move
from models.tables import Action, ItemState

FAIL_REASON, FAIL_PHOTOS = range(10, 12)
PHOTO = filters.PHOTO | filters.Document.IMAGE
TEXT = filters.TEXT & ~filters.COMMAND
TIMEOUT = 30 * 60


async def to_check(update: Update, context: BotContext) -> None:
    """Show the items reported repaired, grouped by building and floor."""
    context.require(*CHECKERS)
    page = await context.call(to_check_list, telegram_id=update.effective_user.id)
    await update.message.reply_text(
        render.to_check(context.lang, page), reply_markup=keyboards.to_check(page, context.lang)
    )


async def to_check_page(update: Update, context: BotContext) -> None:
    """Show another page of the to-check list in the same message."""
    query = update.callback_query
    await query.answer()
    page = await context.call(
        to_check_list, telegram_id=update.effective_user.id, page=int(context.matches[0][1])
    )
    await query.edit_message_text(
        render.to_check(context.lang, page), reply_markup=keyboards.to_check(page, context.lang)
    )


async def check_item(update: Update, context: BotContext) -> None:
    """Show the contractor's photos and note, with Pass and Fail."""
    query = update.callback_query
    await query.answer()
    card = await context.call(
        item_card, telegram_id=update.effective_user.id, item_id=int(context.matches[0][1])
    )
    report = card.last_report
    if report is not None and card.line.state is ItemState.repaired:
        await send_album(context, update.effective_chat.id, list(report.photos))
    actionable = card.line.state in MOVES[Action.pass_].sources
    await context.bot.send_message(
        update.effective_chat.id,
        render.card(context.lang, card),
        reply_markup=keyboards.inspector_card(card.line.id, context.lang, actionable=actionable),
    )


async def pass_item(update: Update, context: BotContext) -> None:
    """Pass the item: it is closed."""
    query = update.callback_query
    await query.answer()
    item_id = int(context.matches[0][1])
    await context.call(
        act, telegram_id=update.effective_user.id, item_id=item_id, action=Action.pass_
    )
    await query.edit_message_text(
        context.t("check.passed", id=item_id),
        reply_markup=keyboards.to_check_button(context.lang),
    )


async def start_fail(update: Update, context: BotContext) -> int:
    """Ask why the item fails acceptance."""
    query = update.callback_query
    await query.answer()
    item_id = int(context.matches[0][1])
    item = await context.call(
        check_move, telegram_id=update.effective_user.id, item_id=item_id, action=Action.fail
    )
    context.user_data["fail"] = {"item": item_id, "version": item.version, "photos": []}
    await query.message.reply_text(
        context.t("fail.ask_reason", id=item_id), reply_markup=keyboards.cancel_only(context.lang)
    )
    return FAIL_REASON


async def fail_reason(update: Update, context: BotContext) -> int:
    """Take the reason; then photos of the defect may follow."""
    context.user_data["fail"]["reason"] = update.message.text
    await update.message.reply_text(
        context.t("fail.ask_photos"), reply_markup=keyboards.finish(context.lang, can_finish=True)
    )
    return FAIL_PHOTOS


async def fail_photo(update: Update, context: BotContext) -> int:
    """Keep a photo of the defect; its caption can be the reason."""
    draft = context.user_data["fail"]
    draft["photos"].append(await save_photo(context, update.message))
    if update.message.caption and not draft.get("reason"):
        draft["reason"] = update.message.caption
    key = "fail.photo_saved" if draft.get("reason") else "fail.still_need_reason"
    can_finish = bool(draft.get("reason"))
    if answer_due(draft, update.message):
        await update.message.reply_text(
            context.t(key, n=len(draft["photos"])),
            reply_markup=keyboards.finish(context.lang, can_finish=can_finish),
        )
    return FAIL_PHOTOS if can_finish else FAIL_REASON


async def fail_done(update: Update, context: BotContext) -> int:
    """Fail the item: it goes back to its contractor as rework, who is told now."""
    await update.callback_query.answer()
    draft = context.user_data.pop("fail", None)
    if draft is None:
        return ConversationHandler.END
    try:
        outcome = await context.call(
            act,
            telegram_id=update.effective_user.id,
            item_id=draft["item"],
            action=Action.fail,
            note=draft.get("reason"),
            photos=[PhotoIn(**p) for p in draft["photos"]],
            expected_version=draft["version"],
        )
    except DomainError as error:
        await refuse(update, context, error)
        return ConversationHandler.END
    await context.bot.send_message(
        update.effective_chat.id,
        context.t("fail.done", id=draft["item"]),
        reply_markup=keyboards.to_check_button(context.lang),
    )
    await tell_contractor(
        context, outcome, "notify.rework", id=outcome.item.id, reason=esc(draft["reason"])
    )
    return ConversationHandler.END


async def cancel(update: Update, context: BotContext) -> int:
    """Drop the failing; nothing changes."""
    if update.callback_query:
        await update.callback_query.answer()
    context.user_data.pop("fail", None)
    await context.bot.send_message(update.effective_chat.id, context.t("common.cancelled"))
    return ConversationHandler.END


def register(app: Application) -> None:
    """Add the inspector handlers."""
    app.add_handler(CommandHandler("tocheck", to_check))
    app.add_handler(CallbackQueryHandler(to_check_page, pattern=keyboards.TO_CHECK))
    app.add_handler(CallbackQueryHandler(check_item, pattern=keyboards.CHECK_ITEM))
    app.add_handler(CallbackQueryHandler(pass_item, pattern=keyboards.PASS))
    app.add_handler(
        ConversationHandler(
            entry_points=[CallbackQueryHandler(start_fail, pattern=keyboards.FAIL)],
            states={
                FAIL_REASON: [MessageHandler(TEXT, fail_reason), MessageHandler(PHOTO, fail_photo)],
                FAIL_PHOTOS: [
                    MessageHandler(PHOTO, fail_photo),
                    CallbackQueryHandler(fail_done, pattern=keyboards.DONE),
                ],
            },
            fallbacks=[
                CallbackQueryHandler(cancel, pattern=keyboards.CANCEL),
                CommandHandler("cancel", cancel),
            ],
            allow_reentry=True,
            conversation_timeout=TIMEOUT,
            name="inspector_fail",
            persistent=True,
        )
    )
