"""Printed lists: the PDF a contractor or the inspection team takes on site, read back as text.

Every PDF is opened with two extractors (pypdf and pdfplumber): what a clerk searches or copies
must be there, page by page, with no U+0000 where a glyph lost its character.
"""

from __future__ import annotations

import io
import re
from datetime import date, timedelta

import pdfplumber
import pypdf
import zxingcpp
from sqlmodel import select

from handlers.i18n import t
from jobs import rhythm
from models import clock, pushes
from models import project as setup
from models.db import Database
from models.intake import raise_item
from models.print_lists import contractor_print, to_check_print
from models.printable import (
    contractor_pdf,
    file_name,
    project_printables,
    render_pdf,
    to_check_pdf,
)
from models.tables import Action, Contractor, Item
from tests.conftest import CONTRACTOR_A, CONTRACTOR_B, INSPECTOR, World, move
from tests.test_wecom_chat import WECOM_IDS, wecom, wecom_settings  # noqa: F401  (fixtures)


def zh(key: str, **params: object) -> str:
    return t("zh", key, **params)


def en(key: str, **params: object) -> str:
    return t("en", key, **params)


def pages_of(data: bytes) -> list[str]:
    """Return each page's text as both extractors read it (joined), checked for U+0000."""
    assert data.startswith(b"%PDF-")
    by_pypdf = [page.extract_text() for page in pypdf.PdfReader(io.BytesIO(data)).pages]
    with pdfplumber.open(io.BytesIO(data)) as pdf:
        by_plumber = [page.extract_text() for page in pdf.pages]
    assert len(by_pypdf) == len(by_plumber)
    for a, b in zip(by_pypdf, by_plumber, strict=True):
        assert "\x00" not in a and "\x00" not in b
        assert a.strip() and b.strip()
    return [f"{a}\n=====\n{b}" for a, b in zip(by_pypdf, by_plumber, strict=True)]


def both_hold(page: str, text: str) -> bool:
    """Tell whether both extractors' text of a page hold `text` (line breaks aside)."""
    a, b = page.split("\n=====\n")
    flat = "".join(text.split())
    return flat in "".join(a.split()) and flat in "".join(b.split())


def in_order(page: str, *marks: str | int) -> bool:
    """Tell whether pdfplumber's text of a page holds the marks in this order (an int: a row id)."""
    text, at = page.split("\n=====\n")[1], 0
    for mark in marks:
        found = text.find(f"\n{mark} " if isinstance(mark, int) else mark, at)
        if found < 0:
            return False
        at = found + 1
    return True


def row_ids(pages: list[str]) -> list[int]:
    """Return the ids that begin rows, in pdfplumber's reading order over all pages."""
    return [int(n) for p in pages for n in re.findall(r"^(\d+) ", p.split("\n=====\n")[1], re.M)]


def embedded_fonts(data: bytes) -> list[bool]:
    """Return, per font the pages use, whether its TrueType program is inside the file."""
    reader = pypdf.PdfReader(io.BytesIO(data))
    found = []
    for page in reader.pages:
        for font in page["/Resources"]["/Font"].values():
            font = font.get_object()
            for descendant in font.get("/DescendantFonts", [font]):
                descriptor = descendant.get_object()["/FontDescriptor"].get_object()
                found.append("/FontFile2" in descriptor)
    return found


def add_items(db: Database, world: World, n: int, today: date, **fields: object) -> list[int]:
    with db.session() as s:
        for code in ("7-1-301", "7-1-1501", "7-2-402"):
            setup.add_unit(s, project_id=world.project_id, code=code)
        ids = [
            raise_item(
                s,
                project_id=world.project_id,
                unit_code=("7-1-301", "7-1-1501", "7-2-402")[i % 3],
                location="主卧",
                category_code="leak",
                description=f"窗台渗水 第{i}处",
                raised_on=today - timedelta(days=i % 40),
                **fields,
            ).id
            for i in range(n)
        ]
        return ids


