"""Clerk: /new enters one inspection-sheet item in a few taps, remembering the flat and sheet."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from datetime import date
from typing import Any

from telegram import InlineKeyboardMarkup, Update
from telegram.ext import (
    Application,
    CallbackQueryHandler,
    CommandHandler,
    ConversationHandler,
    MessageHandler,
    filters,
)

from handlers import intake_keyboards as kb
from handlers.common import BotContext, esc
from handlers.legacy_tg import answer_due_tg as answer_due
from handlers.legacy_tg import save_photo_tg as save_photo
from handlers.render import short
from models.intake import (
    Entered,
    Preview,
    check_description,
    check_location,
    check_sheet_no,
    check_unit,
    choose_project,
    enter_item,
    intake_categories,
    intake_projects,
    parse_date,
    pick_category,
    preview_item,
    project_contractors,
)
from models.project import project_today
from models.repair import PhotoIn

PROJECT, UNIT, LOCATION, CATEGORY, DESCRIPTION = range(20, 25)
PHOTOS, DATE, SHEET, SUMMARY, CONTRACTOR = range(25, 30)
FIX = 30
PHOTO = filters.PHOTO | filters.Document.IMAGE
TEXT = filters.TEXT & ~filters.COMMAND
TIMEOUT = 30 * 60
# user_data keys (plain JSON values only: they are stored in the database): the item being
# entered, and what carries over to the next one (project, flat, date, sheet, how many entered).
DRAFT, LAST = "intake", "intake_last"
# In the draft: the field being corrected from the summary, whose step returns to it.
CORRECTING = "fix"
SUMMARY_DESCRIPTION = 600


def _draft(context: BotContext) -> dict[str, Any]:
    return context.user_data[DRAFT]


def _last(context: BotContext) -> dict[str, Any]:
    return context.user_data.setdefault(LAST, {})


def _correcting(draft: dict[str, Any]) -> bool:
    """Return whether this step was reopened from the summary (then it goes back there)."""
    return draft.pop(CORRECTING, None) is not None


async def _today(context: BotContext) -> date:
    return await context.call(project_today, project_id=_draft(context)["project"])


async def _say(
    update: Update, context: BotContext, text: str, markup: InlineKeyboardMarkup | None = None
) -> int:
    message = await context.bot.send_message(update.effective_chat.id, text, reply_markup=markup)
    return message.message_id


async def new(update: Update, context: BotContext) -> int:
    """Start entering an item: pick the project if there are several, then ask the flat."""
    projects = await context.call(intake_projects, user_id=context.person.id)
    _last(context)["count"] = 0
    if len(projects) == 1:
        return await _ask_unit(update, context, projects[0].id)
    markup = kb.projects(projects, context.lang)
    await _say(update, context, context.t("intake.ask_project"), markup)
    return PROJECT


async def project_chosen(update: Update, context: BotContext) -> int:
    """Enter items in the project pressed."""
    await update.callback_query.answer()
    project = await context.call(
        choose_project, user_id=context.person.id, project_id=int(context.matches[0][1])
    )
    return await _ask_unit(update, context, project.id)


async def _ask_unit(
    update: Update, context: BotContext, project_id: int, *, offer_same: bool = True
) -> int:
    last = _last(context)
    context.user_data[DRAFT] = {"project": project_id, "photos": []}
    same = last.get("unit") if offer_same and last.get("project") == project_id else None
    await _say(update, context, context.t("intake.ask_unit"), kb.ask_unit(context.lang, same))
    return UNIT


async def unit_typed(update: Update, context: BotContext) -> int:
    """Take the flat typed; a near miss gets the nearest flats as buttons."""
    return await _take_unit(update, context, update.message.text)


async def unit_pressed(update: Update, context: BotContext) -> int:
    """Take the flat pressed among the suggestions."""
    await update.callback_query.answer()
    return await _take_unit(update, context, context.matches[0][1])


async def same_unit(update: Update, context: BotContext) -> int:
    """Take the flat of the previous item."""
    await update.callback_query.answer()
    return await _take_unit(update, context, _last(context).get("unit", ""))


async def _take_unit(update: Update, context: BotContext, text: str) -> int:
    draft = _draft(context)
    match = await context.call(
        check_unit, user_id=context.person.id, project_id=draft["project"], text=text
    )
    if match.choices:
        # A short code of several flats (3#1202: 3-1-1202 and 3-2-1202): never pick one.
        which = context.t("intake.which_unit", unit=esc(text.strip()[:30]), n=len(match.choices))
        await _say(update, context, which, kb.suggestions(match.choices, context.lang))
        return UNIT
    if match.code is None:
        lines = [context.t("intake.no_unit", unit=esc(text.strip()[:30]))]
        lines.append(
            context.t("intake.did_you_mean" if match.suggestions else "intake.retype_unit")
        )
        markup = kb.suggestions(match.suggestions, context.lang)
        await _say(update, context, "\n".join(lines), markup)
        return UNIT
    draft["unit"] = match.code
    if _correcting(draft):
        return await _summary(update, context)
    return await _ask_location(update, context, match.code)


async def _ask_location(update: Update, context: BotContext, unit: str) -> int:
    text = context.t("intake.ask_location", unit=esc(unit))
    await _say(update, context, text, kb.rooms(context.lang))
    return LOCATION


async def room_pressed(update: Update, context: BotContext) -> int:
    """Take a common room as the location, named in the clerk's language."""
    await update.callback_query.answer()
    return await _take_location(update, context, context.t(f"intake.room.{context.matches[0][1]}"))


