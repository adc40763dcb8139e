"""Workbooks in: items in bulk (the set-up workbook: models/setup_sheet.py; written ones:
models/export.py).

Every row is checked before anything is written; one bad row and nothing is written, and the
report names every bad row with a text key (rendered in zh or en by the caller).
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from datetime import date

from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, col, select

from models import clock
from models.errors import DomainError
from models.intake import item_key, pick_contractor, raise_item
from models.limits import DESCRIPTION_MAX, PHOTO_REF_MAX
from models.lookup import find_units, suggest_units
from models.roles import WORK, Work
from models.sheet_checks import (
    Names,
    category_index,
    category_near,
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
    Category,
    Contractor,
    Item,
    Project,
    Unit,
)
from models.units import parse_unit_code
from models.workbook_reader import (
    Problem,
    RawSheet,
    Row,
    Table,
    WorkbookProblem,
    parse_date,
    read_table,
)
from models.workbooks import INSTRUCTIONS_TITLE, ITEMS, SETUP_SPECS, chunks, match_sheet

# Column limits of the tables (longer text would be cut, so it is refused instead).
MAX_LOCATION = 60
MAX_SHEET_NO = 40


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
        self.category_index = category_index(session, pid)
        self.contractors = {
            c.name: c for c in session.exec(select(Contractor).where(Contractor.project_id == pid))
        }
        self.contractor_names = Names(list(self.contractors))
        self._picked: dict[tuple[int, str], int | None] = {}
        self._near_units: dict[str, str] = {}

    def unit(self, row: Row, problems: list[Problem]) -> Unit | None:
        text = unit_text(row)
        if not text:
            problems.append(problem("empty", row, "unit", "items"))
            return None
        parsed = parse_unit_code(text)
        full = parse_unit_code(text, default_entrance=None)
        unit = self.units.get(full.code) if full else None
        if unit is None and parsed is not None:
            fits = find_units(self.session, project_id=self.project.id, text=text)
            if len(fits) > 1:  # 3-1202 where building 3 has 3-1-1202 and 3-2-1202: never pick
                codes = ", ".join(u.code for u in fits)
                problems.append(problem("ambiguous_unit", row, "unit", "items", text, fits=codes))
                return None
            unit = fits[0] if fits else None
        if unit is None:
            if text not in self._near_units:
                near = suggest_units(self.session, project_id=self.project.id, text=text, limit=3)
                self._near_units[text] = ", ".join(near)
            key = "unknown_unit" if parsed else "bad_unit"
            problems.append(problem(key, row, "unit", "items", text, near=self._near_units[text]))
        return unit

    def category(self, row: Row, problems: list[Problem]) -> Category | None:
        text = row.text("category")
        if not text:
            problems.append(problem("empty", row, "category", "items"))
            return None
        category = indexed_category(self.category_index, text)
        if category is None:
            near = category_near(self.session, self.project.id, text)
            problems.append(problem("unknown_category", row, "category", "items", text, near=near))
        return category

    def raised_on(self, row: Row, problems: list[Problem]) -> date | None:
        value = row.values.get("raised_on")
        text = row.text("raised_on")
        if not text:
            return self.today  # blank: entered the day of the walk-through, as in chat
        raised = parse_date(value, today=self.today)
        if raised is None or raised.year < 2000:
            problems.append(problem("bad_date", row, "raised_on", "items", text))
            return None
        if raised > self.today:
            problems.append(problem("future_date", row, "raised_on", "items", text))
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
                    problem("unknown_contractor", row, "contractor", "items", text, near=near)
                )
                return None
            return contractor.id
        if category is None or unit is None:
            return None
        found = self._pick(category.id, unit.building)
        if found is None:
            problems.append(
                problem(
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
    project = project_of(session, project_id)
    require_role(session, user=user, project_id=project_id, roles=WORK[Work.intake])
    report = ImportReport(filename=filename)
    try:
        table = _items_table(read_workbook(data, filename, sheets))
    except WorkbookProblem as exc:
        report.problems.append(exc.problem)
        return report
    report.problems += missing_columns(table)
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
        long_location = too_long(row, "location", "items", MAX_LOCATION)
        category = checks.category(row, problems)
        description = row.text("description")
        if not description:
            problems.append(problem("empty", row, "description", "items"))
        long_texts = [
            too_long(row, "description", "items", DESCRIPTION_MAX),
            too_long(row, "photo", "items", PHOTO_REF_MAX),
        ]
        raised_on = checks.raised_on(row, problems)
        sheet_no = row.text("sheet_no")
        long_sheet = too_long(row, "sheet_no", "items", MAX_SHEET_NO)
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
