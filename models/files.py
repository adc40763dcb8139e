"""Workbooks from and to a chat: which project, which kind of file, who may."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlmodel import Session, col, select

from models import clock
from models.errors import DomainError
from models.export import Say, Templates, export_items, write_templates
from models.people import user_for
from models.roles import WORK, Work
from models.setup_sheet import SetupReport, setup_project
from models.sheets import ImportReport, import_items
from models.tables import AppUser, Membership, Project, Role
from models.workbook_reader import RawSheet, WorkbookProblem, read_sheets
from models.workbooks import SETUP_SPECS, match_sheet

SETUP_ROLES = WORK[Work.setup]
IMPORT_ROLES = WORK[Work.intake]
EXPORT_ROLES = WORK[Work.export]
TEMPLATE_ROLES = WORK[Work.templates]


def _projects(session: Session, user: AppUser, roles: frozenset[Role]) -> list[Project]:
    return list(
        session.exec(
            select(Project)
            .join(Membership, Membership.project_id == Project.id)
            .where(Membership.user_id == user.id, col(Membership.role).in_(roles))
            .distinct()
            .order_by(Project.id)
        ).all()
    )


def _one_project(
    session: Session, user: AppUser, roles: frozenset[Role], name: str | None
) -> Project:
    projects = _projects(session, user, roles)
    if not projects:
        raise DomainError("not_allowed")
    if name:
        named = [p for p in projects if p.name == name.strip()]
        if not named:
            names = ", ".join(p.name for p in projects)
            raise DomainError("unknown_project", name=name.strip(), names=names)
        return named[0]
    if len(projects) > 1:
        # A file in the wrong project is worse than one more question.
        raise DomainError("which_project", names=", ".join(p.name for p in projects))
    return projects[0]


def is_setup_workbook(sheets: list[RawSheet]) -> bool:
    """Tell a set-up workbook (Units, Contractors, Rules, Categories sheets) from items."""
    return any(match_sheet(s.title, SETUP_SPECS) for s in sheets)


def workbook_from_chat(
    session: Session, *, user_id: int, data: bytes, filename: str, project: str | None = None
) -> SetupReport | ImportReport:
    """Read a file a person sent, once: a set-up workbook (admins) or items (clerks and admins)."""
    user = user_for(session, user_id=user_id)
    try:
        sheets = read_sheets(data, filename)
    except WorkbookProblem as exc:
        _one_project(session, user, IMPORT_ROLES, project)  # refused for them, not read
        return ImportReport(filename=filename, problems=[exc.problem])
    if is_setup_workbook(sheets):
        target = _one_project(session, user, SETUP_ROLES, project)
        return setup_project(
            session, project_id=target.id, sheets=sheets, filename=filename, user=user
        )
    target = _one_project(session, user, IMPORT_ROLES, project)
    return import_items(session, project_id=target.id, sheets=sheets, filename=filename, user=user)


def templates_for(session: Session, *, user_id: int) -> Templates:
    """Return the blank workbooks, listing the person's project categories and contractors."""
    user = user_for(session, user_id=user_id)
    projects = _projects(session, user, TEMPLATE_ROLES)
    if not projects:
        raise DomainError("not_allowed")
    return write_templates(session, project_id=projects[0].id)


@dataclass(frozen=True)
class Export:
    """The workbook of every item and event, and when it was made (the project's time)."""

    data: bytes
    made_at: datetime


def export_for(session: Session, *, user_id: int, say: Say) -> Export:
    """Return every item and event of the projects the person may export, named in `say`'s words."""
    user = user_for(session, user_id=user_id)
    projects = _projects(session, user, EXPORT_ROLES)
    if not projects:
        raise DomainError("not_allowed")
    data = export_items(session, project_ids=[p.id for p in projects], say=say)
    return Export(data, clock.local_now(projects[0].timezone))
