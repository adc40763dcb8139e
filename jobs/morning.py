"""Every morning: each contractor gets its list, each inspector the to-check list."""

from __future__ import annotations

from sqlmodel import Session

from handlers import choices, render
from jobs.notices import Attachment, Notice
from models.errors import DomainError
from models.people import LANGUAGES
from models.pushes import ProjectBeat, Recipient
from models.queries import Page, contractor_list, to_check_list
from models.tables import Role


def language(person: Recipient, default: str) -> str:
    """Return the language a push to this person is written in."""
    return person.language if person.language in LANGUAGES else default


def morning_notices(
    session: Session, *, project: ProjectBeat, people: list[Recipient], default_language: str
) -> list[Notice]:
    """Return each person's morning list of the project; nobody with nothing to do is in it."""
    notices = []
    for person in people:
        lang = language(person, default_language)
        parts: list[tuple[str, choices.Rows, tuple[Attachment, ...]]] = []
        if Role.contractor in person.roles and person.contractor_ids:
            page = _page(contractor_list, session, person, project)
            if page is not None and page.total:
                text = render.my_list(lang, page)
                if line := contractor_overdue_line(
                    session, person=person, project=project, lang=lang
                ):
                    text = f"{line}\n\n{text}"
                parts.append(
                    (
                        text,
                        choices.my_list(page, lang),
                        contractor_pdf(session, person=person, project=project, lang=lang),
                    )
                )
        if Role.inspector in person.roles:
            page = _page(to_check_list, session, person, project)
            if page is not None and page.total:
                parts.append(
                    (
                        render.to_check(lang, page),
                        choices.to_check(page, lang),
                        to_check_pdf(session, person=person, project=project, lang=lang),
                    )
                )
        if parts:
            notices.append(
                Notice(
                    user_id=person.user_id,
                    chat=person.telegram_id,
                    text="\n\n".join(text for text, _, _ in parts),
                    choices=tuple(row for _, rows, _ in parts for row in rows),
                    attachments=tuple(a for _, _, files in parts for a in files),
                    lang=lang,
                )
            )
    return notices


def _page(list_of, session: Session, person: Recipient, project: ProjectBeat) -> Page | None:  # noqa: ANN001
    try:
        return list_of(session, telegram_id=person.telegram_id, project_id=project.id)
    except DomainError:
        return None  # their roles changed since the recipients were read: nothing to send


def contractor_overdue_line(
    session: Session, *, person: Recipient, project: ProjectBeat, lang: str
) -> str | None:
    """Return the line telling a contractor of its overdue items (overdue: wire it here)."""
    return None


def contractor_pdf(
    session: Session, *, person: Recipient, project: ProjectBeat, lang: str
) -> tuple[Attachment, ...]:
    """Return the contractor's printable list to attach (printable: wire the PDF here)."""
    return ()


def to_check_pdf(
    session: Session, *, person: Recipient, project: ProjectBeat, lang: str
) -> tuple[Attachment, ...]:
    """Return the inspectors' printable to-check list to attach (printable: wire the PDF here)."""
    return ()
