"""Each morning: the overdue items by contractor, for the admins and managers who want them."""

from __future__ import annotations

from sqlmodel import Session

from handlers.overdue_text import overdue_digest as digest_text
from handlers.screens import Limits
from jobs.morning import language
from jobs.notices import Notice
from models import clock
from models.overdue import overdue_digest
from models.printable import ItemLink
from models.pushes import ProjectBeat, Recipient


def overdue_notices(
    session: Session,
    *,
    project: ProjectBeat,
    people: list[Recipient],
    default_language: str,
    limits: Limits,
    item_link: ItemLink | None = None,  # prints no item rows: no links
) -> list[Notice]:
    """Return the project's overdue digest for each person, in one message of the platform's;
    nothing at all when none is late."""
    if not people:
        return []
    digest = overdue_digest(session, project_id=project.id, day=clock.today(project.timezone))
    if not digest.contractors:
        return []  # nothing overdue: nobody is messaged about it
    texts: dict[str, str] = {}
    notices = []
    for person in people:
        lang = language(person, default_language)
        if lang not in texts:
            texts[lang] = digest_text(lang, digest, limits=limits)
        notices.append(Notice(person.user_id, texts[lang], lang=lang))
    return notices
