"""Files that expand: a workbook is measured before its cells are read, and read only once."""

from __future__ import annotations

import asyncio
import io
import os
import zipfile
from collections.abc import Callable
from dataclasses import replace
from typing import Any

import pytest
from sqlalchemy import func
from sqlmodel import select
from telegram import Update
from telegram.ext import CommandHandler

from bot.telegram.offline import OfflineChat, OfflineTelegram, OfflineUser
from bot.telegram.stand_in import build_offline
from models import project as setup
from models.files import is_setup_workbook
from models.setup_sheet import setup_project
from models.sheets import import_items
from models.tables import Contractor, Event, Item, Unit
from models.workbook_reader import (
    MAX_COLUMNS,
    MAX_ROWS,
    MAX_UNPACKED_MB,
    WorkbookProblem,
    read_sheets,
)
from tests.conftest import ADMIN, CONTRACTOR_A, texts
from tests.test_files_chat import XLSX
from tests.test_sheets import ITEM_HEADERS_ZH, csv_bytes, setup_book, xlsx

MAIN = "http://schemas.openxmlformats.org/spreadsheetml/2006/main"
GOOD_ROW = ["3-1-1202", "卫生间", "渗漏", "地漏反味", "2026-11-20", "KF7", "", ""]


def cell(column: int, row: int, value: str) -> str:
    letter = chr(ord("A") + column)
    return f'<c r="{letter}{row}" t="inlineStr"><is><t>{value}</t></is></c>'


def row_xml(number: int, values: list[str]) -> str:
    cells = "".join(cell(i, number, v) for i, v in enumerate(values) if v)
    return f'<row r="{number}">{cells}</row>'


def hand_made(rows: bytes, dimension: str | None) -> bytes:
    """Return a real .xlsx whose one sheet holds `rows` as written, under a declared size."""
    base = zipfile.ZipFile(io.BytesIO(xlsx({"问题": [["x"]]})))
    head = f'<dimension ref="{dimension}"/>' if dimension else ""
    start = f'<?xml version="1.0" encoding="UTF-8"?><worksheet xmlns="{MAIN}">{head}<sheetData>'
    sheet = start.encode() + rows + b"</sheetData></worksheet>"
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED, compresslevel=9) as book:
        for info in base.infolist():
            data = sheet if info.filename == "xl/worksheets/sheet1.xml" else base.read(info)
            book.writestr(info.filename, data)
    return out.getvalue()


def items_rows(*rows: list[str]) -> bytes:
    return "".join(row_xml(n, r) for n, r in enumerate(rows, start=1)).encode()


def blank_rows(count: int) -> bytes:
    """Rows with a formatted, empty cell and no number: the cheapest XML to pack (a bomb)."""
    return b'<row><c s="0"/></row>' * count


def refusal(data: bytes, filename: str = "f.xlsx") -> tuple[str, dict[str, str]]:
    with pytest.raises(WorkbookProblem) as refused:
        read_sheets(data, filename)
    return refused.value.problem.key, refused.value.problem.params


@pytest.fixture
def fresh_project(db) -> int:
    with db.session() as s:
        return setup.create_project(s, name="江畔花园二期").id


def count(db, table) -> int:
    with db.session() as s:
        return s.exec(select(func.count()).select_from(table)).one()


def test_a_workbook_that_unpacks_past_the_limit_is_refused_unread():
    bomb = hand_made(items_rows(ITEM_HEADERS_ZH) + blank_rows(600_000), "A1:H2")
    assert len(bomb) < 200_000  # some kilobytes that unpack to more than the limit
    key, params = refusal(bomb)
    assert key == "unpacked_too_big" and params["mb"] == str(MAX_UNPACKED_MB)


def test_pictures_in_a_workbook_do_not_count_towards_its_unpacked_size():
    book = io.BytesIO(xlsx({"问题": [ITEM_HEADERS_ZH, GOOD_ROW]}))
    with zipfile.ZipFile(book, "a") as archive:  # a photo pasted in: packed already
        archive.writestr("xl/media/image1.jpeg", os.urandom((MAX_UNPACKED_MB + 1) * 1024 * 1024))
    [sheet] = read_sheets(book.getvalue(), "with-photo.xlsx")
    assert [number for number, _ in sheet.rows] == [1, 2]


