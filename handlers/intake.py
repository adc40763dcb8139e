"""Clerk: /new enters one inspection-sheet item in a few taps, remembering the flat and sheet.

The item being entered is the dialogue's draft (models/dialogue.py), its step the question
asked; what carries over to the next item (project, flat, date, sheet, how many entered) is
kept in the dialogue's memory, so an entry survives a restart and works on every platform.
"""

from __future__ import annotations

import json
from collections.abc import Awaitable, Callable
from datetime import date, timedelta
from typing import Any

from handlers import drafts
from handlers import intake_keyboards as kb
from handlers.core import Ask, Flow, Router
from handlers.photos import keep_photo
from handlers.render import short
from handlers.text import esc
from models.errors import DomainError
from models.intake import (
    Entered,
    Preview,
    UnitMatch,
    check_description,
    check_location,
    check_sheet_no,
    check_unit,
    choose_project,
    enter_item,
    far_back,
    intake_categories,
    intake_projects,
    parse_date,
    pick_category,
    preview_item,
    project_contractors,
)
from models.project import project_today
from models.repair import PhotoIn

# The dialogue steps of /new (one per question asked).
PROJECT, UNIT, LOCATION, CATEGORY, DESCRIPTION = (
    "new:project",
    "new:unit",
    "new:location",
    "new:category",
    "new:description",
)
PHOTOS, DATE, SHEET, SUMMARY, CONTRACTOR = (
    "new:photos",
    "new:date",
    "new:sheet",
    "new:summary",
    "new:contractor",
)
FIX = "new:fix"
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


def _draft(ask: Ask) -> dict[str, Any]:
    return ask.dialogue.draft


def _last(ask: Ask) -> dict[str, Any]:
    return ask.dialogue.memory.setdefault(LAST, {})


def _at(ask: Ask, step: str) -> None:
    ask.dialogue.step = step


def _correcting(draft: dict[str, Any]) -> bool:
    """Return whether this step was reopened from the summary (then it goes back there)."""
    return draft.pop(CORRECTING, None) is not None


async def _today(ask: Ask) -> date:
    return await ask.call(project_today, project_id=_draft(ask)["project"])


async def new(ask: Ask) -> None:
    """Start entering an item: pick the project if there are several, then ask the flat."""
    projects = await ask.call(intake_projects, user_id=ask.user_id)
    _last(ask)["count"] = 0
    if len(projects) == 1:
        await _ask_unit(ask, projects[0].id)
        return
    ask.dialogue.begin(PROJECT, {})
    ask.show(ask.t("intake.ask_project"), kb.projects(projects, ask.lang))


async def project_chosen(ask: Ask) -> None:
    """Enter items in the project pressed."""
    project = await ask.call(choose_project, user_id=ask.user_id, project_id=int(ask.match[1]))
    await _ask_unit(ask, project.id)


async def _ask_unit(ask: Ask, project_id: int, *, offer_same: bool = True) -> None:
    last = _last(ask)
    ask.dialogue.begin(UNIT, {"project": project_id, "photos": []})
    same = last.get("unit") if offer_same and last.get("project") == project_id else None
    ask.show(ask.t("intake.ask_unit"), kb.ask_unit(ask.lang, same))


async def unit_typed(ask: Ask) -> None:
    """Take the flat typed; a near miss gets the nearest flats as buttons."""
    await _take_unit(ask, ask.incoming.text or "")


async def unit_pressed(ask: Ask) -> None:
    """Take the flat pressed among the suggestions."""
    await _take_unit(ask, ask.match[1])


async def same_unit(ask: Ask) -> None:
    """Take the flat of the previous item."""
    await _take_unit(ask, _last(ask).get("unit", ""))


async def unit_page(ask: Ask) -> None:
    """Show another page of the flats the code typed fits, in place of the page pressed."""
    draft = _draft(ask)
    text = draft.get(UNIT_TYPED, "")
    match = await ask.call(
        check_unit,
        user_id=ask.user_id,
        project_id=draft["project"],
        text=text,
        page=int(ask.match[1]),
    )
    if not match.choices:  # the flats changed since: the code is taken again as typed
        await _take_unit(ask, text)
        return
    _show_unit_choices(ask, text, match, replace=True)


