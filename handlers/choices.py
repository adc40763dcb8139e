"""The buttons of a screen in no platform's terms: rows of (label, callback data) choices.

A chat adapter draws them (handlers/keyboards.py as Telegram inline keyboards) and a job puts
them on a notice, so a list's buttons are defined once for the screen and the morning push.
"""

from __future__ import annotations

from dataclasses import dataclass

from handlers.i18n import t
from models.queries import ItemLine, Page
from models.tables import PushKind

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