async def location_typed(update: Update, context: BotContext) -> int:
    """Take a typed location (whatever the sheet says: 主卧飘窗, kitchen ceiling...)."""
    return await _take_location(update, context, check_location(update.message.text))


async def _take_location(update: Update, context: BotContext, location: str) -> int:
    draft = _draft(context)
    draft["location"] = location
    if _correcting(draft):
        return await _summary(update, context)
    return await _ask_category(update, context)


async def _ask_category(update: Update, context: BotContext) -> int:
    choices = await context.call(
        intake_categories,
        user_id=context.person.id,
        project_id=_draft(context)["project"],
    )
    markup = kb.categories(choices, context.lang)
    await _say(update, context, context.t("intake.ask_category"), markup)
    return CATEGORY


async def category_pressed(update: Update, context: BotContext) -> int:
    """Take the category pressed."""
    await update.callback_query.answer()
    return await _take_category(update, context, category_id=int(context.matches[0][1]))


async def category_typed(update: Update, context: BotContext) -> int:
    """Take a category typed by its code or its name in either language."""
    return await _take_category(update, context, text=update.message.text)


async def _take_category(update: Update, context: BotContext, **which: Any) -> int:
    draft = _draft(context)
    category = await context.call(
        pick_category, user_id=context.person.id, project_id=draft["project"], **which
    )
    draft["category"] = category.code
    if _correcting(draft):
        return await _summary(update, context)
    markup = kb.cancel_only(context.lang)
    await _say(update, context, context.t("intake.ask_description"), markup)
    return DESCRIPTION


async def description_typed(update: Update, context: BotContext) -> int:
    """Take the description; photos may follow."""
    draft = _draft(context)
    draft["description"] = check_description(update.message.text)
    if _correcting(draft):
        return await _summary(update, context)
    markup = kb.photos(context.lang, any_sent=bool(draft["photos"]))
    await _say(update, context, context.t("intake.ask_photos"), markup)
    return PHOTOS


async def photo_received(update: Update, context: BotContext) -> int:
    """Keep a photo of the defect; its caption is the description when there is none yet."""
    draft = _draft(context)
    caption = (update.message.caption or "").strip()
    # The caption is the description when there is none yet; too long, refused before any keeping.
    description = check_description(caption) if caption and not draft.get("description") else None
    draft["photos"].append(await save_photo(context, update.message))
    if description:
        draft["description"] = description
    n = len(draft["photos"])
    if not answer_due(draft, update.message):
        return PHOTOS if draft.get("description") else DESCRIPTION
    if not draft.get("description"):
        markup = kb.cancel_only(context.lang)
        await _say(update, context, context.t("intake.need_description", n=n), markup)
        return DESCRIPTION
    markup = kb.photos(context.lang, any_sent=True)
    await _say(update, context, context.t("intake.photo_saved", n=n), markup)
    return PHOTOS


async def photos_done(update: Update, context: BotContext) -> int:
    """Go on to the date, or to the summary when the flat's date and sheet carry over."""
    await update.callback_query.answer()
    if "raised" in _draft(context):
        return await _summary(update, context)
    return await _ask_date(update, context)