async def _take_unit(ask: Ask, text: str) -> None:
    draft = _draft(ask)
    match = await ask.call(check_unit, user_id=ask.user_id, project_id=draft["project"], text=text)
    if match.choices:
        # A short code of several flats (3#1202: 3-1-1202 and 3-2-1202; 1202 alone: every
        # building's): never pick one.
        draft[UNIT_TYPED] = text.strip()[:UNIT_TYPED_MAX]
        _show_unit_choices(ask, text, match)
        return
    if match.code is None:
        lines = [ask.t("intake.no_unit", unit=esc(text.strip()[:30]))]
        lines.append(ask.t("intake.did_you_mean" if match.suggestions else "intake.retype_unit"))
        ask.show("\n".join(lines), kb.suggestions(match.suggestions, ask.lang))
        return
    draft["unit"] = match.code
    if _correcting(draft):
        await _summary(ask)
        return
    _ask_location(ask, match.code)


def _show_unit_choices(ask: Ask, text: str, match: UnitMatch, *, replace: bool = False) -> None:
    unit, n = esc(text.strip()[:30]), match.total
    if match.pages == 1:
        which = ask.t("intake.which_unit", unit=unit, n=n)
    else:
        page, pages = match.page + 1, match.pages
        which = ask.t("intake.which_unit_page", unit=unit, n=n, page=page, pages=pages)
    markup = kb.unit_choices(match.choices, match.page, match.pages, ask.lang)
    ask.show(which, markup, replace=replace)


def _ask_location(ask: Ask, unit: str) -> None:
    _at(ask, LOCATION)
    ask.show(ask.t("intake.ask_location", unit=esc(unit)), kb.rooms(ask.lang))


async def room_pressed(ask: Ask) -> None:
    """Take a common room as the location, named in the clerk's language."""
    await _take_location(ask, ask.t(f"intake.room.{ask.match[1]}"))


async def location_typed(ask: Ask) -> None:
    """Take a typed location (whatever the sheet says: 主卧飘窗, kitchen ceiling...)."""
    await _take_location(ask, check_location(ask.incoming.text or ""))


async def _take_location(ask: Ask, location: str) -> None:
    draft = _draft(ask)
    draft["location"] = location
    if _correcting(draft):
        await _summary(ask)
        return
    await _ask_category(ask)


async def _ask_category(ask: Ask) -> None:
    found = await ask.call(
        intake_categories, user_id=ask.user_id, project_id=_draft(ask)["project"]
    )
    _at(ask, CATEGORY)
    ask.show(ask.t("intake.ask_category"), kb.categories(found, ask.lang))


async def category_pressed(ask: Ask) -> None:
    """Take the category pressed."""
    await _take_category(ask, category_id=int(ask.match[1]))


async def category_typed(ask: Ask) -> None:
    """Take a category typed by its code or its name in either language; offer the plausible
    ones for another word (漏水: 渗漏), else every one again."""
    try:
        await _take_category(ask, text=ask.incoming.text or "")
    except DomainError as error:
        if error.key != "no_such_category":
            raise
        near = error.params.get("choices", ())
        if near:
            text = f"{ask.refusal(error)}\n{ask.t('intake.did_you_mean')}"
            ask.show(text, kb.categories(list(near), ask.lang))
            return
        found = await ask.call(
            intake_categories, user_id=ask.user_id, project_id=_draft(ask)["project"]
        )
        text = f"{ask.refusal(error)}\n{ask.t('intake.pick_category')}"
        ask.show(text, kb.categories(found, ask.lang))


async def _take_category(ask: Ask, **which: Any) -> None:
    draft = _draft(ask)
    category = await ask.call(
        pick_category, user_id=ask.user_id, project_id=draft["project"], **which
    )
    draft["category"] = category.code
    if _correcting(draft):
        await _summary(ask)
        return
    _at(ask, DESCRIPTION)
    ask.show(ask.t("intake.ask_description"), kb.cancel_only(ask.lang))


async def description_typed(ask: Ask) -> None:
    """Take the description; photos may follow."""
    draft = _draft(ask)
    draft["description"] = check_description(ask.incoming.text or "")
    if _correcting(draft):
        await _summary(ask)
        return
    if draft["photos"]:  # a photo came first: whether there is one is answered
        await photos_done(ask)
        return
    _at(ask, PHOTOS)
    ask.show(ask.t("intake.ask_photos"), kb.photos(ask.lang, any_sent=bool(draft["photos"])))