def test_a_contractors_list_holds_its_items_in_its_order(db, world, today):
    with db.session() as s:
        name, data = contractor_pdf(s, contractor_id=world.huajian, tr=zh)
    [page] = pages_of(data)
    for text in ("Riverside 1", "华建装饰", "待维修清单", today.isoformat(), "第 1 / 1 页"):
        assert both_hold(page, text), text
    for heading in ("编号", "房号", "部位", "类别", "问题描述", "登记日期", "天数", "返修", "限期"):
        assert both_hold(page, heading), heading
    assert both_hold(page, "完工") and both_hold(page, "签字")
    assert both_hold(page, "卫生间吊顶渗水") and both_hold(page, "客厅墙面空鼓")
    assert not both_hold(page, "厨房插座无电")  # 明达水电's item
    assert in_order(page, world.items["wall"], world.items["leak"])  # floor 5, then floor 12
    assert all(embedded_fonts(data)) and embedded_fonts(data)
    assert name == f"待维修清单-华建装饰-{today:%Y%m%d}.pdf"


def test_overdue_and_rework_are_marked_and_counted(db, world, today):
    move(db, world.items["wall"], CONTRACTOR_A.id, Action.report_repaired)
    move(db, world.items["wall"], INSPECTOR.id, Action.fail, note="still hollow")
    with db.session() as s:
        s.get(Item, world.items["leak"]).due_on = today - timedelta(days=2)
        s.commit()
        _, data = contractor_pdf(s, contractor_id=world.huajian, tr=zh)
    [page] = pages_of(data)
    assert in_order(page, world.items["wall"], world.items["leak"])  # by floor, as walked
    assert both_hold(page, "逾期") and both_hold(page, "返修 ×1")
    assert both_hold(page, "其中返修 1 项、逾期 1 项")


def test_three_hundred_items_span_pages_each_with_its_heading(db, world, today):
    ids = add_items(db, world, 300, today)
    with db.session() as s:
        _, data = contractor_pdf(s, contractor_id=world.huajian, tr=zh)
    pages = pages_of(data)
    assert len(pages) > 3
    for number, page in enumerate(pages, 1):
        assert both_hold(page, f"第 {number} / {len(pages)} 页")
        for text in ("Riverside 1", "华建装饰", "编号", "问题描述", "签字", today.isoformat()):
            assert both_hold(page, text), (number, text)
    assert set(ids) <= set(row_ids(pages))
    everything = "".join("".join(p.split("\n=====\n")[1].split()) for p in pages)
    assert "窗台渗水第299处" in everything


def test_a_long_walk_says_on_every_page_which_stairwell_it_is_in(db, world, today):
    ids = add_items(db, world, 90, today)  # 7-1-301, 7-1-1501, 7-2-402 in turn
    for item in ids:
        move(db, item, CONTRACTOR_A.id, Action.report_repaired)
    with db.session() as s:
        _, data = to_check_pdf(s, project_id=world.project_id, tr=zh)
    pages = pages_of(data)
    assert len(pages) > 3
    for number, page in enumerate(pages, 1):
        for text in ("验收组", "编号", "楼层", "不合格原因", f"第 {number} / {len(pages)} 页"):
            assert both_hold(page, text), (number, text)
        assert both_hold(page, "7栋 1单元") or both_hold(page, "7栋 2单元"), number
    # Entrance 1 floor 3, entrance 1 floor 15, then entrance 2: every third item, in id order.
    assert row_ids(pages) == [*ids[0::3], *ids[1::3], *ids[2::3]]


def test_a_list_over_the_cap_says_how_much_is_left_out(db, world, today):
    ids = add_items(db, world, 30, today)
    with db.session() as s:
        for item in s.exec(select(Item).where(Item.contractor_id == world.huajian)).all():
            item.due_on = today - timedelta(days=1)
        s.commit()
        plist = contractor_print(s, contractor_id=world.huajian, cap=10)
    assert (len(plist.lines), plist.total, plist.cut) == (10, 32, True)
    # The ten printed are the ten the list puts first (oldest), walked stairwell by stairwell.
    first = ordered_ids(db, [*ids, world.items["leak"], world.items["wall"]])[:10]
    assert sorted(x.id for x in plist.lines) == sorted(first)
    walk = [(x.building, x.entrance, x.floor) for x in plist.lines]
    assert walk == sorted(walk, key=lambda w: (len(w[0]), w[0], len(w[1]), w[1], w[2]))
    [page] = pages_of(render_pdf(plist, zh))
    assert both_hold(page, "只打印了前 10 项（共 32 项）")
    assert both_hold(page, "共 32 项，其中返修 0 项、逾期 32 项")  # the whole list's figures


