"""Every morning: each contractor gets its list, each inspector the to-check list."""

from __future__ import annotations

from sqlmodel import Session

from handlers import choices, overdue_text, printable_text, render
from handlers.screens import Limits
from jobs.notices import Attachment, Notice
from models import clock
from models.errors import DomainError
from models.overdue import contractor_overdue
from models.people import LANGUAGES
from models.print_lists import PrintList, contractor_print, to_check_print
from models.printable import ItemLink, printout
from models.pushes import ProjectBeat, Recipient
from models.queries import Page, contractor_list, to_check_list
from models.roles import WORK, Work


class _Printing:
    """One PDF per team and language a morning, however many of its people get it."""

    def __init__(self, item_link: ItemLink | None) -> None:
        self.item_link = item_link  # the platform's: a QR code per printed row
        self.made: dict[tuple[int, int | None, str], Attachment] = {}


def language(person: Recipient, default: str) -> str:
    """Return the language a push to this person is written in."""
    return person.language if person.language in LANGUAGES else default


Part = tuple[str, choices.Rows, tuple[Attachment, ...]]  # a list's text, buttons, files


def morning_notices(
    session: Session,
    *,
    project: ProjectBeat,
    people: list[Recipient],
    default_language: str,
    limits: Limits | None = None,  # a page of a list is short: it fits every platform's text
    item_link: ItemLink | None = None,
) -> list[Notice]:
    """Return each person's morning list of the project; nobody with nothing to do is in it.

    The printed lists carry a QR code per row where the platform has `item_link`.
    """
    notices = []
    made = _Printing(item_link)
    for person in people:
        lang = language(person, default_language)
        parts = [
            part
            for part in (
                _repairs(session, person, project, lang, made),
                _checks(session, person, project, lang, made),
            )
            if part is not None
        ]
        if parts:
            notices.append(
                Notice(
                    user_id=person.user_id,
                    text="\n\n".join(text for text, _, _ in parts),
                    choices=tuple(row for _, rows, _ in parts for row in rows),
                    attachments=tuple(a for _, _, files in parts for a in files),
                    lang=lang,
                )
            )
    return notices


def _repairs(
    session: Session, person: Recipient, project: ProjectBeat, lang: str, made: _Printing
) -> Part | None:
    # A contractor's list with its PDF (the screen's PDF button is left off: it is attached).
    if not WORK[Work.repair] & person.roles or not person.contractor_ids:
        return None
    page = _page(contractor_list, session, person, project)
    if page is None or not page.total:
        return None
    text = render.my_list(lang, page)
    if line := contractor_overdue_line(session, person=person, project=project, lang=lang):
        text = f"{line}\n\n{text}"
    files = contractor_pdf(session, person=person, project=project, lang=lang, made=made)
    return text, choices.my_list(page, lang, printable=False), files


def _checks(
    session: Session, person: Recipient, project: ProjectBeat, lang: str, made: _Printing
) -> Part | None:
    if not WORK[Work.accept] & person.roles:
        return None
    page = _page(to_check_list, session, person, project)
    if page is None or not page.total:
        return None
    files = to_check_pdf(session, person=person, project=project, lang=lang, made=made)
    return render.to_check(lang, page), choices.to_check(page, lang, printable=False), files


def _page(list_of, session: Session, person: Recipient, project: ProjectBeat) -> Page | None:  # noqa: ANN001
    try:
        return list_of(session, user_id=person.user_id, project_id=project.id)
    except DomainError:
        return None  # their roles changed since the recipients were read: nothing to send


def contractor_overdue_line(
    session: Session, *, person: Recipient, project: ProjectBeat, lang: str
) -> str | None:
    """Return the line telling a contractor of its overdue items; None when nothing is late."""
    owed = contractor_overdue(
        session, contractor_ids=person.contractor_ids, day=clock.today(project.timezone)
    )
    return overdue_text.contractor_line(lang, owed) or None


def contractor_pdf(
    session: Session, *, person: Recipient, project: ProjectBeat, lang: str, made: _Printing
) -> tuple[Attachment, ...]:
    """Return the contractor's printable list (stairwell by stairwell) to attach."""
    out = []
    for contractor_id in sorted(person.contractor_ids):
        plist = contractor_print(session, contractor_id=contractor_id)
        if plist.total and plist.project_id == project.id:
            out.append(_attachment(plist, lang, made))
    return tuple(out)


def to_check_pdf(
    session: Session, *, person: Recipient, project: ProjectBeat, lang: str, made: _Printing
) -> tuple[Attachment, ...]:
    """Return the project's printable to-check walk to attach to an inspector's list."""
    plist = to_check_print(session, project_id=project.id)
    return (_attachment(plist, lang, made),) if plist.total else ()


def _attachment(plist: PrintList, lang: str, made: _Printing) -> Attachment:
    key = (plist.project_id, plist.contractor_id, lang)
    if key not in made.made:
        tr = printable_text.translator(lang)
        name, data = printout(plist, tr, made.item_link)
        made.made[key] = Attachment(name, data, "document", printable_text.caption(tr, plist))
    return made.made[key]
