"""Reading a file sent in (.xlsx or .csv) within its limits: sheets, rows by their headers
(models/workbooks.py names them), cell text and dates as people write them."""

from __future__ import annotations

import csv
import io
import itertools
import re
import unicodedata
import zipfile
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from typing import Any

from openpyxl import load_workbook
from openpyxl.utils.datetime import from_excel

from models.workbooks import Column, SheetSpec, fold_header, match_header

# What a file sent in may hold (README, "Limits"). A file past them is refused before its cells
# are read: a few kilobytes of zip can unpack to a hundred megabytes of blank rows.
# Rows of one sheet, counted from the top, blank rows too. Also what keeps an import short: it is
# one write transaction (about 4 ms a row on SQLite), which other people's writes wait for.
MAX_ROWS = 2_000
MAX_COLUMNS = 50  # columns of one sheet; in a sheet that declares no size, later ones are not read
MAX_UNPACKED_MB = 10  # an .xlsx unpacked (its pictures, in xl/media, not counted), or a .csv
MAX_PACKING = 100  # times smaller packed than unpacked: real sheets pack 5 to 20 times
PACKING_FROM = 1024 * 1024  # a part this large or larger must not pack more than that
MAX_PARTS = 1_000  # files inside an .xlsx (sheets, pictures, styles ...)
HEADER_SEARCH_ROWS = 10  # a title or a note may sit above the header row


@dataclass(frozen=True)
class Problem:
    """Why a file or one of its rows was refused: a text key, where, and what to fill in."""

    key: str
    row: int | None = None
    column: str | None = None
    sheet: str | None = None
    params: dict[str, str] = field(default_factory=dict)


class WorkbookProblem(Exception):
    """A file that cannot be read at all."""

    def __init__(self, problem: Problem) -> None:
        super().__init__(problem.key)
        self.problem = problem


@dataclass
class RawSheet:
    """A worksheet as cell values, row by row (the CSV is one of these)."""

    title: str
    rows: list[tuple[int, tuple[Any, ...]]]  # (number as the spreadsheet shows it, values)
    csv: bool = False


@dataclass
class Row:
    """One data row: its number as the spreadsheet shows it, and its values by field."""

    number: int
    values: dict[str, Any]

    def text(self, name: str) -> str:
        """Return a field as trimmed text ('' when blank or absent)."""
        return cell_text(self.values.get(name))


@dataclass
class Table:
    """A sheet read by its headers."""

    spec: SheetSpec
    title: str
    rows: list[Row]
    fields: set[str]
    missing: list[Column]
    found: list[str]
    example_rows: int = 0


def read_sheets(data: bytes, filename: str) -> list[RawSheet]:
    """Read every worksheet of an .xlsx, or the one table of a .csv, as cell values.

    A file past the limits above is refused before its cells are read, and reading stops at the
    row limit whatever size a sheet declares.
    """
    if data[:4] == b"PK\x03\x04":
        _check_unpacked(data)
        return _read_xlsx(data)
    if data[:8] == b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1":
        raise WorkbookProblem(Problem("old_excel"))
    if filename.lower().endswith((".xlsx", ".xlsm", ".xls")):
        raise WorkbookProblem(Problem("unreadable"))
    if len(data) > MAX_UNPACKED_MB * 1024 * 1024:
        raise WorkbookProblem(Problem("too_big", params={"mb": str(MAX_UNPACKED_MB)}))
    return [_read_csv(data, filename)]


def _check_unpacked(data: bytes) -> None:
    """Refuse an .xlsx whose parts unpack to too much, from the sizes its zip declares.

    The declared sizes can be trusted: Python's zipfile never unpacks more than them.
    """
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            parts = archive.infolist()
    except Exception:  # zipfile raises several kinds for a damaged archive
        raise WorkbookProblem(Problem("unreadable")) from None
    if len(parts) > MAX_PARTS:
        raise WorkbookProblem(Problem("too_many_parts", params={"max": f"{MAX_PARTS:,}"}))
    unpacked = sum(p.file_size for p in parts if not _picture(p))
    if unpacked > MAX_UNPACKED_MB * 1024 * 1024:
        raise WorkbookProblem(Problem("unpacked_too_big", params={"mb": str(MAX_UNPACKED_MB)}))
    for part in parts:
        if part.file_size >= PACKING_FROM and part.file_size > MAX_PACKING * part.compress_size:
            raise WorkbookProblem(Problem("mostly_blank"))