async def photo_received(ask: Ask) -> None:
    """Keep a photo of the defect; its caption is the description when there is none yet."""
    draft = _draft(ask)
    caption = (ask.incoming.text or "").strip()
    # The caption is the description when there is none yet; too long, refused before any keeping.
    description = check_description(caption) if caption and not draft.get("description") else None
    await keep_photo(ask, draft)
    if description:
        draft["description"] = description
    n = len(draft["photos"])
    _at(ask, PHOTOS if draft.get("description") else DESCRIPTION)
    if not drafts.answer_due(draft, ask.incoming.album):  # an album is answered once
        return
    if not draft.get("description"):
        ask.show(ask.t("intake.need_description", n=n), kb.cancel_only(ask.lang))
        return
    ask.show(ask.t("intake.photo_saved", n=n), kb.photos(ask.lang, any_sent=True))


async def photos_done(ask: Ask) -> None:
    """Go on to the date, or to the summary when the flat's date and sheet carry over."""
    if "raised" in _draft(ask):
        await _summary(ask)
        return
    await _ask_date(ask)


async def photos_clear(ask: Ask) -> None:
    """Drop the photos taken so far; new ones may follow."""
    _draft(ask)["photos"] = []
    ask.show(ask.t("intake.photos_cleared"), kb.photos(ask.lang, any_sent=False))


async def change_date(ask: Ask) -> None:
    """Ask the date and the sheet again, from a summary sent before the Change… menu."""
    _leave(ask)
    await _ask_date(ask)


async def _ask_date(ask: Ask) -> None:
    today = await _today(ask)
    yesterday = (today - timedelta(days=1)).isoformat()
    _at(ask, DATE)
    markup = kb.ask_date(ask.lang, today.isoformat(), yesterday, _last(ask).get("raised"))
    ask.show(ask.t("intake.ask_date"), markup)


async def date_today(ask: Ask) -> None:
    """Take today (in the project's time zone) as the raised date."""
    await _take_date(ask, await _today(ask))


async def date_yesterday(ask: Ask) -> None:
    """Take yesterday (in the project's time zone) as the raised date."""
    await _take_date(ask, await _today(ask) - timedelta(days=1))


async def date_same(ask: Ask) -> None:
    """Take the raised date of the previous item."""
    last = _last(ask).get("raised")
    await _take_date(ask, date.fromisoformat(last) if last else await _today(ask))


async def date_typed(ask: Ask) -> None:
    """Take a typed date: 2026-11-20, 11-20, 20261120, 11月20日, 昨天; one more than 60 days
    back is asked about first (11-20 typed in January is last November's)."""
    today = await _today(ask)
    raised = parse_date(ask.incoming.text or "", today=today)
    if not far_back(raised, today=today):
        await _take_date(ask, raised)
        return
    days = (today - raised).days
    asked = ask.t("intake.date_far_back", date=raised.isoformat(), days=days)
    ask.show(asked, kb.confirm_date(ask.lang, raised.isoformat()))


async def date_confirmed(ask: Ask) -> None:
    """Take the far date the clerk confirmed (checked again: a forged one still to come is not)."""
    await _take_date(ask, parse_date(ask.match[1], today=await _today(ask)))


async def date_again(ask: Ask) -> None:
    """Ask the date again, the far one not taken."""
    await _ask_date(ask)


async def _take_date(ask: Ask, raised: date) -> None:
    draft = _draft(ask)
    draft["raised"] = raised.isoformat()
    if _correcting(draft):
        await _summary(ask)
        return
    await _ask_sheet(ask)


async def _ask_sheet(ask: Ask) -> None:
    draft, last = _draft(ask), _last(ask)
    same = last.get("sheet") if last.get("project") == draft["project"] else None
    _at(ask, SHEET)
    ask.show(ask.t("intake.ask_sheet"), kb.ask_sheet(ask.lang, same))


async def sheet_typed(ask: Ask) -> None:
    """Take the sheet number typed."""
    _draft(ask)["sheet"] = check_sheet_no(ask.incoming.text or "")
    await _summary(ask)


async def sheet_same(ask: Ask) -> None:
    """Take the sheet number of the previous item (a sheet has many items)."""
    _draft(ask)["sheet"] = _last(ask).get("sheet")
    await _summary(ask)


async def sheet_none(ask: Ask) -> None:
    """Enter the item without a sheet number."""
    _draft(ask)["sheet"] = None
    await _summary(ask)


def _leave(ask: Ask) -> None:
    """Note the screen pressed (a summary, the Change… menu): its Confirm ends with it."""
    if ask.incoming.screen is not None:
        _draft(ask).setdefault(LEAVING, []).append(ask.incoming.screen)


async def _summary(ask: Ask, chosen: int | None = None) -> None:
    draft = _draft(ask)
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
    _at(ask, SUMMARY)
    markup = kb.summary(ask.lang, has_contractor=preview.contractor is not None)
    ask.show(_summary_text(ask, preview), markup)


