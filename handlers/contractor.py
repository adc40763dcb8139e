"""Contractor: my list, an item's card, report it repaired with photos and notes, or dispute it."""

from __future__ import annotations

from telegram import InlineKeyboardMarkup, Update
from telegram.ext import (
    Application,
    CallbackQueryHandler,
    CommandHandler,
    ConversationHandler,
    MessageHandler,
    TypeHandler,
    filters,
)

from handlers import drafts, keyboards, lists, render
from handlers.common import BotContext, refusal, refuse, send_long
from handlers.photos import answer_due, save_photo, send_album
from models.errors import DomainError
from models.limits import check_note
from models.queries import contractor_list, item_card
from models.repair import MOVES, PhotoIn, act, check_move_line
from models.tables import Action, Role

REPAIR_PHOTO, REPAIR_NOTE, DISPUTE_REASON = range(3)
PHOTO = filters.PHOTO | filters.Document.IMAGE
TEXT = filters.TEXT & ~filters.COMMAND
TIMEOUT = 30 * 60


async def my_list(update: Update, context: BotContext) -> None:
    """Show the first page of my items to repair, oldest first (/mylist 3: building 3 only)."""
    context.require(Role.contractor)
    building = lists.building_arg(context)
    page = await context.call(contractor_list, user_id=context.person.id, building=building)
    lists.remember(context, "ml", page)
    await update.message.reply_text(
        render.my_list(context.lang, page), reply_markup=keyboards.my_list(page, context.lang)
    )


async def my_list_page(update: Update, context: BotContext) -> None:
    """Show another page of my list in the same message."""
    query = update.callback_query
    await query.answer()
    number, building = lists.pressed_view(context, "ml")
    page = await context.call(
        contractor_list, user_id=context.person.id, page=number, building=building
    )
    lists.remember(context, "ml", page)
    await query.edit_message_text(
        render.my_list(context.lang, page), reply_markup=keyboards.my_list(page, context.lang)
    )


async def open_item(update: Update, context: BotContext) -> None:
    """Show an item's card with its photos and the Repaired / Not ours buttons."""
    query = update.callback_query
    await query.answer()
    card = await context.call(
        item_card, user_id=context.person.id, item_id=int(context.matches[0][1])
    )
    photos = [p for e in card.events for p in e.photos]
    await send_album(context, update.effective_chat.id, photos)
    actionable = card.line.state in MOVES[Action.report_repaired].sources
    await send_long(
        context,
        update.effective_chat.id,
        render.card(context.lang, card),
        reply_markup=keyboards.contractor_card(card.line.id, context.lang, actionable=actionable),
    )


async def start_repair(update: Update, context: BotContext) -> int:
    """Ask for photos and a note of the repair of this item, until Done."""
    query = update.callback_query
    await query.answer()
    line = await context.call(
        check_move_line,
        user_id=context.person.id,
        item_id=int(context.matches[0][1]),
        action=Action.report_repaired,
    )
    draft, resumed = drafts.start(context, "repair", line, photos=[])
    key = "report.resumed" if resumed else "repair.ask_photo"
    await query.message.reply_text(
        context.t(key, item=drafts.label(draft)), reply_markup=_repair_keys(context, draft)
    )
    return _repair_state(context, draft)


def _complete(context: BotContext, draft: dict) -> bool:
    return bool(draft["photos"]) or not context.settings.require_repair_photo


def _repair_state(context: BotContext, draft: dict) -> int:
    return REPAIR_NOTE if _complete(context, draft) else REPAIR_PHOTO


def _repair_keys(context: BotContext, draft: dict) -> InlineKeyboardMarkup:
    if draft["photos"] or drafts.note(draft):
        return keyboards.finish(context.lang, draft["item"], can_finish=_complete(context, draft))
    may_skip = not context.settings.require_repair_photo
    return keyboards.photo_step(context.lang, draft["item"], may_skip=may_skip)


async def repair_photo(update: Update, context: BotContext) -> int:
    """Keep a photo of the repair, and its caption with the other notes; wait for Done."""
    draft = context.user_data.get("repair")
    if draft is None:
        return await drafts.gone(update, context)
    drafts.add_note(draft, update.message.caption)  # too long: refused before anything is kept
    draft["photos"].append(await save_photo(context, update.message))
    album = update.message.media_group_id is not None
    if answer_due(draft, update.message):  # an album is answered once
        await update.message.reply_text(
            context.t(
                "repair.album_saved" if album else "repair.photo_saved",
                n=len(draft["photos"]),
                item=drafts.label(draft),
            ),
            reply_markup=_repair_keys(context, draft),
        )
    return REPAIR_NOTE


