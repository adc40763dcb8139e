"""Workbooks in: the project set-up and items in bulk (written ones: models.export).

Every row is checked before anything is written; one bad row and nothing is written, and the
report names every bad row with a text key (rendered in zh or en by the caller).
"""

from __future__ import annotations

import difflib
import hashlib
import re
import unicodedata
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date

from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, col, select

from models import clock
from models.errors import DomainError
from models.export import Templates, export_items, write_templates
from models.intake import item_key, pick_contractor, raise_item
from models.limits import DESCRIPTION_MAX, PHOTO_REF_MAX
from models.lookup import categories as project_categories
from models.lookup import find_units, plausible_categories, suggest_units
from models.people import require_any
from models.project import DEFAULT_CATEGORIES, add_contractor, add_unit, set_rule
from models.roles import WORK, Work
from models.tables import (
    AppUser,
    AssignmentRule,
    Category,
    Contractor,
    Item,
    Project,
    Role,
    Unit,
)
from models.units import parse_unit_code
from models.workbooks import (
    INSTRUCTIONS_TITLE,
    ITEMS,
    SETUP_SPECS,
    Problem,
    RawSheet,
    Row,
    Table,
    WorkbookProblem,
    chunks,
    match_sheet,
    parse_date,
    read_sheets,
    read_table,
)

__all__ = [
    "CategoryChange",
    "Counts",
    "ImportReport",
    "SetupReport",
    "Skipped",
    "Templates",
    "export_items",
    "import_items",
    "import_key",
    "setup_project",
    "write_templates",
]

# Column limits of the tables (longer text would be cut, so it is refused instead).
MAX_LOCATION = 60
MAX_SHEET_NO = 40
MAX_OWNER = 60
MAX_PHONE = 30
MAX_CONTRACTOR = 100
MAX_TRADES = 200
MAX_CONTACT = 100
MAX_CATEGORY_ZH = 30
MAX_CATEGORY_EN = 40
MAX_REPAIR_DAYS = 365
SHOWN_VALUE = 40  # a cell quoted back in a refusal is cut to this


@dataclass
class Counts:
    """What one sheet of a set-up did."""

    added: int = 0
    updated: int = 0
    unchanged: int = 0


@dataclass(frozen=True)
class CategoryChange:
    """A category a set-up workbook added or removed, named in its answer."""

    name_zh: str
    name_en: str
    repair_days: int | None = None
    near: str = ""  # added: a recorded category the new name is close to (a typo?)
    rules: int = 0  # removed: the assignment rules removed with it


@dataclass
class SetupReport:
    """The result of a set-up workbook: counts per sheet, or the problems (nothing saved)."""

    filename: str
    counts: dict[str, Counts] = field(default_factory=dict)
    problems: list[Problem] = field(default_factory=list)
    example_rows: int = 0
    categories_added: list[CategoryChange] = field(default_factory=list)
    categories_removed: list[CategoryChange] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        """Tell whether the workbook was saved."""
        return not self.problems


@dataclass(frozen=True)
class Skipped:
    """A row not imported because its item is recorded already, or repeats an earlier row."""

    row: int
    reason: str  # "already_imported" or "repeated"
    item_id: int | None = None
    first_row: int | None = None


@dataclass
class ImportReport:
    """The result of an items file: what was imported per contractor, or every bad row."""

    filename: str
    rows: int = 0
    imported: int = 0
    by_contractor: dict[str, int] = field(default_factory=dict)
    item_ids: list[int] = field(default_factory=list)
    skipped: list[Skipped] = field(default_factory=list)
    problems: list[Problem] = field(default_factory=list)
    example_rows: int = 0

    @property
    def ok(self) -> bool:
        """Tell whether the file was imported (possibly with nothing new in it)."""
        return not self.problems


# ---------------------------------------------------------------- shared checks


def _require_role(
    session: Session, *, user: AppUser | None, project_id: int, roles: set[Role]
) -> None:
    if user is not None:  # None: the command line, whoever runs it owns the database
        require_any(session, user=user, project_id=project_id, roles=roles)


def _project(session: Session, project_id: int) -> Project:
    project = session.get(Project, project_id)
    if project is None:
        raise DomainError("no_such_project")
    return project


