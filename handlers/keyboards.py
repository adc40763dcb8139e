"""Inline keyboards. Callback data is `prefix:payload`, matched by anchored patterns."""

from __future__ import annotations

from telegram import InlineKeyboardButton as Button
from telegram import InlineKeyboardMarkup as Markup

from bot.i18n import t
from models.queries import ItemLine, Page

# Patterns the handlers register; payloads are digits so forged data cannot inject text.
MY_LIST = r"^ml:(\d{1,12})$"
OPEN_ITEM = r"^it:(\d{1,12})$"
REPAIRED = r"^rp:(\d{1,12})$"
DISPUTE = r"^dp:(\d{1,12})$"
TO_CHECK = r"^tc:(\d{1,12})$"
CHECK_ITEM = r"^ck:(\d{1,12})$"
PASS = r"^ps:(\d{1,12})$"
FAIL = r"^fl:(\d{1,12})$"
DONE = r"^done$"
SKIP = r"^skip$"
CANCEL = r"^cancel$"
LANGUAGE = r"^lang:(zh|en)$"

PER_ROW = 2


def _pager(prefix: str, page: Page, lang: str) -> list[Button]:
    row = []
    if page.page > 0:
        row.append(Button(t(lang, "btn.prev"), callback_data=f"{prefix}:{page.page - 1}"))
    if page.page + 1 < page.pages:
        row.append(Button(t(lang, "btn.next"), callback_data=f"{prefix}:{page.page + 1}"))
    return row


def _item_buttons(prefix: str, items: tuple[ItemLine, ...]) -> list[list[Button]]:
    buttons = [Button(f"#{x.id} {x.unit_code}", callback_data=f"{prefix}:{x.id}") for x in items]
    return [buttons[i : i + PER_ROW] for i in range(0, len(buttons), PER_ROW)]


def my_list(page: Page, lang: str) -> Markup:
    """Return one button per item on the page, then paging."""
    rows = _item_buttons("it", page.items)
    pager = _pager("ml", page, lang)
    return Markup([*rows, pager] if pager else rows)


def to_check(page: Page, lang: str) -> Markup:
    """Return one button per item to check, then paging."""
    rows = _item_buttons("ck", page.items)
    pager = _pager("tc", page, lang)
    return Markup([*rows, pager] if pager else rows)


def contractor_card(item_id: int, lang: str, *, actionable: bool) -> Markup:
    """Return Repaired / Not ours / Back for a contractor's item."""
    back = [Button(t(lang, "btn.back"), callback_data="ml:0")]
    if not actionable:
        return Markup([back])
    return Markup(
        [
            [Button(t(lang, "btn.repaired"), callback_data=f"rp:{item_id}")],
            [Button(t(lang, "btn.not_ours"), callback_data=f"dp:{item_id}")],
            back,
        ]
    )


def inspector_card(item_id: int, lang: str, *, actionable: bool) -> Markup:
    """Return Pass / Fail / Back for an item awaiting acceptance."""
    back = [Button(t(lang, "btn.back"), callback_data="tc:0")]
    if not actionable:
        return Markup([back])
    return Markup(
        [
            [
                Button(t(lang, "btn.pass"), callback_data=f"ps:{item_id}"),
                Button(t(lang, "btn.fail"), callback_data=f"fl:{item_id}"),
            ],
            back,
        ]
    )


def finish(lang: str, *, can_finish: bool) -> Markup:
    """Return Done (when allowed) and Cancel for a step that collects photos."""
    row = [Button(t(lang, "btn.done"), callback_data="done")] if can_finish else []
    return Markup([row + [Button(t(lang, "btn.cancel"), callback_data="cancel")]])


def photo_step(lang: str, *, may_skip: bool) -> Markup:
    """Return Skip (only when photos are optional) and Cancel."""
    row = [Button(t(lang, "btn.skip"), callback_data="skip")] if may_skip else []
    return Markup([row + [Button(t(lang, "btn.cancel"), callback_data="cancel")]])


def my_list_button(lang: str) -> Markup:
    """Return a button back to my list."""
    return Markup([[Button(t(lang, "btn.my_list"), callback_data="ml:0")]])


def open_item(item_id: int, lang: str) -> Markup:
    """Return a button that opens one item's card, and one to my list."""
    return Markup(
        [
            [Button(t(lang, "btn.open_item", id=item_id), callback_data=f"it:{item_id}")],
            [Button(t(lang, "btn.my_list"), callback_data="ml:0")],
        ]
    )


def to_check_button(lang: str) -> Markup:
    """Return a button back to the to-check list."""
    return Markup([[Button(t(lang, "btn.to_check"), callback_data="tc:0")]])


def cancel_only(lang: str) -> Markup:
    """Return a lone Cancel button."""
    return Markup([[Button(t(lang, "btn.cancel"), callback_data="cancel")]])


def languages() -> Markup:
    """Return the language choice, each in its own words."""
    return Markup(
        [[Button("中文", callback_data="lang:zh"), Button("English", callback_data="lang:en")]]
    )


def choices(options: list[tuple[str, str]]) -> Markup:
    """Return one button a row for each (label, callback data): pick one of several."""
    return Markup([[Button(label, callback_data=data)] for label, data in options])
