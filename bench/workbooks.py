"""Workbooks sent in: how fast a file past the limits is refused, what a legal one costs."""

from __future__ import annotations

import io
import random
import zipfile

from openpyxl import Workbook
from sqlmodel import select

from bench import Timing, measure, timed
from models.db import Database
from models.sheets import import_items
from models.tables import Category, Project, Unit
from models.workbook_reader import MAX_ROWS, WorkbookProblem, read_sheets

HEADERS = ["房号", "部位", "类别", "问题描述", "登记日期", "看房单号", "施工单位", "照片"]
BOMB_ROWS = 5_000_000  # '<row><c s="0"/></row>' each: about 100 MB of blank rows unpacked


def bomb() -> bytes:
    """Return a real .xlsx whose sheet unpacks to about 100 MB of formatted blank rows."""
    base = Workbook()
    base.active.append(HEADERS)
    buffer = io.BytesIO()
    base.save(buffer)
    source = zipfile.ZipFile(buffer)
    sheet = source.read("xl/worksheets/sheet1.xml")
    head, _, _ = sheet.partition(b"</sheetData>")
    blank = head + b'<row><c s="0"/></row>' * BOMB_ROWS + b"</sheetData></worksheet>"
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED, compresslevel=9) as book:
        for info in source.infolist():
            data = blank if info.filename == "xl/worksheets/sheet1.xml" else source.read(info)
            book.writestr(info.filename, data)
    return out.getvalue()


def items_workbook(db: Database, project_id: int, rows: int) -> bytes:
    """Return an items workbook of `rows` real-looking defects of the project's flats."""
    with db.session() as session:
        units = list(session.exec(select(Unit.code).where(Unit.project_id == project_id)))
        categories = list(
            session.exec(select(Category.name_zh).where(Category.project_id == project_id))
        )
    rng = random.Random(9)
    book = Workbook()
    sheet = book.active
    sheet.title = "问题"
    sheet.append(HEADERS)
    for n in range(rows):
        sheet.append(
            [
                rng.choice(units),
                rng.choice(["卫生间", "厨房", "客厅", "主卧", "阳台"]),
                rng.choice(categories),
                f"批量导入测试：吊顶渗水，墙角发霉 {n}",
                "2026-11-20",
                f"BENCH-{n // 10}",
                "",
                "",
            ]
        )
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()


def _refused(data: bytes) -> None:
    try:
        read_sheets(data, "bomb.xlsx")
    except WorkbookProblem:
        return
    raise AssertionError("the bomb was read")


def workbooks(db: Database, label: str, reps: int) -> list[Timing]:
    """Time refusing the bomb, reading a legal file at the row limit, and importing it once.

    The import adds its items to the site: run this after the other benchmarks of the site.
    """
    with db.session() as session:
        project_id = session.exec(select(Project.id)).first()
    expanding = bomb()
    legal = items_workbook(db, project_id, MAX_ROWS - 1)
    packed = f"{len(expanding) // 1024} KB"
    timings = [
        measure(
            f"refuse a {packed} workbook of 100 MB blank rows",
            label,
            lambda: _refused(expanding),
            reps,
        ),
        measure(
            f"read a {MAX_ROWS:,}-row items workbook",
            label,
            lambda: read_sheets(legal, "i.xlsx"),
            3,
        ),
    ]
    reports = []
    imported = timed(
        lambda: reports.append(
            db.run(import_items, project_id=project_id, data=legal, filename="bench.xlsx")
        )
    )
    if not reports[0].ok or reports[0].imported != MAX_ROWS - 1:
        raise AssertionError(f"the legal file was not imported: {reports[0].problems[:3]}")
    timings.append(Timing(f"import a {MAX_ROWS:,}-row items workbook", label, (imported,)))
    return timings
