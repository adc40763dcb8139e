"""The buttons of a screen in no platform's terms: rows of (label, callback data) choices.

A chat adapter draws them (handlers/keyboards.py as Telegram inline keyboards) and a job puts
them on a notice, so a list's buttons are defined once for the screen and the morning push.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from handlers.buttons import (
    Button,
    Cancel,
    CheckItem,
    ChooseLanguage,
    Dispute,
    Done,
    Fail,
    MyBuildings,
    MyListPage,
    OpenItem,
    Pass,
    Printable,
    Repaired,
    Skip,
    Subscribe,
    ToCheckPage,
)
from handlers.i18n import t
from models.queries import ItemLine, Only, Page
from models.tables import Action, PushKind

PER_ROW = 2
BUILDINGS_PER_ROW = 3


@dataclass(frozen=True)
class Choice:
    """A button: its label, and its data (made by its kind in handlers/buttons.py)."""

    label: str
    data: str


Rows = tuple[tuple[Choice, ...], ...]
# A list's page button: the page, its building and narrowing (rework, overdue).
View = Callable[[int, str | None, Only | None], Button]


def _my_view(page: int, building: str | None, only: Only | None) -> Button:
    return MyListPage(page, building, only)


def _check_view(page: int, building: str | None, only: Only | None) -> Button:
    return ToCheckPage(page, building)  # the to-check list is not narrowed


def _pager(view: View, page: Page, lang: str) -> tuple[Choice, ...]:
    row = []
    if page.page > 0:
        turn = view(page.page - 1, page.building, page.only)
        row.append(Choice(t(lang, "btn.prev"), turn.data()))
    if page.page + 1 < page.pages:
        turn = view(page.page + 1, page.building, page.only)
        row.append(Choice(t(lang, "btn.next"), turn.data()))
    return tuple(row)


def _item_rows(card: type[OpenItem | CheckItem], items: tuple[ItemLine, ...]) -> Rows:
    buttons = [Choice(f"#{x.id} {x.unit_code}", card(x.id).data()) for x in items]
    return tuple(tuple(buttons[i : i + PER_ROW]) for i in range(0, len(buttons), PER_ROW))


def _printable(kind: str, page: Page, lang: str) -> Rows:
    if not page.shown:
        return ()
    data = Printable(kind, page.building, page.only).data()
    return ((Choice(t(lang, "pdf.button"), data),),)


def _list(
    kind: str,
    card: type[OpenItem | CheckItem],
    page: Page,
    lang: str,
    printable: bool,
    *more: Rows,
) -> Rows:
    pager = _pager(_my_view if kind == "ml" else _check_view, page, lang)
    return (
        *_item_rows(card, page.items),
        *((pager,) if pager else ()),
        *(row for rows in more for row in rows),
        *(_printable(kind, page, lang) if printable else ()),
    )


def my_list(page: Page, lang: str, *, printable: bool = True) -> Rows:
    """Return one choice per item on a contractor's page, paging, the narrowings, the PDF."""
    return _list("ml", OpenItem, page, lang, printable, _narrowings(page, lang))


def _narrowings(page: Page, lang: str) -> Rows:
    """Return the buttons that narrow a long list, each with the items it keeps.

    Only a list longer than a screen (or one narrowed already) offers them: rework only,
    overdue only, back to all, and the building picker (whole list: `mb`).
    """
    if page.only is None and page.total <= len(page.items):
        return ()
    row = []
    for only, n in ((Only.rework, page.rework), (Only.overdue, page.overdue)):
        if n and page.only is not only:
            label = t(lang, f"mylist.only_{only.name}", n=n)
            row.append(Choice(label, MyListPage(0, page.building, only).data()))
    if page.only is not None:
        everything = MyListPage(0, page.building).data()
        row.append(Choice(t(lang, "mylist.all", n=page.total), everything))
    row.append(Choice(t(lang, "mylist.buildings"), MyBuildings(page.only).data()))
    return (tuple(row),)


def my_buildings(found: tuple[tuple[str, int], ...], only: Only | None, lang: str) -> Rows:
    """Return one choice per building of my list (with its count), then the whole list."""
    buttons = [
        Choice(t(lang, "mylist.building_button", building=b, n=n), MyListPage(0, b, only).data())
        for b, n in found
    ]
    rows = [
        tuple(buttons[i : i + BUILDINGS_PER_ROW]) for i in range(0, len(buttons), BUILDINGS_PER_ROW)
    ]
    everything = Choice(
        t(lang, "mylist.all", n=sum(n for _, n in found)), MyListPage(0, None, only).data()
    )
    return (*rows, (everything,))


