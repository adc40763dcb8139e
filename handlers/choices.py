"""The buttons of a screen in no platform's terms: rows of (label, callback data) choices.

A chat adapter draws them (handlers/keyboards.py as Telegram inline keyboards) and a job puts
them on a notice, so a list's buttons are defined once for the screen and the morning push.
"""

from __future__ import annotations

from dataclasses import dataclass

from handlers.i18n import t
from models.queries import ItemLine, Page
from models.tables import Action, PushKind

PER_ROW = 2


@dataclass(frozen=True)
class Choice:
    """A button: its label, and the data a flow's anchored pattern takes (`prefix:payload`)."""

    label: str
    data: str


Rows = tuple[tuple[Choice, ...], ...]


def _pager(prefix: str, page: Page, lang: str) -> tuple[Choice, ...]:
    row = []
    where = f":{page.building}" if page.building else ""
    if page.page > 0:
        row.append(Choice(t(lang, "btn.prev"), f"{prefix}:{page.page - 1}{where}"))
    if page.page + 1 < page.pages:
        row.append(Choice(t(lang, "btn.next"), f"{prefix}:{page.page + 1}{where}"))
    return tuple(row)


def _item_rows(prefix: str, items: tuple[ItemLine, ...]) -> Rows:
    buttons = [Choice(f"#{x.id} {x.unit_code}", f"{prefix}:{x.id}") for x in items]
    return tuple(tuple(buttons[i : i + PER_ROW]) for i in range(0, len(buttons), PER_ROW))


def _printable(prefix: str, page: Page, lang: str) -> Rows:
    if not page.total:
        return ()
    where = f":{page.building}" if page.building else ""
    return ((Choice(t(lang, "pdf.button"), f"pdf:{prefix}{where}"),),)


def _list(prefix: str, item: str, page: Page, lang: str, printable: bool) -> Rows:
    pager = _pager(prefix, page, lang)
    return (
        *_item_rows(item, page.items),
        *((pager,) if pager else ()),
        *(_printable(prefix, page, lang) if printable else ()),
    )


def my_list(page: Page, lang: str, *, printable: bool = True) -> Rows:
    """Return one choice per item on a contractor's page, then paging, then the PDF."""
    return _list("ml", "it", page, lang, printable)


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
MY_LIST = r"^ml(?::(\d{1,12})(?::([0-9A-Z]{1,6}))?)?$"
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
PRINTABLE = r"^pdf:(ml|tc)(?::([0-9A-Z]{1,6}))?$"


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
