"""Choices of /new, in no platform's terms. Their data is `nw:...`, matched by anchored patterns."""

from __future__ import annotations

from handlers.choices import Choice as Button
from handlers.choices import Rows
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
UNIT_PAGE = r"^nw:up:(\d{1,4})$"
SAME_UNIT = r"^nw:same$"
ROOM = r"^nw:l:(" + "|".join(ROOMS) + r")$"
CATEGORY = r"^nw:c:(\d{1,12})$"
PHOTOS_DONE = r"^nw:done$"
TODAY = r"^nw:today$"
YESTERDAY = r"^nw:yday$"
DATE_YES = r"^nw:dok:(\d{4}-\d{2}-\d{2})$"
DATE_AGAIN = r"^nw:dre$"
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
    return [Button(t(lang, "btn.cancel"), "nw:x")]


def _rows(buttons: list[Button], per_row: int) -> list[list[Button]]:
    return [buttons[i : i + per_row] for i in range(0, len(buttons), per_row)]


def _keys(rows: list[list[Button]]) -> Rows:
    """Return rows of choices as a screen takes them."""
    return tuple(tuple(row) for row in rows)


def cancel_only(lang: str) -> Rows:
    """Return a lone Cancel button."""
    return _keys([_cancel(lang)])


def projects(choices: list[Choice], lang: str) -> Rows:
    """Return one button per project, then Cancel."""
    rows = [[Button(p.name, f"nw:p:{p.id}")] for p in choices]
    return _keys([*rows, _cancel(lang)])


def ask_unit(lang: str, same: str | None) -> Rows:
    """Return "Same flat" (when one is remembered) and Cancel."""
    rows = [[Button(t(lang, "btn.same_unit", unit=same), "nw:same")]] if same else []
    return _keys([*rows, _cancel(lang)])


def suggestions(codes: tuple[str, ...], lang: str) -> Rows:
    """Return one button per suggested flat, then Cancel."""
    buttons = [Button(code, f"nw:u:{code}") for code in codes]
    return _keys([*_rows(buttons, 3), _cancel(lang)])


def unit_choices(codes: tuple[str, ...], page: int, pages: int, lang: str) -> Rows:
    """Return one page of the flats a typed code fits, a turn of the page, then Cancel."""
    buttons = [Button(code, f"nw:u:{code}") for code in codes]
    turn = []
    if page > 0:
        turn.append(Button(t(lang, "btn.prev"), f"nw:up:{page - 1}"))
    if page + 1 < pages:
        turn.append(Button(t(lang, "btn.next"), f"nw:up:{page + 1}"))
    return _keys([*_rows(buttons, 3), *([turn] if turn else []), _cancel(lang)])


def rooms(lang: str) -> Rows:
    """Return the common rooms, three a row, then Cancel."""
    buttons = [Button(t(lang, f"intake.room.{r}"), f"nw:l:{r}") for r in ROOMS]
    return _keys([*_rows(buttons, 3), _cancel(lang)])


def categories(choices: list[CategoryChoice], lang: str) -> Rows:
    """Return the project's categories in the reader's language, then Cancel."""
    buttons = [Button(c.name_zh if lang == "zh" else c.name_en, f"nw:c:{c.id}") for c in choices]
    return _keys([*_rows(buttons, 3), _cancel(lang)])


def photos(lang: str, *, any_sent: bool) -> Rows:
    """Return Skip (before any photo) or Done (after), and Cancel."""
    key = "btn.done" if any_sent else "btn.skip_photos"
    return _keys([[Button(t(lang, key), "nw:done"), *_cancel(lang)]])


def photos_kept(lang: str) -> Rows:
    """Return Done, Remove all photos, and Cancel."""
    done = Button(t(lang, "btn.done"), "nw:done")
    clear = Button(t(lang, "btn.clear_photos"), "nw:nophotos")
    return _keys([[done, clear], _cancel(lang)])


def ask_date(lang: str, today: str, yesterday: str, last: str | None) -> Rows:
    """Return Today, Yesterday, "Same as before" when another date is remembered, and Cancel."""
    rows = [
        [
            Button(t(lang, "btn.today", date=today), "nw:today"),
            Button(t(lang, "btn.yesterday", date=yesterday), "nw:yday"),
        ]
    ]
    if last and last not in (today, yesterday):
        rows.append([Button(t(lang, "btn.same_date", date=last), "nw:lastdate")])
    return _keys([*rows, _cancel(lang)])


def confirm_date(lang: str, raised: str) -> Rows:
    """Return "Yes, that date" (the date in its data: an older question keeps its own date),
    Type it again, and Cancel."""
    yes = Button(t(lang, "btn.date_yes", date=raised), f"nw:dok:{raised}")
    again = Button(t(lang, "btn.date_again"), "nw:dre")
    return _keys([[yes, again], _cancel(lang)])


def ask_sheet(lang: str, last: str | None) -> Rows:
    """Return "Same sheet" (when one is remembered), No sheet number, and Cancel."""
    rows = [[Button(t(lang, "btn.same_sheet", sheet=last), "nw:sheet")]] if last else []
    rows.append([Button(t(lang, "btn.no_sheet"), "nw:nosheet")])
    return _keys([*rows, _cancel(lang)])


def summary(lang: str, *, has_contractor: bool) -> Rows:
    """Return Confirm (once a contractor is known), choose a contractor, Change…, Cancel."""
    rows = [[Button(t(lang, "btn.confirm"), "nw:ok")]] if has_contractor else []
    key = "btn.other_contractor" if has_contractor else "btn.pick_contractor"
    rows.append([Button(t(lang, key), "nw:who")])
    rows.append([Button(t(lang, "btn.change"), "nw:fix")])
    return _keys([*rows, _cancel(lang)])


def fields(lang: str) -> Rows:
    """Return a button per field of the item, two a row, then Back to the summary.

    No Cancel here: a clerk who changes their mind about correcting must not lose the item.
    """
    buttons = [Button(t(lang, f"btn.fix.{f}"), f"nw:fix:{f}") for f in FIELDS]
    back = Button(t(lang, "btn.back_to_summary"), "nw:sum")
    return _keys([*_rows(buttons, 2), [back]])


def contractors(choices: list[Choice], lang: str) -> Rows:
    """Return one button per contractor, then Cancel."""
    rows = [[Button(c.name, f"nw:k:{c.id}")] for c in choices]
    return _keys([*rows, _cancel(lang)])


def after_entry(lang: str) -> Rows:
    """Return Next item (same flat), Next flat, and Finish."""
    return _keys(
        [
            [Button(t(lang, "btn.next_same_unit"), "nw:again")],
            [
                Button(t(lang, "btn.next_unit"), "nw:flat"),
                Button(t(lang, "btn.finish"), "nw:end"),
            ],
        ]
    )