async def photos_clear(update: Update, context: BotContext) -> int:
    """Drop the photos taken so far; new ones may follow."""
    await update.callback_query.answer()
    _draft(context)["photos"] = []
    markup = kb.photos(context.lang, any_sent=False)
    await _say(update, context, context.t("intake.photos_cleared"), markup)
    return PHOTOS


async def change_date(update: Update, context: BotContext) -> int:
    """Ask the date and the sheet again, from a summary sent before the Change… menu."""
    await update.callback_query.answer()
    return await _ask_date(update, context)


async def _ask_date(update: Update, context: BotContext) -> int:
    markup = kb.ask_date(
        context.lang, (await _today(context)).isoformat(), _last(context).get("raised")
    )
    await _say(update, context, context.t("intake.ask_date"), markup)
    return DATE


async def date_today(update: Update, context: BotContext) -> int:
    """Take today (in the project's time zone) as the raised date."""
    await update.callback_query.answer()
    return await _take_date(update, context, await _today(context))


async def date_same(update: Update, context: BotContext) -> int:
    """Take the raised date of the previous item."""
    await update.callback_query.answer()
    last = _last(context).get("raised")
    return await _take_date(
        update, context, date.fromisoformat(last) if last else await _today(context)
    )


async def date_typed(update: Update, context: BotContext) -> int:
    """Take a typed date: 2026-11-20, 11-20, 20261120, 11月20日."""
    raised = parse_date(update.message.text, today=await _today(context))
    return await _take_date(update, context, raised)


async def _take_date(update: Update, context: BotContext, raised: date) -> int:
    draft = _draft(context)
    draft["raised"] = raised.isoformat()
    if _correcting(draft):
        return await _summary(update, context)
    return await _ask_sheet(update, context)


async def _ask_sheet(update: Update, context: BotContext) -> int:
    draft, last = _draft(context), _last(context)
    same = last.get("sheet") if last.get("project") == draft["project"] else None
    await _say(update, context, context.t("intake.ask_sheet"), kb.ask_sheet(context.lang, same))
    return SHEET


async def sheet_typed(update: Update, context: BotContext) -> int:
    """Take the sheet number typed."""
    _draft(context)["sheet"] = check_sheet_no(update.message.text)
    return await _summary(update, context)


async def sheet_same(update: Update, context: BotContext) -> int:
    """Take the sheet number of the previous item (a sheet has many items)."""
    await update.callback_query.answer()
    _draft(context)["sheet"] = _last(context).get("sheet")
    return await _summary(update, context)


async def sheet_none(update: Update, context: BotContext) -> int:
    """Enter the item without a sheet number."""
    await update.callback_query.answer()
    _draft(context)["sheet"] = None
    return await _summary(update, context)


async def _summary(update: Update, context: BotContext, chosen: int | None = None) -> int:
    draft = _draft(context)
    draft.pop(CORRECTING, None)
    preview = await context.call(
        preview_item,
        user_id=context.person.id,
        project_id=draft["project"],
        unit_code=draft["unit"],
        category_code=draft["category"],
        contractor_id=chosen or draft.get("chosen"),
    )
    # Kept only once the preview accepted it: a forged contractor changes nothing.
    draft["chosen"] = chosen or draft.get("chosen")
    draft["contractor"] = preview.contractor.id if preview.contractor else None
    markup = kb.summary(context.lang, has_contractor=preview.contractor is not None)
    draft["summary_message"] = await _say(update, context, _summary_text(context, preview), markup)
    return SUMMARY


def _summary_text(context: BotContext, preview: Preview) -> str:
    draft = _draft(context)
    category = preview.category.name_zh if context.lang == "zh" else preview.category.name_en
    if preview.contractor is None:
        contractor = context.t("intake.no_rule", category=esc(category), building=preview.building)
    else:
        key = "intake.by_rule" if preview.by_rule else "intake.by_you"
        contractor = context.t(key, name=esc(preview.contractor.name))
    return context.t(
        "intake.summary",
        unit=esc(preview.unit_code),
        location=esc(draft["location"]),
        category=esc(category),
        description=esc(short(draft["description"], SUMMARY_DESCRIPTION)),
        photos=context.t("intake.photos_n", n=len(draft["photos"]))
        if draft["photos"]
        else context.t("intake.no_photos"),
        raised=draft["raised"],
        sheet=esc(draft.get("sheet") or context.t("intake.no_sheet")),
        contractor=contractor,
    )


