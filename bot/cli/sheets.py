"""`setup`, `import`, `template`, `export`: the workbooks in and out of a project."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import TYPE_CHECKING

from sqlmodel import Session, select

from bot.cli.common import (
    OK,
    REFUSED,
    load_settings,
    open_existing_db,
    read_file,
    takes_demo,
    write_file,
)
from handlers.i18n import t
from models.project import find_project
from models.settings import Settings
from models.tables import Project

if TYPE_CHECKING:
    from models.export import Templates
    from models.setup_sheet import SetupReport
    from models.sheets import ImportReport

# models.sheets and the reports' texts are imported by the commands that use them: workbooks
# take a moment to load, which no other command needs.


def add(sub: argparse._SubParsersAction) -> None:
    """Add the `setup`, `import`, `template` and `export` commands."""
    for name, fn, what in (
        ("setup", cmd_setup, "read a set-up workbook (Units, Contractors, Rules)"),
        ("import", cmd_import, "import an items file (.xlsx or .csv)"),
    ):
        command = sub.add_parser(name, help=what)
        command.add_argument("file")
        command.add_argument("--project", help="project name (needed when there are several)")
        command.add_argument("--lang", choices=("zh", "en"), help="language of the report")
        command.set_defaults(fn=fn)
        takes_demo(command)
    template = sub.add_parser("template", help="write blank OUT-setup.xlsx and OUT-items.xlsx")
    template.add_argument("out", help="e.g. blank.xlsx gives blank-setup.xlsx, blank-items.xlsx")
    template.add_argument("--project", help="list this project's categories and contractors")
    template.set_defaults(fn=cmd_template)
    takes_demo(template)
    export = sub.add_parser("export", help="write every item and event to an .xlsx")
    export.add_argument("out")
    export.add_argument("--project", help="only this project (default: every project)")
    export.set_defaults(fn=cmd_export)
    takes_demo(export)


def _print_report(args: argparse.Namespace, settings: Settings, report: object) -> int:
    """Print what a workbook did (or every bad row, on stderr); refused if any row was bad."""
    from handlers.sheets_text import render_report

    text = render_report(args.lang or settings.default_language, report, limit=None)
    print(text, file=sys.stdout if report.ok else sys.stderr)
    return OK if report.ok else REFUSED


def cmd_setup(args: argparse.Namespace) -> int:
    """Read a set-up workbook (flats, contractors, rules) into a project; all or nothing."""
    from models.setup_sheet import setup_project

    settings = load_settings(args)
    data = read_file(args.file)

    def run(session: Session) -> SetupReport:
        project = find_project(session, name=args.project)
        return setup_project(
            session, project_id=project.id, data=data, filename=Path(args.file).name
        )

    return _print_report(args, settings, open_existing_db(settings).run(run))


def cmd_import(args: argparse.Namespace) -> int:
    """Import an items file (.xlsx or .csv); a file with any bad row imports nothing."""
    from models.sheets import import_items

    settings = load_settings(args)
    data = read_file(args.file)

    def run(session: Session) -> ImportReport:
        project = find_project(session, name=args.project)
        return import_items(
            session, project_id=project.id, data=data, filename=Path(args.file).name
        )

    return _print_report(args, settings, open_existing_db(settings).run(run))


def cmd_template(args: argparse.Namespace) -> int:
    """Write the blank set-up and items workbooks beside OUT (OUT-setup.xlsx, OUT-items.xlsx)."""
    from models.export import write_templates

    if args.project:
        settings = load_settings(args)

        def run(session: Session) -> Templates:
            project = find_project(session, name=args.project)
            return write_templates(session, project_id=project.id)

        templates = open_existing_db(settings).run(run)
    else:
        templates = write_templates()
    out = Path(args.out)
    stem = out.name[: -len(out.suffix)] if out.suffix.lower() == ".xlsx" else out.name
    for kind, data in (("setup", templates.setup), ("items", templates.items)):
        path = out.with_name(f"{stem}-{kind}.xlsx")
        write_file(path, data)
        print(f"wrote {path}")
    return OK


def cmd_export(args: argparse.Namespace) -> int:
    """Write every item with its state and every event to an .xlsx."""
    from models.export import export_items

    settings = load_settings(args)

    def run(session: Session) -> tuple[bytes, list[str]]:
        if args.project:
            projects = [find_project(session, name=args.project)]
        else:
            projects = list(session.exec(select(Project).order_by(Project.id)).all())
        data = export_items(session, project_ids=[p.id for p in projects], say=t)
        return data, [p.name for p in projects]

    data, names = open_existing_db(settings).run(run)
    write_file(Path(args.out), data)
    print(f"wrote {args.out}: {', '.join(names) or 'no projects'}")
    return OK
