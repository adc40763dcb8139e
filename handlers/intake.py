"""Clerk: /new's summary, its corrections, Confirm and the next item; and /new's routes.

The questions of /new are in handlers/intake_steps.py, the item being entered (the draft, what
carries over, the summary) in handlers/intake_draft.py.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from datetime import date
from typing import Any

from handlers import intake_buttons as b
from handlers import intake_keyboards as kb
from handlers import intake_steps as entry
from handlers.core import Ask, Router
from handlers.intake_draft import (
    CATEGORY,
    CONTRACTOR,
    DATE,
    DESCRIPTION,
    FIX,
    LOCATION,
    PHOTOS,
    PROJECT,
    SHEET,
    STEPS,
    SUMMARY,
    UNIT,
    draft_of,
    last_of,
    leave,
    show_summary,
    step_to,
)
from handlers.steps import Entry
from handlers.text import esc
from models.intake import Entered, enter_item, project_contractors
from models.repair import PhotoIn


async def change_date(ask: Ask) -> None:
    """Ask the date and the sheet again, from a summary sent before the Change… menu."""
    leave(ask)
    await entry.ask_date(ask)


async def other_contractor(ask: Ask) -> None:
    """List the project's contractors to choose from."""
    leave(ask)
    await _ask_contractor(ask)


async def _ask_contractor(ask: Ask) -> None:
    found = await ask.call(
        project_contractors, user_id=ask.user_id, project_id=draft_of(ask).project
    )
    step_to(ask, CONTRACTOR)
    ask.show(ask.t("intake.choose_contractor"), kb.contractors(found, ask.lang))


async def contractor_chosen(ask: Ask) -> None:
    """Override the assignment rule with the contractor pressed; show the summary again."""
    await show_summary(ask, chosen=ask.pressed.contractor_id)


async def correct(ask: Ask) -> None:
    """Offer every field of the summary to correct."""
    leave(ask)
    step_to(ask, FIX)
    ask.show(ask.t("intake.fix_what"), kb.fields(ask.lang))


async def correct_field(ask: Ask) -> None:
    """Ask the field pressed again; the summary comes back once it is answered."""
    leave(ask)
    field = ask.pressed.field
    draft_of(ask).fix = field
    await _ASK_AGAIN[field](ask)


async def back_to_summary(ask: Ask) -> None:
    """Show the summary again, nothing changed."""
    leave(ask)
    await show_summary(ask)


async def _ask_unit_again(ask: Ask) -> None:
    step_to(ask, UNIT)
    ask.show(ask.t("intake.ask_unit"), kb.cancel_only(ask.lang))


async def _ask_location_again(ask: Ask) -> None:
    entry.ask_location(ask, draft_of(ask).unit)


async def _ask_description_again(ask: Ask) -> None:
    step_to(ask, DESCRIPTION)
    ask.show(ask.t("intake.fix_description"), kb.cancel_only(ask.lang))


async def _ask_photos_again(ask: Ask) -> None:
    n = len(draft_of(ask).photos)
    step_to(ask, PHOTOS)
    if not n:
        ask.show(ask.t("intake.ask_photos"), kb.photos(ask.lang, any_sent=False))
    else:
        ask.show(ask.t("intake.fix_photos", n=n), kb.photos_kept(ask.lang))


_ASK_AGAIN: dict[str, Callable[[Ask], Awaitable[None]]] = {
    "unit": _ask_unit_again,
    "location": _ask_location_again,
    "category": entry.ask_category,
    "description": _ask_description_again,
    "photos": _ask_photos_again,  # Done (or Skip) goes back to the summary: the date is known
    "date": entry.ask_date,
    "sheet": entry.ask_sheet,  # every answer to it goes to the summary
    "contractor": _ask_contractor,  # so does the choice
}


async def confirm(ask: Ask) -> None:
    """Enter the item (once), remember its flat, date and sheet, and offer the next one."""
    draft = draft_of(ask)
    if ask.incoming.screen in draft.stale:
        # An older summary: it may show another contractor than the item would get.
        ask.answer(ask.t("error.stale_button"))
        return
    entered = await ask.call(enter_item, user_id=ask.user_id, **_item_fields(draft))
    _entered(ask, entered)


def _item_fields(draft: Entry) -> dict[str, Any]:
    return {
        "project_id": draft.project,
        "unit_code": draft.unit,
        "location": draft.location,
        "category_code": draft.category,
        "description": draft.description,
        "raised_on": date.fromisoformat(draft.raised or ""),
        "sheet_no": draft.sheet,
        "contractor_id": draft.contractor,
        "photos": [PhotoIn(**p) for p in draft.photos],
    }


def _entered(ask: Ask, entered: Entered) -> None:
    draft = ask.dialogue.end()
    last = last_of(ask)
    last.update(
        project=draft.project,
        unit=entered.unit_code,
        raised=draft.raised,
        sheet=draft.sheet,
        count=last.get("count", 0) + 1,
    )
    text = ask.t(
        "intake.entered",
        id=entered.item_id,
        unit=esc(entered.unit_code),
        location=esc(draft.location),
        contractor=esc(entered.contractor_name),
        count=last["count"],
    )
    ask.show(text, kb.after_entry(ask.lang))


