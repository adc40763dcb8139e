"""The project's set-up workbook in: units, contractors, categories and assignment rules.

Every row is checked before anything is written; one bad row and nothing is written, and the
report names every bad row with a text key (rendered in zh or en by the caller).
"""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass, field

from sqlmodel import Session, select

from models.lookup import categories as project_categories
from models.project import DEFAULT_CATEGORIES, add_contractor, add_unit, set_rule
from models.roles import WORK, Work
from models.sheet_checks import (
    ALL_BUILDINGS,
    Names,
    building_of,
    category_index,
    category_near,
    fold,
    indexed_category,
    missing_columns,
    problem,
    project_of,
    read_workbook,
    require_role,
    too_long,
    unit_text,
)
from models.tables import (
    AppUser,
    AssignmentRule,
    Category,
    Contractor,
    Item,
    Unit,
)
from models.units import parse_unit_code
from models.workbook_reader import Problem, RawSheet, Row, Table, WorkbookProblem, read_table
from models.workbooks import SETUP_SPECS, match_sheet

# Column limits of the tables (longer text would be cut, so it is refused instead).
MAX_OWNER = 60
MAX_PHONE = 30
MAX_CONTRACTOR = 100
MAX_TRADES = 200
MAX_CONTACT = 100
MAX_CATEGORY_ZH = 30
MAX_CATEGORY_EN = 40
MAX_REPAIR_DAYS = 365


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


_BUILT_IN = frozenset(code for code, _, _ in DEFAULT_CATEGORIES)


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
    project_of(session, project_id)
    require_role(session, user=user, project_id=project_id, roles=WORK[Work.setup])
    report = SetupReport(filename=filename)
    try:
        sheets = read_workbook(data, filename, sheets)
        tables = _setup_tables(sheets)
    except WorkbookProblem as exc:
        report.problems.append(exc.problem)
        return report
    if not tables:
        found = ", ".join(s.title for s in sheets) or "-"
        report.problems.append(Problem("no_setup_sheets", params={"found": found}))
        return report
    for table in tables.values():
        report.problems += missing_columns(table)
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
    text = re.sub(r"\s*(天|日|days?|d)$", "", fold(text))
    if not re.fullmatch(r"[0-9]{1,4}", text):
        return None
    days = int(text)
    return days if 1 <= days <= MAX_REPAIR_DAYS else None