def test_a_sheet_that_is_mostly_formatting_is_refused_unread():
    # Under the size limit, but a hundred times smaller packed than unpacked: blank rows.
    bomb = hand_made(items_rows(ITEM_HEADERS_ZH) + blank_rows(150_000), None)
    assert refusal(bomb)[0] == "mostly_blank"


def test_a_sheet_declared_too_large_is_refused_before_its_rows():
    book = hand_made(items_rows(ITEM_HEADERS_ZH, GOOD_ROW), "A1:H1048576")
    key, params = refusal(book)
    assert key == "too_many_rows" and params == {"max": f"{MAX_ROWS:,}", "sheet": "问题"}
    wide = hand_made(items_rows(ITEM_HEADERS_ZH, GOOD_ROW), "A1:ZZ2")
    key, params = refusal(wide)
    assert key == "too_many_columns" and params == {"max": str(MAX_COLUMNS), "sheet": "问题"}


def test_blank_rows_count_even_when_the_sheet_says_it_is_small():
    numbered = "".join(f'<row r="{n}"><c r="A{n}" s="0"/></row>' for n in range(3, MAX_ROWS + 1))
    at_limit = items_rows(ITEM_HEADERS_ZH, GOOD_ROW) + numbered.encode()
    [sheet] = read_sheets(hand_made(at_limit, "A1:H2"), "f.xlsx")
    assert [number for number, _ in sheet.rows] == [1, 2]
    one_more = at_limit + row_xml(MAX_ROWS + 1, GOOD_ROW).encode()
    assert refusal(hand_made(one_more, "A1:H2"))[0] == "too_many_rows"
    far_below = items_rows(ITEM_HEADERS_ZH) + row_xml(1_000_000, GOOD_ROW).encode()
    assert refusal(hand_made(far_below, None))[0] == "too_many_rows"


def test_a_csv_has_the_same_limits():
    at_limit = csv_bytes([ITEM_HEADERS_ZH, GOOD_ROW] + [[""] * 8] * (MAX_ROWS - 2))
    assert len(read_sheets(at_limit, "f.csv")[0].rows) == 2
    one_more = at_limit + b"3-1-1202,,,,,,,\r\n"
    assert refusal(one_more, "f.csv") == (
        "too_many_rows",
        {"max": f"{MAX_ROWS:,}", "sheet": "f.csv"},
    )
    huge = csv_bytes([ITEM_HEADERS_ZH]) + b"x" * (MAX_UNPACKED_MB * 1024 * 1024)
    assert refusal(huge, "f.csv") == ("too_big", {"mb": str(MAX_UNPACKED_MB)})


async def test_a_bomb_in_chat_is_refused_and_writes_nothing_then_a_real_file_imports(
    bot, world, db
):
    before = [count(db, table) for table in (Item, Event, Unit, Contractor)]
    chen = bot.chat(ADMIN)
    bomb = hand_made(items_rows(ITEM_HEADERS_ZH) + blank_rows(600_000), "A1:H2")
    answer = texts(await chen.send_document(bomb, "bomb.xlsx", XLSX))
    assert "Nothing was imported from bomb.xlsx" in answer
    assert f"more than {MAX_UNPACKED_MB} MB" in answer
    assert [count(db, table) for table in (Item, Event, Unit, Contractor)] == before
    good = xlsx({"问题": [ITEM_HEADERS_ZH, GOOD_ROW]})
    assert "Imported 1 item from sheet7.xlsx" in texts(
        await chen.send_document(good, "sheet7.xlsx", XLSX)
    )
    assert "地漏反味" in texts(await bot.chat(CONTRACTOR_A).send("/mylist"))


def test_set_up_and_items_are_taken_from_the_one_reading(db, world, fresh_project):
    # The chat reads a file once to tell its kind; the importers take what it read, no bytes.
    setup_sheets = read_sheets(setup_book("en"), "setup.xlsx")
    items_sheets = read_sheets(xlsx({"问题": [ITEM_HEADERS_ZH, GOOD_ROW]}), "items.xlsx")
    assert is_setup_workbook(setup_sheets) and not is_setup_workbook(items_sheets)
    with db.session() as s:
        saved = setup_project(s, project_id=fresh_project, sheets=setup_sheets, filename="s.xlsx")
        imported = import_items(
            s, project_id=world.project_id, sheets=items_sheets, filename="items.xlsx"
        )
        s.commit()
    assert saved.ok and saved.counts["units"].added == 3
    assert imported.ok and imported.imported == 1