def _picture(part: zipfile.ZipInfo) -> bool:
    """Tell a picture in a workbook: packed already, so its part is about its own size."""
    return part.filename.startswith("xl/media/") and part.file_size <= 2 * part.compress_size


def _read_xlsx(data: bytes) -> list[RawSheet]:
    try:
        workbook = load_workbook(io.BytesIO(data), read_only=True, data_only=True)
    except Exception:  # openpyxl raises many kinds for a damaged or foreign zip
        raise WorkbookProblem(Problem("unreadable")) from None
    try:
        for ws in workbook.worksheets:  # every sheet's declared size, before any cell
            _check_declared(ws.title, ws.max_row, ws.max_column)
        sheets = []
        for ws in workbook.worksheets:
            # Some programs write a wrong size into the file; read to the real end instead, and
            # no further than the limit (the row and column limits, whatever the sheet says).
            ws.reset_dimensions()
            rows = ws.iter_rows(max_col=MAX_COLUMNS, values_only=True)
            sheets.append(RawSheet(ws.title, _filled(rows, ws.title)))
        return sheets
    except WorkbookProblem:
        raise
    except Exception:  # a sheet damaged past its first part
        raise WorkbookProblem(Problem("unreadable")) from None
    finally:
        workbook.close()


def _check_declared(title: str, rows: int | None, columns: int | None) -> None:
    if rows is not None and rows > MAX_ROWS:
        raise _too_many_rows(title)
    if columns is not None and columns > MAX_COLUMNS:
        raise WorkbookProblem(
            Problem("too_many_columns", params={"max": str(MAX_COLUMNS), "sheet": title})
        )


def _too_many_rows(title: str) -> WorkbookProblem:
    return WorkbookProblem(
        Problem("too_many_rows", params={"max": f"{MAX_ROWS:,}", "sheet": title})
    )


def _decode(data: bytes) -> str:
    for encoding in ("utf-8-sig", "gb18030"):  # Chinese Excel saves CSV as GB18030 (GBK)
        try:
            return data.decode(encoding)
        except UnicodeDecodeError:
            continue
    raise WorkbookProblem(Problem("unreadable"))


def _read_csv(data: bytes, filename: str) -> RawSheet:
    text = _decode(data)
    if "\x00" in text:
        raise WorkbookProblem(Problem("unreadable"))
    first = text.split("\n", 1)[0]
    delimiter = max((",", "\t", ";"), key=first.count)
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter)
    try:
        rows = _filled((row[:MAX_COLUMNS] for row in reader), filename)
    except csv.Error:  # a field longer than any cell, or a quote never closed
        raise WorkbookProblem(Problem("unreadable")) from None
    return RawSheet(filename, rows, csv=True)


def _filled(rows: Iterable[Sequence[Any]], title: str) -> list[tuple[int, tuple[Any, ...]]]:
    """Keep the rows that hold anything, numbered; stop past the row limit, blank rows counted.

    Formatting alone can fill a million rows: they cost as much to read as written ones.
    """
    kept = []
    for number, values in enumerate(itertools.islice(rows, MAX_ROWS + 1), start=1):
        if number > MAX_ROWS:
            raise _too_many_rows(title)
        if any(cell_text(v) for v in values):
            kept.append((number, tuple(values)))
    return kept


