"""Workbooks in chat: an admin sends the set-up, a clerk the items, /template and /export."""

from __future__ import annotations

import io
from datetime import date

from openpyxl import load_workbook
from sqlmodel import select

from models import people
from models.tables import Category, Contractor, Item, Role, Unit
from tests.conftest import ADMIN, CONTRACTOR_A, SERVICE, OfflineUser, texts
from tests.test_sheets import ITEM_HEADERS_ZH, csv_bytes, setup_book, site_book, xlsx

CLERK = OfflineUser(id=1002, first_name="Xu", language_code="en")
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
CSV = "text/csv"


def add_clerk(db, world) -> None:
    with db.session() as s:
        people.add_member(
            s,
            project_id=world.project_id,
            platform="telegram",
            account=str(CLERK.id),
            name="Xu",
            roles=[Role.clerk],
        )


async def test_admin_sends_the_setup_workbook(bot, world, db):
    replies = await bot.chat(ADMIN).send_document(setup_book("zh"), "setup.xlsx", XLSX)
    answer = texts(replies)
    assert "Set-up saved from setup.xlsx" in answer
    with db.session() as s:
        owner = s.exec(select(Unit.owner_name).where(Unit.code == "3-1-1202")).one()
        assert owner == "张伟"
        assert s.exec(select(Contractor).where(Contractor.name == "明达水电")).one()


async def test_a_setup_workbook_with_its_own_categories_is_saved_and_names_them(bot, world, db):
    book = site_book(
        [["吊顶", "", "华建装饰"], ["防水", "", "远大防水"]],
        [["防水", "Waterproofing", 15]],
    )
    answer = texts(await bot.chat(ADMIN).send_document(book, "site.xlsx", XLSX))
    assert "Set-up saved from site.xlsx" in answer
    assert "Category added: 防水 / Waterproofing (15 days to repair)" in answer
    assert "Category added: 吊顶" in answer and "水电" not in answer
    with db.session() as s:
        names = s.exec(select(Category.name_zh).where(Category.project_id == world.project_id))
        assert {"吊顶", "防水"} <= set(names.all())
        assert s.exec(select(Contractor).where(Contractor.name == "远大防水")).one()
    replies = await bot.chat(ADMIN).send("/template")  # the set-up template shows them
    setup = next(m for m in replies if m.kind == "document" and "setup" in m.filename)
    sheet = load_workbook(io.BytesIO(setup.file_bytes))["类别 Categories"]
    listed = list(sheet.iter_rows(min_row=2, values_only=True))
    assert ("防水", "Waterproofing", 15) in listed and ("吊顶", "吊顶", None) in listed


async def test_clerk_cannot_send_the_setup_workbook(bot, world, db):
    add_clerk(db, world)
    answer = texts(await bot.chat(CLERK).send_document(setup_book("en"), "setup.xlsx", XLSX))
    assert "your role cannot" in answer


async def test_clerk_sends_items_bad_rows_first_then_a_good_file(bot, world, db):
    add_clerk(db, world)
    xu = bot.chat(CLERK)
    day = "2026-11-20"
    bad = xlsx(
        {
            "问题": [
                ITEM_HEADERS_ZH,
                ["3-1-1202", "卫生间", "渗漏", "地漏反味", day, "KF9", "", ""],
                ["3-1-1299", "卫生间", "渗漏", "吊顶渗水", day, "KF9", "", ""],
                ["3-1-502", "客厅", "渗水", "墙角渗水", day, "KF9", "", ""],
            ]
        }
    )
    with db.session() as s:
        before = len(s.exec(select(Item)).all())
    answer = texts(await xu.send_document(bad, "sheet9.xlsx", XLSX))
    assert "Nothing was imported from sheet9.xlsx" in answer
    assert "3-1-1299" in answer and "渗漏" in answer  # the unit and the nearest category
    with db.session() as s:
        assert len(s.exec(select(Item)).all()) == before
    good = xlsx({"问题": [ITEM_HEADERS_ZH, ["3-1-1202", "卫生间", "渗漏", "地漏反味", day, "KF9"]]})
    answer = texts(await xu.send_document(good, "sheet9.xlsx", XLSX))
    assert "Imported 1 item from sheet9.xlsx" in answer and "华建装饰" in answer
    assert "地漏反味" in texts(await bot.chat(CONTRACTOR_A).send("/mylist"))
    again = texts(await xu.send_document(good, "sheet9.xlsx", XLSX))
    assert "Nothing new" in again