class HeldDownloads(OfflineTelegram):
    """The offline Telegram, holding every file download until the test lets them go."""

    def __init__(self) -> None:
        super().__init__(bot_username="handover_test_bot")
        self.let_go = asyncio.Event()

    async def do_request(
        self, url: str, method: str, *args: Any, **kwargs: Any
    ) -> tuple[int, bytes]:
        if method == "GET":
            await self.let_go.wait()
        return await super().do_request(url, method, *args, **kwargs)


async def until(check: Callable[[], bool], seconds: float = 10.0) -> None:
    """Wait until the check holds, as a person waits for an answer; fail after `seconds`."""
    async with asyncio.timeout(seconds):
        while not check():
            await asyncio.sleep(0.01)


def said(transport: OfflineTelegram, user: OfflineUser) -> list[str]:
    return [m.text or "" for m in transport.outbox_for(user.id)]


async def test_others_are_answered_while_a_file_is_read_and_one_persons_files_in_turn(
    settings, db, world
):
    transport = HeldDownloads()
    app = build_offline(settings, db, transport)
    bad = xlsx({"问题": [ITEM_HEADERS_ZH, ["3-1-1299", "卫生间", "渗漏", "x", "", "", "", ""]]})
    good = xlsx({"问题": [ITEM_HEADERS_ZH, GOOD_ROW]})
    async with app:
        await app.start()  # updates go through the queue, as from Telegram
        try:
            for update in (
                transport.document_update(ADMIN, bad, "first.xlsx", XLSX),
                transport.document_update(ADMIN, good, "second.xlsx", XLSX),
                transport.text_update(CONTRACTOR_A, "/mylist"),
            ):
                await app.update_queue.put(update)
            # The admin's first file is being fetched and read: the contractor is answered.
            await until(lambda: any("卫生间吊顶渗水" in t for t in said(transport, CONTRACTOR_A)))
            # Which of the two is shown first is the loop's to choose (the contractor's list
            # can come before "Reading…" on a loaded machine): the admin's file is still held.
            await until(lambda: said(transport, ADMIN) == ["Reading first.xlsx…"])
            transport.let_go.set()
            await until(lambda: len(said(transport, ADMIN)) == 4)
        finally:
            transport.let_go.set()
            await app.stop()
    first, first_answer, second, second_answer = said(transport, ADMIN)
    assert first == "Reading first.xlsx…" and "Nothing was imported from first.xlsx" in first_answer
    assert second == "Reading second.xlsx…" and "Imported 1 item from" in second_answer


async def test_the_chat_driver_waits_for_a_handler_that_runs_beside_others():
    transport = OfflineTelegram()
    app = transport.build_application("4242:TEST")

    async def later(update: Update, context: object) -> None:
        await update.message.reply_text("done")

    async def boom(update: Update, context: object) -> None:
        raise ValueError("handler failed")

    app.add_handler(CommandHandler("later", later, block=False))
    app.add_handler(CommandHandler("boom", boom, block=False))
    someone = OfflineUser(id=77, first_name="A", language_code="en")
    async with app:
        await app.start()
        try:
            assert texts(await OfflineChat(app, transport, someone).send("/later")) == "done"
            with pytest.raises(ValueError, match="handler failed"):
                await OfflineChat(app, transport, someone).send("/boom")
        finally:
            await app.stop()


async def test_a_file_too_big_for_the_bot_is_refused_before_it_is_fetched(
    settings, db, world, monkeypatch
):
    transport = HeldDownloads()  # a download would wait forever: the answer must not need one
    app = build_offline(settings, db, transport)
    platform = app.bot_data["core"].platform  # the flow asks the platform how big a file may be
    monkeypatch.setattr(platform, "limits", replace(platform.limits, file=0))  # any is too big
    good = xlsx({"问题": [ITEM_HEADERS_ZH, GOOD_ROW]})
    async with app:
        await app.start()
        try:
            await app.update_queue.put(transport.document_update(ADMIN, good, "big.xlsx", XLSX))
            await until(lambda: bool(said(transport, ADMIN)))
        finally:
            transport.let_go.set()
            await app.stop()
    assert said(transport, ADMIN) == ["The file is too big (0 MB at most); please split it."]
    assert count(db, Item) == 3
