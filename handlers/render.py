"""Items, lists and histories as chat text (HTML), in the reader's language."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date
from itertools import groupby

from handlers.i18n import t
from handlers.text import clip, esc
from models.limits import DESCRIPTION_MAX, NOTE_MAX
from models.queries import Change, EventLine, ItemCard, ItemLine, Only, Page
from models.service import Flat
from models.tables import Action, ItemState

SHORT = 28
EVENT_NOTE = 80  # a note on one line of a card's history
# Moves that take another back: the history says where the item went back to.
TAKEN_BACK = frozenset({Action.restore, Action.undo_pass, Action.undo_fail})


def short(text: str, limit: int = SHORT) -> str:
    """Cut a description to fit one line of a phone screen."""
    text = " ".join(text.split())
    return text if len(text) <= limit else text[: limit - 1] + "…"


def category(lang: str, line: ItemLine) -> str:
    """Return the category name in the reader's language."""
    return line.category_zh if lang == "zh" else line.category_en


def item_line(lang: str, line: ItemLine) -> str:
    """Render one item as a list line."""
    flag = t(lang, "list.rework_flag", n=line.rework_count) if line.is_rework else ""
    flag += _late(lang, line)
    return t(lang, "list.line", **_what_where(lang, line), age=line.age_days, flag=flag)


def _late(lang: str, line: ItemLine) -> str:
    # Whose delay it is (models.overdue), on every staff view: the contractor's days past due,
    # or the days an item reported repaired has awaited acceptance. An owner's summary words
    # it its own way.
    if line.overdue:
        return t(lang, "overdue.flag", days=line.overdue_days)
    return t(lang, "overdue.waiting_flag", days=line.waiting_days) if line.waiting_days else ""


def _what_where(lang: str, line: ItemLine) -> dict[str, object]:
    # The fields every list line shows, escaped, the description cut to one phone line.
    return {
        "id": line.id,
        "unit": esc(line.unit_code),
        "location": esc(line.location),
        "category": esc(category(lang, line)),
        "description": esc(short(line.description)),
    }


def my_list(lang: str, page: Page) -> str:
    """Render a contractor's list page with its header."""
    owners = esc(" / ".join(page.owners))
    if page.total == 0 and page.building:
        return t(lang, "mylist.empty_building", contractor=owners, building=esc(page.building))
    if page.total == 0:
        return t(lang, "mylist.empty", contractor=owners)
    head = t(
        lang,
        "mylist.header",
        contractor=esc(" / ".join(page.owners)),
        total=page.total,
        rework=page.rework,
        oldest=page.oldest_days,
    )
    late = [t(lang, "overdue.mylist_head", n=page.overdue)] if page.overdue else []
    only = [t(lang, f"mylist.narrowed_{page.only.name}", n=page.shown)] if page.only else []
    lines = [item_line(lang, line) for line in page.items] or [t(lang, "mylist.narrowed_none")]
    foot = t(lang, "list.page", page=page.page + 1, pages=page.pages)
    return "\n".join([head, *late, *_narrowed(lang, page, "/mylist"), *only, "", *lines, "", foot])


def _narrowed(lang: str, page: Page, command: str) -> list[str]:
    # Narrowed to one building: say so, and how to see them all again.
    if not page.building:
        return []
    return [t(lang, "list.building", building=esc(page.building), command=command)]


def my_buildings(lang: str, found: tuple[tuple[str, int], ...], only: Only | None) -> str:
    """Render the question of the building picker: which building of my list to show."""
    total = sum(n for _, n in found)
    narrowed = [t(lang, f"mylist.narrowed_{only.name}", n=total)] if only else []
    return "\n".join([t(lang, "mylist.pick_building", n=total), *narrowed])


