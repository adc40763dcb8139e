"""Workbooks: project set-up, items in bulk, templates and the export, with real files."""

from __future__ import annotations

import csv
import io
import zipfile
from datetime import date, timedelta

import pytest
from openpyxl import Workbook, load_workbook
from openpyxl.utils import get_column_letter
from sqlalchemy import func
from sqlmodel import select

from bot.cli import main
from bot.telegram.adapter import LIMITS as TELEGRAM
from handlers.i18n import t
from handlers.sheets_text import render_report
from models import project as setup
from models.errors import DomainError
from models.export import export_items, write_templates
from models.intake import raise_item
from models.repair import apply_transition
from models.setup_sheet import setup_project
from models.sheets import import_items
from models.tables import (
    Action,
    AssignmentRule,
    Category,
    Contractor,
    Event,
    Item,
    Project,
    Unit,
)
from models.workbook_reader import parse_date
from models.workbooks import ITEMS, match_header
from tests.conftest import ADMIN, CONTRACTOR_A, INSPECTOR, tg_user

TODAY = date(2026, 11, 27)
ITEM_HEADERS_ZH = ["房号", "部位", "类别", "问题描述", "登记日期", "看房单号", "施工单位", "照片"]


def xlsx(sheets: dict[str, list[list[object]]]) -> bytes:
    """Return an .xlsx made of the given sheets (name -> rows)."""
    workbook = Workbook()
    workbook.remove(workbook.active)
    for name, rows in sheets.items():
        ws = workbook.create_sheet(name)
        for row in rows:
            ws.append(row)
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


def csv_bytes(rows: list[list[str]], encoding: str = "utf-8") -> bytes:
    buffer = io.StringIO()
    csv.writer(buffer).writerows(rows)
    return buffer.getvalue().encode(encoding)


def count(s, table) -> int:
    return s.exec(select(func.count()).select_from(table)).one()


def setup_book(lang: str) -> bytes:
    if lang == "zh":
        names = ("房号", "施工单位", "分派规则")
        heads = (
            ["房号", "业主", "电话"],
            ["施工单位", "专业", "联系人"],
            ["类别", "楼栋", "施工单位"],
        )
    else:
        names = ("Units", "Contractors", "Rules")
        heads = (["Unit", "Owner", "Phone"], ["contractor", "TRADES", "contact"])
        heads += (["category", "building", "contractor"],)
    return xlsx(
        {
            names[0]: [
                heads[0],
                ["3-1-1202", "张伟", 13800000001],
                ["3栋1单元502", "李娜", "13800000002"],
                ["5#2-801", None, None],
            ],
            names[1]: [
                heads[1],
                ["华建装饰", "渗漏, 墙面", "王工 13900000001"],
                ["明达水电", "水电", "赵工"],
            ],
            names[2]: [
                heads[2],
                ["渗漏", "", "华建装饰"],
                ["leak", "5栋", "明达水电"],
                ["Plumbing/electric", None, "明达"],
            ],
        }
    )


@pytest.fixture
def fresh(db) -> int:
    with db.session() as s:
        return setup.create_project(s, name="江畔花园一期").id


# ---------------------------------------------------------------- set-up


@pytest.mark.parametrize("lang", ["zh", "en"])
def test_setup_reads_chinese_and_english_headers(db, fresh, lang):
    with db.session() as s:
        report = setup_project(s, project_id=fresh, data=setup_book(lang), filename="setup.xlsx")
    assert report.ok, report.problems
    counts = {k: (c.added, c.updated, c.unchanged) for k, c in report.counts.items()}
    assert counts == {"units": (3, 0, 0), "contractors": (2, 0, 0), "rules": (3, 0, 0)}
    with db.session() as s:
        units = {u.code: u for u in s.exec(select(Unit).where(Unit.project_id == fresh))}
        assert set(units) == {"3-1-1202", "3-1-502", "5-2-801"}
        assert units["3-1-1202"].owner_phone == "13800000001"
        assert units["3-1-502"].owner_name == "李娜"
        firms = {c.name: c for c in s.exec(select(Contractor))}
        assert firms["华建装饰"].contact == "王工 13900000001"
        rules = {
            (r.building, r.contractor_id)
            for r in s.exec(select(AssignmentRule).where(AssignmentRule.project_id == fresh))
        }
        assert (None, firms["华建装饰"].id) in rules and ("5", firms["明达水电"].id) in rules
    assert "3" in render_report(lang, report)