def to_check(page: Page, lang: str, *, printable: bool = True) -> Rows:
    """Return one choice per item to check, then paging, then the PDF."""
    return _list("tc", CheckItem, page, lang, printable)


def subscriptions(lang: str, wanted: dict[PushKind, bool]) -> Rows:
    """Return one toggle per report a person may receive: pressing it flips the choice."""
    return tuple(
        (
            Choice(
                t(lang, f"pushes.toggle_{'on' if on else 'off'}", kind=kind_name(lang, kind)),
                Subscribe(kind, not on).data(),
            ),
        )
        for kind, on in wanted.items()
    )


def kind_name(lang: str, kind: PushKind) -> str:
    """Return the name of a kind of push in the reader's language."""
    return t(lang, f"pushes.kind.{kind.value}")


def contractor_card(item_id: int, lang: str, *, repaired: bool, dispute: bool) -> Rows:
    """Return Repaired / Not ours (those models/ offers this person now) and Back."""
    rows = []
    if repaired:
        rows.append((Choice(t(lang, "btn.repaired"), Repaired(item_id).data()),))
    if dispute:
        rows.append((Choice(t(lang, "btn.not_ours"), Dispute(item_id).data()),))
    return (*rows, (Choice(t(lang, "btn.back"), MyListPage().data()),))


def inspector_card(item_id: int, lang: str, *, passes: bool, fails: bool) -> Rows:
    """Return Pass / Fail (those models/ offers this person now) and Back."""
    row = []
    if passes:
        row.append(Choice(t(lang, "btn.pass"), Pass(item_id).data()))
    if fails:
        row.append(Choice(t(lang, "btn.fail"), Fail(item_id).data()))
    back = (Choice(t(lang, "btn.back"), ToCheckPage().data()),)
    return (tuple(row), back) if row else (back,)


def card_moves(item_id: int, lang: str, moves: frozenset[Action]) -> Rows:
    """Return the buttons of an item reached by its number: those models/ offers, else none."""
    if Action.report_repaired in moves or Action.dispute in moves:
        repaired, dispute = Action.report_repaired in moves, Action.dispute in moves
        return contractor_card(item_id, lang, repaired=repaired, dispute=dispute)
    if Action.pass_ in moves or Action.fail in moves:
        passes, fails = Action.pass_ in moves, Action.fail in moves
        return inspector_card(item_id, lang, passes=passes, fails=fails)
    return ()


def finish(lang: str, item_id: int, *, can_finish: bool) -> Rows:
    """Return Done (when allowed) and Cancel for a step of one item's report."""
    done = (Choice(t(lang, "btn.done"), Done(item_id).data()),) if can_finish else ()
    return ((*done, Choice(t(lang, "btn.cancel"), Cancel(item_id).data())),)


def photo_step(lang: str, item_id: int, *, may_skip: bool) -> Rows:
    """Return Skip (only when photos are optional) and Cancel for one item's report."""
    skip = (Choice(t(lang, "btn.skip"), Skip(item_id).data()),) if may_skip else ()
    return ((*skip, Choice(t(lang, "btn.cancel"), Cancel(item_id).data())),)


def open_again(card: type[OpenItem | CheckItem], item_id: int, lang: str) -> Rows:
    """Return one choice that opens an item's card again (a contractor's, an inspector's)."""
    return ((Choice(t(lang, "btn.open_item", id=item_id), card(item_id).data()),),)


def my_list_button(lang: str) -> Rows:
    """Return a choice back to my list."""
    return ((Choice(t(lang, "btn.my_list"), MyListPage().data()),),)


def open_item(item_id: int, lang: str) -> Rows:
    """Return a choice that opens one item's card, and one to my list."""
    return (
        (Choice(t(lang, "btn.open_item", id=item_id), OpenItem(item_id).data()),),
        (Choice(t(lang, "btn.my_list"), MyListPage().data()),),
    )


def to_check_button(lang: str) -> Rows:
    """Return a choice back to the to-check list."""
    return ((Choice(t(lang, "btn.to_check"), ToCheckPage().data()),),)


def cancel_only(lang: str, item_id: int) -> Rows:
    """Return a lone Cancel for one item's report."""
    return ((Choice(t(lang, "btn.cancel"), Cancel(item_id).data()),),)


def languages() -> Rows:
    """Return the language choice, each in its own words."""
    return (
        (
            Choice("中文", ChooseLanguage("zh").data()),
            Choice("English", ChooseLanguage("en").data()),
        ),
    )


def options(pairs: list[tuple[str, Button]]) -> Rows:
    """Return one choice a row for each (label, button): pick one of several."""
    return tuple((Choice(label, pressed.data()),) for label, pressed in pairs)