async def other_contractor(update: Update, context: BotContext) -> int:
    """List the project's contractors to choose from."""
    await update.callback_query.answer()
    return await _ask_contractor(update, context)


async def _ask_contractor(update: Update, context: BotContext) -> int:
    choices = await context.call(
        project_contractors,
        user_id=context.person.id,
        project_id=_draft(context)["project"],
    )
    markup = kb.contractors(choices, context.lang)
    await _say(update, context, context.t("intake.choose_contractor"), markup)
    return CONTRACTOR


async def contractor_chosen(update: Update, context: BotContext) -> int:
    """Override the assignment rule with the contractor pressed; show the summary again."""
    await update.callback_query.answer()
    return await _summary(update, context, chosen=int(context.matches[0][1]))


async def correct(update: Update, context: BotContext) -> int:
    """Offer every field of the summary to correct."""
    await update.callback_query.answer()
    await _say(update, context, context.t("intake.fix_what"), kb.fields(context.lang))
    return FIX


async def correct_field(update: Update, context: BotContext) -> int:
    """Ask the field pressed again; the summary comes back once it is answered."""
    await update.callback_query.answer()
    field = context.matches[0][1]
    _draft(context)[CORRECTING] = field
    return await _ASK_AGAIN[field](update, context)


async def back_to_summary(update: Update, context: BotContext) -> int:
    """Show the summary again, nothing changed."""
    await update.callback_query.answer()
    return await _summary(update, context)


async def _ask_unit_again(update: Update, context: BotContext) -> int:
    await _say(update, context, context.t("intake.ask_unit"), kb.cancel_only(context.lang))
    return UNIT


async def _ask_location_again(update: Update, context: BotContext) -> int:
    return await _ask_location(update, context, _draft(context)["unit"])


async def _ask_description_again(update: Update, context: BotContext) -> int:
    markup = kb.cancel_only(context.lang)
    await _say(update, context, context.t("intake.fix_description"), markup)
    return DESCRIPTION


async def _ask_photos_again(update: Update, context: BotContext) -> int:
    n = len(_draft(context)["photos"])
    if not n:
        markup = kb.photos(context.lang, any_sent=False)
        await _say(update, context, context.t("intake.ask_photos"), markup)
    else:
        markup = kb.photos_kept(context.lang)
        await _say(update, context, context.t("intake.fix_photos", n=n), markup)
    return PHOTOS


_ASK_AGAIN: dict[str, Callable[[Update, BotContext], Awaitable[int]]] = {
    "unit": _ask_unit_again,
    "location": _ask_location_again,
    "category": _ask_category,
    "description": _ask_description_again,
    "photos": _ask_photos_again,  # Done (or Skip) goes back to the summary: the date is known
    "date": _ask_date,
    "sheet": _ask_sheet,  # every answer to it goes to the summary
    "contractor": _ask_contractor,  # so does the choice
}


async def confirm(update: Update, context: BotContext) -> int | None:
    """Enter the item (once), remember its flat, date and sheet, and offer the next one."""
    query = update.callback_query
    draft = _draft(context)
    if query.message.message_id != draft.get("summary_message"):
        # An older summary: it may show another contractor than the item would get.
        await query.answer(context.t("error.stale_button"), show_alert=True)
        return None
    await query.answer()
    entered = await context.call(enter_item, user_id=context.person.id, **_item_fields(draft))
    await _entered(update, context, entered)
    return ConversationHandler.END


def _item_fields(draft: dict[str, Any]) -> dict[str, Any]:
    return {
        "project_id": draft["project"],
        "unit_code": draft["unit"],
        "location": draft["location"],
        "category_code": draft["category"],
        "description": draft["description"],
        "raised_on": date.fromisoformat(draft["raised"]),
        "sheet_no": draft.get("sheet"),
        "contractor_id": draft["contractor"],
        "photos": [PhotoIn(**p) for p in draft["photos"]],
    }


async def _entered(update: Update, context: BotContext, entered: Entered) -> None:
    draft = context.user_data.pop(DRAFT)
    last = _last(context)
    last.update(
        project=draft["project"],
        unit=entered.unit_code,
        raised=draft["raised"],
        sheet=draft.get("sheet"),
        count=last.get("count", 0) + 1,
    )
    text = context.t(
        "intake.entered",
        id=entered.item_id,
        unit=esc(entered.unit_code),
        location=esc(draft["location"]),
        contractor=esc(entered.contractor_name),
        count=last["count"],
    )
    await _say(update, context, text, kb.after_entry(context.lang))