def test_setup_twice_updates_in_place_and_loses_nothing(db, fresh):
    with db.session() as s:
        setup_project(s, project_id=fresh, data=setup_book("zh"), filename="a.xlsx")
    again = xlsx(
        {
            "房号 Units": [
                ["房号 unit", "业主 owner", "电话 phone"],
                ["3-1-1202", None, "13800009999"],  # blank owner: the recorded one stays
                ["3-1-502", "李娜", "13800000002"],
                ["6-1-101", "周", None],
            ],
            "分派规则 Rules": [
                ["类别 category", "楼栋 building", "施工单位 contractor"],
                ["渗漏", "全部", "明达水电"],
            ],
        }
    )
    with db.session() as s:
        report = setup_project(s, project_id=fresh, data=again, filename="b.xlsx")
    assert report.ok, report.problems
    assert (report.counts["units"].added, report.counts["units"].updated) == (1, 1)
    assert report.counts["units"].unchanged == 1
    assert (report.counts["rules"].added, report.counts["rules"].updated) == (0, 1)
    assert "contractors" in report.counts and report.counts["contractors"].added == 0
    with db.session() as s:
        assert count(s, Unit) == 4 and count(s, Contractor) == 2 and count(s, AssignmentRule) == 3
        unit = s.exec(select(Unit).where(Unit.code == "3-1-1202")).one()
        assert (unit.owner_name, unit.owner_phone) == ("张伟", "13800009999")
        wide = s.exec(select(AssignmentRule).where(AssignmentRule.building.is_(None))).all()
        mingda = s.exec(select(Contractor).where(Contractor.name == "明达水电")).one()
        assert mingda.id in {r.contractor_id for r in wide}
    with db.session() as s:  # a third time: nothing changes at all
        report = setup_project(s, project_id=fresh, data=again, filename="b.xlsx")
    assert all(c.added == c.updated == 0 for c in report.counts.values())


def test_setup_with_bad_rows_writes_nothing_and_names_each(db, fresh):
    book = xlsx(
        {
            "Units": [["unit", "owner"], ["3-1-1202", "张伟"], ["三栋一单元", "x"]],
            "Contractors": [["contractor"], ["华建装饰"]],
            "Rules": [
                ["category", "building", "contractor"],
                ["", "", "华建装饰"],
                ["渗漏", "", "华建装修公司"],
                ["墙面", "9", "华建装饰"],
            ],
        }
    )
    with db.session() as s:
        report = setup_project(s, project_id=fresh, data=book, filename="bad.xlsx")
    assert not report.ok
    found = {(p.sheet, p.row, p.key) for p in report.problems}
    assert found == {
        ("units", 3, "bad_unit"),
        ("rules", 2, "empty"),
        ("rules", 3, "unknown_contractor"),
        ("rules", 4, "unknown_building"),
    }
    with db.session() as s:
        assert count(s, Unit) == 0 and count(s, Contractor) == 0
    text = render_report("zh", report)
    assert "华建装饰" in text  # the nearest contractor
    assert "分派规则表第 3 行" in text
    assert "Rules row 4" in render_report("en", report)


def test_setup_missing_column_is_named(db, fresh):
    book = xlsx({"房号": [["业主", "电话"], ["张伟", "1"]]})
    with db.session() as s:
        report = setup_project(s, project_id=fresh, data=book, filename="x.xlsx")
    assert [p.key for p in report.problems] == ["missing_column"]
    assert "房号 unit" in render_report("en", report)
    with db.session() as s:
        report = setup_project(s, project_id=fresh, data=b"a,b\n1,2\n", filename="x.csv")
    assert [p.key for p in report.problems] == ["setup_needs_xlsx"]


CATEGORY_HEADERS = ["中文名称 Chinese name", "英文名称 English name", "整改天数 repair days"]


def site_book(rules: list[list[object]], categories: list[list[object]] | None = None) -> bytes:
    """Return a set-up workbook as a site writes it, with its own categories in the rules."""
    sheets = {
        "房号 Units": [
            ["房号 unit", "业主 owner", "电话 phone"],
            ["3-1-1202", "张伟", "13800000001"],
            ["5-1-301", None, None],
        ],
        "施工单位 Contractors": [
            ["施工单位 contractor", "专业 trades", "联系人 contact"],
            ["华建装饰", "吊顶, 墙面", "王工"],
            ["远大防水", "防水", "李工"],
        ],
        "分派规则 Rules": [["类别 category", "楼栋 building", "施工单位 contractor"], *rules],
    }
    if categories is not None:
        sheets["类别 Categories"] = [CATEGORY_HEADERS, *categories]
    return xlsx(sheets)


def categories_of(s, project_id: int) -> dict[str, Category]:
    rows = s.exec(select(Category).where(Category.project_id == project_id)).all()
    return {c.name_zh: c for c in rows}


def test_rules_naming_categories_the_project_lacks_add_them(db, fresh):
    # Failed before: 吊顶 and 防水 were unknown categories and the whole workbook was refused.
    book = site_book([["吊顶", "", "华建装饰"], ["防水", "", "远大防水"], ["渗漏", "", "远大防水"]])
    with db.session() as s:
        report = setup_project(s, project_id=fresh, data=book, filename="site.xlsx")
    assert report.ok, report.problems
    added = [(c.name_zh, c.name_en, c.near) for c in report.categories_added]
    assert added == [("吊顶", "吊顶", ""), ("防水", "防水", "")]  # 防水 is no typo of 水电
    counts = {k: (c.added, c.updated, c.unchanged) for k, c in report.counts.items()}
    assert counts["units"] == (2, 0, 0) and counts["contractors"] == (2, 0, 0)
    assert counts["rules"] == (3, 0, 0) and counts["categories"] == (2, 0, 0)
    zh, en = render_report("zh", report), render_report("en", report)
    assert "新增类别：吊顶" in zh and "新增类别：防水" in zh and "水电" not in zh
    assert "Category added: 吊顶" in en and "Category added: 防水" in en
    with db.session() as s:
        categories = categories_of(s, fresh)
        assert len(categories) == 7 + 2
        assert len({c.code for c in categories.values()}) == 9
        rows = [
            ["3-1-1202", "客厅", "吊顶", "石膏板开裂", "2026-11-20", "KF1", "", ""],
            ["5-1-301", "阳台", "防水", "雨后渗水", "2026-11-20", "KF2", "", ""],
        ]
        imported = import_items(
            s, project_id=fresh, data=items_book(rows), filename="i.xlsx", today=TODAY
        )
        assert imported.ok, imported.problems
        assert [r[2] for r in items_of(s, fresh)] == ["华建装饰", "远大防水"]
    with db.session() as s:  # sent again: nothing added twice
        again = setup_project(s, project_id=fresh, data=book, filename="site.xlsx")
        assert again.ok and again.categories_added == [] and again.categories_removed == []
        assert len(categories_of(s, fresh)) == 9


