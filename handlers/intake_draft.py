"""/new's item being entered: its draft and step, what carries over, and its summary.

The item being entered is the dialogue's draft (models/dialogue.py), its step the question
asked; what carries over to the next item (project, flat, date, sheet, how many entered) is
kept in the dialogue's memory, so an entry survives a restart and works on every platform.
"""

from __future__ import annotations

from datetime import date
from typing import Any

from handlers import intake_keyboards as kb
from handlers.core import Ask
from handlers.render import short
from handlers.steps import Entry, Step
from handlers.text import esc
from models.intake import Preview, preview_item
from models.project import project_today

# The dialogue steps of /new (one per question asked).
PROJECT, UNIT, LOCATION = Step.new_project, Step.new_unit, Step.new_location
CATEGORY, DESCRIPTION, PHOTOS = Step.new_category, Step.new_description, Step.new_photos
DATE, SHEET, SUMMARY = Step.new_date, Step.new_sheet, Step.new_summary
CONTRACTOR, FIX = Step.new_contractor, Step.new_fix
STEPS = (PROJECT, UNIT, LOCATION, CATEGORY, DESCRIPTION, PHOTOS, DATE, SHEET, SUMMARY, CONTRACTOR)
STEPS += (FIX,)
# The dialogue's memory key of what carries over from one item to the next.
LAST = "intake"
# The draft is an Entry (handlers/steps.py): the item's answers and its screens' bookkeeping.
UNIT_TYPED_MAX = 60  # the code typed that fits several flats, kept to turn their pages
STALE_KEPT = 20  # summaries no longer current, whose Confirm is refused
SUMMARY_DESCRIPTION = 600


def draft_of(ask: Ask) -> Entry:
    """Return the item being entered."""
    if not isinstance(ask.dialogue.draft, Entry):  # /new's first question: nothing yet
        ask.dialogue.draft = Entry.from_json(ask.dialogue.draft)  # type: ignore[assignment]
    return ask.dialogue.draft


def last_of(ask: Ask) -> dict[str, Any]:
    """Return what carries over from one item to the next."""
    return ask.dialogue.memory.setdefault(LAST, {})


def step_to(ask: Ask, step: Step) -> None:
    """Ask the question of this step next."""
    ask.dialogue.step = step


def correcting(draft: Entry) -> bool:
    """Return whether this step was reopened from the summary (then it goes back there)."""
    fixing, draft.fix = draft.fix, None
    return fixing is not None


async def today_of(ask: Ask) -> date:
    """Return today in the project's time zone."""
    return await ask.call(project_today, project_id=draft_of(ask).project)


def leave(ask: Ask) -> None:
    """Note the screen pressed (a summary, the Change… menu): its Confirm ends with it."""
    if ask.incoming.screen is not None:
        draft_of(ask).leaving.append(ask.incoming.screen)


async def show_summary(ask: Ask, chosen: int | None = None) -> None:
    """Show the item as it would be entered, with the contractor it would go to."""
    draft = draft_of(ask)
    draft.fix = None
    preview = await ask.call(
        preview_item,
        user_id=ask.user_id,
        project_id=draft.project,
        unit_code=draft.unit,
        category_code=draft.category,
        contractor_id=chosen or draft.chosen,
    )
    # Kept only once the preview accepted it: a forged contractor changes nothing.
    draft.chosen = chosen or draft.chosen
    draft.contractor = preview.contractor.id if preview.contractor else None
    # A new summary: the Confirm of those left before it may show another contractor.
    left, draft.leaving = draft.stale + draft.leaving, []
    draft.stale = left[-STALE_KEPT:]
    draft.shown = draft.as_shown()
    step_to(ask, SUMMARY)
    markup = kb.summary(ask.lang, has_contractor=preview.contractor is not None)
    ask.show(_summary_text(ask, preview), markup)


def _summary_text(ask: Ask, preview: Preview) -> str:
    draft = draft_of(ask)
    category = preview.category.name_zh if ask.lang == "zh" else preview.category.name_en
    if preview.contractor is None:
        contractor = ask.t("intake.no_rule", category=esc(category), building=preview.building)
    else:
        key = "intake.by_rule" if preview.by_rule else "intake.by_you"
        contractor = ask.t(key, name=esc(preview.contractor.name))
    return ask.t(
        "intake.summary",
        unit=esc(preview.unit_code),
        location=esc(draft.location),
        category=esc(category),
        description=esc(short(draft.description, SUMMARY_DESCRIPTION)),
        photos=ask.t("intake.photos_n", n=len(draft.photos))
        if draft.photos
        else ask.t("intake.no_photos"),
        raised=draft.raised,
        sheet=esc(draft.sheet or ask.t("intake.no_sheet")),
        contractor=contractor,
    )