def _as_shown(draft: dict[str, Any]) -> dict[str, Any]:
    """Return the item's fields of the draft (not the screens' bookkeeping), as a copy."""
    kept = {k: v for k, v in draft.items() if k not in (SHOWN, LEAVING, STALE, CORRECTING)}
    return json.loads(json.dumps(kept))


def _summary_text(ask: Ask, preview: Preview) -> str:
    draft = _draft(ask)
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


async def other_contractor(ask: Ask) -> None:
    """List the project's contractors to choose from."""
    _leave(ask)
    await _ask_contractor(ask)


async def _ask_contractor(ask: Ask) -> None:
    found = await ask.call(
        project_contractors, user_id=ask.user_id, project_id=_draft(ask)["project"]
    )
    _at(ask, CONTRACTOR)
    ask.show(ask.t("intake.choose_contractor"), kb.contractors(found, ask.lang))


async def contractor_chosen(ask: Ask) -> None:
    """Override the assignment rule with the contractor pressed; show the summary again."""
    await _summary(ask, chosen=int(ask.match[1]))


async def correct(ask: Ask) -> None:
    """Offer every field of the summary to correct."""
    _leave(ask)
    _at(ask, FIX)
    ask.show(ask.t("intake.fix_what"), kb.fields(ask.lang))


async def correct_field(ask: Ask) -> None:
    """Ask the field pressed again; the summary comes back once it is answered."""
    _leave(ask)
    field = ask.match[1]
    _draft(ask)[CORRECTING] = field
    await _ASK_AGAIN[field](ask)


async def back_to_summary(ask: Ask) -> None:
    """Show the summary again, nothing changed."""
    _leave(ask)
    await _summary(ask)


async def _ask_unit_again(ask: Ask) -> None:
    _at(ask, UNIT)
    ask.show(ask.t("intake.ask_unit"), kb.cancel_only(ask.lang))


async def _ask_location_again(ask: Ask) -> None:
    _ask_location(ask, _draft(ask)["unit"])


async def _ask_description_again(ask: Ask) -> None:
    _at(ask, DESCRIPTION)
    ask.show(ask.t("intake.fix_description"), kb.cancel_only(ask.lang))


async def _ask_photos_again(ask: Ask) -> None:
    n = len(_draft(ask)["photos"])
    _at(ask, PHOTOS)
    if not n:
        ask.show(ask.t("intake.ask_photos"), kb.photos(ask.lang, any_sent=False))
    else:
        ask.show(ask.t("intake.fix_photos", n=n), kb.photos_kept(ask.lang))


_ASK_AGAIN: dict[str, Callable[[Ask], Awaitable[None]]] = {
    "unit": _ask_unit_again,
    "location": _ask_location_again,
    "category": _ask_category,
    "description": _ask_description_again,
    "photos": _ask_photos_again,  # Done (or Skip) goes back to the summary: the date is known
    "date": _ask_date,
    "sheet": _ask_sheet,  # every answer to it goes to the summary
    "contractor": _ask_contractor,  # so does the choice
}


async def confirm(ask: Ask) -> None:
    """Enter the item (once), remember its flat, date and sheet, and offer the next one."""
    draft = _draft(ask)
    if ask.incoming.screen in draft.get(STALE, []):
        # An older summary: it may show another contractor than the item would get.
        ask.answer(ask.t("error.stale_button"))
        return
    entered = await ask.call(enter_item, user_id=ask.user_id, **_item_fields(draft))
    _entered(ask, entered)


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


def _entered(ask: Ask, entered: Entered) -> None:
    draft = ask.dialogue.end()
    last = _last(ask)
    last.update(
        project=draft["project"],
        unit=entered.unit_code,
        raised=draft["raised"],
        sheet=draft.get("sheet"),
        count=last.get("count", 0) + 1,
    )
    text = ask.t(
        "intake.entered",
        id=entered.item_id,
        unit=esc(entered.unit_code),
        location=esc(draft["location"]),
        contractor=esc(entered.contractor_name),
        count=last["count"],
    )
    ask.show(text, kb.after_entry(ask.lang))


async def next_same_unit(ask: Ask) -> None:
    """Enter another item of the same flat; its date and sheet carry over."""
    last = _last(ask)
    if not last.get("unit"):
        await new(ask)
        return
    draft = {
        "project": last["project"],
        "unit": last["unit"],
        "raised": last["raised"],
        "sheet": last.get("sheet"),
        "photos": [],
    }
    ask.dialogue.begin(LOCATION, draft)
    _ask_location(ask, last["unit"])


