"""Customer service: a flat's live record, finding a flat, an item's history, owner summary."""

from __future__ import annotations

from handlers import choices, corrections, kept, render
from handlers.buttons import CheckItem, ChoicesTurn, FindTurn, History, OpenItem, OwnerSummary
from handlers.buttons import Flat as FlatButton
from handlers.choices import Choice, Rows
from handlers.core import Ask, Router
from handlers.menu import commands_among
from handlers.text import quoted
from models.errors import DomainError
from models.service import (
    Flat,
    FlatHit,
    FoundFlats,
    find_flats,
    find_page,
    flat_by_id,
    flat_choices,
    item_history,
    look_up_flat,
)
from models.tables import Action

# An item's number typed alone, as printed on a list: digits, maybe after a #.
ITEM_NUMBER = r"^[#＃]?\s*(\d{1,12})$"
HISTORY_BUTTONS = 8
HISTORY_PER_ROW = 4


def _flat_choices(ask: Ask, record: Flat) -> Rows:
    live = [x for x in record.open + record.awaiting][:HISTORY_BUTTONS]
    summary = (
        Choice(ask.t("btn.owner_summary_zh"), OwnerSummary(record.unit_id, "zh").data()),
        Choice(ask.t("btn.owner_summary_en"), OwnerSummary(record.unit_id, "en").data()),
    )
    buttons = [Choice(ask.t("btn.history", id=x.id), History(x.id).data()) for x in live]
    step = HISTORY_PER_ROW
    return (summary, *(tuple(buttons[i : i + step]) for i in range(0, len(buttons), step)))


def _flat_label(ask: Ask, hit: FlatHit) -> str:
    if hit.project:
        return ask.t("btn.flat_in", code=hit.code, project=hit.project)
    return ask.t("btn.flat", code=hit.code, owner=hit.owner_name or "").strip()


def _hit_choices(ask: Ask, hits: tuple[FlatHit, ...] | list[FlatHit]) -> Rows:
    return tuple((Choice(_flat_label(ask, h), FlatButton(h.unit_id).data()),) for h in hits)


def _found_text(ask: Ask, found: FoundFlats) -> str:
    if found.pages == 1:
        return ask.t("service.found_many", n=found.total)
    return ask.t("service.found_page", n=found.total, page=found.page + 1, pages=found.pages)


def _found_choices(
    ask: Ask, found: FoundFlats, turns: type[FindTurn | ChoicesTurn] = FindTurn
) -> Rows:
    turn = []
    if found.page > 0:
        back = turns(found.search_id, found.page - 1)
        turn.append(Choice(ask.t("btn.prev"), back.data()))
    if found.page + 1 < found.pages:
        on = turns(found.search_id, found.page + 1)
        turn.append(Choice(ask.t("btn.next"), on.data()))
    rows = _hit_choices(ask, found.hits)
    return (*rows, tuple(turn)) if turn else rows


def _show_flat(ask: Ask, record: Flat) -> None:
    ask.show(render.flat(ask.lang, record), _flat_choices(ask, record))


async def unit(ask: Ask) -> None:
    """Show every item of a flat: /unit 3-1-1202 (any common form of the code)."""
    text = " ".join(ask.args)
    if not text:
        ask.show(ask.t("service.unit_usage"))
        return
    found = await ask.call(look_up_flat, user_id=ask.user_id, text=text)
    if found.flat is not None:
        _show_flat(ask, found.flat)
    elif found.choices is not None:
        _show_choices(ask, text, found.choices)
    elif found.suggestions:
        ask.show(
            ask.t("service.no_flat_near", text=quoted(text)),
            _hit_choices(ask, found.suggestions),
        )
    else:
        ask.show(ask.t("service.no_flat", text=quoted(text)))


def _show_choices(ask: Ask, text: str, found: FoundFlats, *, replace: bool = False) -> None:
    """Show a page of the flats a code fits (1202 alone: every building's 1202)."""
    n, quote = found.total, quoted(text)
    if found.pages == 1:
        which = ask.t("service.which_flat", text=quote, n=n)
    else:
        page, pages = found.page + 1, found.pages
        which = ask.t("service.which_flat_page", text=quote, n=n, page=page, pages=pages)
    ask.show(which, _found_choices(ask, found, ChoicesTurn), replace=replace)