def test_the_to_check_list_walks_building_entrance_floor(db, world, today):
    ids = add_items(db, world, 3, today)  # 7-1-301, 7-1-1501, 7-2-402
    move(db, world.items["socket"], CONTRACTOR_B.id, Action.report_repaired)
    for item in [*ids, world.items["leak"]]:
        move(db, item, CONTRACTOR_A.id, Action.report_repaired)
    with db.session() as s:
        name, data = to_check_pdf(s, project_id=world.project_id, tr=zh)
    [page] = pages_of(data)
    for text in ("Riverside 1", "验收组", "待验收清单", "不合格原因", "签字", "第 1 / 1 页"):
        assert both_hold(page, text), text
    assert in_order(
        page,
        "3栋 1单元",
        world.items["leak"],  # 3-1-1202
        "5栋 2单元",
        world.items["socket"],
        "7栋 1单元",
        ids[0],  # floor 3
        ids[1],  # floor 15
        "7栋 2单元",
        ids[2],
    ), page
    assert not both_hold(page, "客厅墙面空鼓")  # still open: not to check
    assert name == f"待验收清单-{today:%Y%m%d}.pdf"


def test_english_labels(db, world, today):
    with db.session() as s:
        _, data = contractor_pdf(s, contractor_id=world.huajian, tr=en)
    [page] = pages_of(data)
    for text in ("Repair list", "Description", "Signature", "Page 1 / 1", "Leak"):
        assert both_hold(page, text), text


def test_hostile_descriptions_and_names_do_not_break_the_page(db, world, today):
    hostile = '../..\\<b>CON</b>:*?"|\u202e😀 华建/装饰\x07' + "长" * 70
    ids = add_items(db, world, 6, today)
    with db.session() as s:
        s.get(Contractor, world.huajian).name = hostile
        for n, item in enumerate(ids):
            row = s.get(Item, item)
            row.description = (
                f"开头{n} <b>粗</b> &amp; 😀🏠 שלום مرحبا \u202eRTL\u200d\x01\n" + "裂缝" * 2500
            )
            row.location = "<i>" + "阳台" * 28  # 59 of 60
        s.commit()
        plist = contractor_print(s, contractor_id=world.huajian)
        data = render_pdf(plist, zh)
        name = file_name(plist, zh)
    pages = pages_of(data)
    assert len(pages) <= 3  # each row cut short: eight rows fit on a page or two
    text = "".join("".join(p.split("\n=====\n")[1].split()) for p in pages)
    for n in range(len(ids)):
        assert f"开头{n}<b>粗</b>&amp;" in text
    assert set(ids) <= set(row_ids(pages))
    assert "裂缝" * 100 not in text and "…" in text
    assert "\u202e" not in text
    for page in pages:
        assert both_hold(page, "华建")  # the name, shortened, on every page
        assert both_hold(page, today.isoformat()) and both_hold(page, "问题描述")
    assert re.fullmatch(r"[\w-]+\.pdf", name) and len(name) < 80, name
    assert "/" not in name and "\\" not in name and ".." not in name


def test_an_empty_list_is_one_page_that_says_so(db, world, today):
    with db.session() as s:
        assert to_check_pdf(s, project_id=world.project_id, tr=zh) is None
        plist = to_check_print(s, project_id=world.project_id)
        [page] = pages_of(render_pdf(plist, zh))
    assert both_hold(page, "目前没有需要处理的问题") and both_hold(page, "第 1 / 1 页")