def test_a_categories_sheet_gives_english_names_and_repair_days(db, fresh):
    categories = [["防水", "Waterproofing", 15], ["吊顶", "Ceiling", None], ["渗漏", None, "10天"]]
    rules = [
        ["Waterproofing", "", "远大防水"],
        ["ceiling", "5", "华建装饰"],
        ["渗漏", "", "华建装饰"],
    ]
    with db.session() as s:
        report = setup_project(
            s, project_id=fresh, data=site_book(rules, categories), filename="site.xlsx"
        )
    assert report.ok, report.problems
    added = [(c.name_zh, c.name_en, c.repair_days) for c in report.categories_added]
    assert added == [("防水", "Waterproofing", 15), ("吊顶", "Ceiling", None)]
    assert report.counts["categories"].added == 2 and report.counts["categories"].updated == 1
    en = render_report("en", report)
    assert "Category added: 防水 / Waterproofing (15 days to repair)" in en
    assert "新增类别：吊顶 / Ceiling" in render_report("zh", report)
    with db.session() as s:
        found = categories_of(s, fresh)
        assert found["防水"].code == "waterproofing" and found["吊顶"].code == "ceiling"
        assert found["渗漏"].repair_days == 10 and found["渗漏"].name_en == "Leak"
        assert found["吊顶"].repair_days is None
        rows = [
            ["3-1-1202", "阳台", "防水", "雨后渗水", "2026-11-20", "KF1", "", ""],
            ["5-1-301", "客厅", "Ceiling", "石膏板开裂", "2026-11-20", "KF1", "", ""],
            ["3-1-1202", "卫生间", "渗漏", "地漏渗水", "2026-11-20", "KF1", "", ""],
        ]
        imported = import_items(
            s, project_id=fresh, data=items_book(rows), filename="i.xlsx", today=TODAY
        )
        assert imported.ok, imported.problems
        due = [s.get(Item, i).due_on for i in imported.item_ids]
        # 15 days for waterproofing, the project's 7 for the ceiling, 10 for leaks
        assert due == [date(2026, 12, 5), date(2026, 11, 27), date(2026, 11, 30)]
        exported = load_workbook(io.BytesIO(export_items(s, project_ids=[fresh], say=t)))
        shown = [row[4] for row in exported["Items"].iter_rows(min_row=2, values_only=True)]
        assert shown == ["防水 Waterproofing", "吊顶 Ceiling", "渗漏 Leak"]
        template = load_workbook(io.BytesIO(write_templates(s, project_id=fresh).setup))
    listed = list(template["类别 Categories"].iter_rows(min_row=2, values_only=True))
    assert ("防水", "Waterproofing", 15) in listed and ("渗漏", "Leak", 10) in listed
    assert "waterproofing" not in " ".join(  # the names are shown, never a code
        str(c.value) for row in template["说明 Instructions"] for c in row
    )


def test_a_typo_category_is_named_and_goes_when_the_file_is_sent_corrected(db, fresh):
    typo = site_book([["渗水", "", "华建装饰"], ["吊顶", "", "华建装饰"]])
    with db.session() as s:
        report = setup_project(s, project_id=fresh, data=typo, filename="site.xlsx")
    assert report.ok, report.problems
    assert [(c.name_zh, c.near) for c in report.categories_added] == [
        ("渗水", "渗漏 / Leak"),
        ("吊顶", ""),
    ]
    assert "与已有的“渗漏 / Leak”相近" in render_report("zh", report)
    assert "close to “渗漏 / Leak”: a typo?" in render_report("en", report)
    with db.session() as s:  # an item in 吊顶: it stays whatever later workbooks say
        raise_item(
            s,
            project_id=fresh,
            unit_code="3-1-1202",
            location="客厅",
            category_code=categories_of(s, fresh)["吊顶"].code,
            description="石膏板开裂",
            raised_on=TODAY,
        )
    corrected = site_book([["渗漏", "", "华建装饰"]])
    with db.session() as s:
        report = setup_project(s, project_id=fresh, data=corrected, filename="site.xlsx")
    assert report.ok, report.problems
    assert [(c.name_zh, c.rules) for c in report.categories_removed] == [("渗水", 1)]
    assert "Category removed: 渗水" in render_report("en", report)
    with db.session() as s:
        found = categories_of(s, fresh)
        assert "渗水" not in found and "吊顶" in found and "瓷砖" in found
        rules = s.exec(select(AssignmentRule).where(AssignmentRule.project_id == fresh)).all()
        assert {r.category_id for r in rules} == {found["渗漏"].id, found["吊顶"].id}


