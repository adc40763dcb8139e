"""`project`, `invite`, `migrate`: a project, the people who join it, and its database."""

from __future__ import annotations

import argparse

from sqlalchemy.engine import make_url
from sqlmodel import Session

from bot.cli.common import OK, load_settings, open_db, open_existing_db, takes_demo
from models.db import Database
from models.people import create_invite, parse_roles
from models.project import create_project, find_project


def add(sub: argparse._SubParsersAction) -> None:
    """Add the `project`, `invite` and `migrate` commands."""
    project = sub.add_parser("project", help="create a project")
    project.add_argument("name")
    project.add_argument("--timezone")
    project.set_defaults(fn=cmd_project)
    takes_demo(project)
    invite = sub.add_parser("invite", help="make a one-time invite code")
    invite.add_argument("roles", help="admin, clerk, contractor, inspector, manager, service")
    invite.add_argument("--contractor", help="the contractor's name, for a contractor invite")
    invite.add_argument("--project", help="project name (needed when there are several)")
    invite.add_argument("--hours", type=int, help="hours the code stays valid")
    invite.add_argument("--bot-username", help="the bot's @username, for the link")
    invite.set_defaults(fn=cmd_invite)
    takes_demo(invite)
    migrate = sub.add_parser("migrate", help="create or upgrade the database")
    migrate.set_defaults(fn=cmd_migrate)
    takes_demo(migrate)


def cmd_project(args: argparse.Namespace) -> int:
    """Create a project (its default defect categories come with it)."""
    settings = load_settings(args)
    db = open_db(settings)
    project = db.run(
        create_project,
        name=args.name,
        timezone=args.timezone or settings.timezone,
        repair_days=settings.repair_days,
        rework_days=settings.rework_days,
    )
    print(f"project {project.id}: {project.name}")
    return OK


def cmd_invite(args: argparse.Namespace) -> int:
    """Make a one-time invite code and print it with its deep link."""
    settings = load_settings(args)
    db = open_existing_db(settings)

    def make(session: Session) -> tuple[str, str]:
        project = find_project(session, name=args.project)
        invite = create_invite(
            session,
            project_id=project.id,
            roles=parse_roles(args.roles),
            contractor_name=args.contractor,
            hours=args.hours or settings.invite_hours,
        )
        return invite.code, project.name

    code, project_name = db.run(make)
    username = args.bot_username or "YOUR_BOT"
    print(f"invite for {args.roles} in {project_name}: {code}")
    print(f"link: https://t.me/{username}?start={code}")
    print(f"or in the bot: /start {code}")
    return OK


def cmd_migrate(args: argparse.Namespace) -> int:
    """Create or upgrade the database schema."""
    settings = load_settings(args)
    db = Database(settings.database_url)
    before, after = db.migrate()
    where = make_url(settings.database_url).render_as_string(hide_password=True)
    if before == after:
        print(f"database up to date ({after}): {where}")
    else:
        print(f"database schema upgraded from {before or 'nothing'} to {after}: {where}")
    return OK