def test_a_project_prints_one_list_per_contractor_and_one_to_check(db, world, today):
    move(db, world.items["leak"], CONTRACTOR_A.id, Action.report_repaired)
    with db.session() as s:
        setup.add_contractor(s, project_id=world.project_id, name="空闲单位", trades="")
        made = project_printables(s, project_id=world.project_id, tr=zh)
        loaded = s.exec(select(Contractor.name)).all()
    assert "空闲单位" in loaded
    names = [name for name, _ in made]
    assert names == [
        f"待维修清单-华建装饰-{today:%Y%m%d}.pdf",
        f"待维修清单-明达水电-{today:%Y%m%d}.pdf",
        f"待验收清单-{today:%Y%m%d}.pdf",
    ]
    [check] = pages_of(made[2][1])
    assert both_hold(check, str(world.items["leak"])) and both_hold(check, "卫生间吊顶渗水")


# ---------------------------------------------------------------- in chat


def pdf_button(chat) -> str:  # noqa: ANN001
    [data] = [d for row in chat.buttons() for label, d in row if "PDF" in label]
    return data


async def test_mylist_offers_the_pdf_of_my_own_list(bot, world, today):
    wang = bot.chat(CONTRACTOR_A)
    await wang.send("/mylist")
    assert pdf_button(wang) == "pdf:ml"
    [document] = [m for m in await wang.press("pdf:ml") if m.kind == "document"]
    assert document.mime_type == "application/pdf"
    assert document.filename == f"repair-list-华建装饰-{today:%Y%m%d}.pdf"  # Wang reads English
    assert "华建装饰" in document.text and "2 items" in document.text
    [page] = pages_of(document.file_bytes)
    assert both_hold(page, "Repair list") and both_hold(page, "卫生间吊顶渗水")
    assert both_hold(page, "客厅墙面空鼓") and not both_hold(page, "厨房插座无电")


async def test_mylist_of_one_building_prints_that_building(bot, world, today):
    wang = bot.chat(CONTRACTOR_A)
    await wang.send("/mylist 3")
    assert pdf_button(wang) == "pdf:ml:3"
    await wang.send("/mylist")  # the button still says which building it prints
    [document] = [m for m in await wang.press("pdf:ml:3") if m.kind == "document"]
    [page] = pages_of(document.file_bytes)
    assert both_hold(page, "Building 3 only") and "-3-" in document.filename


async def test_tocheck_offers_the_pdf_of_the_walk(bot, world, today):
    move(db := bot.app.bot_data["db"], world.items["leak"], CONTRACTOR_A.id, Action.report_repaired)
    move(db, world.items["socket"], CONTRACTOR_B.id, Action.report_repaired)
    li = bot.chat(INSPECTOR)
    await li.send("/tocheck")
    assert pdf_button(li) == "pdf:tc"
    [document] = [m for m in await li.press("pdf:tc") if m.kind == "document"]
    assert document.filename == f"to-check-{today:%Y%m%d}.pdf"
    [page] = pages_of(document.file_bytes)
    assert in_order(page, "Acceptance team", world.items["leak"], world.items["socket"])
    assert not both_hold(page, "客厅墙面空鼓")
    await li.send("/tocheck 5")
    assert pdf_button(li) == "pdf:tc:5"
    [document] = [m for m in await li.press("pdf:tc:5") if m.kind == "document"]
    [page] = pages_of(document.file_bytes)
    assert both_hold(page, "厨房插座无电") and not both_hold(page, "卫生间吊顶渗水")


async def test_a_forged_press_prints_nothing_it_should_not(bot, world):
    wang, li = bot.chat(CONTRACTOR_A), bot.chat(INSPECTOR)
    [mine] = await wang.send("/mylist")
    [theirs] = await li.send("/tocheck")
    assert "your role cannot" in await wang.press_alert("pdf:tc", mine.message_id)
    assert "your role cannot" in await li.press_alert("pdf:ml", theirs.message_id)
    # Nothing is reported repaired yet; Wang has nothing in building 9.
    assert "nothing to print" in await li.press_alert("pdf:tc", theirs.message_id)
    assert "nothing to print" in await wang.press_alert("pdf:ml:9", mine.message_id)
    await wang.press("pdf:ml:../../etc", mine.message_id)  # no pattern takes it: stale button
    assert "no longer active" in (wang.alert or "")
    for chat in (wang, li):
        sent = bot.transport.chat_messages(chat.chat_id)
        assert not [m for m in sent if m.kind == "document"]


