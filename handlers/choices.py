"""The buttons of a screen in no platform's terms: rows of (label, callback data) choices.

A chat adapter draws them (handlers/keyboards.py as Telegram inline keyboards) and a job puts
them on a notice, so a list's buttons are defined once for the screen and the morning push.
"""

from __future__ import annotations

from dataclasses import dataclass

from handlers.i18n import t
from models.queries import ItemLine, Only, Page
from models.tables import Action, PushKind

PER_ROW = 2
BUILDINGS_PER_ROW = 3


@dataclass(frozen=True)
class Choice:
    """A button: its label, and the data a flow's anchored pattern takes (`prefix:payload`)."""

    label: str
    data: str


Rows = tuple[tuple[Choice, ...], ...]


def _where(building: str | None, only: Only | None = None) -> str:
    """Return the tail of a list choice's data: `:3` (building 3), `::o` (overdue only), `:3:r`."""
    if not building and not only:
        return ""
    return f":{building or ''}" + (f":{only.value}" if only else "")


def _view(prefix: str, page: int, building: str | None, only: Only | None = None) -> str:
    """Return a list choice's data: `ml:2`, `ml:2:3` (building 3), `ml:0::o` (overdue only)."""
    return f"{prefix}:{page}{_where(building, only)}"


def _pager(prefix: str, page: Page, lang: str) -> tuple[Choice, ...]:
    row = []
    if page.page > 0:
        row.append(
            Choice(t(lang, "btn.prev"), _view(prefix, page.page - 1, page.building, page.only))
        )
    if page.page + 1 < page.pages:
        row.append(
            Choice(t(lang, "btn.next"), _view(prefix, page.page + 1, page.building, page.only))
        )
    return tuple(row)


def _item_rows(prefix: str, items: tuple[ItemLine, ...]) -> Rows:
    buttons = [Choice(f"#{x.id} {x.unit_code}", f"{prefix}:{x.id}") for x in items]
    return tuple(tuple(buttons[i : i + PER_ROW]) for i in range(0, len(buttons), PER_ROW))


def _printable(prefix: str, page: Page, lang: str) -> Rows:
    if not page.shown:
        return ()
    data = f"pdf:{prefix}{_where(page.building, page.only)}"
    return ((Choice(t(lang, "pdf.button"), data),),)


def _list(prefix: str, item: str, page: Page, lang: str, printable: bool, *more: Rows) -> Rows:
    pager = _pager(prefix, page, lang)
    return (
        *_item_rows(item, page.items),
        *((pager,) if pager else ()),
        *(row for rows in more for row in rows),
        *(_printable(prefix, page, lang) if printable else ()),
    )


def my_list(page: Page, lang: str, *, printable: bool = True) -> Rows:
    """Return one choice per item on a contractor's page, paging, the narrowings, the PDF."""
    return _list("ml", "it", page, lang, printable, _narrowings(page, lang))


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
            row.append(Choice(label, _view("ml", 0, page.building, only)))
    if page.only is not None:
        row.append(Choice(t(lang, "mylist.all", n=page.total), _view("ml", 0, page.building)))
    picker = f"mb:{page.only.value}" if page.only else "mb"
    row.append(Choice(t(lang, "mylist.buildings"), picker))
    return (tuple(row),)


def my_buildings(found: tuple[tuple[str, int], ...], only: Only | None, lang: str) -> Rows:
    """Return one choice per building of my list (with its count), then the whole list."""
    buttons = [
        Choice(t(lang, "mylist.building_button", building=b, n=n), _view("ml", 0, b, only))
        for b, n in found
    ]
    rows = [
        tuple(buttons[i : i + BUILDINGS_PER_ROW]) for i in range(0, len(buttons), BUILDINGS_PER_ROW)
    ]
    everything = Choice(
        t(lang, "mylist.all", n=sum(n for _, n in found)), _view("ml", 0, None, only)
    )
    return (*rows, (everything,))


def to_check(page: Page, lang: str, *, printable: bool = True) -> Rows:
    """Return one choice per item to check, then paging, then the PDF."""
    return _list("tc", "ck", page, lang, printable)


def subscriptions(lang: str, wanted: dict[PushKind, bool]) -> Rows:
    """Return one toggle per report a person may receive: pressing it flips the choice."""
    return tuple(
        (
            Choice(
                t(lang, f"pushes.toggle_{'on' if on else 'off'}", kind=kind_name(lang, kind)),
                f"sub:{kind.value}:{0 if on else 1}",
            ),
        )
        for kind, on in wanted.items()
    )


def kind_name(lang: str, kind: PushKind) -> str:
    """Return the name of a kind of push in the reader's language."""
    return t(lang, f"pushes.kind.{kind.value}")


