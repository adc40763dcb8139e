"""/new's item being entered: its draft and step, what carries over, and its summary.

The item being entered is the dialogue's draft (models/dialogue.py), its step the question
asked; what carries over to the next item (project, flat, date, sheet, how many entered) is
kept in the dialogue's memory, so an entry survives a restart and works on every platform.
"""

from __future__ import annotations

import json
from datetime import date
from typing import Any

from handlers import intake_keyboards as kb
from handlers.core import Ask
from handlers.render import short
from handlers.steps import Step
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
# In the draft: the field being corrected from the summary, whose step returns to it.
CORRECTING = "fix"
# In the draft: the code typed that fits several flats, whose pages of them are turned.
UNIT_TYPED, UNIT_TYPED_MAX = "unit_typed", 60
# In the draft: screens with Confirm pressed away from (left), and those no longer current.
LEAVING, STALE = "leaving", "stale"
STALE_KEPT = 20
# In the draft: the item as its latest summary showed it; a Cancel after that goes back to it.
SHOWN = "shown"
SUMMARY_DESCRIPTION = 600


def draft_of(ask: Ask) -> dict[str, Any]:
    """Return the item being entered."""
    return ask.dialogue.draft


def last_of(ask: Ask) -> dict[str, Any]:
    """Return what carries over from one item to the next."""
    return ask.dialogue.memory.setdefault(LAST, {})


def step_to(ask: Ask, step: Step) -> None:
    """Ask the question of this step next."""
    ask.dialogue.step = step


def correcting(draft: dict[str, Any]) -> bool:
    """Return whether this step was reopened from the summary (then it goes back there)."""
    return draft.pop(CORRECTING, None) is not None


async def today_of(ask: Ask) -> date:
    """Return today in the project's time zone."""
    return await ask.call(project_today, project_id=draft_of(ask)["project"])


def leave(ask: Ask) -> None:
    """Note the screen pressed (a summary, the Change… menu): its Confirm ends with it."""
    if ask.incoming.screen is not None:
        draft_of(ask).setdefault(LEAVING, []).append(ask.incoming.screen)


async def show_summary(ask: Ask, chosen: int | None = None) -> None:
    """Show the item as it would be entered, with the contractor it would go to."""
    draft = draft_of(ask)
    draft.pop(CORRECTING, None)
    preview = await ask.call(
        preview_item,
        user_id=ask.user_id,
        project_id=draft["project"],
        unit_code=draft["unit"],
        category_code=draft["category"],
        contractor_id=chosen or draft.get("chosen"),
    )
    # Kept only once the preview accepted it: a forged contractor changes nothing.
    draft["chosen"] = chosen or draft.get("chosen")
    draft["contractor"] = preview.contractor.id if preview.contractor else None
    # A new summary: the Confirm of those left before it may show another contractor.
    left = draft.get(STALE, []) + draft.pop(LEAVING, [])
    draft[STALE] = left[-STALE_KEPT:]
    draft[SHOWN] = _as_shown(draft)
    step_to(ask, SUMMARY)
    markup = kb.summary(ask.lang, has_contractor=preview.contractor is not None)
    ask.show(_summary_text(ask, preview), markup)


def _as_shown(draft: dict[str, Any]) -> dict[str, Any]:
    """Return the item's fields of the draft (not the screens' bookkeeping), as a copy."""
    kept = {k: v for k, v in draft.items() if k not in (SHOWN, LEAVING, STALE, CORRECTING)}
    return json.loads(json.dumps(kept))


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
        location=esc(draft["location"]),
        category=esc(category),
        description=esc(short(draft["description"], SUMMARY_DESCRIPTION)),
        photos=ask.t("intake.photos_n", n=len(draft["photos"]))
        if draft["photos"]
        else ask.t("intake.no_photos"),
        raised=draft["raised"],
        sheet=esc(draft.get("sheet") or ask.t("intake.no_sheet")),
        contractor=contractor,
    )
