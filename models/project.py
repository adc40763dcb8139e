"""Setting up a project: flats, contractors, categories and who repairs what."""

from __future__ import annotations

from datetime import date

from sqlmodel import Session, select

from models import clock
from models.errors import DomainError
from models.tables import AssignmentRule, Category, Contractor, Meta, Project, Unit
from models.units import parse_unit_code

# The trades the article's sites see most; a project can add its own.
DEFAULT_CATEGORIES: tuple[tuple[str, str, str], ...] = (
    ("leak", "渗漏", "Leak"),
    ("wall", "墙面", "Wall"),
    ("door_window", "门窗", "Door/window"),
    ("plumbing_electric", "水电", "Plumbing/electric"),
    ("floor", "地面", "Floor"),
    ("tile", "瓷砖", "Tiling"),
    ("other", "其他", "Other"),
)


def create_project(
    session: Session,
    *,
    name: str,
    timezone: str = "Asia/Shanghai",
    repair_days: int = 7,
    rework_days: int = 3,
) -> Project:
    """Create a project with the default categories; its days come from the caller's settings."""
    if session.exec(select(Project).where(Project.name == name)).first() is not None:
        raise DomainError("project_exists", name=name)
    project = Project(
        name=name, timezone=timezone, repair_days=repair_days, rework_days=rework_days
    )
    session.add(project)
    session.flush()
    for code, zh, en in DEFAULT_CATEGORIES:
        session.add(Category(project_id=project.id, code=code, name_zh=zh, name_en=en))
    session.flush()
    return project


def project_today(session: Session, *, project_id: int) -> date:
    """Return today's date on the project's site (its time zone, not the server's)."""
    project = session.get(Project, project_id)
    if project is None:
        raise DomainError("no_such_project")
    return clock.today(project.timezone)


def add_unit(
    session: Session,
    *,
    project_id: int,
    code: str,
    owner_name: str | None = None,
    owner_phone: str | None = None,
) -> Unit:
    """Add a flat by its code (any common form), or update its owner if it exists."""
    parsed = parse_unit_code(code)
    if parsed is None:
        raise DomainError("bad_unit_code", unit=code)
    unit = session.exec(
        select(Unit).where(Unit.project_id == project_id, Unit.code == parsed.code)
    ).first()
    if unit is None:
        unit = Unit(
            project_id=project_id,
            code=parsed.code,
            building=parsed.building,
            entrance=parsed.entrance,
            floor=parsed.floor,
        )
    unit.owner_name = owner_name or unit.owner_name
    unit.owner_phone = owner_phone or unit.owner_phone
    session.add(unit)
    session.flush()
    return unit


def add_contractor(
    session: Session, *, project_id: int, name: str, trades: str = "", contact: str | None = None
) -> Contractor:
    """Add a contractor, or update its trades and contact if it exists."""
    name = name.strip()
    if not name:
        raise DomainError("contractor_required")
    contractor = session.exec(
        select(Contractor).where(Contractor.project_id == project_id, Contractor.name == name)
    ).first()
    if contractor is None:
        contractor = Contractor(project_id=project_id, name=name)
    contractor.trades = trades or contractor.trades
    contractor.contact = contact or contractor.contact
    session.add(contractor)
    session.flush()
    return contractor


def category_by_code(session: Session, *, project_id: int, code: str) -> Category:
    """Return a project's category by its code, or refuse."""
    category = session.exec(
        select(Category).where(Category.project_id == project_id, Category.code == code)
    ).first()
    if category is None:
        raise DomainError("no_such_category", category=code)
    return category


def set_rule(
    session: Session,
    *,
    project_id: int,
    category_code: str,
    contractor_id: int,
    building: str | None = None,
) -> AssignmentRule:
    """Say which contractor repairs a category (in one building, or everywhere)."""
    category = category_by_code(session, project_id=project_id, code=category_code)
    rule = session.exec(
        select(AssignmentRule).where(
            AssignmentRule.project_id == project_id,
            AssignmentRule.category_id == category.id,
            AssignmentRule.building == building,
        )
    ).first()
    if rule is None:
        rule = AssignmentRule(project_id=project_id, category_id=category.id, building=building)
    rule.contractor_id = contractor_id
    session.add(rule)
    session.flush()
    return rule


def is_demo(session: Session) -> bool:
    """Tell whether this database was built by the demo."""
    meta = session.get(Meta, "demo")
    return meta is not None and meta.value == "1"


def has_projects(session: Session) -> bool:
    """Tell whether any project is recorded."""
    return session.exec(select(Project.id)).first() is not None


def mark_demo(session: Session) -> None:
    """Record that this database holds demo data (so the demo may rebuild it)."""
    session.merge(Meta(key="demo", value="1"))


def find_project(session: Session, *, name: str | None = None) -> Project:
    """Return the named project, or the only one; refuse when that is ambiguous."""
    if name:
        project = session.exec(select(Project).where(Project.name == name)).first()
        if project is None:
            raise DomainError("no_such_project")
        return project
    projects = session.exec(select(Project).order_by(Project.id)).all()
    if not projects:
        raise DomainError("no_project_yet")
    if len(projects) > 1:
        raise DomainError("which_project", names=", ".join(p.name for p in projects))
    return projects[0]