async def test_an_empty_list_offers_no_pdf(bot, world):
    li = bot.chat(INSPECTOR)
    await li.send("/tocheck")
    assert not [d for row in li.buttons() for _, d in row if d and d.startswith("pdf:")]


# ---------------------------------------------------------------- paper walked once per stairwell


def ordered_ids(db: Database, ids: list[int]) -> list[int]:
    """Return items in a contractor's order: rework first, then raised first."""
    with db.session() as s:
        items = [s.get(Item, i) for i in ids]
    return [i.id for i in sorted(items, key=lambda i: (i.state != "rework", i.raised_on, i.id))]


def test_a_contractors_paper_list_walks_each_stairwell_once(db, world, today):
    ids = add_items(db, world, 9, today)  # 7-1-301, 7-1-1501, 7-2-402 in turn, 0-8 days old
    wall, leak = world.items["wall"], world.items["leak"]  # 3-1-502, 3-1-1202
    move(db, wall, CONTRACTOR_A.id, Action.report_repaired)
    move(db, wall, INSPECTOR.id, Action.fail, note="still hollow")
    with db.session() as s:
        s.get(Item, leak).due_on = today - timedelta(days=2)
        s.commit()
        _, data = contractor_pdf(s, contractor_id=world.huajian, tr=zh)
    pages = pages_of(data)
    # Building, entrance, floor, flat: the rework and the oldest are found where they are.
    assert row_ids(pages) == [wall, leak, *ids[0::3], *ids[1::3], *ids[2::3]]
    [page] = pages
    assert both_hold(page, "3栋 1单元 （2 项：返修 1，逾期 1）")
    assert both_hold(page, "7栋 1单元 （6 项：返修 0，逾期 0）")
    assert both_hold(page, "7栋 2单元 （3 项：返修 0，逾期 1）")  # ids[8], raised 8 days ago
    assert both_hold(page, "共 11 项，其中返修 1 项、逾期 2 项")
    assert both_hold(page, "返修 ×1") and both_hold(page, "逾期")


def test_the_walk_names_each_contractor_and_leaves_room_for_a_fail_reason(db, world, today):
    ids = add_items(db, world, 6, today)
    move(db, world.items["socket"], CONTRACTOR_B.id, Action.report_repaired)
    for item in ids:
        move(db, item, CONTRACTOR_A.id, Action.report_repaired)
    with db.session() as s:
        name, data = to_check_pdf(s, project_id=world.project_id, tr=zh)
    [page] = pages_of(data)
    assert both_hold(page, "施工单位") and both_hold(page, "不合格原因")
    lines = page.split("\n=====\n")[1].splitlines()
    assert "明达水电" in next(x for x in lines if x.startswith(f"{world.items['socket']} "))
    assert all("华建装饰" in next(x for x in lines if x.startswith(f"{i} ")) for i in ids)
    tops = [top for top, _ in id_words(data)]
    assert min(b - a for a, b in zip(tops, tops[1:], strict=False)) >= 33  # 12 mm a row
    assert name == f"待验收清单-{today:%Y%m%d}.pdf"  # no project: the heading names it


def id_words(data: bytes) -> list[tuple[float, int]]:
    """Return (top, id) of the large ids that begin rows, page after page."""
    found = []
    with pdfplumber.open(io.BytesIO(data)) as pdf:
        for number, page in enumerate(pdf.pages):
            words = page.extract_words(extra_attrs=["size"])
            found += [
                (number * 1000 + w["top"], int(w["text"]))
                for w in words
                if w["text"].isdigit() and w["size"] > 14
            ]
    return found


# ---------------------------------------------------------------- QR codes (Telegram only)


