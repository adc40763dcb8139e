"""Inspector: the to-check list, pass an item, or fail it with a reason and photos."""

from __future__ import annotations

from handlers import choices, corrections, drafts, kept, lists, render, steps
from handlers.buttons import CheckItem, Fail, Pass, ToCheckPage
from handlers.core import Ask, Router
from handlers.photos import keep_photo
from handlers.steps import Step
from handlers.tell import tell_contractor
from handlers.text import esc
from models.people import CHECKERS
from models.queries import to_check_list
from models.repair import PhotoIn, act, check_move_line, offered_card
from models.tables import Action, ItemState


async def to_check(ask: Ask) -> None:
    """Show the items reported repaired in walking order (/tocheck 3: building 3 only)."""
    ask.require(*CHECKERS)
    building = lists.building_arg(ask)
    page = await ask.call(to_check_list, user_id=ask.user_id, building=building)
    lists.remember(ask, "tc", page)
    ask.show(render.to_check(ask.lang, page), choices.to_check(page, ask.lang))


async def to_check_page(ask: Ask) -> None:
    """Show another page of the to-check list in place of the one pressed."""
    number, building = lists.pressed_view(ask, "tc")
    page = await ask.call(to_check_list, user_id=ask.user_id, page=number, building=building)
    lists.remember(ask, "tc", page)
    ask.show(render.to_check(ask.lang, page), choices.to_check(page, ask.lang), replace=True)


async def check_item(ask: Ask) -> None:
    """Show the contractor's photos and note, with the moves models/ offers (Pass, Fail)."""
    card = await ask.call(offered_card, user_id=ask.user_id, item_id=ask.pressed.item_id)
    report = card.last_report
    photos = report.photos if report and card.line.state is ItemState.repaired else ()
    rows = choices.inspector_card(
        card.line.id,
        ask.lang,
        passes=Action.pass_ in card.moves,
        fails=Action.fail in card.moves,
    )
    kept.opened(ask, CheckItem, card.line.id)
    ask.show(render.card(ask.lang, card), rows, photos=tuple(photos))


async def pass_item(ask: Ask) -> None:
    """Pass the item: it is closed; the to-check list comes back on the page it was on."""
    item_id = ask.pressed.item_id
    outcome = await ask.call(act, user_id=ask.user_id, item_id=item_id, action=Action.pass_)
    number, building = lists.last_view(ask, "tc")
    page = await ask.call(to_check_list, user_id=ask.user_id, page=number, building=building)
    lists.remember(ask, "tc", page)
    passed = ask.t("check.passed", id=item_id) + "\n" + corrections.undo_hint(ask.lang)
    text = f"{passed}\n\n{render.to_check(ask.lang, page)}"
    rows = (*corrections.undo_choice(ask.lang, outcome), *choices.to_check(page, ask.lang))
    ask.show(text, rows, replace=True)


async def start_fail(ask: Ask) -> None:
    """Ask why the item fails acceptance; photos may follow, until Done."""
    line = await ask.call(
        check_move_line, user_id=ask.user_id, item_id=ask.pressed.item_id, action=Action.fail
    )
    draft, resumed = drafts.start(ask, Step.fail, line)
    kept.take(ask, draft, Fail)  # photos sent after opening its card, before Fail
    if draft.photos and not resumed:
        key = "fail.photo_saved" if _complete(draft) else "fail.still_need_reason"
    else:
        key = "report.resumed" if resumed else "fail.ask_reason"
    rows = choices.finish(ask.lang, draft.item, can_finish=_complete(draft))
    ask.show(ask.t(key, n=len(draft.photos), item=drafts.label(draft)), rows)


def _complete(draft: steps.Fail) -> bool:
    return drafts.note(draft) is not None


async def fail_reason(ask: Ask) -> None:
    """Keep a typed reason with the others; photos of the defect may follow."""
    draft = ask.dialogue.draft
    drafts.add_note(draft, ask.incoming.text)
    rows = choices.finish(ask.lang, draft.item, can_finish=True)
    ask.show(ask.t("fail.ask_photos", item=drafts.label(draft)), rows)


async def fail_photo(ask: Ask) -> None:
    """Keep a photo of the defect, and its caption with the reason."""
    draft = ask.dialogue.draft
    drafts.add_note(draft, ask.incoming.text)  # too long: refused before anything is kept
    await keep_photo(ask, draft.photos)
    key = "fail.photo_saved" if _complete(draft) else "fail.still_need_reason"
    if drafts.answer_due(draft, ask.incoming.album):  # an album is answered once
        rows = choices.finish(ask.lang, draft.item, can_finish=_complete(draft))
        ask.show(ask.t(key, n=len(draft.photos), item=drafts.label(draft)), rows)


async def fail_done(ask: Ask) -> None:
    """Fail the item: it goes back to its contractor as rework, who is told now."""
    draft = ask.dialogue.draft
    if not _complete(draft):
        ask.answer(ask.t("fail.reason_required"))
        return
    ask.dialogue.end()
    reason = drafts.note(draft)
    outcome = await ask.call(
        act,
        user_id=ask.user_id,
        item_id=draft.item,
        action=Action.fail,
        note=reason,
        photos=[PhotoIn(**p) for p in draft.photos],
        expected_version=draft.version,
    )
    text = ask.t("fail.done", item=drafts.label(draft)) + "\n" + corrections.undo_hint(ask.lang)
    rows = (*corrections.undo_choice(ask.lang, outcome), *choices.to_check_button(ask.lang))
    ask.show(text, rows)
    await tell_contractor(ask, outcome, "notify.rework", id=outcome.item.id, reason=esc(reason))


def routes(router: Router) -> None:
    """Route the inspector's command, choices and the Fail report's steps."""
    router.command("tocheck", to_check)
    router.press(ToCheckPage, to_check_page)
    router.press(CheckItem, check_item)
    router.press(Pass, pass_item)
    router.press(Fail, start_fail)
    # Reason texts and photos in any order until Done; the draft says whether Done may finish.
    router.step(Step.fail, text=fail_reason, photo=fail_photo, done=fail_done)