def _shown(text: str) -> str:
    return text if len(text) <= SHOWN_VALUE else text[: SHOWN_VALUE - 1] + "…"


def _problem(
    key: str, row: Row, column: str, sheet: str, value: str = "", **params: str
) -> Problem:
    return Problem(key, row.number, column, sheet, {"value": _shown(value), **params})


def _too_long(row: Row, column: str, sheet: str, limit: int) -> Problem | None:
    value = row.text(column)
    if len(value) > limit:
        return _problem("too_long", row, column, sheet, value, max=str(limit))
    return None


def _missing_columns(table: Table) -> list[Problem]:
    return [
        Problem(
            "missing_column",
            column=c.field,
            sheet=table.spec.key,
            params={"header": c.header, "found": ", ".join(table.found[:12]) or "-"},
        )
        for c in table.missing
    ]


def _unit_text(row: Row) -> str:
    """Return the flat code of a row; separate building/entrance columns are joined in."""
    unit = row.text("unit")
    building = row.text("building")
    if not building or parse_unit_code(unit, default_entrance=None) is not None:
        return unit
    building = _building(building) or building
    parts = [p for p in re.split(r"[-#\s]+", unit) if p]
    if len(parts) == 1:  # the flat number alone: 1202 (no entrance: it must fit one flat)
        entrance = row.text("entrance")
        return f"{building}-{entrance}-{parts[0]}" if entrance else f"{building}-{parts[0]}"
    if len(parts) == 2 and parts[0] != building:  # entrance and number: 1-1202
        return f"{building}-{parts[0]}-{parts[1]}"
    return unit


def _building(text: str) -> str | None:
    """Return a building as unit codes hold it ('3栋', '3#', '03' -> '3'); None if not one."""
    cleaned = unicodedata.normalize("NFKC", text).strip().upper()
    cleaned = re.sub(r"(号楼|栋|幢|座|#|号)$", "", cleaned).strip()
    if not re.fullmatch(r"[0-9A-Z]{1,6}", cleaned):
        return None
    return cleaned.lstrip("0") or "0"


_ALL_BUILDINGS = {"", "*", "all", "全部", "所有", "全部楼栋", "所有楼栋"}


class _Names:
    """Near matches for a name among known ones."""

    def __init__(self, names: Sequence[str]) -> None:
        self.names = list(dict.fromkeys(names))

    def near(self, text: str, n: int = 3) -> str:
        found = difflib.get_close_matches(text, self.names, n=n, cutoff=0.4)
        if not found:
            found = [name for name in self.names if text and (text in name or name in text)][:n]
        return ", ".join(found)


def _fold(name: str) -> str:
    """Return a name as it is compared: full-width, case and spacing do not matter."""
    return unicodedata.normalize("NFKC", name).strip().lower()


def _category_index(session: Session, project_id: int) -> dict[str, Category]:
    index: dict[str, Category] = {}
    for category in project_categories(session, project_id=project_id):
        for name in (category.code, category.name_zh, category.name_en):
            index.setdefault(_fold(name), category)
    return index


def _find_category(index: dict[str, Category], text: str) -> Category | None:
    return index.get(_fold(text))


def _category_near(session: Session, project_id: int, text: str) -> str:
    near = plausible_categories(session, project_id=project_id, text=text)
    return ", ".join(f"{c.name_zh} / {c.name_en}" for c in near)


# ---------------------------------------------------------------- set-up workbook

_BUILT_IN = frozenset(code for code, _, _ in DEFAULT_CATEGORIES)


def _read(data: bytes | None, filename: str, sheets: list[RawSheet] | None) -> list[RawSheet]:
    """Return the sheets read already (a chat reads a file once), else read them from the bytes."""
    if sheets is not None:
        return sheets
    if data is None:
        raise TypeError("give the file's data or its sheets")
    return read_sheets(data, filename)


