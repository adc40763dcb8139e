"""Contractor: my list, an item's card, report it repaired with photos and notes, or dispute it."""

from __future__ import annotations

from handlers import choices, drafts, kept, lists, render
from handlers.buttons import Dispute, MyBuildings, MyListPage, OpenItem, Repaired
from handlers.core import Ask, Router
from handlers.photos import keep_photo
from handlers.steps import Repair, Step
from models.errors import DomainError
from models.limits import check_note
from models.queries import contractor_list, my_buildings
from models.repair import PhotoIn, act, check_move_line, offered_card
from models.tables import Action, Role


async def my_list(ask: Ask) -> None:
    """Show the first page of my items to repair, rework first (/mylist 3: building 3 only)."""
    ask.require(Role.contractor)
    building = lists.building_arg(ask)
    page = await ask.call(contractor_list, user_id=ask.user_id, building=building)
    lists.remember(ask, "ml", page)
    ask.show(render.my_list(ask.lang, page), choices.my_list(page, ask.lang))


async def my_list_page(ask: Ask) -> None:
    """Show another page, building or narrowing (rework, overdue) of my list in its place."""
    number, building = lists.pressed_view(ask, "ml")
    only = lists.pressed_only(ask, "ml")
    page = await ask.call(
        contractor_list, user_id=ask.user_id, page=number, building=building, only=only
    )
    lists.remember(ask, "ml", page)
    ask.show(render.my_list(ask.lang, page), choices.my_list(page, ask.lang), replace=True)


async def my_list_buildings(ask: Ask) -> None:
    """Offer the buildings of my list (narrowed or not), each with how many items it holds."""
    only = ask.pressed.only
    found = await ask.call(my_buildings, user_id=ask.user_id, only=only)
    text = render.my_buildings(ask.lang, found, only)
    ask.show(text, choices.my_buildings(found, only, ask.lang), replace=True)


async def open_item(ask: Ask) -> None:
    """Show an item's card with its photos and the moves models/ offers this person."""
    card = await ask.call(offered_card, user_id=ask.user_id, item_id=ask.pressed.item_id)
    photos = tuple(p for e in card.events for p in e.photos)
    rows = choices.contractor_card(
        card.line.id,
        ask.lang,
        repaired=Action.report_repaired in card.moves,
        dispute=Action.dispute in card.moves,
    )
    kept.opened(ask, OpenItem, card.line.id)
    ask.show(render.card(ask.lang, card), rows, photos=photos)


async def start_repair(ask: Ask) -> None:
    """Ask for photos and a note of the repair of this item, until Done."""
    line = await ask.call(
        check_move_line,
        user_id=ask.user_id,
        item_id=ask.pressed.item_id,
        action=Action.report_repaired,
    )
    draft, resumed = drafts.start(ask, Step.repair, line)
    kept.take(ask, draft, Repaired)  # photos sent after opening its card, before Repaired
    if draft.photos and not resumed:
        text = _photo_saved(ask, draft)
    else:
        text = ask.t("report.resumed" if resumed else "repair.ask_photo", item=drafts.label(draft))
    ask.show(text, _repair_choices(ask, draft))


def _complete(ask: Ask, draft: Repair) -> bool:
    return bool(draft.photos) or not ask.settings.require_repair_photo


def _repair_choices(ask: Ask, draft: Repair) -> choices.Rows:
    if draft.photos or drafts.note(draft):
        return choices.finish(ask.lang, draft.item, can_finish=_complete(ask, draft))
    may_skip = not ask.settings.require_repair_photo
    return choices.photo_step(ask.lang, draft.item, may_skip=may_skip)


async def repair_photo(ask: Ask) -> None:
    """Keep a photo of the repair, and its caption with the other notes; wait for Done."""
    draft = ask.dialogue.draft
    drafts.add_note(draft, ask.incoming.text)  # too long: refused before anything is kept
    await keep_photo(ask, draft.photos)
    if drafts.answer_due(draft, ask.incoming.album):  # an album is answered once
        ask.show(_photo_saved(ask, draft), _repair_choices(ask, draft))


def _photo_saved(ask: Ask, draft: Repair) -> str:
    """Say the photos are kept; ask for the note only while there is none (a caption is one)."""
    noted = drafts.note(draft) is not None
    if ask.incoming.album:
        key = "repair.album_noted" if noted else "repair.album_saved"
    else:
        key = "repair.photo_noted" if noted else "repair.photo_saved"
    return ask.t(key, n=len(draft.photos), item=drafts.label(draft))


async def repair_note(ask: Ask) -> None:
    """Keep a typed note with the others; ask for a photo while a required one is missing."""
    draft = ask.dialogue.draft
    drafts.add_note(draft, ask.incoming.text)
    key = "repair.note_saved" if _complete(ask, draft) else "repair.still_need_photo"
    ask.show(ask.t(key, item=drafts.label(draft)), _repair_choices(ask, draft))


async def repair_done(ask: Ask) -> None:
    """Report the repair with every photo and note sent (Done, or Skip when photos are optional)."""
    draft = ask.dialogue.draft
    if not _complete(ask, draft):
        ask.answer(ask.t("error.photo_required"))
        return
    ask.dialogue.end()
    outcome = await ask.call(
        act,
        user_id=ask.user_id,
        item_id=draft.item,
        action=Action.report_repaired,
        note=drafts.note(draft),
        photos=[PhotoIn(**p) for p in draft.photos],
        require_photo=ask.settings.require_repair_photo,
        expected_version=draft.version,
    )
    left = outcome.remaining_for_contractor
    ask.show(
        ask.t("repair.done", item=drafts.label(draft), left=left), choices.my_list_button(ask.lang)
    )


async def start_dispute(ask: Ask) -> None:
    """Ask why this item is not ours."""
    line = await ask.call(
        check_move_line, user_id=ask.user_id, item_id=ask.pressed.item_id, action=Action.dispute
    )
    draft, resumed = drafts.start(ask, Step.dispute, line)
    key = "report.resumed" if resumed else "dispute.ask_reason"
    ask.show(ask.t(key, item=drafts.label(draft)), choices.cancel_only(ask.lang, draft.item))


async def dispute_reason(ask: Ask) -> None:
    """Record the dispute with its reason; the project department settles it."""
    check_note(ask.incoming.text)  # too long: refused, and the reason can be typed again
    draft = ask.dialogue.end()
    try:
        await ask.call(
            act,
            user_id=ask.user_id,
            item_id=draft.item,
            action=Action.dispute,
            note=ask.incoming.text,
            expected_version=draft.version,
        )
    except DomainError as error:
        ask.show(ask.refusal(error))
        return
    ask.show(ask.t("dispute.done", item=drafts.label(draft)))


def routes(router: Router) -> None:
    """Route the contractor's commands, choices and report steps."""
    router.command("mylist", my_list)
    router.press(MyListPage, my_list_page)
    router.press(MyBuildings, my_list_buildings)
    router.press(OpenItem, open_item)
    router.press(Repaired, start_repair)
    router.press(Dispute, start_dispute)
    # Photos and notes in any order until Done (or Skip); the draft says whether Done may finish.
    router.step(Step.repair, photo=repair_photo, text=repair_note, done=repair_done)
    router.step(Step.dispute, text=dispute_reason)
