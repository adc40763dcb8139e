"""Workbooks written: the export of every item and event, and the blank templates to fill in."""

from __future__ import annotations

import io
import unicodedata
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from zoneinfo import ZoneInfo

from openpyxl import Workbook
from openpyxl.styles import Alignment, Font, PatternFill
from openpyxl.utils import get_column_letter
from openpyxl.worksheet._write_only import WriteOnlyWorksheet
from openpyxl.worksheet.datavalidation import DataValidation
from openpyxl.worksheet.worksheet import Worksheet
from sqlmodel import Session, col, select

from models import clock
from models.lookup import categories as project_categories
from models.overdue import days_waiting, is_overdue, reported_at_sql
from models.project import DEFAULT_CATEGORIES
from models.queries import Change, change_of
from models.tables import (
    AppUser,
    Category,
    Contractor,
    Event,
    Item,
    ItemState,
    Project,
    Unit,
)
from models.workbooks import INSTRUCTIONS_TITLE, ITEMS, SETUP_SPECS, SheetSpec, safe_row


@dataclass(frozen=True)
class Templates:
    """The two blank workbooks a site fills in."""

    setup: bytes
    items: bytes


# ---------------------------------------------------------------- templates

_INSTRUCTIONS: tuple[tuple[str, str], ...] = (
    ("如何填写", "How to fill this in"),
    (
        "每个工作表第一行是表头（中文 + 英文），请不要改动表头；从第 2 行开始填写，一行一条。",
        "Row 1 of each sheet is the header (Chinese + English): keep it. Fill in from row 2, "
        "one line per row.",
    ),
    (
        "第 2 行是示例：可以直接改成真实内容；原样保留的示例行会被忽略。",
        "Row 2 is an example: overwrite it with real data; an example row left as it is "
        "is ignored.",
    ),
    (
        "加粗、带底色的列必须填写，其他列可以留空。",
        "Bold, shaded columns are required; the others may be left blank.",
    ),
    (
        "房号写成 楼栋-单元-房号，例如 3-1-1202；3栋1单元1202、3#1-1202 也可以。",
        "Write a flat as building-entrance-number, e.g. 3-1-1202; 3栋1单元1202 or 3#1-1202 "
        "work too.",
    ),
    (
        "日期写成 2026-11-20（2026/11/20、20261120 也可以）；登记日期留空即为导入当天。",
        "Dates as 2026-11-20 (2026/11/20 or 20261120 work too); a blank raised date means "
        "the day of the import.",
    ),
    (
        "只要有一行有问题，整个文件都不会导入，机器人会列出每一行的问题；改好后重新发送即可。",
        "If any row has a problem nothing is imported and the bot lists every bad row; fix "
        "them and send the file again.",
    ),
    (
        "同一个文件重复导入不会产生重复问题（按 看房单号 + 房号 + 部位 + 问题描述 识别）。",
        "Importing the same file again adds nothing twice (a row is known by sheet number + "
        "flat + location + description).",
    ),
)

_SETUP_NOTES: tuple[tuple[str, str], ...] = (
    ("项目设置表", "Project set-up workbook"),
    (
        "房号：每户一行，业主和电话可不填。施工单位：名称、专业、联系人。",
        "Units: one row per flat, owner and phone optional. Contractors: name, trades, contact.",
    ),
    (
        "分派规则：类别 + 楼栋 → 施工单位；楼栋留空表示所有楼栋，写了楼栋的规则优先。",
        "Rules: category + building → contractor; a blank building means every building, and "
        "a rule for one building beats it.",
    ),
    (
        "类别（可不填）：中文名称、英文名称、整改天数（留空即项目默认 {days} 天），"
        "已列出本项目的类别。分派规则中出现而项目没有的类别会自动新增，回复中会列出。",
        "Categories (optional): Chinese name, English name, repair days (blank: the project's "
        "{days} days); the project's categories are listed. A category named in Rules that the "
        "project lacks is added, and the answer lists it.",
    ),
    (
        "含分派规则的设置表列出本项目自己的类别：之前新增、现在不再出现且没有问题的类别会被删除（回复中会列出）。",
        "A workbook with rules lists the project's own categories: one added before that it no "
        "longer names, with no items, is removed (the answer says so).",
    ),
    (
        "重复导入会就地更新（留空的单元格不会清掉已有内容），不会重复添加。",
        "Sending it again updates in place (a blank cell never erases what is recorded) and "
        "adds nothing twice.",
    ),
)