async def next_same_unit(ask: Ask) -> None:
    """Enter another item of the same flat; its date and sheet carry over."""
    last = last_of(ask)
    if not last.get("unit"):
        await entry.new(ask)
        return
    draft = Entry(
        project=last["project"], unit=last["unit"], raised=last["raised"], sheet=last.get("sheet")
    )
    ask.dialogue.begin(LOCATION, draft)  # type: ignore[arg-type]  (JSON at the edge)
    entry.ask_location(ask, last["unit"])


async def next_unit(ask: Ask) -> None:
    """Enter an item of another flat in the same project."""
    project = last_of(ask).get("project")
    if project is None:
        await entry.new(ask)
        return
    await entry.ask_unit(ask, project, offer_same=False)


async def finish(ask: Ask) -> None:
    """End the run and say how many items were entered in it."""
    count = last_of(ask).pop("count", 0)
    ask.show(ask.t("intake.finished", count=count))


async def use_buttons(ask: Ask) -> None:
    """Point to the buttons when text comes where a press is expected; nothing changes."""
    ask.show(ask.t("intake.use_buttons"))


async def cancel(ask: Ask) -> None:
    """Drop the item being entered, or a correction of its summary: back to that summary."""
    draft = draft_of(ask)
    if ask.dialogue.step != SUMMARY and draft.shown is not None:
        # A correction given up (Change…, another contractor, the date): the item as it was.
        again = Entry.from_json({**draft.shown, "leaving": draft.leaving, "stale": draft.stale})
        ask.dialogue.draft = again  # type: ignore[assignment]  (JSON at the edge)
        await show_summary(ask)
        return
    ask.dialogue.end()  # nothing is recorded (the flat and sheet stay remembered)
    ask.show(ask.t("common.cancelled"))


def routes(router: Router) -> None:
    """Route /new, its choices step by step, and what is typed or sent at each step."""
    router.command("new", entry.new)
    router.press(b.NewNextSameUnit, next_same_unit)
    router.press(b.NewNextUnit, next_unit)
    router.press(b.NewFinish, finish)
    # A press of /new means something only in its steps: elsewhere it is an old screen's.
    router.press(b.NewCancel, cancel, steps=STEPS)
    router.press(b.NewProject, entry.project_chosen, steps=(PROJECT,))
    router.press(b.NewUnit, entry.unit_pressed, steps=(UNIT,))
    router.press(b.NewUnitPage, entry.unit_page, steps=(UNIT,))
    router.press(b.NewSameUnit, entry.same_unit, steps=(UNIT,))
    router.press(b.NewRoom, entry.room_pressed, steps=(LOCATION,))
    router.press(b.NewCategory, entry.category_pressed, steps=(CATEGORY,))
    router.press(b.NewPhotosDone, entry.photos_done, steps=(PHOTOS,))
    router.press(b.NewClearPhotos, entry.photos_clear, steps=(PHOTOS,))
    router.press(b.NewToday, entry.date_today, steps=(DATE,))
    router.press(b.NewYesterday, entry.date_yesterday, steps=(DATE,))
    router.press(b.NewDateYes, entry.date_confirmed, steps=(DATE,))
    router.press(b.NewDateAgain, entry.date_again, steps=(DATE,))
    router.press(b.NewSameDate, entry.date_same, steps=(DATE,))
    router.press(b.NewSameSheet, entry.sheet_same, steps=(SHEET,))
    router.press(b.NewNoSheet, entry.sheet_none, steps=(SHEET,))
    # The Change… menu keeps Confirm: the summary above is still what would be entered.
    router.press(b.NewConfirm, confirm, steps=(SUMMARY, FIX))
    router.press(b.NewOtherContractor, other_contractor, steps=(SUMMARY,))
    router.press(b.NewCorrect, correct, steps=(SUMMARY,))
    router.press(b.NewChangeDate, change_date, steps=(SUMMARY,))
    router.press(b.NewField, correct_field, steps=(FIX,))
    router.press(b.NewBackToSummary, back_to_summary, steps=(FIX,))
    router.press(b.NewContractor, contractor_chosen, steps=(CONTRACTOR,))
    router.step(UNIT, text=entry.unit_typed)
    router.step(LOCATION, text=entry.location_typed)
    router.step(CATEGORY, text=entry.category_typed)
    router.step(DESCRIPTION, text=entry.description_typed, photo=entry.photo_received)
    router.step(PHOTOS, text=use_buttons, photo=entry.photo_received)
    router.step(DATE, text=entry.date_typed)
    router.step(SHEET, text=entry.sheet_typed)
    for step in (PROJECT, SUMMARY, FIX, CONTRACTOR):
        router.step(step, text=use_buttons)
    for step in STEPS:  # a typed /cancel means what the Cancel button means
        router.step(step, cancel=cancel)