def _category_code(name_zh: str, name_en: str, taken: set[str]) -> str:
    """Return a stable code for a new category: its English name as a slug, else a short hash."""
    digest = hashlib.sha1(name_zh.encode()).hexdigest()[:8]
    slug = re.sub(r"[^a-z0-9]+", "_", fold(name_en)).strip("_")[:20]
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
        self.category_index = category_index(s, pid)
        self.new_names: dict[str, str] = {}  # a new category's folded names -> its key
        self.named: set[int] = set()  # recorded categories the workbook names
        self.rule_rows = 0

    def _category_key(self, text: str) -> str | None:
        """Return the key of the category a name means: a recorded one or one being added."""
        recorded = indexed_category(self.category_index, text)
        if recorded is not None:
            self.named.add(recorded.id)
            return fold(recorded.name_zh)
        return self.new_names.get(fold(text))

    def _category_owner(self, name: str, key: str) -> str | None:
        """Return the category other than `key` that already has this name, if any."""
        recorded = indexed_category(self.category_index, name)
        if recorded is not None and fold(recorded.name_zh) != key:
            return f"{recorded.name_zh} / {recorded.name_en}"
        other = self.new_names.get(fold(name))
        return self.categories[other].name_zh if other and other != key else None

    def check_categories(self, rows: list[Row]) -> list[Problem]:
        problems: list[Problem] = []
        for row in rows:
            zh, en, days_text = row.text("name_zh"), row.text("name_en"), row.text("repair_days")
            found = [
                too_long(row, "name_zh", "categories", MAX_CATEGORY_ZH),
                too_long(row, "name_en", "categories", MAX_CATEGORY_EN),
            ]
            if not zh:
                found.append(problem("empty", row, "name_zh", "categories"))
            days = _repair_days(days_text) if days_text else None
            if days_text and days is None:
                found.append(
                    problem(
                        "bad_days",
                        row,
                        "repair_days",
                        "categories",
                        days_text,
                        max=str(MAX_REPAIR_DAYS),
                    )
                )
            recorded = indexed_category(self.category_index, zh) if zh else None
            key = fold(recorded.name_zh if recorded else zh)
            owner = self._category_owner(en, key) if en else None
            if owner:
                found.append(
                    problem("category_taken", row, "name_en", "categories", en, other=owner)
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
                self.new_names[fold(name)] = key
        return problems

    def _add_named(self, text: str) -> str:
        """Add a category a rule names and the project lacks: its name in both languages."""
        key = fold(text)
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
                problems.append(problem("empty", row, "contractor", "contractors"))
                continue
            found = [
                too_long(row, "contractor", "contractors", MAX_CONTRACTOR),
                too_long(row, "trades", "contractors", MAX_TRADES),
                too_long(row, "contact", "contractors", MAX_CONTACT),
            ]
            problems += [p for p in found if p]
            self.contractors[name] = (row.text("trades"), row.text("contact"))
        return problems

    def check_units(self, rows: list[Row]) -> list[Problem]:
        problems = []
        for row in rows:
            text = unit_text(row)
            parsed = parse_unit_code(text) if text else None
            if not text:
                problems.append(problem("empty", row, "unit", "units"))
            elif parsed is None:
                problems.append(problem("bad_unit", row, "unit", "units", text))
            found = [
                too_long(row, "owner", "units", MAX_OWNER),
                too_long(row, "phone", "units", MAX_PHONE),
            ]
            problems += [p for p in found if p]
            if parsed is not None:
                self.units[parsed.code] = (row.text("owner"), row.text("phone"))
        return problems

    def check_rules(self, rows: list[Row]) -> list[Problem]:
        problems = []
        names = Names([*self.known_contractors, *self.contractors])
        buildings = {code.split("-")[0] for code in [*self.known_units, *self.units]}
        first_row: dict[tuple[str, str | None], tuple[int, str]] = {}
        self.rule_rows = len(rows)
        for row in rows:
            category_text = row.text("category")
            category = self._category_key(category_text) if category_text else None
            if not category_text:
                problems.append(problem("empty", row, "category", "rules"))
            elif category is None:
                long_cell = too_long(row, "category", "rules", MAX_CATEGORY_ZH)
                if long_cell:
                    problems.append(long_cell)
                else:
                    category = self._add_named(category_text)
            building_text = row.text("building")
            building = None
            if building_text.lower() not in ALL_BUILDINGS:
                building = building_of(building_text)
                if building is None:
                    problems.append(
                        problem("bad_building", row, "building", "rules", building_text)
                    )
                elif buildings and building not in buildings:
                    near = ", ".join(sorted(buildings, key=lambda b: (len(b), b))[:12])
                    problems.append(
                        problem(
                            "unknown_building", row, "building", "rules", building_text, near=near
                        )
                    )
            contractor_text = row.text("contractor")
            contractor = self._contractor_name(contractor_text)
            if not contractor_text:
                problems.append(problem("empty", row, "contractor", "rules"))
            elif contractor is None:
                problems.append(
                    problem(
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
                    problem(
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
        by_key = {fold(c.name_zh): c for c in recorded}
        taken = {c.code for c in recorded}
        self.category_counts = Counts()
        # Asked before any is added: a new name is compared with what was there.
        near = {
            key: category_near(s, pid, row.name_zh)
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
        kept = {fold(name) for name in self.categories}
        for category in project_categories(s, project_id=pid):
            if (
                category.code in _BUILT_IN
                or category.id in self.named
                or fold(category.name_zh) in kept
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