def setup_project(
    session: Session,
    *,
    project_id: int,
    data: bytes | None = None,
    filename: str,
    sheets: list[RawSheet] | None = None,
    user: AppUser | None = None,
) -> SetupReport:
    """Read a set-up workbook (Units, Contractors, Rules, Categories) into a project.

    All or nothing. A category that Rules name and the project lacks is added; the report lists
    every category added (and removed: see _SetupPlan.remove_unnamed), so a typo shows.
    """
    _project(session, project_id)
    _require_role(session, user=user, project_id=project_id, roles=WORK[Work.setup])
    report = SetupReport(filename=filename)
    try:
        sheets = _read(data, filename, sheets)
        tables = _setup_tables(sheets)
    except WorkbookProblem as exc:
        report.problems.append(exc.problem)
        return report
    if not tables:
        found = ", ".join(s.title for s in sheets) or "-"
        report.problems.append(Problem("no_setup_sheets", params={"found": found}))
        return report
    for table in tables.values():
        report.problems += _missing_columns(table)
        report.example_rows += table.example_rows
    if report.problems:
        return report
    plan = _SetupPlan(session, project_id)
    for key, check in (
        ("contractors", plan.check_contractors),
        ("units", plan.check_units),
        ("categories", plan.check_categories),
        ("rules", plan.check_rules),
    ):
        if key in tables:
            report.problems += check(tables[key].rows)
    rows = any(t.rows for key, t in tables.items() if key != "categories")
    if not report.problems and not rows and not plan.changes_categories():
        # The template sent back as it is: its categories are the project's own, unchanged.
        report.problems.append(Problem("no_rows"))
    if report.problems:
        return report
    plan.write(report, categories_sheet="categories" in tables)
    return report


def _setup_tables(sheets: list[RawSheet]) -> dict[str, Table]:
    if any(sheet.csv for sheet in sheets):
        raise WorkbookProblem(Problem("setup_needs_xlsx"))
    tables: dict[str, Table] = {}
    for sheet in sheets:
        spec = match_sheet(sheet.title, SETUP_SPECS)
        if spec is not None and spec.key not in tables:
            tables[spec.key] = read_table(sheet, spec)
    return tables


@dataclass
class _CategoryRow:
    """A category as a set-up workbook has it: a recorded one (changed or not), or a new one."""

    name_zh: str
    name_en: str  # blank on a recorded one: its English name stays
    repair_days: int | None
    recorded: Category | None = None

    def changes(self) -> bool:
        old = self.recorded
        if old is None:
            return True
        return bool(self.name_en and self.name_en != old.name_en) or (
            self.repair_days is not None and self.repair_days != old.repair_days
        )


def _repair_days(text: str) -> int | None:
    """Return the repair days a cell holds (15, '15天', '15 days'), or None if not a number."""
    text = re.sub(r"\s*(天|日|days?|d)$", "", _fold(text))
    if not re.fullmatch(r"[0-9]{1,4}", text):
        return None
    days = int(text)
    return days if 1 <= days <= MAX_REPAIR_DAYS else None


def _category_code(name_zh: str, name_en: str, taken: set[str]) -> str:
    """Return a stable code for a new category: its English name as a slug, else a short hash."""
    digest = hashlib.sha1(name_zh.encode()).hexdigest()[:8]
    slug = re.sub(r"[^a-z0-9]+", "_", _fold(name_en)).strip("_")[:20]
    code = slug or f"c_{digest}"
    return code if code not in taken else f"{slug or 'c'}_{digest}"


