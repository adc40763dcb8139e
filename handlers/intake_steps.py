"""Clerk: /new enters one inspection-sheet item in a few taps; these are its questions in order.

Flat, location, category, description, photos, date, sheet: each answer moves to the next
question, or back to the summary when it was a correction (handlers/intake.py).
"""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

from handlers import intake_keyboards as kb
from handlers.core import Ask
from handlers.intake_draft import (
    CATEGORY,
    DATE,
    DESCRIPTION,
    LOCATION,
    PHOTOS,
    PROJECT,
    SHEET,
    UNIT,
    UNIT_TYPED_MAX,
    correcting,
    draft_of,
    last_of,
    show_summary,
    step_to,
    today_of,
)
from handlers.photos import keep_photo
from handlers.steps import Entry
from handlers.text import esc
from models.errors import DomainError
from models.intake import (
    UnitMatch,
    check_description,
    check_location,
    check_sheet_no,
    check_unit,
    choose_project,
    far_back,
    intake_categories,
    intake_projects,
    parse_date,
    pick_category,
)


async def new(ask: Ask) -> None:
    """Start entering an item: pick the project if there are several, then ask the flat."""
    projects = await ask.call(intake_projects, user_id=ask.user_id)
    last_of(ask)["count"] = 0
    if len(projects) == 1:
        await ask_unit(ask, projects[0].id)
        return
    ask.dialogue.begin(PROJECT, Entry())  # type: ignore[arg-type]  (JSON at the edge)
    ask.show(ask.t("intake.ask_project"), kb.projects(projects, ask.lang))


async def project_chosen(ask: Ask) -> None:
    """Enter items in the project pressed."""
    project = await ask.call(choose_project, user_id=ask.user_id, project_id=ask.pressed.project_id)
    await ask_unit(ask, project.id)


async def ask_unit(ask: Ask, project_id: int, *, offer_same: bool = True) -> None:
    """Ask the flat of a new item (offering the last one's)."""
    last = last_of(ask)
    ask.dialogue.begin(UNIT, Entry(project=project_id))  # type: ignore[arg-type]
    same = last.get("unit") if offer_same and last.get("project") == project_id else None
    ask.show(ask.t("intake.ask_unit"), kb.ask_unit(ask.lang, same))


async def unit_typed(ask: Ask) -> None:
    """Take the flat typed; a near miss gets the nearest flats as buttons."""
    await _take_unit(ask, ask.incoming.text or "")


async def unit_pressed(ask: Ask) -> None:
    """Take the flat pressed among the suggestions."""
    await _take_unit(ask, ask.pressed.code)


async def same_unit(ask: Ask) -> None:
    """Take the flat of the previous item."""
    await _take_unit(ask, last_of(ask).get("unit", ""))


async def unit_page(ask: Ask) -> None:
    """Show another page of the flats the code typed fits, in place of the page pressed."""
    draft = draft_of(ask)
    text = draft.unit_typed or ""
    match = await ask.call(
        check_unit,
        user_id=ask.user_id,
        project_id=draft.project,
        text=text,
        page=ask.pressed.page,
    )
    if not match.choices:  # the flats changed since: the code is taken again as typed
        await _take_unit(ask, text)
        return
    _show_unit_choices(ask, text, match, replace=True)


async def _take_unit(ask: Ask, text: str) -> None:
    draft = draft_of(ask)
    match = await ask.call(check_unit, user_id=ask.user_id, project_id=draft.project, text=text)
    if match.choices:
        # A short code of several flats (3#1202: 3-1-1202 and 3-2-1202; 1202 alone: every
        # building's): never pick one.
        draft.unit_typed = text.strip()[:UNIT_TYPED_MAX]
        _show_unit_choices(ask, text, match)
        return
    if match.code is None:
        lines = [ask.t("intake.no_unit", unit=esc(text.strip()[:30]))]
        lines.append(ask.t("intake.did_you_mean" if match.suggestions else "intake.retype_unit"))
        ask.show("\n".join(lines), kb.suggestions(match.suggestions, ask.lang))
        return
    draft.unit = match.code
    if correcting(draft):
        await show_summary(ask)
        return
    ask_location(ask, match.code)


