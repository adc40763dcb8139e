"""Inspector: the to-check list, pass an item, or fail it with a reason and photos."""

from __future__ import annotations

from telegram import Update
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
from handlers.common import BotContext, esc, refuse, send_long
from handlers.photos import answer_due, save_photo, send_album
from handlers.tell import tell_contractor
from models.errors import DomainError
from models.people import CHECKERS
from models.queries import item_card, to_check_list
from models.repair import MOVES, PhotoIn, act, check_move_line
from models.tables import Action, ItemState

FAIL_REASON, FAIL_PHOTOS = range(10, 12)
PHOTO = filters.PHOTO | filters.Document.IMAGE
TEXT = filters.TEXT & ~filters.COMMAND
TIMEOUT = 30 * 60


async def to_check(update: Update, context: BotContext) -> None:
    """Show the items reported repaired in walking order (/tocheck 3: building 3 only)."""
    context.require(*CHECKERS)
    building = lists.building_arg(context)
    page = await context.call(to_check_list, user_id=context.person.id, building=building)
    lists.remember(context, "tc", page)
    await update.message.reply_text(
        render.to_check(context.lang, page), reply_markup=keyboards.to_check(page, context.lang)
    )


async def to_check_page(update: Update, context: BotContext) -> None:
    """Show another page of the to-check list in the same message."""
    query = update.callback_query
    await query.answer()
    number, building = lists.pressed_view(context, "tc")
    page = await context.call(
        to_check_list, user_id=context.person.id, page=number, building=building
    )
    lists.remember(context, "tc", page)
    await query.edit_message_text(
        render.to_check(context.lang, page), reply_markup=keyboards.to_check(page, context.lang)
    )


async def check_item(update: Update, context: BotContext) -> None:
    """Show the contractor's photos and note, with Pass and Fail."""
    query = update.callback_query
    await query.answer()
    card = await context.call(
        item_card, user_id=context.person.id, item_id=int(context.matches[0][1])
    )
    report = card.last_report
    if report is not None and card.line.state is ItemState.repaired:
        await send_album(context, update.effective_chat.id, list(report.photos))
    actionable = card.line.state in MOVES[Action.pass_].sources
    await send_long(
        context,
        update.effective_chat.id,
        render.card(context.lang, card),
        reply_markup=keyboards.inspector_card(card.line.id, context.lang, actionable=actionable),
    )


async def pass_item(update: Update, context: BotContext) -> None:
    """Pass the item: it is closed; the to-check list comes back on the page it was on."""
    query = update.callback_query
    await query.answer()
    item_id = int(context.matches[0][1])
    await context.call(act, user_id=context.person.id, item_id=item_id, action=Action.pass_)
    number, building = context.user_data.get(lists.VIEWS, {}).get("tc", (0, None))
    page = await context.call(
        to_check_list, user_id=context.person.id, page=number, building=building
    )
    lists.remember(context, "tc", page)
    passed = context.t("check.passed", id=item_id)
    await query.edit_message_text(
        f"{passed}\n\n{render.to_check(context.lang, page)}",
        reply_markup=keyboards.to_check(page, context.lang),
    )


async def start_fail(update: Update, context: BotContext) -> int:
    """Ask why the item fails acceptance; photos may follow, until Done."""
    query = update.callback_query
    await query.answer()
    line = await context.call(
        check_move_line,
        user_id=context.person.id,
        item_id=int(context.matches[0][1]),
        action=Action.fail,
    )
    draft, resumed = drafts.start(context, "fail", line, photos=[])
    await query.message.reply_text(
        context.t("report.resumed" if resumed else "fail.ask_reason", item=drafts.label(draft)),
        reply_markup=keyboards.finish(context.lang, draft["item"], can_finish=_complete(draft)),
    )
    return _fail_state(draft)


def _complete(draft: dict) -> bool:
    return drafts.note(draft) is not None