def read_table(sheet: RawSheet, spec: SheetSpec) -> Table:
    """Find the header row of a sheet and read its data rows by field."""
    best: tuple[int, dict[str, int]] = (-1, {})
    for index, (_, values) in enumerate(sheet.rows[:HEADER_SEARCH_ROWS]):
        mapping: dict[str, int] = {}
        for position, header in enumerate(values):
            name = match_header(header, spec.columns)
            if name is not None and name not in mapping:
                mapping[name] = position
        required = all(c.field in mapping for c in spec.columns if c.required)
        if required:
            best = (index, mapping)
            break
        if len(mapping) > len(best[1]):
            best = (index, mapping)
    header_index, mapping = best
    missing = [c for c in spec.columns if c.required and c.field not in mapping]
    found = []
    if header_index >= 0:
        found = [cell_text(h) for h in sheet.rows[header_index][1] if cell_text(h)]
    table = Table(spec, sheet.title, [], set(mapping), missing, found)
    if missing:
        return table
    example = tuple(fold_header(v) for v in spec.example)
    for number, values in sheet.rows[header_index + 1 :]:
        row = {name: values[pos] if pos < len(values) else None for name, pos in mapping.items()}
        if all(cell_text(v) == "" for v in row.values()):
            continue
        if example and _is_example(row, spec, example):
            table.example_rows += 1  # the template's example, left in: not real data
            continue
        table.rows.append(Row(number, row))
    return table


def _is_example(row: dict[str, Any], spec: SheetSpec, example: tuple[str, ...]) -> bool:
    for column, wanted in zip(spec.columns, example, strict=False):
        if fold_header(cell_text(row.get(column.field))) != wanted:
            return False
    extra = spec.columns[len(example) :]
    return all(cell_text(row.get(c.field)) == "" for c in extra)


def cell_text(value: object) -> str:
    """Return a cell value as trimmed text; whole numbers lose their '.0'."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "1" if value else "0"
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    if isinstance(value, datetime):
        return value.date().isoformat() if value.time() == datetime.min.time() else str(value)
    if isinstance(value, date):
        return value.isoformat()
    return str(value).strip()


_YMD = re.compile(r"(\d{4})\s*[-/.年]\s*(\d{1,2})\s*[-/.月]\s*(\d{1,2})\s*[日号]?(?:[ T].*)?")
_MD = re.compile(r"(\d{1,2})\s*(?:月|[-/.])\s*(\d{1,2})\s*[日号]?")
# Days back that the words people write for a recent day mean.
_DAYS_BACK = {
    "今天": 0,
    "今日": 0,
    "today": 0,
    "昨天": 1,
    "昨日": 1,
    "yesterday": 1,
    "前天": 2,
    "daybeforeyesterday": 2,
}
_YEARS_BACK = 8  # a 29 February comes back within eight years (2100 skips one)


def parse_date(value: object, *, today: date) -> date | None:
    """Read a date as sites write it: Excel dates, 2026-11-20, 2026/11/20, 20261120, 11月20日,
    昨天 / yesterday. A date without a year is the nearest past one (today counts).

    The one date reader: spreadsheet cells and dates typed in chat (models.intake) alike.
    """
    if isinstance(value, datetime):
        return value.date()
    if isinstance(value, date):
        return value
    if isinstance(value, int | float) and not isinstance(value, bool):
        number = float(value)
        if number.is_integer() and 19000101 <= number <= 29991231:
            return parse_date(str(int(number)), today=today)
        if 20_000 <= number <= 80_000:  # an Excel day number in a cell formatted as General
            return from_excel(number).date()
        return None
    text = unicodedata.normalize("NFKC", str(value or "")).strip()
    words = "".join(text.lower().split())
    if words in _DAYS_BACK:
        return today - timedelta(days=_DAYS_BACK[words])
    found = _YMD.fullmatch(text) or re.fullmatch(r"(\d{4})(\d{2})(\d{2})", text)
    if found:
        try:
            return date(int(found[1]), int(found[2]), int(found[3]))
        except ValueError:
            return None
    found = _MD.fullmatch(text)
    return _nearest_past(int(found[1]), int(found[2]), today) if found else None


def _nearest_past(month: int, day: int, today: date) -> date | None:
    """Return the latest date on or before today with this month and day; None if none is."""
    for year in range(today.year, today.year - _YEARS_BACK - 1, -1):
        try:
            found = date(year, month, day)
        except ValueError:  # 30 February never is; 29 February only in a leap year
            continue
        if found <= today:
            return found
    return None