def _show_unit_choices(ask: Ask, text: str, match: UnitMatch, *, replace: bool = False) -> None:
    unit, n = esc(text.strip()[:30]), match.total
    if match.pages == 1:
        which = ask.t("intake.which_unit", unit=unit, n=n)
    else:
        page, pages = match.page + 1, match.pages
        which = ask.t("intake.which_unit_page", unit=unit, n=n, page=page, pages=pages)
    markup = kb.unit_choices(match.choices, match.page, match.pages, ask.lang)
    ask.show(which, markup, replace=replace)


def ask_location(ask: Ask, unit: str) -> None:
    """Ask where in the flat, offering the common rooms."""
    step_to(ask, LOCATION)
    ask.show(ask.t("intake.ask_location", unit=esc(unit)), kb.rooms(ask.lang))


async def room_pressed(ask: Ask) -> None:
    """Take a common room as the location, named in the clerk's language."""
    await _take_location(ask, ask.t(f"intake.room.{ask.pressed.room}"))


async def location_typed(ask: Ask) -> None:
    """Take a typed location (whatever the sheet says: 主卧飘窗, kitchen ceiling...)."""
    await _take_location(ask, check_location(ask.incoming.text or ""))


async def _take_location(ask: Ask, location: str) -> None:
    draft = draft_of(ask)
    draft.location = location
    if correcting(draft):
        await show_summary(ask)
        return
    await ask_category(ask)


async def ask_category(ask: Ask) -> None:
    """Ask the category, one button each."""
    found = await ask.call(intake_categories, user_id=ask.user_id, project_id=draft_of(ask).project)
    step_to(ask, CATEGORY)
    ask.show(ask.t("intake.ask_category"), kb.categories(found, ask.lang))


async def category_pressed(ask: Ask) -> None:
    """Take the category pressed."""
    await _take_category(ask, category_id=ask.pressed.category_id)


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
            intake_categories, user_id=ask.user_id, project_id=draft_of(ask).project
        )
        text = f"{ask.refusal(error)}\n{ask.t('intake.pick_category')}"
        ask.show(text, kb.categories(found, ask.lang))


async def _take_category(ask: Ask, **which: Any) -> None:
    draft = draft_of(ask)
    category = await ask.call(pick_category, user_id=ask.user_id, project_id=draft.project, **which)
    draft.category = category.code
    if correcting(draft):
        await show_summary(ask)
        return
    step_to(ask, DESCRIPTION)
    ask.show(ask.t("intake.ask_description"), kb.cancel_only(ask.lang))


async def description_typed(ask: Ask) -> None:
    """Take the description; photos may follow."""
    draft = draft_of(ask)
    draft.description = check_description(ask.incoming.text or "")
    if correcting(draft):
        await show_summary(ask)
        return
    if draft.photos:  # a photo came first: whether there is one is answered
        await photos_done(ask)
        return
    step_to(ask, PHOTOS)
    ask.show(ask.t("intake.ask_photos"), kb.photos(ask.lang, any_sent=bool(draft.photos)))


async def photo_received(ask: Ask) -> None:
    """Keep a photo of the defect; its caption is the description when there is none yet."""
    draft = draft_of(ask)
    caption = (ask.incoming.text or "").strip()
    # The caption is the description when there is none yet; too long, refused before any keeping.
    description = check_description(caption) if caption and not draft.description else None
    await keep_photo(ask, draft.photos)
    if description:
        draft.description = description
    n = len(draft.photos)
    step_to(ask, PHOTOS if draft.description else DESCRIPTION)
    album = ask.incoming.album
    if album is not None:  # an album is answered once
        if draft.album == album:
            return
        draft.album = album
    if not draft.description:
        ask.show(ask.t("intake.need_description", n=n), kb.cancel_only(ask.lang))
        return
    ask.show(ask.t("intake.photo_saved", n=n), kb.photos(ask.lang, any_sent=True))