@dataclass
class _SetupPlan:
    """The checked rows of a set-up workbook, ready to be written."""

    session: Session
    project_id: int
    contractors: dict[str, tuple[str, str]] = field(default_factory=dict)
    units: dict[str, tuple[str, str]] = field(default_factory=dict)
    # (the category's folded Chinese name, building) -> (contractor, row)
    rules: dict[tuple[str, str | None], tuple[str, int]] = field(default_factory=dict)
    # folded Chinese name -> the category as the workbook has it (Categories sheet or Rules)
    categories: dict[str, _CategoryRow] = field(default_factory=dict)

    def __post_init__(self) -> None:
        s, pid = self.session, self.project_id
        self.known_contractors = {
            c.name: c for c in s.exec(select(Contractor).where(Contractor.project_id == pid))
        }
        self.known_units = {u.code: u for u in s.exec(select(Unit).where(Unit.project_id == pid))}
        self.category_index = _category_index(s, pid)
        self.new_names: dict[str, str] = {}  # a new category's folded names -> its key
        self.named: set[int] = set()  # recorded categories the workbook names
        self.rule_rows = 0

    def _category_key(self, text: str) -> str | None:
        """Return the key of the category a name means: a recorded one or one being added."""
        recorded = _find_category(self.category_index, text)
        if recorded is not None:
            self.named.add(recorded.id)
            return _fold(recorded.name_zh)
        return self.new_names.get(_fold(text))

    def _category_owner(self, name: str, key: str) -> str | None:
        """Return the category other than `key` that already has this name, if any."""
        recorded = _find_category(self.category_index, name)
        if recorded is not None and _fold(recorded.name_zh) != key:
            return f"{recorded.name_zh} / {recorded.name_en}"
        other = self.new_names.get(_fold(name))
        return self.categories[other].name_zh if other and other != key else None

    def check_categories(self, rows: list[Row]) -> list[Problem]:
        problems: list[Problem] = []
        for row in rows:
            zh, en, days_text = row.text("name_zh"), row.text("name_en"), row.text("repair_days")
            found = [
                _too_long(row, "name_zh", "categories", MAX_CATEGORY_ZH),
                _too_long(row, "name_en", "categories", MAX_CATEGORY_EN),
            ]
            if not zh:
                found.append(_problem("empty", row, "name_zh", "categories"))
            days = _repair_days(days_text) if days_text else None
            if days_text and days is None:
                found.append(
                    _problem(
                        "bad_days",
                        row,
                        "repair_days",
                        "categories",
                        days_text,
                        max=str(MAX_REPAIR_DAYS),
                    )
                )
            recorded = _find_category(self.category_index, zh) if zh else None
            key = _fold(recorded.name_zh if recorded else zh)
            owner = self._category_owner(en, key) if en else None
            if owner:
                found.append(
                    _problem("category_taken", row, "name_en", "categories", en, other=owner)
                )
            found = [p for p in found if p]
            if found:
                problems += found
                continue
            if recorded is not None:
                self.named.add(recorded.id)
                self.categories[key] = _CategoryRow(recorded.name_zh, en, days, recorded)
                continue
            self.categories[key] = _CategoryRow(zh, en or zh, days)
            for name in (zh, en or zh):
                self.new_names[_fold(name)] = key
        return problems

    def _add_named(self, text: str) -> str:
        """Add a category a rule names and the project lacks: its name in both languages."""
        key = _fold(text)
        self.categories[key] = _CategoryRow(text, text, None)
        self.new_names[key] = key
        return key

    def changes_categories(self) -> bool:
        """Tell whether the workbook adds a category or changes a recorded one."""
        return any(row.changes() for row in self.categories.values())

    def check_contractors(self, rows: list[Row]) -> list[Problem]:
        problems = []
        for row in rows:
            name = row.text("contractor")
            if not name:
                problems.append(_problem("empty", row, "contractor", "contractors"))
                continue
            found = [
                _too_long(row, "contractor", "contractors", MAX_CONTRACTOR),
                _too_long(row, "trades", "contractors", MAX_TRADES),
                _too_long(row, "contact", "contractors", MAX_CONTACT),
            ]
            problems += [p for p in found if p]
            self.contractors[name] = (row.text("trades"), row.text("contact"))
        return problems

    def check_units(self, rows: list[Row]) -> list[Problem]:
        problems = []
        for row in rows:
            text = _unit_text(row)
            parsed = parse_unit_code(text) if text else None
            if not text:
                problems.append(_problem("empty", row, "unit", "units"))
            elif parsed is None:
                problems.append(_problem("bad_unit", row, "unit", "units", text))
            found = [
                _too_long(row, "owner", "units", MAX_OWNER),
                _too_long(row, "phone", "units", MAX_PHONE),
            ]
            problems += [p for p in found if p]
            if parsed is not None:
                self.units[parsed.code] = (row.text("owner"), row.text("phone"))
        return problems

    def check_rules(self, rows: list[Row]) -> list[Problem]:
        problems = []
        names = _Names([*self.known_contractors, *self.contractors])
        buildings = {code.split("-")[0] for code in [*self.known_units, *self.units]}
        first_row: dict[tuple[str, str | None], tuple[int, str]] = {}
        self.rule_rows = len(rows)
        for row in rows:
            category_text = row.text("category")
            category = self._category_key(category_text) if category_text else None
            if not category_text:
                problems.append(_problem("empty", row, "category", "rules"))
            elif category is None:
                too_long = _too_long(row, "category", "rules", MAX_CATEGORY_ZH)
                if too_long:
                    problems.append(too_long)
                else:
                    category = self._add_named(category_text)
            building_text = row.text("building")
            building = None
            if building_text.lower() not in _ALL_BUILDINGS:
                building = _building(building_text)
                if building is None:
                    problems.append(
                        _problem("bad_building", row, "building", "rules", building_text)
                    )
                elif buildings and building not in buildings:
                    near = ", ".join(sorted(buildings, key=lambda b: (len(b), b))[:12])
                    problems.append(
                        _problem(
                            "unknown_building", row, "building", "rules", building_text, near=near
                        )
                    )
            contractor_text = row.text("contractor")
            contractor = self._contractor_name(contractor_text)
            if not contractor_text:
                problems.append(_problem("empty", row, "contractor", "rules"))
            elif contractor is None:
                problems.append(
                    _problem(
                        "unknown_contractor",
                        row,
                        "contractor",
                        "rules",
                        contractor_text,
                        near=names.near(contractor_text),
                    )
                )
            if category is None or contractor is None:
                continue
            key = (category, building)
            earlier = first_row.get(key)
            if earlier is not None and earlier[1] != contractor:
                problems.append(
                    _problem(
                        "rule_conflict",
                        row,
                        "contractor",
                        "rules",
                        contractor_text,
                        other=earlier[1],
                        other_row=str(earlier[0]),
                    )
                )
                continue
            first_row.setdefault(key, (row.number, contractor))
            self.rules[key] = (contractor, row.number)
        return problems

    def _contractor_name(self, text: str) -> str | None:
        if text in self.contractors or text in self.known_contractors:
            return text
        partial = [n for n in {*self.contractors, *self.known_contractors} if text and text in n]
        return partial[0] if len(partial) == 1 else None

    def write(self, report: SetupReport, *, categories_sheet: bool) -> None:
        """Write the checked workbook and put what it did in the report."""
        s, pid = self.session, self.project_id
        counts = {key: Counts() for key in ("units", "contractors", "rules")}
        by_key = self.write_categories(report)
        for name, (trades, contact) in self.contractors.items():
            old = self.known_contractors.get(name)
            before = (old.trades, old.contact) if old else None
            saved = add_contractor(s, project_id=pid, name=name, trades=trades, contact=contact)
            _count(counts["contractors"], before, (saved.trades, saved.contact))
            self.known_contractors[name] = saved
        for code, (owner, phone) in self.units.items():
            old = self.known_units.get(code)
            before = (old.owner_name, old.owner_phone) if old else None
            saved = add_unit(
                s, project_id=pid, code=code, owner_name=owner or None, owner_phone=phone or None
            )
            _count(counts["units"], before, (saved.owner_name, saved.owner_phone))
        existing = {
            (r.category_id, r.building): r.contractor_id
            for r in s.exec(select(AssignmentRule).where(AssignmentRule.project_id == pid))
        }
        for (category_key, building), (contractor, _) in self.rules.items():
            category = by_key[category_key]
            contractor_id = self.known_contractors[contractor].id
            before = existing.get((category.id, building))
            set_rule(
                s,
                project_id=pid,
                category_code=category.code,
                contractor_id=contractor_id,
                building=building,
            )
            _count(counts["rules"], None if before is None else (before,), (contractor_id,))
        if self.rule_rows:
            self.remove_unnamed(report)
        report.counts = counts
        if categories_sheet or report.categories_added or report.categories_removed:
            report.counts["categories"] = self.category_counts

    def write_categories(self, report: SetupReport) -> dict[str, Category]:
        """Add the new categories, change the recorded ones; return every one by its key."""
        s, pid = self.session, self.project_id
        recorded = project_categories(s, project_id=pid)
        by_key = {_fold(c.name_zh): c for c in recorded}
        taken = {c.code for c in recorded}
        self.category_counts = Counts()
        # Asked before any is added: a new name is compared with what was there.
        near = {
            key: _category_near(s, pid, row.name_zh)
            for key, row in self.categories.items()
            if row.recorded is None
        }
        for key, row in self.categories.items():
            old = row.recorded
            if old is None:
                code = _category_code(row.name_zh, row.name_en, taken)
                taken.add(code)
                category = Category(
                    project_id=pid,
                    code=code,
                    name_zh=row.name_zh,
                    name_en=row.name_en,
                    repair_days=row.repair_days,
                )
                s.add(category)
                by_key[key] = category
                self.category_counts.added += 1
                report.categories_added.append(
                    CategoryChange(row.name_zh, row.name_en, row.repair_days, near=near[key])
                )
                continue
            before = (old.name_en, old.repair_days)
            old.name_en = row.name_en or old.name_en
            if row.repair_days is not None:
                old.repair_days = row.repair_days
            s.add(old)
            _count(self.category_counts, before, (old.name_en, old.repair_days))
        s.flush()
        return by_key

    def remove_unnamed(self, report: SetupReport) -> None:
        """Remove the categories an earlier workbook added that this one no longer names.

        A workbook with rules lists the project's own categories (a typo corrected and sent
        again must not stay behind). A built-in category stays, and so does one with items.
        """
        s, pid = self.session, self.project_id
        kept = {_fold(name) for name in self.categories}
        for category in project_categories(s, project_id=pid):
            if (
                category.code in _BUILT_IN
                or category.id in self.named
                or _fold(category.name_zh) in kept
            ):
                continue
            if s.exec(select(Item.id).where(Item.category_id == category.id)).first():
                continue
            rules = s.exec(
                select(AssignmentRule).where(AssignmentRule.category_id == category.id)
            ).all()
            for rule in rules:
                s.delete(rule)
            s.flush()
            s.delete(category)
            s.flush()
            report.categories_removed.append(
                CategoryChange(
                    category.name_zh, category.name_en, category.repair_days, rules=len(rules)
                )
            )