async def test_template_sends_two_workbooks_that_open(bot, world, db):
    add_clerk(db, world)
    replies = await bot.chat(CLERK).send("/template")
    documents = [m for m in replies if m.kind == "document"]
    assert len(documents) == 2
    for document in documents:
        book = load_workbook(io.BytesIO(document.file_bytes))
        assert any("说明" in name for name in book.sheetnames)


async def test_export_in_chat_is_a_workbook_with_items_and_events(bot, world, db):
    replies = await bot.chat(ADMIN).send("/export")
    [document] = [m for m in replies if m.kind == "document"]
    assert document.filename.endswith(".xlsx")
    book = load_workbook(io.BytesIO(document.file_bytes), read_only=True)
    assert {"Items", "Events"} <= set(book.sheetnames)
    rows = list(book["Items"].iter_rows(values_only=True))
    described = {str(value) for row in rows for value in row if value}
    assert {"卫生间吊顶渗水", "客厅墙面空鼓", "厨房插座无电"} <= described
    assert "your role cannot" in texts(await bot.chat(SERVICE).send("/export"))


async def test_other_files_and_unknown_messages_get_an_answer(bot, world, db):
    add_clerk(db, world)
    pdf = await bot.chat(CLERK).send_document(b"%PDF-1.4", "scan.pdf", "application/pdf")
    assert "send an .xlsx or .csv" in texts(pdf)
    assert "/help" in texts(await bot.chat(CONTRACTOR_A).send("hello there"))
    assert "/help" in texts(await bot.chat(CONTRACTOR_A).send("/nosuchcommand"))


async def test_items_csv_dates_and_categories_typed_in_a_hurry(bot, world, db):
    # The clock: 00:30 on 16 December in Shanghai, still the 15th in UTC.
    add_clerk(db, world)
    xu = bot.chat(CLERK)
    rows = [
        ["3-1-1202", "卫生间", "漏水", "吊顶渗水", "12-16", "KF1"],
        ["3-1-502", "客厅", "开裂", "墙角裂缝", "12-17", "KF1"],
        ["5-2-801", "厨房", "水电", "插座跳闸", "2026-12-17", "KF2"],
    ]
    answer = texts(await xu.send_document(csv_bytes([ITEM_HEADERS_ZH[:6], *rows]), "d.csv", CSV))
    assert "Nothing was imported from d.csv" in answer
    assert "row 2" in answer and "漏水" in answer and "渗漏 / Leak" in answer
    assert "row 3" in answer and "墙面 / Wall" in answer
    assert "row 4" in answer and "2026-12-17" in answer  # still to come: named, refused
    rows[0][2], rows[1][2] = "渗漏", "墙面"
    rows[2][4] = "昨天"
    rows.append(["5-2-801", "厨房", "水电", "开关松动", "02-29", "KF2"])
    answer = texts(await xu.send_document(csv_bytes([ITEM_HEADERS_ZH[:6], *rows]), "d.csv", CSV))
    assert "Imported 4 items from d.csv" in answer
    with db.session() as s:
        raised = dict(s.exec(select(Item.description, Item.raised_on)).all())
    assert raised["吊顶渗水"] == date(2026, 12, 16)  # today on the site
    assert raised["墙角裂缝"] == date(2025, 12, 17)  # the nearest past 17 December
    assert raised["插座跳闸"] == date(2026, 12, 15)
    assert raised["开关松动"] == date(2024, 2, 29)  # the nearest past 29 February