async def repair_note(update: Update, context: BotContext) -> int:
    """Keep a typed note with the others; ask for a photo while a required one is missing."""
    draft = context.user_data.get("repair")
    if draft is None:
        return await drafts.gone(update, context)
    drafts.add_note(draft, update.message.text)
    key = "repair.note_saved" if _complete(context, draft) else "repair.still_need_photo"
    await update.message.reply_text(
        context.t(key, item=drafts.label(draft)), reply_markup=_repair_keys(context, draft)
    )
    return _repair_state(context, draft)


async def repair_done(update: Update, context: BotContext) -> int:
    """Report the repair with every photo and note sent (Done, or Skip when photos are optional)."""
    query = update.callback_query
    draft = context.user_data.get("repair")
    if draft is None:
        return await drafts.gone(update, context)
    if not _complete(context, draft):
        await query.answer(context.t("error.photo_required"), show_alert=True)
        return REPAIR_PHOTO
    await query.answer()
    context.user_data.pop("repair", None)
    try:
        outcome = await context.call(
            act,
            user_id=context.person.id,
            item_id=draft["item"],
            action=Action.report_repaired,
            note=drafts.note(draft),
            photos=[PhotoIn(**p) for p in draft["photos"]],
            require_photo=context.settings.require_repair_photo,
            expected_version=draft["version"],
        )
    except DomainError as error:
        await refuse(update, context, error)  # the Done button's alert, or a message
        return ConversationHandler.END
    await context.bot.send_message(
        update.effective_chat.id,
        context.t("repair.done", item=drafts.label(draft), left=outcome.remaining_for_contractor),
        reply_markup=keyboards.my_list_button(context.lang),
    )
    return ConversationHandler.END


async def start_dispute(update: Update, context: BotContext) -> int:
    """Ask why this item is not ours."""
    query = update.callback_query
    await query.answer()
    line = await context.call(
        check_move_line,
        user_id=context.person.id,
        item_id=int(context.matches[0][1]),
        action=Action.dispute,
    )
    draft, resumed = drafts.start(context, "dispute", line)
    await query.message.reply_text(
        context.t("report.resumed" if resumed else "dispute.ask_reason", item=drafts.label(draft)),
        reply_markup=keyboards.cancel_only(context.lang, draft["item"]),
    )
    return DISPUTE_REASON


async def dispute_reason(update: Update, context: BotContext) -> int:
    """Record the dispute with its reason; the project department settles it."""
    check_note(update.message.text)  # too long: refused, and the reason can be typed again
    draft = context.user_data.pop("dispute", None)
    if draft is None:
        return await drafts.gone(update, context)
    try:
        await context.call(
            act,
            user_id=context.person.id,
            item_id=draft["item"],
            action=Action.dispute,
            note=update.message.text,
            expected_version=draft["version"],
        )
    except DomainError as error:
        await update.message.reply_text(refusal(context, error))
        return ConversationHandler.END
    await update.message.reply_text(context.t("dispute.done", item=drafts.label(draft)))
    return ConversationHandler.END


def register(app: Application) -> None:
    """Add the contractor handlers."""
    app.add_handler(CommandHandler("mylist", my_list))
    app.add_handler(CallbackQueryHandler(my_list_page, pattern=keyboards.MY_LIST))
    app.add_handler(CallbackQueryHandler(open_item, pattern=keyboards.OPEN_ITEM))
    steps = [
        MessageHandler(PHOTO, repair_photo),
        MessageHandler(TEXT, repair_note),
        CallbackQueryHandler(repair_done, pattern=keyboards.DONE),
        CallbackQueryHandler(repair_done, pattern=keyboards.SKIP),
    ]
    app.add_handler(
        drafts.ReportConversation(
            entry_points=[
                CallbackQueryHandler(start_repair, pattern=keyboards.REPAIRED),
                CallbackQueryHandler(start_dispute, pattern=keyboards.DISPUTE),
            ],
            # Photos and notes in any order until Done; the state says whether Done may finish.
            states={
                REPAIR_PHOTO: steps,
                REPAIR_NOTE: steps,
                DISPUTE_REASON: [MessageHandler(TEXT, dispute_reason)],
                ConversationHandler.TIMEOUT: [TypeHandler(Update, drafts.timed_out)],
            },
            fallbacks=[
                CallbackQueryHandler(drafts.cancel, pattern=keyboards.CANCEL),
                CommandHandler("cancel", drafts.cancel),
            ],
            allow_reentry=True,
            conversation_timeout=TIMEOUT,
            name="contractor_report",
            persistent=True,
        )
    )
