"""Spreadsheets as the site fills them in: each sheet's columns and headers, and safe writing.

The column names (Chinese and English) are part of the file format: the templates are written
from them and the reader (models/workbook_reader.py) reads them back.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, replace
from typing import Any

from openpyxl.cell import WriteOnlyCell
from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE
from openpyxl.worksheet._write_only import WriteOnlyWorksheet


@dataclass(frozen=True)
class Column:
    """A column of a sheet: its field name, its headers, the other names people give it."""

    field: str
    zh: str
    en: str
    aliases: tuple[str, ...] = ()
    required: bool = False
    width: int = 14

    @property
    def header(self) -> str:
        """Return the header the templates write, Chinese then English."""
        return f"{self.zh} {self.en}"

    def names(self) -> set[str]:
        """Return every header that means this column, normalised."""
        return {fold_header(n) for n in (self.field, self.zh, self.en, *self.aliases)}


@dataclass(frozen=True)
class SheetSpec:
    """A kind of sheet: its names, its columns and the example row of its template."""

    key: str
    zh: str
    en: str
    aliases: tuple[str, ...]
    columns: tuple[Column, ...]
    example: tuple[str, ...] = ()

    @property
    def title(self) -> str:
        """Return the worksheet name the templates write."""
        return f"{self.zh} {self.en}"

    def names(self) -> set[str]:
        """Return every worksheet name that means this sheet, normalised."""
        return {fold_header(n) for n in (self.key, self.zh, self.en, *self.aliases)}


def _col(
    field_: str, zh: str, en: str, *aliases: str, required: bool = False, width: int = 14
) -> Column:
    return Column(field_, zh, en, aliases, required, width)


_UNIT = _col(
    "unit", "房号", "unit", "房间号", "房屋编号", "户号", "flat", "unit code", required=True
)
_BUILDING = _col("building", "楼栋", "building", "栋", "楼号", "栋号", "幢", "block", width=10)
_ENTRANCE = _col("entrance", "单元", "entrance", "单元号", width=8)
_CONTRACTOR = _col(
    "contractor", "施工单位", "contractor", "单位", "维修单位", "责任单位", "company", width=18
)
_CATEGORY = _col("category", "类别", "category", "问题类别", "问题类型", "专业", required=True)

UNITS = SheetSpec(
    "units",
    "房号",
    "Units",
    ("房号表", "房屋", "flats", "unit"),
    (
        _UNIT,
        _col("owner", "业主", "owner", "业主姓名", "owner name", "姓名"),
        _col("phone", "电话", "phone", "联系电话", "手机", "手机号", "mobile", "tel"),
        _BUILDING,
        _ENTRANCE,
    ),
    ("3-1-1202", "张三", "13800000000"),
)
CONTRACTORS = SheetSpec(
    "contractors",
    "施工单位",
    "Contractors",
    ("施工单位表", "单位", "contractor"),
    (
        _col(
            "contractor",
            "施工单位",
            "contractor",
            "单位",
            "单位名称",
            "name",
            "company",
            required=True,
            width=20,
        ),
        _col("trades", "专业", "trades", "类别", "trade", "专业类别", width=20),
        _col("contact", "联系人", "contact", "联系方式", "联系电话", width=20),
    ),
    ("示例装饰公司", "渗漏, 墙面", "李工 13900000000"),
)
RULES = SheetSpec(
    "rules",
    "分派规则",
    "Rules",
    ("规则", "分派", "assignment rules", "rule"),
    (
        _CATEGORY,
        _BUILDING,
        replace(_CONTRACTOR, required=True),
    ),
    ("渗漏", "", "示例装饰公司"),
)
CATEGORIES = SheetSpec(
    "categories",
    "类别",
    "Categories",
    ("类别表", "问题类别", "category", "专业类别"),
    (
        _col(
            "name_zh",
            "中文名称",
            "Chinese name",
            "类别",
            "category",
            "名称",
            "name",
            "类别名称",
            "中文",
            "chinese",
            required=True,
            width=16,
        ),
        _col("name_en", "英文名称", "English name", "英文", "english", "name en", width=20),
        _col(
            "repair_days",
            "整改天数",
            "repair days",
            "维修天数",
            "整改期限",
            "天数",
            "days",
            width=12,
        ),
    ),
)
# The sheets of a set-up workbook, in the order its template writes them.
SETUP_SPECS = (UNITS, CONTRACTORS, RULES, CATEGORIES)
ITEMS = SheetSpec(
    "items",
    "问题",
    "Items",
    ("问题清单", "问题登记", "看房问题", "items", "defects"),
    (
        _UNIT,
        _col("location", "部位", "location", "位置", "房间", "room", "area", required=True),
        _CATEGORY,
        _col(
            "description",
            "问题描述",
            "description",
            "描述",
            "问题",
            "问题内容",
            "defect",
            required=True,
            width=36,
        ),
        _col(
            "raised_on",
            "登记日期",
            "raised_on",
            "日期",
            "登记时间",
            "看房日期",
            "date",
            "raised on",
        ),
        _col("sheet_no", "看房单号", "sheet_no", "单号", "sheet no", "sheet", "sheet number"),
        _CONTRACTOR,
        _col("photo", "照片", "photo", "图片", "照片文件", "picture"),
        _BUILDING,
        _ENTRANCE,
    ),
    ("3-1-1202", "卫生间", "渗漏", "吊顶渗水", "2026-11-20", "KF001", "", ""),
)
INSTRUCTIONS_TITLE = "说明 Instructions"

_CJK = r"\u2e80-\u9fff\uf900-\ufaff"


def fold_header(text: str) -> str:
    """Return a header as it is compared: full-width, case and spacing do not matter."""
    text = unicodedata.normalize("NFKC", text).strip().lower()
    text = re.sub(r"[_.:*：]+", " ", text)
    return re.sub(r"\s+", " ", text).strip()


def _parts(header: str) -> list[str]:
    """Split a header such as '房号 unit' or '房号(Unit)' into its Chinese and other words."""
    pieces = re.findall(rf"[{_CJK}]+|[^{_CJK}]+", header)
    cleaned = [fold_header(re.sub(r"[()（）\[\]【】/|,，]", " ", p)) for p in pieces]
    return [p for p in cleaned if p]


def match_header(header: object, columns: Sequence[Column]) -> str | None:
    """Return the field a header cell names, or None."""
    if header is None:
        return None
    text = fold_header(str(header))
    if not text:
        return None
    for column in columns:
        if text in column.names():
            return column.field
    fields = {c.field for part in _parts(text) for c in columns if part in c.names()}
    return fields.pop() if len(fields) == 1 else None


def match_sheet(title: str, specs: Sequence[SheetSpec]) -> SheetSpec | None:
    """Return the kind of sheet a worksheet's name means, or None."""
    text = fold_header(title)
    for spec in specs:
        if text in spec.names():
            return spec
    found = {s.key: s for part in _parts(text) for s in specs if part in s.names()}
    return next(iter(found.values())) if len(found) == 1 else None


# Writing: what a spreadsheet shows as typed, never runs.
_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def safe_cell(ws: WriteOnlyWorksheet, value: object) -> object:
    """Return a value for a write-only sheet that a spreadsheet will never run as a formula."""
    if isinstance(value, str):
        value = ILLEGAL_CHARACTERS_RE.sub("", value)
        if value.startswith(_FORMULA_START):
            # Explicit text with Excel's own "shown as typed" flag: no apostrophe in the data.
            cell = WriteOnlyCell(ws, value=value)
            cell.data_type = "s"
            cell.quotePrefix = True
            return cell
    return value


def safe_row(ws: WriteOnlyWorksheet, values: Iterable[object]) -> list[object]:
    """Return a row of safe values."""
    return [safe_cell(ws, v) for v in values]


def chunks(values: Sequence[Any], size: int = 500) -> Iterator[Sequence[Any]]:
    """Yield slices of at most `size` values (for IN queries)."""
    for start in range(0, len(values), size):
        yield values[start : start + size]