def test_bad_category_rows_save_nothing_and_are_named(db, fresh):
    categories = [
        ["防水", "Leak", 15],  # the English name of 渗漏
        ["吊顶", "Ceiling", "两周"],
        ["栏杆", "Railing", 0],
        ["智" * 31, None, None],
    ]
    rules = [["吊顶", "", "华建装饰"], ["燃" * 31, "", "华建装饰"]]
    with db.session() as s:
        report = setup_project(
            s, project_id=fresh, data=site_book(rules, categories), filename="bad.xlsx"
        )
    found = {(p.sheet, p.row, p.column, p.key) for p in report.problems}
    assert found == {
        ("categories", 2, "name_en", "category_taken"),
        ("categories", 3, "repair_days", "bad_days"),
        ("categories", 4, "repair_days", "bad_days"),
        ("categories", 5, "name_zh", "too_long"),
        ("rules", 3, "category", "too_long"),
    }
    text = render_report("en", report)
    assert "Categories row 3 · repair days" in text and "渗漏 / Leak" in text
    assert "整改天数" in render_report("zh", report)
    with db.session() as s:
        assert len(categories_of(s, fresh)) == 7 and count(s, Unit) == 0


def test_a_nearest_category_is_a_plausible_one(db, world):
    rows = [
        ["3-1-1202", "阳台", "防水", "雨后渗水", "2026-11-20", "KF1", "", ""],
        ["3-1-1202", "卫生间", "渗水", "地漏渗水", "2026-11-20", "KF1", "", ""],
        ["3-1-1202", "卫生间", "Leek", "地漏渗水", "2026-11-20", "KF1", "", ""],
    ]
    with db.session() as s:
        report = import_items(
            s, project_id=world.project_id, data=items_book(rows), filename="i.xlsx", today=TODAY
        )
    near = {p.row: p.params["near"] for p in report.problems if p.key == "unknown_category"}
    assert near == {2: "", 3: "渗漏 / Leak", 4: "渗漏 / Leak"}  # 防水 is not 水电
    assert "水电" not in render_report("zh", report)


# ---------------------------------------------------------------- items


def items_book(rows: list[list[object]], headers: list[str] = ITEM_HEADERS_ZH) -> bytes:
    return xlsx({"问题": [headers, *rows]})


def items_of(s, project_id: int, world=None) -> list[tuple]:
    """Return the items of a project, leaving out those the `world` fixture raised."""
    skip = list(world.items.values()) if world else []
    rows = s.exec(
        select(Unit.code, Item.description, Contractor.name, Item.sheet_no)
        .join(Unit, Item.unit_id == Unit.id)
        .join(Contractor, Item.contractor_id == Contractor.id)
        .where(Item.project_id == project_id, Item.id.not_in(skip))
        .order_by(Item.id)
    ).all()
    return [tuple(r) for r in rows]


def test_items_with_bad_rows_import_nothing_and_every_bad_row_is_named(db, world):
    day = "2026-11-20"
    rows = [
        ["3-1-1202", "卫生间", "渗漏", "吊顶渗水", day, "KF1", "", ""],  # good
        ["3-1-1203", "卫生间", "渗漏", "吊顶渗水", day, "KF1", "", ""],  # no such flat
        ["3-1-502", "客厅", "渗水", "墙角渗水", day, "KF2", "", ""],  # nearest: 渗漏
        ["3-1-502", "客厅", "门窗", "窗框松动", day, "KF2", "", ""],  # no rule for 门窗
        ["5-2-801", "厨房", "水电", "插座无电", "2026/13/45", "KF3", "", ""],  # bad date
        ["5-2-801", "厨房", "水电", "", day, "KF3", "", ""],  # empty description
        ["5-2-801", "厨房", "水电", "水管滴水", day, "KF3", "无名公司", ""],  # no such firm
        ["5-2-801", "厨房", "水电", "龙头松", day, "K" * 41, "", ""],  # sheet no too long
    ]
    with db.session() as s:
        before = count(s, Item)
        report = import_items(
            s, project_id=world.project_id, data=items_book(rows), filename="bad.xlsx", today=TODAY
        )
        assert count(s, Item) == before
    assert not report.ok and report.imported == 0
    by_row = {p.row: (p.column, p.key) for p in report.problems}
    assert by_row == {
        3: ("unit", "unknown_unit"),
        4: ("category", "unknown_category"),
        5: ("category", "no_rule"),
        6: ("raised_on", "bad_date"),
        7: ("description", "empty"),
        8: ("contractor", "unknown_contractor"),
        9: ("sheet_no", "too_long"),
    }
    near = {p.key: p.params.get("near") for p in report.problems}
    assert near["unknown_unit"].split(", ")[0] == "3-1-1202"
    assert near["unknown_category"].startswith("渗漏")
    zh = render_report("zh", report)
    for row in range(3, 10):
        assert f"第 {row} 行" in zh
    assert "3-1-1202" in zh and "渗漏" in zh
    en = render_report("en", report)
    assert "Nothing was imported" in en and "no contractor is set" in en


