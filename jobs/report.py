"""Every evening: the manager's daily picture with today's figures, to those who want it."""

from __future__ import annotations

from sqlmodel import Session

from handlers.report_text import daily_picture, report_heading, report_more, report_texts
from handlers.screens import Limits
from handlers.text import clip, esc, split_html
from jobs.morning import language
from jobs.notices import Attachment, Notice
from models import clock
from models.printable import ItemLink
from models.pushes import ProjectBeat, Recipient
from models.report import daily_report

MORE = 200  # room for the pointer to /report when the figures are cut


def report_notices(
    session: Session,
    *,
    project: ProjectBeat,
    people: list[Recipient],
    default_language: str,
    limits: Limits,
    item_link: ItemLink | None = None,  # prints no item rows: no links
) -> list[Notice]:
    """Return the project's daily report for each person: a heading, then the PNG with figures."""
    if not people:
        return []
    report = daily_report(session, project_id=project.id, day=clock.today(project.timezone))
    made: dict[str, tuple[str, Attachment]] = {}
    notices = []
    for person in people:
        lang = language(person, default_language)
        if lang not in made:
            caption, after = report_texts(lang, report)
            png = daily_picture(lang, report)
            photo = Attachment(f"report-{report.day:%Y%m%d}.png", png, "photo", caption)
            text = _text(lang, report.project_name, report.day.isoformat(), after, limits)
            made[lang] = (text, photo)
        text, photo = made[lang]
        notices.append(Notice(person.user_id, text, (), (photo,), lang))
    return notices


def _text(lang: str, project: str, day: str, after: str | None, limits: Limits) -> str:
    # The sender sends the text before its files: the heading, and the figures that did not
    # fit the caption (cut to one message; /report shows them all).
    head = report_heading(lang, project=esc(clip(project, 60)), day=day)
    if not after:
        return head
    room = limits.chunk - MORE
    pieces = split_html(f"{head}\n\n{after}", room, in_bytes=limits.text_in_bytes)
    return pieces[0] if len(pieces) == 1 else f"{pieces[0]}\n{report_more(lang)}"
