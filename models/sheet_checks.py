"""What both workbooks check in a row: cells too long, flats, buildings, category names.

The set-up workbook (models/setup_sheet.py) and items in bulk (models/sheets.py) share them.
"""

from __future__ import annotations

import difflib
import re
import unicodedata
from collections.abc import Sequence

from sqlmodel import Session

from models.errors import DomainError
from models.lookup import categories as project_categories
from models.lookup import plausible_categories
from models.people import require_any
from models.tables import (
    AppUser,
    Category,
    Project,
    Role,
)
from models.units import parse_unit_code
from models.workbook_reader import Problem, RawSheet, Row, Table, read_sheets

SHOWN_VALUE = 40  # a cell quoted back in a refusal is cut to this


def require_role(
    session: Session, *, user: AppUser | None, project_id: int, roles: set[Role]
) -> None:
    """Refuse a person without one of these roles in the project (None: the command line)."""
    if user is not None:  # None: the command line, whoever runs it owns the database
        require_any(session, user=user, project_id=project_id, roles=roles)


def project_of(session: Session, project_id: int) -> Project:
    """Return the project, or refuse an id that is none."""
    project = session.get(Project, project_id)
    if project is None:
        raise DomainError("no_such_project")
    return project


def _shown(text: str) -> str:
    return text if len(text) <= SHOWN_VALUE else text[: SHOWN_VALUE - 1] + "…"


def problem(key: str, row: Row, column: str, sheet: str, value: str = "", **params: str) -> Problem:
    """Return a problem of one cell, quoting its value short."""
    return Problem(key, row.number, column, sheet, {"value": _shown(value), **params})


def too_long(row: Row, column: str, sheet: str, limit: int) -> Problem | None:
    """Return the problem of a cell longer than the column takes, if it is."""
    value = row.text(column)
    if len(value) > limit:
        return problem("too_long", row, column, sheet, value, max=str(limit))
    return None


def missing_columns(table: Table) -> list[Problem]:
    """Return a problem per column the sheet lacks."""
    return [
        Problem(
            "missing_column",
            column=c.field,
            sheet=table.spec.key,
            params={"header": c.header, "found": ", ".join(table.found[:12]) or "-"},
        )
        for c in table.missing
    ]


def unit_text(row: Row) -> str:
    """Return the flat code of a row; separate building/entrance columns are joined in."""
    unit = row.text("unit")
    building = row.text("building")
    if not building or parse_unit_code(unit, default_entrance=None) is not None:
        return unit
    building = building_of(building) or building
    parts = [p for p in re.split(r"[-#\s]+", unit) if p]
    if len(parts) == 1:  # the flat number alone: 1202 (no entrance: it must fit one flat)
        entrance = row.text("entrance")
        return f"{building}-{entrance}-{parts[0]}" if entrance else f"{building}-{parts[0]}"
    if len(parts) == 2 and parts[0] != building:  # entrance and number: 1-1202
        return f"{building}-{parts[0]}-{parts[1]}"
    return unit


def building_of(text: str) -> str | None:
    """Return a building as unit codes hold it ('3栋', '3#', '03' -> '3'); None if not one."""
    cleaned = unicodedata.normalize("NFKC", text).strip().upper()
    cleaned = re.sub(r"(号楼|栋|幢|座|#|号)$", "", cleaned).strip()
    if not re.fullmatch(r"[0-9A-Z]{1,6}", cleaned):
        return None
    return cleaned.lstrip("0") or "0"


ALL_BUILDINGS = {"", "*", "all", "全部", "所有", "全部楼栋", "所有楼栋"}


class Names:
    """Near matches for a name among known ones."""

    def __init__(self, names: Sequence[str]) -> None:
        self.names = list(dict.fromkeys(names))

    def near(self, text: str, n: int = 3) -> str:
        """Return up to n known names near this one, joined."""
        found = difflib.get_close_matches(text, self.names, n=n, cutoff=0.4)
        if not found:
            found = [name for name in self.names if text and (text in name or name in text)][:n]
        return ", ".join(found)


def fold(name: str) -> str:
    """Return a name as it is compared: full-width, case and spacing do not matter."""
    return unicodedata.normalize("NFKC", name).strip().lower()


def category_index(session: Session, project_id: int) -> dict[str, Category]:
    """Return the project's categories by each of their names, folded."""
    index: dict[str, Category] = {}
    for category in project_categories(session, project_id=project_id):
        for name in (category.code, category.name_zh, category.name_en):
            index.setdefault(fold(name), category)
    return index


def indexed_category(index: dict[str, Category], text: str) -> Category | None:
    """Return the category a name means, if any."""
    return index.get(fold(text))


def category_near(session: Session, project_id: int, text: str) -> str:
    """Return the categories a name is close to, to suggest in a refusal."""
    near = plausible_categories(session, project_id=project_id, text=text)
    return ", ".join(f"{c.name_zh} / {c.name_en}" for c in near)


def read_workbook(
    data: bytes | None, filename: str, sheets: list[RawSheet] | None
) -> list[RawSheet]:
    """Return the sheets read already (a chat reads a file once), else read them from the bytes."""
    if sheets is not None:
        return sheets
    if data is None:
        raise TypeError("give the file's data or its sheets")
    return read_sheets(data, filename)