def test_same_file_twice_adds_nothing_and_repeats_are_skipped(db, world):
    rows = [
        ["3-1-1202", "卫生间", "渗漏", "吊顶渗水", "2026-11-20", "KF1", "", ""],
        ["3-1-1202", "主卧", "渗漏", "吊顶渗水", "2026-11-20", "KF1", "", ""],  # another room
        ["3-1-502", "客厅", "墙面", "墙面空鼓", "2026-11-20", "KF2", "", ""],
        ["5-2-801", "厨房", "水电", "插座无电", "2026-11-21", "KF3", "", ""],
        ["5-2-801", " 厨房", "水电", "插座无电 ", "2026-11-21", "kf3", "", ""],  # the same again
    ]
    data = items_book(rows)
    with db.session() as s:
        first = import_items(
            s, project_id=world.project_id, data=data, filename="a.xlsx", today=TODAY
        )
    assert first.ok and first.imported == 4
    assert first.by_contractor == {"华建装饰": 3, "明达水电": 1}
    assert [(k.row, k.reason, k.first_row) for k in first.skipped] == [(6, "repeated", 5)]
    with db.session() as s:
        second = import_items(
            s, project_id=world.project_id, data=data, filename="a.xlsx", today=TODAY
        )
        assert len(items_of(s, world.project_id, world)) == 4
    assert second.ok and second.imported == 0
    assert {k.reason for k in second.skipped} == {"already_imported"}
    assert {k.item_id for k in second.skipped} == set(first.item_ids)
    assert "a.xlsx" in render_report("en", second) and "imported before" in render_report(
        "en", second
    )
    assert "华建装饰：3 条" in render_report("zh", first)


def test_unit_code_variants_resolve_to_one_flat(db, world):
    headers = ["房号", "部位", "类别", "问题描述", "楼栋", "单元"]
    rows = [
        ["3-1-1202", "卫生间", "渗漏", "一", None, None],
        ["3栋1单元1202", "卫生间", "渗漏", "二", None, None],
        ["3#1-1202", "卫生间", "渗漏", "三", None, None],
        ["3号楼1单元1202室", "卫生间", "渗漏", "四", None, None],
        [1202, "卫生间", "渗漏", "五", "3栋", 1],
        ["1-1202", "卫生间", "渗漏", "六", 3, None],
    ]
    with db.session() as s:
        report = import_items(
            s,
            project_id=world.project_id,
            data=items_book(rows, headers),
            filename="u.xlsx",
            today=TODAY,
        )
        assert report.ok, report.problems
        assert {code for code, *_ in items_of(s, world.project_id, world)} == {"3-1-1202"}
    assert report.imported == 6


def test_building_rule_beats_project_wide_rule(db, world):
    rules = xlsx(
        {"分派规则": [["类别", "楼栋", "施工单位"], ["渗漏", "5栋", "明达水电"]]},
    )
    with db.session() as s:
        assert setup_project(s, project_id=world.project_id, data=rules, filename="r.xlsx").ok
    rows = [
        ["5-2-801", "阳台", "渗漏", "阳台渗水", "2026-11-20", "KF9", "", ""],
        ["3-1-502", "阳台", "渗漏", "阳台渗水", "2026-11-20", "KF9", "", ""],
        ["3-1-502", "阳台", "渗漏", "窗台渗水", "2026-11-20", "KF9", "明达", ""],  # named
    ]
    with db.session() as s:
        report = import_items(
            s, project_id=world.project_id, data=items_book(rows), filename="b.xlsx", today=TODAY
        )
        assert report.ok, report.problems
        got = [(code, firm) for code, _, firm, _ in items_of(s, world.project_id, world)]
    assert got == [("5-2-801", "明达水电"), ("3-1-502", "华建装饰"), ("3-1-502", "明达水电")]


@pytest.mark.parametrize("encoding", ["gb18030", "utf-8-sig", "utf-8"])
def test_csv_in_gb18030_and_utf8(db, world, encoding):
    rows = [
        ["房号", "部位", "类别", "问题描述", "登记日期", "看房单号"],
        ["3栋1单元502", "客厅", "墙面", "墙面开裂，约 30 厘米", "2026/11/20", "KF7"],
        ["5-2-801", "厨房", "水电", "灯不亮", "20261120", "KF7"],
    ]
    data = csv_bytes(rows, encoding)
    if encoding == "gb18030":
        with pytest.raises(UnicodeDecodeError):
            data.decode("utf-8")
    with db.session() as s:
        report = import_items(
            s, project_id=world.project_id, data=data, filename="sheet.csv", today=TODAY
        )
        assert report.ok, report.problems
        got = items_of(s, world.project_id, world)
    assert [d for _, d, _, _ in got] == ["墙面开裂，约 30 厘米", "灯不亮"]


def test_photo_column_is_kept_on_the_raise_event(db, world):
    rows = [["3-1-1202", "卫生间", "渗漏", "吊顶渗水", "", "KF1", "", "IMG_0042.jpg"]]
    with db.session() as s:
        report = import_items(
            s, project_id=world.project_id, data=items_book(rows), filename="p.xlsx", today=TODAY
        )
        event = s.exec(select(Event).where(Event.item_id == report.item_ids[0])).one()
        item = s.get(Item, report.item_ids[0])
    assert event.action is Action.raise_ and event.note == "照片 photo: IMG_0042.jpg"
    assert item.raised_on == TODAY  # a blank date is the day of the import


def test_only_clerks_and_admins_may_import(db, world):
    rows = [["3-1-1202", "卫生间", "渗漏", "吊顶渗水", "", "KF1", "", ""]]
    with db.session() as s:
        contractor = tg_user(s, CONTRACTOR_A.id)
        with pytest.raises(DomainError) as refused:
            import_items(
                s, project_id=world.project_id, data=items_book(rows), filename="x", user=contractor
            )
        assert refused.value.key == "not_allowed"
        admin = tg_user(s, ADMIN.id)
        report = import_items(
            s, project_id=world.project_id, data=items_book(rows), filename="x", user=admin
        )
        assert report.ok
        event = s.exec(select(Event).where(Event.item_id == report.item_ids[0])).one()
        assert event.actor_id == admin.id
        with pytest.raises(DomainError):
            setup_project(
                s, project_id=world.project_id, data=setup_book("zh"), filename="s", user=contractor
            )