def to_check(lang: str, page: Page) -> str:
    """Render the to-check list grouped by building, entrance, then floor, for a short walk."""
    if page.total == 0 and page.building:
        return t(lang, "tocheck.empty_building", building=esc(page.building))
    if page.total == 0:
        return t(lang, "tocheck.empty")
    out = [t(lang, "tocheck.header", total=page.total), *_narrowed(lang, page, "/tocheck"), ""]
    for building, in_building in groupby(page.items, key=lambda x: x.building):
        out.append(t(lang, "tocheck.building", building=esc(building)))
        for entrance, in_entrance in groupby(in_building, key=lambda x: x.entrance):
            out.append(t(lang, "tocheck.entrance", entrance=esc(entrance)))
            out.extend(_floors(lang, in_entrance))
    out += ["", t(lang, "list.page", page=page.page + 1, pages=page.pages)]
    return "\n".join(out)


def _floors(lang: str, lines: Iterable[ItemLine]) -> list[str]:
    out = []
    for floor, on_floor in groupby(lines, key=lambda x: x.floor):
        out.append(t(lang, "tocheck.floor", floor=floor))
        out.extend(
            "   "
            + t(lang, "tocheck.line", **_what_where(lang, x), contractor=esc(x.contractor_name))
            + _late(lang, x)
            for x in on_floor
        )
    return out


def card(lang: str, item: ItemCard, *, history: bool = True, full: bool = False) -> str:
    """Render one item's card: what, where, state, age, and its history.

    A card shortens what is longer than anyone may type now (rows from before the limits);
    `full` keeps every text whole, for a history sent with send_long.
    """
    line = item.line
    description = line.description if full else clip(line.description, DESCRIPTION_MAX)
    out = [
        t(
            lang,
            "card.head",
            id=line.id,
            unit=esc(line.unit_code),
            location=esc(line.location),
            category=esc(category(lang, line)),
        ),
        esc(description),
        t(
            lang,
            "card.state",
            state=t(lang, f"state.{line.state.value}"),
            raised=line.raised_on.isoformat(),
            age=line.age_days,
            due=line.due_on.isoformat() if line.due_on else "-",
            contractor=esc(line.contractor_name),
        ),
    ]
    if line.overdue:
        out.append(t(lang, "overdue.card", days=line.overdue_days))
    elif line.waiting_days:
        out.append(t(lang, "overdue.waiting_card", days=line.waiting_days))
    if line.rework_count:
        out.append(t(lang, "card.rework", n=line.rework_count))
    report = item.last_report
    if report is not None and line.state is ItemState.repaired:
        note = report.note or "-"
        note = esc(note if full else clip(note, NOTE_MAX))
        if report.photos:
            out.append(t(lang, "card.report", note=note, n=len(report.photos)))
        else:
            out.append(t(lang, "card.report_no_photo", note=note))
    if history:
        out += ["", t(lang, "card.history")]
        out += [event_line(lang, e, full=full) for e in item.events]
    return "\n".join(out)


def event_line(lang: str, event: EventLine, *, full: bool = False) -> str:
    """Render one step of an item's history: when (the project's time), who, what, note."""
    when = event.at.strftime("%m-%d %H:%M")
    parts = [when, t(lang, f"action.{event.action.value}")]
    if event.action in TAKEN_BACK:  # where it went back to
        parts.append("→ " + t(lang, f"state.{event.to_state.value}"))
    if event.contractor_name:
        parts.append("→ " + esc(event.contractor_name))
    if event.actor_name:
        parts.append(f"({esc(event.actor_name)})")
    text = " ".join(parts)
    if event.change is not None:
        text += ": " + change(lang, event.change, limit=None if full else EVENT_NOTE)
    if event.note:
        text += ": " + esc(event.note if full else short(event.note, EVENT_NOTE))
    if event.photos:
        text += " " + t(lang, "card.photos", n=len(event.photos))
    return text


def change(lang: str, what: Change, *, limit: int | None = None) -> str:
    """Render what a correction changed: field: old → new (a category in the reader's words)."""
    old, new = what.old, what.new
    if lang == "en" and what.old_en is not None:
        old, new = what.old_en, what.new_en or what.new
    if limit is not None:
        old, new = short(old, limit), short(new, limit)
    field = t(lang, f"field.{what.field}")
    return t(lang, "history.change", field=field, old=esc(old), new=esc(new))