async def photos_done(ask: Ask) -> None:
    """Go on to the date, or to the summary when the flat's date and sheet carry over."""
    if draft_of(ask).raised is not None:
        await show_summary(ask)
        return
    await ask_date(ask)


async def photos_clear(ask: Ask) -> None:
    """Drop the photos taken so far; new ones may follow."""
    draft_of(ask).photos = []
    ask.show(ask.t("intake.photos_cleared"), kb.photos(ask.lang, any_sent=False))


async def ask_date(ask: Ask) -> None:
    """Ask the date raised: today, yesterday, the last one's, or typed."""
    today = await today_of(ask)
    yesterday = (today - timedelta(days=1)).isoformat()
    step_to(ask, DATE)
    markup = kb.ask_date(ask.lang, today.isoformat(), yesterday, last_of(ask).get("raised"))
    ask.show(ask.t("intake.ask_date"), markup)


async def date_today(ask: Ask) -> None:
    """Take today (in the project's time zone) as the raised date."""
    await _take_date(ask, await today_of(ask))


async def date_yesterday(ask: Ask) -> None:
    """Take yesterday (in the project's time zone) as the raised date."""
    await _take_date(ask, await today_of(ask) - timedelta(days=1))


async def date_same(ask: Ask) -> None:
    """Take the raised date of the previous item."""
    last = last_of(ask).get("raised")
    await _take_date(ask, date.fromisoformat(last) if last else await today_of(ask))


async def date_typed(ask: Ask) -> None:
    """Take a typed date: 2026-11-20, 11-20, 20261120, 11月20日, 昨天; one more than 60 days
    back is asked about first (11-20 typed in January is last November's)."""
    today = await today_of(ask)
    raised = parse_date(ask.incoming.text or "", today=today)
    if not far_back(raised, today=today):
        await _take_date(ask, raised)
        return
    days = (today - raised).days
    asked = ask.t("intake.date_far_back", date=raised.isoformat(), days=days)
    ask.show(asked, kb.confirm_date(ask.lang, raised.isoformat()))


async def date_confirmed(ask: Ask) -> None:
    """Take the far date the clerk confirmed (checked again: a forged one still to come is not)."""
    await _take_date(ask, parse_date(ask.pressed.raised, today=await today_of(ask)))


async def date_again(ask: Ask) -> None:
    """Ask the date again, the far one not taken."""
    await ask_date(ask)


async def _take_date(ask: Ask, raised: date) -> None:
    draft = draft_of(ask)
    draft.raised = raised.isoformat()
    if correcting(draft):
        await show_summary(ask)
        return
    await ask_sheet(ask)


async def ask_sheet(ask: Ask) -> None:
    """Ask the sheet number (offering the last one's)."""
    draft, last = draft_of(ask), last_of(ask)
    same = last.get("sheet") if last.get("project") == draft.project else None
    step_to(ask, SHEET)
    ask.show(ask.t("intake.ask_sheet"), kb.ask_sheet(ask.lang, same))


async def sheet_typed(ask: Ask) -> None:
    """Take the sheet number typed."""
    draft_of(ask).sheet = check_sheet_no(ask.incoming.text or "")
    await show_summary(ask)


async def sheet_same(ask: Ask) -> None:
    """Take the sheet number of the previous item (a sheet has many items)."""
    draft_of(ask).sheet = last_of(ask).get("sheet")
    await show_summary(ask)


async def sheet_none(ask: Ask) -> None:
    """Enter the item without a sheet number."""
    draft_of(ask).sheet = None
    await show_summary(ask)