def test_files_that_cannot_be_read(db, world):
    cases = {
        b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\0" * 100: "old_excel",
        b"PK\x03\x04 not really a zip": "unreadable",
        b"\x81\x30\xff\xfe\x00\x00": "unreadable",
        csv_bytes([["房号", "类别"], ["3-1-1202", "渗漏"]]): "missing_column",
        csv_bytes([ITEM_HEADERS_ZH]): "no_rows",
    }
    for data, key in cases.items():
        with db.session() as s:
            report = import_items(s, project_id=world.project_id, data=data, filename="f.csv")
        assert key in {p.key for p in report.problems}, (key, report.problems)
        assert render_report("zh", report)
    text = render_report("en", report)
    assert text.startswith("Nothing was imported from f.csv")


def test_hundreds_of_bad_rows_stay_readable(db, world):
    rows = [[f"9-9-{n}", "客厅", "渗漏", "x", "", "", "", ""] for n in range(300)]
    rows += [["3-1-1202", "客厅", "不知道", "x", "", "", "", ""] for _ in range(3)]
    with db.session() as s:
        report = import_items(
            s, project_id=world.project_id, data=items_book(rows), filename="big.xlsx"
        )
    assert len(report.problems) == 303
    chat = render_report("en", report, fit=TELEGRAM)
    assert len(chat) < 4000
    assert "and 295 more" in chat and "No such category (3)" in chat
    full = render_report("en", report, limit=None)
    assert full.count("\n") > 300 and "row 301" in full


def test_headers_and_dates_as_sites_write_them():
    cols = ITEMS.columns
    assert match_header("房号 unit", cols) == "unit"
    assert match_header(" 房号（Unit） ", cols) == "unit"
    assert match_header("SHEET NO.", cols) == "sheet_no"
    assert match_header("看房单号 sheet_no", cols) == "sheet_no"
    assert match_header("登记日期 raised_on", cols) == "raised_on"
    assert match_header("备注", cols) is None
    want = date(2026, 11, 20)
    for value in ("2026-11-20", "2026/11/20", "2026.11.20", "20261120", "2026年11月20日"):
        assert parse_date(value, today=TODAY) == want, value
    assert parse_date(20261120, today=TODAY) == want
    assert parse_date(46346, today=TODAY) == want  # an Excel day number
    assert parse_date("11月20日", today=TODAY) == want
    assert parse_date("12月30日", today=TODAY) == date(2025, 12, 30)
    assert parse_date("2026-02-30", today=TODAY) is None
    assert parse_date("soon", today=TODAY) is None


# ---------------------------------------------------------------- templates and export


def test_templates_are_read_back_by_the_importers(db, fresh):
    with db.session() as s:
        templates = write_templates(s, project_id=fresh)
        left_as_is = setup_project(s, project_id=fresh, data=templates.setup, filename="t.xlsx")
    assert [p.key for p in left_as_is.problems] == ["no_rows"] and left_as_is.example_rows == 3
    book = load_workbook(io.BytesIO(templates.setup))
    assert book.sheetnames == [
        "房号 Units",
        "施工单位 Contractors",
        "分派规则 Rules",
        "类别 Categories",
        "说明 Instructions",
    ]
    categories = list(book["类别 Categories"].iter_rows(values_only=True))
    assert categories[0] == (
        "中文名称 Chinese name",
        "英文名称 English name",
        "整改天数 repair days",
    )
    assert ("渗漏", "Leak", None) in categories and len(categories) == 1 + 7
    book["房号 Units"]["A2"] = "3-1-1202"
    book["房号 Units"]["B2"] = "张伟"
    book["施工单位 Contractors"]["A2"] = "华建装饰"
    book["分派规则 Rules"]["C2"] = "华建装饰"
    buffer = io.BytesIO()
    book.save(buffer)
    with db.session() as s:
        report = setup_project(s, project_id=fresh, data=buffer.getvalue(), filename="t.xlsx")
    assert report.ok, report.problems
    assert report.counts["rules"].added == 1

    with db.session() as s:  # written now, the template lists the contractor just set up
        templates = write_templates(s, project_id=fresh)
    items = load_workbook(io.BytesIO(templates.items))
    assert items.sheetnames == ["问题 Items", "说明 Instructions"]
    instructions = " ".join(str(c.value) for row in items["说明 Instructions"] for c in row)
    assert "渗漏" in instructions and "How to fill" in instructions and "华建装饰" in instructions
    ws = items["问题 Items"]
    assert ws["A1"].value == "房号 unit"
    ws["D2"] = "吊顶渗水，面积约 1 平方米"  # the example row, filled in
    buffer = io.BytesIO()
    items.save(buffer)
    with db.session() as s:
        report = import_items(
            s, project_id=fresh, data=buffer.getvalue(), filename="i.xlsx", today=TODAY
        )
        assert report.ok, report.problems
        assert items_of(s, fresh) == [
            ("3-1-1202", "吊顶渗水，面积约 1 平方米", "华建装饰", "KF001")
        ]


