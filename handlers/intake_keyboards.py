"""Choices of /new, in no platform's terms; their kinds (`nw:...`): handlers/intake_buttons.py."""

from __future__ import annotations

from handlers import intake_buttons as b
from handlers.choices import Choice as Button
from handlers.choices import Rows
from handlers.i18n import t
from handlers.intake_buttons import ENTRY_FIELDS, ROOMS
from models.intake import CategoryChoice, Choice


def _cancel(lang: str) -> list[Button]:
    return [Button(t(lang, "btn.cancel"), b.NewCancel().data())]


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
    rows = [[Button(p.name, b.NewProject(p.id).data())] for p in choices]
    return _keys([*rows, _cancel(lang)])


def ask_unit(lang: str, same: str | None) -> Rows:
    """Return "Same flat" (when one is remembered) and Cancel."""
    rows = [[Button(t(lang, "btn.same_unit", unit=same), b.NewSameUnit().data())]] if same else []
    return _keys([*rows, _cancel(lang)])


def suggestions(codes: tuple[str, ...], lang: str) -> Rows:
    """Return one button per suggested flat, then Cancel."""
    buttons = [Button(code, b.NewUnit(code).data()) for code in codes]
    return _keys([*_rows(buttons, 3), _cancel(lang)])


def unit_choices(codes: tuple[str, ...], page: int, pages: int, lang: str) -> Rows:
    """Return one page of the flats a typed code fits, a turn of the page, then Cancel."""
    buttons = [Button(code, b.NewUnit(code).data()) for code in codes]
    turn = []
    if page > 0:
        turn.append(Button(t(lang, "btn.prev"), b.NewUnitPage(page - 1).data()))
    if page + 1 < pages:
        turn.append(Button(t(lang, "btn.next"), b.NewUnitPage(page + 1).data()))
    return _keys([*_rows(buttons, 3), *([turn] if turn else []), _cancel(lang)])


def rooms(lang: str) -> Rows:
    """Return the common rooms, three a row, then Cancel."""
    buttons = [Button(t(lang, f"intake.room.{r}"), b.NewRoom(r).data()) for r in ROOMS]
    return _keys([*_rows(buttons, 3), _cancel(lang)])


def categories(choices: list[CategoryChoice], lang: str) -> Rows:
    """Return the project's categories in the reader's language, then Cancel."""
    buttons = [
        Button(c.name_zh if lang == "zh" else c.name_en, b.NewCategory(c.id).data())
        for c in choices
    ]
    return _keys([*_rows(buttons, 3), _cancel(lang)])


def photos(lang: str, *, any_sent: bool) -> Rows:
    """Return Skip (before any photo) or Done (after), and Cancel."""
    key = "btn.done" if any_sent else "btn.skip_photos"
    return _keys([[Button(t(lang, key), b.NewPhotosDone().data()), *_cancel(lang)]])


def photos_kept(lang: str) -> Rows:
    """Return Done, Remove all photos, and Cancel."""
    done = Button(t(lang, "btn.done"), b.NewPhotosDone().data())
    clear = Button(t(lang, "btn.clear_photos"), b.NewClearPhotos().data())
    return _keys([[done, clear], _cancel(lang)])


def ask_date(lang: str, today: str, yesterday: str, last: str | None) -> Rows:
    """Return Today, Yesterday, "Same as before" when another date is remembered, and Cancel."""
    rows = [
        [
            Button(t(lang, "btn.today", date=today), b.NewToday().data()),
            Button(t(lang, "btn.yesterday", date=yesterday), b.NewYesterday().data()),
        ]
    ]
    if last and last not in (today, yesterday):
        rows.append([Button(t(lang, "btn.same_date", date=last), b.NewSameDate().data())])
    return _keys([*rows, _cancel(lang)])


def confirm_date(lang: str, raised: str) -> Rows:
    """Return "Yes, that date" (the date in its data: an older question keeps its own date),
    Type it again, and Cancel."""
    yes = Button(t(lang, "btn.date_yes", date=raised), b.NewDateYes(raised).data())
    again = Button(t(lang, "btn.date_again"), b.NewDateAgain().data())
    return _keys([[yes, again], _cancel(lang)])


def ask_sheet(lang: str, last: str | None) -> Rows:
    """Return "Same sheet" (when one is remembered), No sheet number, and Cancel."""
    rows = (
        [[Button(t(lang, "btn.same_sheet", sheet=last), b.NewSameSheet().data())]] if last else []
    )
    rows.append([Button(t(lang, "btn.no_sheet"), b.NewNoSheet().data())])
    return _keys([*rows, _cancel(lang)])


def summary(lang: str, *, has_contractor: bool) -> Rows:
    """Return Confirm (once a contractor is known), choose a contractor, Change…, Cancel."""
    rows = [[Button(t(lang, "btn.confirm"), b.NewConfirm().data())]] if has_contractor else []
    key = "btn.other_contractor" if has_contractor else "btn.pick_contractor"
    rows.append([Button(t(lang, key), b.NewOtherContractor().data())])
    rows.append([Button(t(lang, "btn.change"), b.NewCorrect().data())])
    return _keys([*rows, _cancel(lang)])


def fields(lang: str) -> Rows:
    """Return a button per field of the item, two a row, then Back to the summary.

    No Cancel here: a clerk who changes their mind about correcting must not lose the item.
    """
    buttons = [Button(t(lang, f"btn.fix.{f}"), b.NewField(f).data()) for f in ENTRY_FIELDS]
    back = Button(t(lang, "btn.back_to_summary"), b.NewBackToSummary().data())
    return _keys([*_rows(buttons, 2), [back]])


def contractors(choices: list[Choice], lang: str) -> Rows:
    """Return one button per contractor, then Cancel."""
    rows = [[Button(c.name, b.NewContractor(c.id).data())] for c in choices]
    return _keys([*rows, _cancel(lang)])


def after_entry(lang: str) -> Rows:
    """Return Next item (same flat), Next flat, and Finish."""
    return _keys(
        [
            [Button(t(lang, "btn.next_same_unit"), b.NewNextSameUnit().data())],
            [
                Button(t(lang, "btn.next_unit"), b.NewNextUnit().data()),
                Button(t(lang, "btn.finish"), b.NewFinish().data()),
            ],
        ]
    )