_ITEMS_NOTES: tuple[tuple[str, str], ...] = (
    ("问题导入表", "Items workbook"),
    (
        "每条问题一行。施工单位留空时按分派规则自动指定。照片可填文件名或链接，作为参考记录。",
        "One defect per row. Leave the contractor blank and the assignment rules pick it. "
        "Photo: a file name or link, kept as a reference.",
    ),
)

_REQUIRED_FILL = PatternFill("solid", fgColor="FFF2CC")
_EXAMPLE_FONT = Font(italic=True, color="808080")


def write_templates(session: Session | None = None, *, project_id: int | None = None) -> Templates:
    """Write the blank set-up and items workbooks; a project's categories are listed in them."""
    names: list[tuple[str, str, int | None]] = [(zh, en, None) for _, zh, en in DEFAULT_CATEGORIES]
    contractors: list[str] = []
    days = 7
    if session is not None and project_id is not None:
        project = session.get(Project, project_id)
        days = project.repair_days if project else days
        names = [
            (c.name_zh, c.name_en, c.repair_days)
            for c in project_categories(session, project_id=project_id)
        ]
        contractors = list(
            session.exec(
                select(Contractor.name)
                .where(Contractor.project_id == project_id)
                .order_by(Contractor.id)
            ).all()
        )
    notes = [(zh.format(days=days), en.format(days=days)) for zh, en in _SETUP_NOTES]
    setup = _template(SETUP_SPECS, notes, names, contractors)
    items = _template((ITEMS,), _ITEMS_NOTES, names, contractors)
    return Templates(setup=setup, items=items)


def _template(
    specs: Sequence[SheetSpec],
    notes: Sequence[tuple[str, str]],
    names: list[tuple[str, str, int | None]],
    contractors: list[str],
) -> bytes:
    workbook = Workbook()
    workbook.remove(workbook.active)
    for spec in specs:
        ws = workbook.create_sheet(spec.title)
        for index, column in enumerate(spec.columns, start=1):
            cell = ws.cell(row=1, column=index, value=column.header)
            cell.font = Font(bold=column.required)
            if column.required:
                cell.fill = _REQUIRED_FILL
            letter = cell.column_letter
            ws.column_dimensions[letter].width = column.width
            if column.field == "category":
                _dropdown(ws, letter, [zh for zh, _, _ in names])
            if column.field == "raised_on":
                ws.column_dimensions[letter].number_format = "yyyy-mm-dd"
        for index, value in enumerate(spec.example, start=1):
            column = spec.columns[index - 1]
            example = date.fromisoformat(value) if column.field == "raised_on" else value
            cell = ws.cell(row=2, column=index, value=example)
            cell.font = _EXAMPLE_FONT
        if spec.key == "categories":  # not an example: the project's own list, to extend
            for zh, en, days in names:
                ws.append([zh, en, days])
        ws.freeze_panes = "A2"
    ws = workbook.create_sheet(INSTRUCTIONS_TITLE)
    ws.column_dimensions["A"].width = 70
    ws.column_dimensions["B"].width = 70
    lines = [*notes, ("", ""), *_INSTRUCTIONS, ("", "")]
    lines += [("列", "Columns")]
    for spec in specs:
        for column in spec.columns:
            need = ("必填", "required") if column.required else ("可选", "optional")
            lines.append(
                (f"{spec.zh} · {column.zh}（{need[0]}）", f"{spec.en} · {column.en} ({need[1]})")
            )
    lines += [("", ""), ("类别（中文或英文名称均可）", "Categories (Chinese or English name)")]
    lines += [(zh, en) for zh, en, _ in names]
    if contractors:
        lines += [("", ""), ("已有施工单位", "Contractors on record")]
        lines += [(name, name) for name in contractors]
    for zh, en in lines:
        ws.append([zh, en])
    for cell in ws["A"][:1] + ws["B"][:1]:
        cell.font = Font(bold=True, size=13)
    for row in ws.iter_rows():
        for cell in row:
            cell.alignment = Alignment(wrap_text=True, vertical="top")
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