def test_export_has_both_sheets_and_no_formula_runs(db, world):
    evil = '=HYPERLINK("http://evil.example","click")'
    data = csv_bytes([["房号", "部位", "类别", "问题描述"], ["3-1-1202", "@SUM(A1)", "渗漏", evil]])
    with db.session() as s:
        imported = import_items(
            s, project_id=world.project_id, data=data, filename="e.csv", today=TODAY
        )
        assert imported.ok, imported.problems
        contractor = tg_user(s, CONTRACTOR_A.id)
        inspector = tg_user(s, INSPECTOR.id)
        leak = world.items["leak"]
        apply_transition(s, item_id=leak, user=contractor, action=Action.report_repaired)
        apply_transition(s, item_id=leak, user=inspector, action=Action.pass_)
        items, events = count(s, Item), count(s, Event)
        exported = export_items(s, project_ids=[world.project_id], say=t)
    book = load_workbook(io.BytesIO(exported))
    assert book.sheetnames == ["Items", "Events"]
    item_rows = list(book["Items"].iter_rows(min_row=2, values_only=True))
    assert len(item_rows) == items and len(list(book["Events"].iter_rows(min_row=2))) == events
    headers = [c.value for c in book["Items"][1]]
    by_id = {row[0]: dict(zip(headers, row, strict=True)) for row in item_rows}
    closed = by_id[leak]
    assert (
        closed["状态（中文） state (zh)"] == "已关闭"
        and closed["状态（英文） state (en)"] == "closed"
    )
    assert closed["关闭用时（天） days to close"] is not None
    assert closed["未关闭天数 days open"] is None
    live = by_id[world.items["wall"]]
    assert live["未关闭天数 days open"] >= 3 and live["施工单位 contractor"] == "华建装饰"
    cell = next(c for c in book["Items"]["F"] if c.value == evil)
    assert cell.data_type == "s"  # text, not a formula
    assert next(c for c in book["Items"]["D"] if c.value == "@SUM(A1)").data_type == "s"
    with zipfile.ZipFile(io.BytesIO(exported)) as archive:
        sheets = [n for n in archive.namelist() if n.startswith("xl/worksheets/")]
        assert not any("<f>" in archive.read(n).decode() for n in sheets)
    actions = [row[2] for row in book["Events"].iter_rows(min_row=2, values_only=True)]
    assert "验收合格 Passed" in actions


def test_export_has_a_filter_row_fitting_widths_and_yes_no_words(db, world, today):
    # Failed before: no filter, every column 13 wide, and the overdue column said TRUE/FALSE.
    with db.session() as s:
        late = raise_item(
            s,
            project_id=world.project_id,
            unit_code="3-1-1202",
            location="主卧",
            category_code="wall",
            description="墙面空鼓开裂，" * 30,
            raised_on=today - timedelta(days=30),
        ).id
        exported = export_items(s, project_ids=[world.project_id], say=t)
        items, events = count(s, Item), count(s, Event)
    book = load_workbook(io.BytesIO(exported))
    sheet = book["Items"]
    assert sheet.auto_filter.ref == f"A1:R{items + 1}"  # 18 columns: days awaiting acceptance
    assert book["Events"].auto_filter.ref == f"A1:K{events + 1}"  # 11: field, was, now
    headers = [c.value for c in sheet[1]]
    overdue = headers.index("逾期 overdue")
    values = {row[0]: row[overdue] for row in sheet.iter_rows(min_row=2, values_only=True)}
    assert values[late] == "是 yes" and values[world.items["wall"]] == "否 no"
    assert set(values.values()) <= {"是 yes", "否 no"}
    width = {
        h: sheet.column_dimensions[get_column_letter(i)].width for i, h in enumerate(headers, 1)
    }
    assert width["问题描述 description"] == 50  # capped: a long description wraps, not widens
    assert width["房号 unit"] >= len("3-1-1202") and width["房号 unit"] < 20
    assert width["项目 project"] >= len("Riverside 1")
    assert width["登记日期 raised on"] >= 10  # a date shows whole, not as ####
    assert all(8 <= w <= 50 for w in width.values())


def test_export_of_many_items_has_every_row(db, world):
    rows = [
        [f"{b}-1-{f}{n:02d}", "客厅", "墙面", f"问题 {b}-{f}-{n}", "", "KF", "", ""]
        for b in (3, 5)
        for f in range(1, 26)
        for n in range(1, 5)
    ]
    with db.session() as s:
        for code, *_ in rows:
            setup.add_unit(s, project_id=world.project_id, code=code)
        assert import_items(
            s, project_id=world.project_id, data=items_book(rows), filename="m.xlsx", today=TODAY
        ).ok
        exported = export_items(s, project_ids=[world.project_id], say=t)
    book = load_workbook(io.BytesIO(exported), read_only=True)
    assert sum(1 for _ in book["Items"].iter_rows()) == 1 + 3 + len(rows)


# ---------------------------------------------------------------- command line


@pytest.fixture
def cli_env(monkeypatch, db, tmp_path):
    monkeypatch.setenv("DATABASE_URL", db.url)
    monkeypatch.setenv("MEDIA_DIR", str(tmp_path / "media"))
    monkeypatch.chdir(tmp_path)  # no stray .env is read
    return tmp_path