async def choices_turn(ask: Ask) -> None:
    """Turn the page of the flats a /unit code fits, in place of the page pressed."""
    search_id, page = ask.pressed.search_id, ask.pressed.page
    found = await ask.call(flat_choices, user_id=ask.user_id, search_id=search_id, page=page)
    _show_choices(ask, found.query, found, replace=True)


async def flat_button(ask: Ask) -> None:
    """Show the flat a choice, suggestion or search button names."""
    record = await ask.call(flat_by_id, user_id=ask.user_id, unit_id=ask.pressed.unit_id)
    _show_flat(ask, record)


async def find(ask: Ask) -> None:
    """Find a flat by owner name, phone (or its last 4 digits) or sheet number."""
    text = " ".join(ask.args)
    if not text:
        ask.show(ask.t("service.find_usage"))
        return
    found = await ask.call(find_flats, user_id=ask.user_id, text=text)
    if not found.total:
        ask.show(ask.t("service.found_none", text=quoted(text)))
    elif found.total == 1:
        record = await ask.call(
            flat_by_id, user_id=ask.user_id, unit_id=found.hits[0].unit_id, kind="find"
        )
        _show_flat(ask, record)
    else:
        ask.show(_found_text(ask, found), _found_choices(ask, found))


async def find_turn(ask: Ask) -> None:
    """Turn the page of a search's flats, in place of the page pressed."""
    search_id, page = ask.pressed.search_id, ask.pressed.page
    found = await ask.call(find_page, user_id=ask.user_id, search_id=search_id, page=page)
    ask.show(_found_text(ask, found), _found_choices(ask, found), replace=True)


async def item(ask: Ask) -> None:
    """Show an item's card and whole history, with what this person may do: /item 1042."""
    number = "".join(ask.args).lstrip("#＃")
    if not number.isdecimal():  # isdigit() takes "²", which int() refuses
        ask.show(ask.t("service.item_usage"))
        return
    await show_item(ask, int(number))


async def item_number(ask: Ask) -> None:
    """Open the item whose number was typed alone (read off a paper list), as /item does."""
    number = ask.match[1]
    try:
        await show_item(ask, int(number))
    except DomainError as error:
        looks_up = ask.person is not None and commands_among(ask.person, ("unit",))
        if error.key != "no_such_item" or not looks_up:
            raise
        # Those who look flats up may have meant a flat's number.
        ask.show(f"{ask.refusal(error)}\n{ask.t('service.item_or_flat', number=number)}")


async def history_button(ask: Ask) -> None:
    """Show the history of the item a button names."""
    await show_item(ask, ask.pressed.item_id)


async def show_item(ask: Ask, item_id: int) -> None:
    """Show an item with its whole history and photos, and the buttons models/ offers this
    person on it (Repaired / Not ours to its contractor, Pass / Fail to checkers)."""
    card = await ask.call(item_history, user_id=ask.user_id, item_id=item_id)
    photos = tuple(p for e in card.events for p in e.photos)
    # The moves models/ offers this person, then Restore and Correct (an admin's).
    rows = choices.card_moves(card.line.id, ask.lang, card.moves)
    rows += corrections.card_choices(ask.lang, card)
    ask.show(render.card(ask.lang, card, full=True), rows, photos=photos)
    # A photo sent next belongs to this card, as after opening it from a list.
    if Action.report_repaired in card.moves:
        kept.opened(ask, OpenItem, card.line.id)
    elif Action.fail in card.moves:
        kept.opened(ask, CheckItem, card.line.id)


async def owner_summary(ask: Ask) -> None:
    """Write the summary staff can forward or read to the owner, in the chosen language."""
    unit_id, lang = ask.pressed.unit_id, ask.pressed.lang
    record = await ask.call(flat_by_id, user_id=ask.user_id, unit_id=unit_id, kind="summary")
    ask.show(render.owner_summary(lang, record))


def routes(router: Router) -> None:
    """Route the customer-service commands and choices."""
    router.command("unit", unit)
    router.command("find", find)
    router.command("item", item)
    router.text(ITEM_NUMBER, item_number)
    router.press(FlatButton, flat_button)
    router.press(FindTurn, find_turn)
    router.press(ChoicesTurn, choices_turn)
    router.press(History, history_button)
    router.press(OwnerSummary, owner_summary)