async def next_same_unit(update: Update, context: BotContext) -> int:
    """Enter another item of the same flat; its date and sheet carry over."""
    await update.callback_query.answer()
    last = _last(context)
    if not last.get("unit"):
        return await new(update, context)
    context.user_data[DRAFT] = {
        "project": last["project"],
        "unit": last["unit"],
        "raised": last["raised"],
        "sheet": last.get("sheet"),
        "photos": [],
    }
    return await _ask_location(update, context, last["unit"])


async def next_unit(update: Update, context: BotContext) -> int:
    """Enter an item of another flat in the same project."""
    await update.callback_query.answer()
    project = _last(context).get("project")
    if project is None:
        return await new(update, context)
    return await _ask_unit(update, context, project, offer_same=False)


async def finish(update: Update, context: BotContext) -> None:
    """End the run and say how many items were entered in it."""
    await update.callback_query.answer()
    count = _last(context).pop("count", 0)
    await _say(update, context, context.t("intake.finished", count=count))


async def use_buttons(update: Update, context: BotContext) -> None:
    """Point to the buttons when text comes where a press is expected; nothing changes."""
    await update.message.reply_text(context.t("intake.use_buttons"))


async def cancel(update: Update, context: BotContext) -> int:
    """Drop the item being entered; nothing is recorded (the flat and sheet stay remembered)."""
    if update.callback_query:
        await update.callback_query.answer()
    context.user_data.pop(DRAFT, None)
    await _say(update, context, context.t("common.cancelled"))
    return ConversationHandler.END


def _button(callback: Any, pattern: str) -> CallbackQueryHandler:
    return CallbackQueryHandler(callback, pattern=pattern)


def register(app: Application) -> None:
    """Add the /new conversation and its Finish button."""
    hint = MessageHandler(TEXT, use_buttons)
    states = {
        PROJECT: [_button(project_chosen, kb.PROJECT), hint],
        UNIT: [
            MessageHandler(TEXT, unit_typed),
            _button(unit_pressed, kb.UNIT),
            _button(same_unit, kb.SAME_UNIT),
        ],
        LOCATION: [_button(room_pressed, kb.ROOM), MessageHandler(TEXT, location_typed)],
        CATEGORY: [_button(category_pressed, kb.CATEGORY), MessageHandler(TEXT, category_typed)],
        DESCRIPTION: [
            MessageHandler(TEXT, description_typed),
            MessageHandler(PHOTO, photo_received),
        ],
        PHOTOS: [
            MessageHandler(PHOTO, photo_received),
            _button(photos_done, kb.PHOTOS_DONE),
            _button(photos_clear, kb.CLEAR_PHOTOS),
            hint,
        ],
        DATE: [
            _button(date_today, kb.TODAY),
            _button(date_same, kb.SAME_DATE),
            MessageHandler(TEXT, date_typed),
        ],
        SHEET: [
            _button(sheet_same, kb.SAME_SHEET),
            _button(sheet_none, kb.NO_SHEET),
            MessageHandler(TEXT, sheet_typed),
        ],
        SUMMARY: [
            _button(confirm, kb.CONFIRM),
            _button(other_contractor, kb.OTHER_CONTRACTOR),
            _button(correct, kb.CORRECT),
            _button(change_date, kb.CHANGE_DATE),
            hint,
        ],
        FIX: [
            _button(correct_field, kb.FIELD),
            _button(confirm, kb.CONFIRM),  # the summary above is still what would be entered
            _button(back_to_summary, kb.BACK_TO_SUMMARY),
            hint,
        ],
        CONTRACTOR: [_button(contractor_chosen, kb.CONTRACTOR), hint],
    }
    app.add_handler(
        ConversationHandler(
            entry_points=[
                CommandHandler("new", new),
                _button(next_same_unit, kb.NEXT_SAME_UNIT),
                _button(next_unit, kb.NEXT_UNIT),
            ],
            states=states,
            fallbacks=[_button(cancel, kb.CANCEL), CommandHandler("cancel", cancel)],
            allow_reentry=True,
            conversation_timeout=TIMEOUT,
            name="intake_new",
            persistent=True,
        )
    )
    app.add_handler(CallbackQueryHandler(finish, pattern=kb.FINISH))