def _count(counts: Counts, before: tuple | None, after: tuple) -> None:
    if before is None:
        counts.added += 1
    elif before != after:
        counts.updated += 1
    else:
        counts.unchanged += 1


# ---------------------------------------------------------------- items in bulk


import_key = item_key  # the key of a row is the key of the item it becomes


@dataclass
class _Planned:
    row: int
    unit: Unit
    location: str
    category: Category
    description: str
    raised_on: date
    sheet_no: str | None
    contractor_id: int | None
    photo: str
    key: str


class _ItemChecks:
    """Everything a row is checked against, loaded once for the whole file."""

    def __init__(self, session: Session, project: Project, today: date) -> None:
        self.session = session
        self.project = project
        self.today = today
        pid = project.id
        self.units = {u.code: u for u in session.exec(select(Unit).where(Unit.project_id == pid))}
        self.category_index = _category_index(session, pid)
        self.contractors = {
            c.name: c for c in session.exec(select(Contractor).where(Contractor.project_id == pid))
        }
        self.contractor_names = _Names(list(self.contractors))
        self._picked: dict[tuple[int, str], int | None] = {}
        self._near_units: dict[str, str] = {}

    def unit(self, row: Row, problems: list[Problem]) -> Unit | None:
        text = _unit_text(row)
        if not text:
            problems.append(_problem("empty", row, "unit", "items"))
            return None
        parsed = parse_unit_code(text)
        full = parse_unit_code(text, default_entrance=None)
        unit = self.units.get(full.code) if full else None
        if unit is None and parsed is not None:
            fits = find_units(self.session, project_id=self.project.id, text=text)
            if len(fits) > 1:  # 3-1202 where building 3 has 3-1-1202 and 3-2-1202: never pick
                codes = ", ".join(u.code for u in fits)
                problems.append(_problem("ambiguous_unit", row, "unit", "items", text, fits=codes))
                return None
            unit = fits[0] if fits else None
        if unit is None:
            if text not in self._near_units:
                near = suggest_units(self.session, project_id=self.project.id, text=text, limit=3)
                self._near_units[text] = ", ".join(near)
            key = "unknown_unit" if parsed else "bad_unit"
            problems.append(_problem(key, row, "unit", "items", text, near=self._near_units[text]))
        return unit

    def category(self, row: Row, problems: list[Problem]) -> Category | None:
        text = row.text("category")
        if not text:
            problems.append(_problem("empty", row, "category", "items"))
            return None
        category = _find_category(self.category_index, text)
        if category is None:
            near = _category_near(self.session, self.project.id, text)
            problems.append(_problem("unknown_category", row, "category", "items", text, near=near))
        return category

    def raised_on(self, row: Row, problems: list[Problem]) -> date | None:
        value = row.values.get("raised_on")
        text = row.text("raised_on")
        if not text:
            return self.today  # blank: entered the day of the walk-through, as in chat
        raised = parse_date(value, today=self.today)
        if raised is None or raised.year < 2000:
            problems.append(_problem("bad_date", row, "raised_on", "items", text))
            return None
        if raised > self.today:
            problems.append(_problem("future_date", row, "raised_on", "items", text))
            return None
        return raised

    def contractor(
        self, row: Row, category: Category | None, unit: Unit | None, problems: list[Problem]
    ) -> int | None:
        """Return the contractor named, else the one the rules pick; None when there is none."""
        text = row.text("contractor")
        if text:
            contractor = self.contractors.get(text)
            if contractor is None:
                partial = [c for n, c in self.contractors.items() if text.lower() in n.lower()]
                contractor = partial[0] if len(partial) == 1 else None
            if contractor is None:
                near = self.contractor_names.near(text)
                problems.append(
                    _problem("unknown_contractor", row, "contractor", "items", text, near=near)
                )
                return None
            return contractor.id
        if category is None or unit is None:
            return None
        found = self._pick(category.id, unit.building)
        if found is None:
            problems.append(
                _problem(
                    "no_rule",
                    row,
                    "category",
                    "items",
                    row.text("category"),
                    category=f"{category.name_zh} / {category.name_en}",
                    building=unit.building,
                )
            )
            return None
        return found

    def _pick(self, category_id: int, building: str) -> int | None:
        # The rules' own choice, asked once per category and building.
        key = (category_id, building)
        if key not in self._picked:
            try:
                self._picked[key] = pick_contractor(
                    self.session,
                    project_id=self.project.id,
                    category_id=category_id,
                    building=building,
                )
            except DomainError:
                self._picked[key] = None
        return self._picked[key]