def test_cli_setup_import_template_export(cli_env, db, fresh, capsys):
    (cli_env / "setup.xlsx").write_bytes(setup_book("zh"))
    assert main(["setup", "setup.xlsx", "--lang", "en"]) == 0
    assert "3 added" in capsys.readouterr().out
    (cli_env / "site.xlsx").write_bytes(site_book([["吊顶", "", "华建装饰"]]))
    assert main(["setup", "site.xlsx", "--lang", "zh"]) == 0
    assert "新增类别：吊顶" in capsys.readouterr().out
    good = items_book([["3-1-1202", "卫生间", "渗漏", "吊顶渗水", "2026-11-20", "KF1", "", ""]])
    (cli_env / "items.xlsx").write_bytes(good)
    assert main(["import", "items.xlsx", "--project", "江畔花园一期", "--lang", "zh"]) == 0
    assert "华建装饰：1 条" in capsys.readouterr().out
    assert main(["template", "out/blank.xlsx"]) == 0
    assert (cli_env / "out/blank-setup.xlsx").exists() and (
        cli_env / "out/blank-items.xlsx"
    ).exists()
    assert main(["export", "export.xlsx"]) == 0
    book = load_workbook(cli_env / "export.xlsx")
    assert book["Items"].max_row == 2
    with db.session() as s:
        assert s.exec(select(Project.name)).all() == ["江畔花园一期"]


def test_cli_bad_file_prints_every_row_and_exits_2(cli_env, fresh, capsys):
    rows = [[f"9-9-{n}", "客厅", "渗漏", "x", "", "", "", ""] for n in range(30)]
    (cli_env / "bad.xlsx").write_bytes(items_book(rows))
    assert main(["import", "bad.xlsx", "--lang", "en"]) == 2
    err = capsys.readouterr().err
    assert "Traceback" not in err and "row 31" in err and "more" not in err
    (cli_env / "junk.xlsx").write_bytes(b"not a workbook")
    assert main(["setup", "junk.xlsx", "--lang", "en"]) == 2
    assert "cannot be read" in capsys.readouterr().err
    assert main(["import", "missing.csv"]) == 2
    assert "cannot read missing.csv" in capsys.readouterr().err


def test_a_title_row_and_gaps_keep_the_spreadsheet_row_numbers(db, world):
    book = xlsx(
        {
            "Sheet1": [
                ["江畔花园一期 看房问题登记表"],
                [],
                ["房号 unit", "部位 location", "类别 category", "问题描述 description"],
                ["3-1-1202", "卫生间", "渗漏", "吊顶渗水"],
                [],
                ["3-1-1299", "卫生间", "渗漏", "吊顶渗水"],
            ]
        }
    )
    with db.session() as s:
        report = import_items(s, project_id=world.project_id, data=book, filename="t.xlsx")
    assert [(p.row, p.key) for p in report.problems] == [(6, "unknown_unit")]


def test_a_line_entered_in_chat_is_not_imported_again_nor_entered_twice(db, world):
    from models.intake import raise_item

    line = dict(
        project_id=world.project_id,
        unit_code="3-1-502",
        location="阳台",
        category_code="leak",
        description="阳台地漏反水",
        raised_on=date(2026, 11, 20),
        sheet_no="KF77",
    )
    with db.session() as s:
        first = raise_item(s, **line).id
    with db.session() as s, pytest.raises(DomainError) as twice:
        raise_item(s, **{**line, "description": " 阳台地漏反水 "})
    assert twice.value.key == "already_entered" and twice.value.params == {"item": first}
    rows = [["3-1-502", "阳台", "渗漏", "阳台地漏反水", "2026-11-20", "KF77", "", ""]]
    with db.session() as s:
        report = import_items(
            s, project_id=world.project_id, data=items_book(rows), filename="kf77.xlsx", today=TODAY
        )
    assert report.imported == 0
    assert [(k.reason, k.item_id) for k in report.skipped] == [("already_imported", first)]


def test_a_short_flat_code_of_several_flats_is_refused_naming_them(db, world):
    headers = ["房号", "部位", "类别", "问题描述", "楼栋", "单元"]
    rows = [
        ["3-1202", "卫生间", "渗漏", "一", None, None],
        ["3#1202", "卫生间", "渗漏", "二", None, None],
        [1202, "卫生间", "渗漏", "三", "3栋", None],
        ["3-502", "卫生间", "渗漏", "四", None, None],  # building 3 has one 502: that flat
    ]
    with db.session() as s:
        setup.add_unit(s, project_id=world.project_id, code="3-2-1202")
        before = count(s, Item)
        report = import_items(
            s,
            project_id=world.project_id,
            data=items_book(rows, headers),
            filename="u.xlsx",
            today=TODAY,
        )
        assert count(s, Item) == before
    assert [(p.row, p.key) for p in report.problems] == [(n, "ambiguous_unit") for n in (2, 3, 4)]
    en = render_report("en", report)
    assert "fits several flats (3-1-1202, 3-2-1202)" in en
    assert "对应多户（3-1-1202, 3-2-1202）" in render_report("zh", report)
    with db.session() as s:
        report = import_items(
            s,
            project_id=world.project_id,
            data=items_book(rows[3:], headers),
            filename="u.xlsx",
            today=TODAY,
        )
        assert report.ok, report.problems
        assert [code for code, *_ in items_of(s, world.project_id, world)] == ["3-1-502"]