def _dropdown(ws: Worksheet, letter: str, choices: list[str]) -> None:
    # Only a helper list: other spellings (English, codes) must still be typed freely.
    formula = '"' + ",".join(choices) + '"'
    if len(formula) > 255:  # Excel's limit on an inline list
        return
    validation = DataValidation(type="list", formula1=formula, allow_blank=True)
    validation.showErrorMessage = False
    ws.add_data_validation(validation)
    validation.add(f"{letter}2:{letter}1000")


# ---------------------------------------------------------------- export

# say(language, catalog key) -> its text: the states, steps and corrected fields are named as in
# chat, from the caller's catalogs (models/ has none): "state.open", "action.fail".
Say = Callable[[str, str], str]

_ITEM_HEADERS = (
    ("编号", "id"),
    ("项目", "project"),
    ("房号", "unit"),
    ("部位", "location"),
    ("类别", "category"),
    ("问题描述", "description"),
    ("登记日期", "raised on"),
    ("看房单号", "sheet no"),
    ("施工单位", "contractor"),
    ("状态（中文）", "state (zh)"),
    ("状态（英文）", "state (en)"),
    ("返修次数", "rework count"),
    ("限期", "due"),
    ("逾期", "overdue"),
    ("待验天数", "days awaiting acceptance"),
    ("未关闭天数", "days open"),
    ("关闭用时（天）", "days to close"),
    ("关闭时间", "closed at"),
)
_EVENT_HEADERS = (
    ("问题编号", "item"),
    ("时间", "at (local time)"),
    ("操作", "action"),
    ("操作人", "actor"),
    ("原状态", "from"),
    ("新状态", "to"),
    ("备注", "note"),
    ("施工单位", "contractor"),
    ("更正项", "corrected"),
    ("原内容", "was"),
    ("新内容", "now"),
)


YES_NO = ("是 yes", "否 no")  # words a filter and a reader understand, not TRUE/FALSE
MAX_WIDTH = 50  # a long description wraps past this instead of widening the column


def _names(say: Say, key: str) -> tuple[str, str]:
    return say("zh", key), say("en", key)


def _both(say: Say, key: str) -> str:
    return " ".join(_names(say, key))


def _yes_no(flag: bool) -> str:
    return YES_NO[0] if flag else YES_NO[1]


def _shown_width(value: object) -> int:
    """Return the columns a value takes on screen: a Chinese character is two wide."""
    if value is None:
        return 0
    if isinstance(value, datetime):
        return 19
    if isinstance(value, date):
        return 10
    lines = str(value).splitlines() or [""]
    return max(
        sum(2 if unicodedata.east_asian_width(ch) in "WF" else 1 for ch in line) for line in lines
    )


def _write_table(
    ws: WriteOnlyWorksheet, headers: Sequence[tuple[str, str]], rows: Iterable[Sequence[object]]
) -> None:
    """Write a header with a filter and the rows, each column as wide as its content (capped)."""
    header = [f"{zh} {en}" for zh, en in headers]
    rows = list(rows)
    widths = [_shown_width(h) + 3 for h in header]  # room for the filter button
    for row in rows:
        for index, value in enumerate(row):
            widths[index] = max(widths[index], _shown_width(value) + 1)
    for index, width in enumerate(widths, start=1):
        ws.column_dimensions[get_column_letter(index)].width = min(width, MAX_WIDTH)
    ws.freeze_panes = "A2"
    ws.auto_filter.ref = f"A1:{get_column_letter(len(header))}{len(rows) + 1}"
    ws.append(header)
    for row in rows:
        ws.append(safe_row(ws, row))