def import_items(
    session: Session,
    *,
    project_id: int,
    data: bytes | None = None,
    filename: str,
    sheets: list[RawSheet] | None = None,
    user: AppUser | None = None,
    today: date | None = None,
) -> ImportReport:
    """Import an items file (.xlsx or .csv): every row checked first; one bad row, none in."""
    project = _project(session, project_id)
    _require_role(session, user=user, project_id=project_id, roles=WORK[Work.intake])
    report = ImportReport(filename=filename)
    try:
        table = _items_table(_read(data, filename, sheets))
    except WorkbookProblem as exc:
        report.problems.append(exc.problem)
        return report
    report.problems += _missing_columns(table)
    report.example_rows = table.example_rows
    if report.problems:
        return report
    report.rows = len(table.rows)
    if not table.rows:
        report.problems.append(Problem("no_rows", sheet="items"))
        return report
    today = today or clock.today(project.timezone)
    checks = _ItemChecks(session, project, today)
    planned, problems_by_row = _check_items(checks, table.rows)
    existing = _existing_keys(session, project_id, [p.key for p in planned])
    first_row: dict[str, int] = {}
    to_raise: list[_Planned] = []
    for plan in planned:
        if plan.key in existing:
            report.skipped.append(Skipped(plan.row, "already_imported", item_id=existing[plan.key]))
            problems_by_row.pop(plan.row, None)  # recorded before: its checks no longer matter
        elif plan.key in first_row:
            report.skipped.append(Skipped(plan.row, "repeated", first_row=first_row[plan.key]))
        else:
            first_row[plan.key] = plan.row
            to_raise.append(plan)
    report.problems = [p for row in sorted(problems_by_row) for p in problems_by_row[row]]
    if report.problems:
        report.skipped = []
        return report
    _raise_all(session, project_id=project_id, user=user, plans=to_raise, report=report)
    return report