def scanned(data: bytes) -> dict[int, str]:
    """Return, per row id, what the QR code drawn on its row reads as, the page rendered."""
    found: dict[int, str] = {}
    with pdfplumber.open(io.BytesIO(data)) as pdf:
        for page in pdf.pages:
            ids = [
                (w["top"], w["bottom"], int(w["text"]))
                for w in page.extract_words(extra_attrs=["size"])
                if w["text"].isdigit() and w["size"] > 14
            ]
            for image in page.images:
                assert image["bottom"] - image["top"] > 25  # about 10 mm: read off paper
                box = (image["x0"] - 2, image["top"] - 2, image["x1"] + 2, image["bottom"] + 2)
                picture = page.crop(box).to_image(resolution=300).original
                [code] = zxingcpp.read_barcodes(picture)
                middle = (image["top"] + image["bottom"]) / 2
                # The id is centred on its row as the code is: the nearest one names the row.
                off, row = min((abs((top + bottom) / 2 - middle), n) for top, bottom, n in ids)
                assert off < 5, (off, row)
                assert row not in found
                found[row] = code.text
    return found


def has_images(data: bytes) -> bool:
    return any(page.images for page in pypdf.PdfReader(io.BytesIO(data)).pages)


def start_link(item: int) -> str:
    return f"https://t.me/handover_test_bot?start=item_{item}"


async def test_printed_lists_on_telegram_carry_a_qr_code_per_row(bot, world, today):
    wang = bot.chat(CONTRACTOR_A)
    await wang.send("/mylist")
    [document] = [m for m in await wang.press("pdf:ml") if m.kind == "document"]
    mine = (world.items["leak"], world.items["wall"])
    assert scanned(document.file_bytes) == {i: start_link(i) for i in mine}
    [page] = pages_of(document.file_bytes)
    assert both_hold(page, "scan a QR code in Telegram")

    db = bot.app.bot_data["db"]
    move(db, world.items["leak"], CONTRACTOR_A.id, Action.report_repaired)
    move(db, world.items["socket"], CONTRACTOR_B.id, Action.report_repaired)
    li = bot.chat(INSPECTOR)
    await li.send("/tocheck")
    [walk] = [m for m in await li.press("pdf:tc") if m.kind == "document"]
    checks = (world.items["leak"], world.items["socket"])
    assert scanned(walk.file_bytes) == {i: start_link(i) for i in checks}


async def test_the_morning_lists_on_telegram_carry_the_qr_codes(bot, world, db, today):
    from tests.test_rhythm import local, tick_at

    mark = bot.transport.mark()
    await tick_at(bot.app, local(7, 30))
    [pdf] = [m for m in bot.transport.events_since(mark, CONTRACTOR_A.id) if m.kind == "document"]
    mine = (world.items["leak"], world.items["wall"])
    assert scanned(pdf.file_bytes) == {i: start_link(i) for i in mine}


async def test_printed_lists_on_wecom_print_the_id_to_type_and_no_qr(wecom, world, db, today):  # noqa: F811
    from tests.test_rhythm import local

    wang = WECOM_IDS[CONTRACTOR_A.id]
    await wecom.act("contractor", "send", "/mylist")
    await wecom.act("contractor", "press", "pdf:ml")
    [sent] = [f for f in wecom.wecom.files_to(wang) if f.filename.endswith(".pdf")]
    assert not has_images(sent.content)
    assert sorted(i for _, i in id_words(sent.content)) == [
        world.items["leak"],
        world.items["wall"],
    ]
    assert "scan" not in "".join(pages_of(sent.content)) and "扫" not in "".join(
        pages_of(sent.content)
    )

    settings = wecom.server.chat.core.settings
    with clock.pinned(local(7, 30)):
        await rhythm.tick(
            db=db,
            delivery=wecom.server.delivery,
            day_beats=pushes.beats(
                morning_at=settings.morning_push, report_at=settings.daily_report_at
            ),
            default_language=settings.default_language,
        )
    morning = [f for f in wecom.wecom.files_to(wang) if f.filename.endswith(".pdf")][1:]
    assert morning and not any(has_images(f.content) for f in morning)