def _flags(lang: str, line: ItemLine) -> str:
    flags = t(lang, "overdue.staff_flag", days=line.overdue_days) if line.overdue else ""
    if line.waiting_days:
        flags += t(lang, "overdue.waiting_staff_flag", days=line.waiting_days)
    if line.rework_count:
        flags += t(lang, "service.flag_rework", n=line.rework_count)
    return flags


def _staff_line(lang: str, line: ItemLine) -> str:
    common = {
        "id": line.id,
        "location": esc(line.location),
        "category": esc(category(lang, line)),
        "description": esc(short(line.description, 40)),
        "state": t(lang, f"state.{line.state.value}"),
        "flags": _flags(lang, line),
    }
    if line.state is ItemState.cancelled:
        return t(lang, "service.line_cancelled", **common)
    if line.closed_on is not None:
        return t(lang, "service.line_done", days=line.days_to_close or 0, **common)
    due = line.due_on.isoformat() if line.due_on else "-"
    return t(
        lang,
        "service.line_open",
        contractor=esc(line.contractor_name),
        age=line.age_days,
        due=due,
        **common,
    )


def flat(lang: str, record: Flat) -> str:
    """Render a flat's live record for staff: open, awaiting acceptance, done."""
    out = [t(lang, "service.flat_head", code=esc(record.code))]
    if record.owner_name or record.owner_phone:
        out.append(
            t(
                lang,
                "service.owner",
                name=esc(record.owner_name or "-"),
                phone=esc(record.owner_phone or "-"),
            )
        )
    if not record.items:
        return "\n".join([*out, t(lang, "service.no_items")])
    closed = tuple(x for x in record.done if x.state is not ItemState.cancelled)
    cancelled = tuple(x for x in record.done if x.state is ItemState.cancelled)
    for key, group in (
        ("service.group_open", record.open),
        ("service.group_awaiting", record.awaiting),
        ("service.group_done", closed),
        ("service.group_cancelled", cancelled),
    ):
        if group:
            out += ["", t(lang, key, n=len(group))]
            out += [_staff_line(lang, line) for line in group]
    return "\n".join(out)


def _owner_date(lang: str, day: date | None) -> str:
    if day is None:
        return "-"
    return f"{day.month}月{day.day}日" if lang == "zh" else day.strftime("%-d %b")


def _owner_line(lang: str, line: ItemLine) -> str:
    state = line.state
    if state is ItemState.closed:
        key = "owner.line_done"
    elif state is ItemState.repaired:
        key = "owner.line_checking"
    elif state is ItemState.disputed:
        key = "owner.line_arranging"
    elif line.overdue:
        key = "owner.line_late"
    else:
        key = "owner.line_rework" if state is ItemState.rework else "owner.line_fixing"
    day = line.closed_on if state is ItemState.closed else line.due_on
    return t(
        lang,
        key,
        location=esc(line.location),
        description=esc(short(line.description, 40)),
        date=_owner_date(lang, day),
    )


def owner_summary(lang: str, record: Flat) -> str:
    """Render a polite summary an owner can be sent: no staff or company names."""
    done = [x for x in record.done if x.state is ItemState.closed]
    dropped = len(record.done) - len(done)
    doing = record.open + record.awaiting
    if not done and not doing:
        return t(lang, "owner.none", code=esc(record.code))
    out = [t(lang, "owner.head", code=esc(record.code), n=len(done) + len(doing))]
    if done:
        out += ["", t(lang, "owner.done", n=len(done))]
        out += [_owner_line(lang, x) for x in done]
    if doing:
        out += ["", t(lang, "owner.doing", n=len(doing))]
        out += [_owner_line(lang, x) for x in doing]
    if dropped:
        out += ["", t(lang, "owner.dropped", n=dropped)]
    return "\n".join([*out, "", t(lang, "owner.tail")])