def _items_table(sheets: list[RawSheet]) -> Table:
    candidates = [s for s in sheets if match_sheet(s.title, SETUP_SPECS) is None]
    candidates = [s for s in candidates if s.title != INSTRUCTIONS_TITLE] or sheets
    tables = [read_table(sheet, ITEMS) for sheet in candidates]
    for table in tables:
        if not table.missing:
            return table
    return min(tables, key=lambda t: len(t.missing))


def _check_items(
    checks: _ItemChecks, rows: list[Row]
) -> tuple[list[_Planned], dict[int, list[Problem]]]:
    planned: list[_Planned] = []
    problems_by_row: dict[int, list[Problem]] = {}
    for row in rows:
        problems: list[Problem] = []
        unit = checks.unit(row, problems)
        location = row.text("location")
        long_location = _too_long(row, "location", "items", MAX_LOCATION)
        category = checks.category(row, problems)
        description = row.text("description")
        if not description:
            problems.append(_problem("empty", row, "description", "items"))
        long_texts = [
            _too_long(row, "description", "items", DESCRIPTION_MAX),
            _too_long(row, "photo", "items", PHOTO_REF_MAX),
        ]
        raised_on = checks.raised_on(row, problems)
        sheet_no = row.text("sheet_no")
        long_sheet = _too_long(row, "sheet_no", "items", MAX_SHEET_NO)
        problems += [p for p in (long_location, long_sheet, *long_texts) if p]
        contractor_id = checks.contractor(row, category, unit, problems)
        if problems:
            problems_by_row[row.number] = problems
        if unit is None or not description or raised_on is None or long_location or long_sheet:
            continue  # no key without these, so not even a skip can be told
        key = import_key(
            sheet_no=sheet_no,
            unit_code=unit.code,
            location=location,
            description=description,
            raised_on=raised_on,
        )
        planned.append(
            _Planned(
                row.number,
                unit,
                location,
                category,  # type: ignore[arg-type]  (None only on rows with problems)
                description,
                raised_on,
                sheet_no or None,
                contractor_id,
                row.text("photo"),
                key,
            )
        )
    return planned, problems_by_row


