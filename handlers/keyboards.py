"""Inline keyboards. Callback data is `prefix:payload`, matched by anchored patterns."""

from __future__ import annotations

from telegram import InlineKeyboardButton as Button
from telegram import InlineKeyboardMarkup as Markup

from handlers import choices as neutral

# The flows' patterns, defined once with the choices (re-exported for the Telegram handlers).
from handlers.choices import (  # noqa: E402, F401
    CANCEL,
    CHECK_ITEM,
    DISPUTE,
    DONE,
    FAIL,
    LANGUAGE,
    MY_LIST,
    OPEN_ITEM,
    PASS,
    PRINTABLE,
    REPAIRED,
    SKIP,
    TO_CHECK,
)
from handlers.i18n import t
from models.queries import Page


def markup(rows: neutral.Rows) -> Markup:
    """Return neutral choices as an inline keyboard, one row per row."""
    return Markup([[Button(c.label, callback_data=c.data) for c in row] for row in rows])


def my_list(page: Page, lang: str) -> Markup:
    """Return one button per item on the page, then paging, then the printable PDF."""
    return markup(neutral.my_list(page, lang))


def to_check(page: Page, lang: str) -> Markup:
    """Return one button per item to check, then paging, then the printable PDF."""
    return markup(neutral.to_check(page, lang))


def contractor_card(item_id: int, lang: str, *, actionable: bool) -> Markup:
    """Return Repaired / Not ours / Back for a contractor's item."""
    back = [Button(t(lang, "btn.back"), callback_data="ml")]
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
    back = [Button(t(lang, "btn.back"), callback_data="tc")]
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


def finish(lang: str, item_id: int, *, can_finish: bool) -> Markup:
    """Return Done (when allowed) and Cancel for a step of one item's report."""
    row = [Button(t(lang, "btn.done"), callback_data=f"done:{item_id}")] if can_finish else []
    return Markup([row + [Button(t(lang, "btn.cancel"), callback_data=f"cancel:{item_id}")]])


def photo_step(lang: str, item_id: int, *, may_skip: bool) -> Markup:
    """Return Skip (only when photos are optional) and Cancel for one item's report."""
    row = [Button(t(lang, "btn.skip"), callback_data=f"skip:{item_id}")] if may_skip else []
    return Markup([row + [Button(t(lang, "btn.cancel"), callback_data=f"cancel:{item_id}")]])


def open_again(prefix: str, item_id: int, lang: str) -> Markup:
    """Return one button that opens an item's card again (`it` contractor, `ck` inspector)."""
    return Markup(
        [[Button(t(lang, "btn.open_item", id=item_id), callback_data=f"{prefix}:{item_id}")]]
    )


def my_list_button(lang: str) -> Markup:
    """Return a button back to my list."""
    return Markup([[Button(t(lang, "btn.my_list"), callback_data="ml")]])


def open_item(item_id: int, lang: str) -> Markup:
    """Return a button that opens one item's card, and one to my list."""
    return Markup(
        [
            [Button(t(lang, "btn.open_item", id=item_id), callback_data=f"it:{item_id}")],
            [Button(t(lang, "btn.my_list"), callback_data="ml")],
        ]
    )


def to_check_button(lang: str) -> Markup:
    """Return a button back to the to-check list."""
    return Markup([[Button(t(lang, "btn.to_check"), callback_data="tc")]])


def cancel_only(lang: str, item_id: int) -> Markup:
    """Return a lone Cancel button for one item's report."""
    return Markup([[Button(t(lang, "btn.cancel"), callback_data=f"cancel:{item_id}")]])


def languages() -> Markup:
    """Return the language choice, each in its own words."""
    return Markup(
        [[Button("中文", callback_data="lang:zh"), Button("English", callback_data="lang:en")]]
    )


def choices(options: list[tuple[str, str]]) -> Markup:
    """Return one button a row for each (label, callback data): pick one of several."""
    return Markup([[Button(label, callback_data=data)] for label, data in options])