# Patterns the flows route; payloads are digits so forged data cannot inject text.
# A list choice: a page and maybe a building ("tc:2:3"); bare "tc" is the page last seen.
# A contractor's list may also be narrowed to rework (r) or overdue (o) items: "ml:0::o".
MY_LIST = r"^ml(?::(\d{1,12})(?::([0-9A-Z]{1,6})?(?::([ro]))?)?)?$"
# The building picker of my list, keeping its narrowing ("mb:r").
MY_BUILDINGS = r"^mb(?::([ro]))?$"
OPEN_ITEM = r"^it:(\d{1,12})$"
REPAIRED = r"^rp:(\d{1,12})$"
DISPUTE = r"^dp:(\d{1,12})$"
TO_CHECK = r"^tc(?::(\d{1,12})(?::([0-9A-Z]{1,6}))?)?$"
CHECK_ITEM = r"^ck:(\d{1,12})$"
PASS = r"^ps:(\d{1,12})$"
FAIL = r"^fl:(\d{1,12})$"
# The steps of a report carry its item (older choices without one mean the report at hand).
DONE = r"^done(?::(\d{1,12}))?$"
SKIP = r"^skip(?::(\d{1,12}))?$"
CANCEL = r"^cancel(?::(\d{1,12}))?$"
LANGUAGE = r"^lang:(zh|en)$"
# The printable PDF of my list (ml) or of the to-check list (tc), maybe of one building.
PRINTABLE = r"^pdf:(ml|tc)(?::([0-9A-Z]{1,6})?(?::([ro]))?)?$"


def contractor_card(item_id: int, lang: str, *, repaired: bool, dispute: bool) -> Rows:
    """Return Repaired / Not ours (those models/ offers this person now) and Back."""
    rows = []
    if repaired:
        rows.append((Choice(t(lang, "btn.repaired"), f"rp:{item_id}"),))
    if dispute:
        rows.append((Choice(t(lang, "btn.not_ours"), f"dp:{item_id}"),))
    return (*rows, (Choice(t(lang, "btn.back"), "ml"),))


def inspector_card(item_id: int, lang: str, *, passes: bool, fails: bool) -> Rows:
    """Return Pass / Fail (those models/ offers this person now) and Back."""
    row = []
    if passes:
        row.append(Choice(t(lang, "btn.pass"), f"ps:{item_id}"))
    if fails:
        row.append(Choice(t(lang, "btn.fail"), f"fl:{item_id}"))
    back = (Choice(t(lang, "btn.back"), "tc"),)
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
    done = (Choice(t(lang, "btn.done"), f"done:{item_id}"),) if can_finish else ()
    return ((*done, Choice(t(lang, "btn.cancel"), f"cancel:{item_id}")),)


def photo_step(lang: str, item_id: int, *, may_skip: bool) -> Rows:
    """Return Skip (only when photos are optional) and Cancel for one item's report."""
    skip = (Choice(t(lang, "btn.skip"), f"skip:{item_id}"),) if may_skip else ()
    return ((*skip, Choice(t(lang, "btn.cancel"), f"cancel:{item_id}")),)


def open_again(prefix: str, item_id: int, lang: str) -> Rows:
    """Return one choice that opens an item's card again (`it` contractor, `ck` inspector)."""
    return ((Choice(t(lang, "btn.open_item", id=item_id), f"{prefix}:{item_id}"),),)


def my_list_button(lang: str) -> Rows:
    """Return a choice back to my list."""
    return ((Choice(t(lang, "btn.my_list"), "ml"),),)


def open_item(item_id: int, lang: str) -> Rows:
    """Return a choice that opens one item's card, and one to my list."""
    return (
        (Choice(t(lang, "btn.open_item", id=item_id), f"it:{item_id}"),),
        (Choice(t(lang, "btn.my_list"), "ml"),),
    )


def to_check_button(lang: str) -> Rows:
    """Return a choice back to the to-check list."""
    return ((Choice(t(lang, "btn.to_check"), "tc"),),)


def cancel_only(lang: str, item_id: int) -> Rows:
    """Return a lone Cancel for one item's report."""
    return ((Choice(t(lang, "btn.cancel"), f"cancel:{item_id}"),),)


def languages() -> Rows:
    """Return the language choice, each in its own words."""
    return ((Choice("中文", "lang:zh"), Choice("English", "lang:en")),)


def options(pairs: list[tuple[str, str]]) -> Rows:
    """Return one choice a row for each (label, data): pick one of several."""
    return tuple((Choice(label, data),) for label, data in pairs)
