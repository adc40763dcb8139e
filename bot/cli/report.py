"""`report`: the manager's report pictures, figures and printable lists, written to a folder."""

from __future__ import annotations

import argparse
import re
from datetime import date
from functools import partial
from pathlib import Path
from typing import TYPE_CHECKING

from sqlmodel import Session, select

from bot.cli.common import OK, CliError, load_settings, open_existing_db, takes_demo, write_file
from handlers.i18n import t
from models.errors import DomainError
from models.project import find_project
from models.tables import Project

if TYPE_CHECKING:
    from models.printable import Printout
    from models.report import DailyReport, ReworkReport


def add(sub: argparse._SubParsersAction) -> None:
    """Add the `report` command."""
    report = sub.add_parser(
        "report", help="write the manager's report pictures, figures and printable lists"
    )
    report.add_argument("--out", required=True, help="folder to write into")
    report.add_argument("--project", help="only this project (default: every project)")
    report.add_argument(
        "--date",
        help="the report's day, YYYY-MM-DD (default: today on each site); "
        "the printable lists are always of now",
    )
    report.add_argument("--lang", choices=("zh", "en"), help="language of the labels")
    report.set_defaults(fn=cmd_report)
    takes_demo(report)


def _day(text: str | None) -> date | None:
    if text is None:
        return None
    try:
        return date.fromisoformat(text)
    except ValueError:
        raise CliError(f"--date {text!r} is not a date: write it as YYYY-MM-DD") from None


def _file_part(name: str) -> str:
    """Return a project's name as a safe part of a file name (letters, digits, - and _)."""
    part = re.sub(r"[^\w-]+", "_", name, flags=re.UNICODE).strip("_")
    return part[:60] or "project"


def cmd_report(args: argparse.Namespace) -> int:
    """Write each project's (or the named one's) report pictures and figures into OUT."""
    # Here, not above: charts and PDFs take a second to load, which no other command needs.
    from handlers.report_text import (
        daily_picture,
        plain,
        report_caption,
        report_details,
        rework_caption,
        rework_picture,
    )
    from models.printable import project_printables
    from models.report import daily_report, rework_report

    settings = load_settings(args)
    lang = args.lang or settings.default_language
    day = _day(args.date)

    def figures(session: Session) -> list[tuple[DailyReport, ReworkReport, list[Printout]]]:
        if args.project:
            try:
                projects = [find_project(session, name=args.project)]
            except DomainError:
                names = ", ".join(session.exec(select(Project.name).order_by(Project.id)).all())
                raise CliError(f"no project named {args.project!r} (projects: {names})") from None
        else:
            projects = list(session.exec(select(Project).order_by(Project.id)).all())
        return [
            (
                daily_report(session, project_id=p.id, day=day),
                rework_report(session, project_id=p.id, day=day),
                # Paper lists are of the items as they stand now, whatever --date says.
                project_printables(session, project_id=p.id, tr=partial(t, lang)),
            )
            for p in projects
        ]

    out = Path(args.out)
    written = []
    for daily, rework, printouts in open_existing_db(settings).run(figures):
        stem = f"{_file_part(daily.project_name)}-{daily.day:%Y-%m-%d}"
        words = "\n\n".join(
            [report_caption(lang, daily), report_details(lang, daily), rework_caption(lang, rework)]
        )
        for path, data in (
            (out / f"report-{stem}.png", daily_picture(lang, daily)),
            (out / f"rework-{stem}.png", rework_picture(lang, rework)),
            (out / f"figures-{stem}.txt", (plain(words) + "\n").encode()),
            # Prefixed with the project: two projects may have contractors of one name.
            *((out / f"{_file_part(daily.project_name)}-{name}", pdf) for name, pdf in printouts),
        ):
            write_file(path, data)
            written.append(path)
    if not written:
        raise CliError("there is no project yet: create one with `python -m bot project NAME`")
    for path in written:
        print(path)
    return OK