def export_items(session: Session, *, project_ids: Sequence[int], say: Say) -> bytes:
    """Write every item of the projects with its state, and every event, as an .xlsx."""
    projects = {
        p.id: p for p in session.exec(select(Project).where(col(Project.id).in_(project_ids)))
    }
    zones = {pid: p.timezone for pid, p in projects.items()}
    today = {pid: clock.today(p.timezone) for pid, p in projects.items()}
    workbook = Workbook(write_only=True)
    items_ws = workbook.create_sheet("Items")
    events_ws = workbook.create_sheet("Events")
    rows = session.exec(
        select(Item, Unit.code, Category, Contractor.name, reported_at_sql())
        .join(Unit, Item.unit_id == Unit.id)
        .join(Category, Item.category_id == Category.id)
        .join(Contractor, Item.contractor_id == Contractor.id)
        .where(col(Item.project_id).in_(list(projects)))
        .order_by(Item.id)
    )
    item_project: dict[int, int] = {}
    item_rows: list[tuple[object, ...]] = []
    for item, unit_code, category, contractor, reported_at in rows:
        pid = item.project_id
        item_project[item.id] = pid
        live = item.state not in (ItemState.closed, ItemState.cancelled)
        closed_local = clock.local(item.closed_at, zones[pid]) if item.closed_at else None
        reported_on = clock.local_date(reported_at, zones[pid]) if reported_at else None
        state = _names(say, f"state.{item.state.value}")
        item_rows.append(
            (
                item.id,
                projects[pid].name,
                unit_code,
                item.location,
                f"{category.name_zh} {category.name_en}",
                item.description,
                item.raised_on,
                item.sheet_no,
                contractor,
                state[0],
                state[1],
                item.rework_count,
                item.due_on,
                _yes_no(is_overdue(item.state, item.due_on, today[pid])),
                days_waiting(reported_on, today[pid]) if reported_on else None,
                max(0, (today[pid] - item.raised_on).days) if live else None,
                max(0, (closed_local.date() - item.raised_on).days) if closed_local else None,
                closed_local.replace(tzinfo=None) if closed_local else None,
            )
        )
    _write_table(items_ws, _ITEM_HEADERS, item_rows)
    _export_events(session, events_ws, item_project, zones, say)
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


def _export_events(
    session: Session,
    ws: WriteOnlyWorksheet,
    item_project: dict[int, int],
    zones: dict[int, ZoneInfo],
    say: Say,
) -> None:
    actors = {u.id: u.name for u in session.exec(select(AppUser))}
    contractors = {
        c.id: c.name
        for c in session.exec(select(Contractor).where(col(Contractor.project_id).in_(list(zones))))
    }
    categories: dict[int, dict[str, tuple[str, str]]] = {pid: {} for pid in zones}
    for c in session.exec(select(Category).where(col(Category.project_id).in_(list(zones)))):
        categories[c.project_id][c.code] = (c.name_zh, c.name_en)
    events = session.exec(
        select(Event)
        .join(Item, Event.item_id == Item.id)
        .where(col(Item.project_id).in_(list(zones)))
        .order_by(Event.item_id, Event.at, Event.id)
    )
    event_rows: list[tuple[object, ...]] = []
    for event in events:
        pid = item_project[event.item_id]
        at: datetime = clock.local(event.at, zones[pid])
        change = change_of(event, categories[pid]) if event.field else None
        event_rows.append(
            (
                event.item_id,
                at.replace(tzinfo=None),
                _both(say, f"action.{event.action.value}"),
                actors.get(event.actor_id, "") if event.actor_id else "",
                _both(say, f"state.{event.from_state.value}") if event.from_state else "",
                _both(say, f"state.{event.to_state.value}"),
                event.note,
                contractors.get(event.contractor_id, "") if event.contractor_id else "",
                *_change_cells(change, say),
            )
        )
    _write_table(ws, _EVENT_HEADERS, event_rows)


def _change_cells(change: Change | None, say: Say) -> tuple[str, str, str]:
    """Return what a correction changed as three cells: the field, was, now (both languages)."""
    if change is None:
        return ("", "", "")
    field = _both(say, f"field.{change.field}")
    if change.old_en is None:
        return (field, change.old, change.new)
    return (field, f"{change.old} {change.old_en}", f"{change.new} {change.new_en or change.new}")
