"""Who reads the manager's report, and of which project: the figures behind /report."""

from __future__ import annotations

from sqlmodel import Session, col, select

from models.audiences import MAY_RECEIVE
from models.errors import DomainError
from models.people import user_for
from models.report import DailyReport, ReworkReport, daily_report, rework_report
from models.tables import Membership, Project, PushKind, Role

# Whoever may receive the daily report may ask for it: managers, and admins.
REPORT_READERS: frozenset[Role] = MAY_RECEIVE[PushKind.report]


def report_projects(session: Session, *, user_id: int) -> list[Project]:
    """Return the projects whose report this person reads: those they manage first."""
    user = user_for(session, user_id=user_id)
    rows = session.exec(
        select(Project, Membership.role)
        .join(Membership, Membership.project_id == Project.id)
        .where(Membership.user_id == user.id, col(Membership.role).in_(list(REPORT_READERS)))
        .order_by(Project.id)
    ).all()
    managed = [p for p, role in rows if role is Role.manager]
    return list({p.id: p for p in [*managed, *(p for p, _ in rows)]}.values())


def report_project(session: Session, *, user_id: int, name: str | None = None) -> Project:
    """Return the project of this person's report: the one named, else the (first) they manage."""
    projects = report_projects(session, user_id=user_id)
    if not projects:
        raise DomainError("not_allowed")
    if not name or not name.strip():
        return projects[0]
    named = [p for p in projects if p.name == name.strip()]
    if not named:
        names = ", ".join(p.name for p in projects)
        raise DomainError("unknown_project", name=name.strip(), names=names)
    return named[0]


def daily_for(session: Session, *, user_id: int, name: str | None = None) -> DailyReport:
    """Return today's figures of the project this person asks about."""
    project = report_project(session, user_id=user_id, name=name)
    return daily_report(session, project_id=project.id)


def rework_for(session: Session, *, user_id: int, name: str | None = None) -> ReworkReport:
    """Return the rework causes of the project this person asks about."""
    project = report_project(session, user_id=user_id, name=name)
    return rework_report(session, project_id=project.id)
