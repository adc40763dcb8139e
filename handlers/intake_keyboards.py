"""Buttons of /new. Callback data is `nw:...`, matched by anchored patterns."""

from __future__ import annotations

from telegram import InlineKeyboardButton as Button
from telegram import InlineKeyboardMarkup as Markup

from handlers.i18n import t
from models.intake import CategoryChoice, Choice

# The rooms inspection sheets name most; each has a text `intake.room.<key>` in both languages.
ROOMS = (
    "living",
    "dining",
    "master_bedroom",
    "bedroom",
    "study",
    "kitchen",
    "bathroom",
    "master_bathroom",
    "balcony",
    "entrance_door",
    "corridor",
    "facade",
)

# The fields of an item a clerk may correct from the summary, in the order they were asked;
# each has a button text `btn.fix.<field>` in both languages.
FIELDS = (
    "unit",
    "location",
    "category",
    "description",
    "photos",
    "date",
    "sheet",
    "contractor",
)

# Payloads are ids, room keys or flat codes, so forged data cannot inject text.
PROJECT = r"^nw:p:(\d{1,12})$"
UNIT = r"^nw:u:([0-9A-Z]{1,6}-[0-9A-Z]{1,6}-[0-9A-Z]{1,6})$"
SAME_UNIT = r"^nw:same$"
ROOM = r"^nw:l:(" + "|".join(ROOMS) + r")$"
CATEGORY = r"^nw:c:(\d{1,12})$"
PHOTOS_DONE = r"^nw:done$"
TODAY = r"^nw:today$"
SAME_DATE = r"^nw:lastdate$"
SAME_SHEET = r"^nw:sheet$"
NO_SHEET = r"^nw:nosheet$"
CONFIRM = r"^nw:ok$"
OTHER_CONTRACTOR = r"^nw:who$"
CONTRACTOR = r"^nw:k:(\d{1,12})$"
CHANGE_DATE = r"^nw:date$"
CORRECT = r"^nw:fix$"
FIELD = r"^nw:fix:(" + "|".join(FIELDS) + r")$"
BACK_TO_SUMMARY = r"^nw:sum$"
CLEAR_PHOTOS = r"^nw:nophotos$"
NEXT_SAME_UNIT = r"^nw:again$"
NEXT_UNIT = r"^nw:flat$"
FINISH = r"^nw:end$"
CANCEL = r"^nw:x$"


def _cancel(lang: str) -> list[Button]:
    return [Button(t(lang, "btn.cancel"), callback_data="nw:x")]


def _rows(buttons: list[Button], per_row: int) -> list[list[Button]]:
    return [buttons[i : i + per_row] for i in range(0, len(buttons), per_row)]


def cancel_only(lang: str) -> Markup:
    """Return a lone Cancel button."""
    return Markup([_cancel(lang)])


def projects(choices: list[Choice], lang: str) -> Markup:
    """Return one button per project, then Cancel."""
    rows = [[Button(p.name, callback_data=f"nw:p:{p.id}")] for p in choices]
    return Markup([*rows, _cancel(lang)])


def ask_unit(lang: str, same: str | None) -> Markup:
    """Return "Same flat" (when one is remembered) and Cancel."""
    rows = [[Button(t(lang, "btn.same_unit", unit=same), callback_data="nw:same")]] if same else []
    return Markup([*rows, _cancel(lang)])


def suggestions(codes: tuple[str, ...], lang: str) -> Markup:
    """Return one button per suggested flat, then Cancel."""
    buttons = [Button(code, callback_data=f"nw:u:{code}") for code in codes]
    return Markup([*_rows(buttons, 3), _cancel(lang)])


def rooms(lang: str) -> Markup:
    """Return the common rooms, three a row, then Cancel."""
    buttons = [Button(t(lang, f"intake.room.{r}"), callback_data=f"nw:l:{r}") for r in ROOMS]
    return Markup([*_rows(buttons, 3), _cancel(lang)])


def categories(choices: list[CategoryChoice], lang: str) -> Markup:
    """Return the project's categories in the reader's language, then Cancel."""
    buttons = [
        Button(c.name_zh if lang == "zh" else c.name_en, callback_data=f"nw:c:{c.id}")
        for c in choices
    ]
    return Markup([*_rows(buttons, 3), _cancel(lang)])


def photos(lang: str, *, any_sent: bool) -> Markup:
    """Return Skip (before any photo) or Done (after), and Cancel."""
    key = "btn.done" if any_sent else "btn.skip_photos"
    return Markup([[Button(t(lang, key), callback_data="nw:done"), *_cancel(lang)]])


def photos_kept(lang: str) -> Markup:
    """Return Done, Remove all photos, and Cancel."""
    done = Button(t(lang, "btn.done"), callback_data="nw:done")
    clear = Button(t(lang, "btn.clear_photos"), callback_data="nw:nophotos")
    return Markup([[done, clear], _cancel(lang)])


def ask_date(lang: str, today: str, last: str | None) -> Markup:
    """Return Today, "Same as before" when another date is remembered, and Cancel."""
    row = [Button(t(lang, "btn.today", date=today), callback_data="nw:today")]
    if last and last != today:
        row.append(Button(t(lang, "btn.same_date", date=last), callback_data="nw:lastdate"))
    return Markup([row, _cancel(lang)])


def ask_sheet(lang: str, last: str | None) -> Markup:
    """Return "Same sheet" (when one is remembered), No sheet number, and Cancel."""
    rows = (
        [[Button(t(lang, "btn.same_sheet", sheet=last), callback_data="nw:sheet")]] if last else []
    )
    rows.append([Button(t(lang, "btn.no_sheet"), callback_data="nw:nosheet")])
    return Markup([*rows, _cancel(lang)])


def summary(lang: str, *, has_contractor: bool) -> Markup:
    """Return Confirm (once a contractor is known), choose a contractor, Change…, Cancel."""
    rows = [[Button(t(lang, "btn.confirm"), callback_data="nw:ok")]] if has_contractor else []
    key = "btn.other_contractor" if has_contractor else "btn.pick_contractor"
    rows.append([Button(t(lang, key), callback_data="nw:who")])
    rows.append([Button(t(lang, "btn.change"), callback_data="nw:fix")])
    return Markup([*rows, _cancel(lang)])


def fields(lang: str) -> Markup:
    """Return a button per field of the item, two a row, then Back to the summary.

    No Cancel here: a clerk who changes their mind about correcting must not lose the item.
    """
    buttons = [Button(t(lang, f"btn.fix.{f}"), callback_data=f"nw:fix:{f}") for f in FIELDS]
    back = Button(t(lang, "btn.back_to_summary"), callback_data="nw:sum")
    return Markup([*_rows(buttons, 2), [back]])


def contractors(choices: list[Choice], lang: str) -> Markup:
    """Return one button per contractor, then Cancel."""
    rows = [[Button(c.name, callback_data=f"nw:k:{c.id}")] for c in choices]
    return Markup([*rows, _cancel(lang)])


def after_entry(lang: str) -> Markup:
    """Return Next item (same flat), Next flat, and Finish."""
    return Markup(
        [
            [Button(t(lang, "btn.next_same_unit"), callback_data="nw:again")],
            [
                Button(t(lang, "btn.next_unit"), callback_data="nw:flat"),
                Button(t(lang, "btn.finish"), callback_data="nw:end"),
            ],
        ]
    )