async def next_unit(ask: Ask) -> None:
    """Enter an item of another flat in the same project."""
    project = _last(ask).get("project")
    if project is None:
        await new(ask)
        return
    await _ask_unit(ask, project, offer_same=False)


async def finish(ask: Ask) -> None:
    """End the run and say how many items were entered in it."""
    count = _last(ask).pop("count", 0)
    ask.show(ask.t("intake.finished", count=count))


async def use_buttons(ask: Ask) -> None:
    """Point to the buttons when text comes where a press is expected; nothing changes."""
    ask.show(ask.t("intake.use_buttons"))


async def cancel(ask: Ask) -> None:
    """Drop the item being entered, or a correction of its summary: back to that summary."""
    draft = _draft(ask)
    shown = draft.get(SHOWN)
    if ask.dialogue.step != SUMMARY and shown is not None:
        # A correction given up (Change…, another contractor, the date): the item as it was.
        screens = {k: draft[k] for k in (LEAVING, STALE) if k in draft}
        draft.clear()
        draft.update(shown, **screens)
        await _summary(ask)
        return
    ask.dialogue.end()  # nothing is recorded (the flat and sheet stay remembered)
    ask.show(ask.t("common.cancelled"))


def _in(flow: Flow, *steps: str) -> Flow:
    """Return the flow for a choice that means something only in these steps of /new."""

    async def pressed(ask: Ask) -> None:
        """Take the choice in its steps; elsewhere it is an old screen's."""
        if ask.dialogue.step not in steps:
            ask.answer(ask.t("error.stale_button"))
            return
        await flow(ask)

    return pressed


def routes(router: Router) -> None:
    """Route /new, its choices step by step, and what is typed or sent at each step."""
    router.command("new", new)
    router.choice(kb.NEXT_SAME_UNIT, next_same_unit)
    router.choice(kb.NEXT_UNIT, next_unit)
    router.choice(kb.FINISH, finish)
    router.choice(kb.CANCEL, _in(cancel, *STEPS))
    router.choice(kb.PROJECT, _in(project_chosen, PROJECT))
    router.choice(kb.UNIT, _in(unit_pressed, UNIT))
    router.choice(kb.UNIT_PAGE, _in(unit_page, UNIT))
    router.choice(kb.SAME_UNIT, _in(same_unit, UNIT))
    router.choice(kb.ROOM, _in(room_pressed, LOCATION))
    router.choice(kb.CATEGORY, _in(category_pressed, CATEGORY))
    router.choice(kb.PHOTOS_DONE, _in(photos_done, PHOTOS))
    router.choice(kb.CLEAR_PHOTOS, _in(photos_clear, PHOTOS))
    router.choice(kb.TODAY, _in(date_today, DATE))
    router.choice(kb.YESTERDAY, _in(date_yesterday, DATE))
    router.choice(kb.DATE_YES, _in(date_confirmed, DATE))
    router.choice(kb.DATE_AGAIN, _in(date_again, DATE))
    router.choice(kb.SAME_DATE, _in(date_same, DATE))
    router.choice(kb.SAME_SHEET, _in(sheet_same, SHEET))
    router.choice(kb.NO_SHEET, _in(sheet_none, SHEET))
    # The Change… menu keeps Confirm: the summary above is still what would be entered.
    router.choice(kb.CONFIRM, _in(confirm, SUMMARY, FIX))
    router.choice(kb.OTHER_CONTRACTOR, _in(other_contractor, SUMMARY))
    router.choice(kb.CORRECT, _in(correct, SUMMARY))
    router.choice(kb.CHANGE_DATE, _in(change_date, SUMMARY))
    router.choice(kb.FIELD, _in(correct_field, FIX))
    router.choice(kb.BACK_TO_SUMMARY, _in(back_to_summary, FIX))
    router.choice(kb.CONTRACTOR, _in(contractor_chosen, CONTRACTOR))
    router.step(UNIT, text=unit_typed)
    router.step(LOCATION, text=location_typed)
    router.step(CATEGORY, text=category_typed)
    router.step(DESCRIPTION, text=description_typed, photo=photo_received)
    router.step(PHOTOS, text=use_buttons, photo=photo_received)
    router.step(DATE, text=date_typed)
    router.step(SHEET, text=sheet_typed)
    for step in (PROJECT, SUMMARY, FIX, CONTRACTOR):
        router.step(step, text=use_buttons)
    for step in STEPS:  # a typed /cancel means what the Cancel button means
        router.step(step, cancel=cancel)