def _existing_keys(session: Session, project_id: int, keys: list[str]) -> dict[str, int]:
    found: dict[str, int] = {}
    for part in chunks(sorted(set(keys))):
        found.update(
            session.exec(
                select(Item.import_key, Item.id).where(
                    Item.project_id == project_id, col(Item.import_key).in_(part)
                )
            ).all()
        )
    return found


def _raise_all(
    session: Session,
    *,
    project_id: int,
    user: AppUser | None,
    plans: list[_Planned],
    report: ImportReport,
) -> None:
    names = {
        c.id: c.name
        for c in session.exec(select(Contractor).where(Contractor.project_id == project_id))
    }
    by_contractor: Counter[str] = Counter()
    try:
        for plan in plans:
            item = raise_item(
                session,
                project_id=project_id,
                unit_code=plan.unit.code,
                location=plan.location,
                category_code=plan.category.code,
                description=plan.description,
                raised_on=plan.raised_on,
                user=user,
                sheet_no=plan.sheet_no,
                contractor_id=plan.contractor_id,
                # A file name or link from the sheet is a reference, not a stored photo.
                note=f"照片 photo: {plan.photo}" if plan.photo else None,
            )
            report.item_ids.append(item.id)
            by_contractor[names[item.contractor_id]] += 1
        session.flush()
    except IntegrityError:
        # Someone imported the same rows at this very moment: theirs stand, ours roll back.
        raise DomainError("import_clash") from None
    report.imported = len(report.item_ids)
    report.by_contractor = dict(by_contractor.most_common())