def _fail_state(draft: dict) -> int:
    return FAIL_PHOTOS if _complete(draft) else FAIL_REASON


async def fail_reason(update: Update, context: BotContext) -> int:
    """Keep a typed reason with the others; photos of the defect may follow."""
    draft = context.user_data.get("fail")
    if draft is None:
        return await drafts.gone(update, context)
    drafts.add_note(draft, update.message.text)
    await update.message.reply_text(
        context.t("fail.ask_photos", item=drafts.label(draft)),
        reply_markup=keyboards.finish(context.lang, draft["item"], can_finish=True),
    )
    return FAIL_PHOTOS


async def fail_photo(update: Update, context: BotContext) -> int:
    """Keep a photo of the defect, and its caption with the reason."""
    draft = context.user_data.get("fail")
    if draft is None:
        return await drafts.gone(update, context)
    drafts.add_note(draft, update.message.caption)  # too long: refused before anything is kept
    draft["photos"].append(await save_photo(context, update.message))
    key = "fail.photo_saved" if _complete(draft) else "fail.still_need_reason"
    if answer_due(draft, update.message):  # an album is answered once
        await update.message.reply_text(
            context.t(key, n=len(draft["photos"]), item=drafts.label(draft)),
            reply_markup=keyboards.finish(context.lang, draft["item"], can_finish=_complete(draft)),
        )
    return _fail_state(draft)


async def fail_done(update: Update, context: BotContext) -> int:
    """Fail the item: it goes back to its contractor as rework, who is told now."""
    query = update.callback_query
    draft = context.user_data.get("fail")
    if draft is None:
        return await drafts.gone(update, context)
    if not _complete(draft):
        await query.answer(context.t("fail.reason_required"), show_alert=True)
        return FAIL_REASON
    await query.answer()
    context.user_data.pop("fail", None)
    reason = drafts.note(draft)
    try:
        outcome = await context.call(
            act,
            user_id=context.person.id,
            item_id=draft["item"],
            action=Action.fail,
            note=reason,
            photos=[PhotoIn(**p) for p in draft["photos"]],
            expected_version=draft["version"],
        )
    except DomainError as error:
        await refuse(update, context, error)
        return ConversationHandler.END
    await context.bot.send_message(
        update.effective_chat.id,
        context.t("fail.done", item=drafts.label(draft)),
        reply_markup=keyboards.to_check_button(context.lang),
    )
    await tell_contractor(context, outcome, "notify.rework", id=outcome.item.id, reason=esc(reason))
    return ConversationHandler.END


def register(app: Application) -> None:
    """Add the inspector handlers."""
    app.add_handler(CommandHandler("tocheck", to_check))
    app.add_handler(CallbackQueryHandler(to_check_page, pattern=keyboards.TO_CHECK))
    app.add_handler(CallbackQueryHandler(check_item, pattern=keyboards.CHECK_ITEM))
    app.add_handler(CallbackQueryHandler(pass_item, pattern=keyboards.PASS))
    steps = [
        MessageHandler(TEXT, fail_reason),
        MessageHandler(PHOTO, fail_photo),
        CallbackQueryHandler(fail_done, pattern=keyboards.DONE),
    ]
    app.add_handler(
        drafts.ReportConversation(
            entry_points=[CallbackQueryHandler(start_fail, pattern=keyboards.FAIL)],
            # Reason texts and photos in any order until Done; the state says if Done may finish.
            states={
                FAIL_REASON: steps,
                FAIL_PHOTOS: steps,
                ConversationHandler.TIMEOUT: [TypeHandler(Update, drafts.timed_out)],
            },
            fallbacks=[
                CallbackQueryHandler(drafts.cancel, pattern=keyboards.CANCEL),
                CommandHandler("cancel", drafts.cancel),
            ],
            allow_reentry=True,
            conversation_timeout=TIMEOUT,
            name="inspector_fail",
            persistent=True,
        )
    )
