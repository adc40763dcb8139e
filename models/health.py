"""What an operator asks of the database: is it there, what waits to be sent, what is open."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import func, text
from sqlmodel import Session, col, select

from models.tables import Item, ItemState, NoticeLog, Project, PushLog, PushStatus

# States an item is still being worked in (not closed, not cancelled).
OPEN_STATES = (ItemState.open, ItemState.disputed, ItemState.repaired, ItemState.rework)


def ping(session: Session) -> bool:
    """Ask the database the cheapest question there is."""
    return session.execute(text("SELECT 1")).scalar_one() == 1


@dataclass(frozen=True)
class Queue:
    """What is waiting to be sent (claimed, being tried or tried again): pushes and notices."""

    pushes: int
    notices: int


def queue(session: Session) -> Queue:
    """Count the pushes and the notices still being sent (status `sending`)."""
    pushes = select(func.count()).select_from(PushLog).where(PushLog.status == PushStatus.sending)
    notices = select(func.count()).select_from(NoticeLog)
    notices = notices.where(NoticeLog.status == PushStatus.sending)
    return Queue(session.exec(pushes).one(), session.exec(notices).one())


@dataclass(frozen=True)
class OpenItems:
    """How many items of one project are in one open state."""

    project_id: int
    project: str
    state: str
    count: int


def open_items(session: Session) -> list[OpenItems]:
    """Count the open items per project and state, in one aggregate over the state index."""
    counted = (
        select(Item.project_id, Item.state, func.count())
        .where(col(Item.state).in_(OPEN_STATES))
        .group_by(Item.project_id, Item.state)
    )
    names = dict(session.exec(select(Project.id, Project.name)).all())
    return [
        OpenItems(project_id, names.get(project_id, ""), ItemState(state).value, count)
        for project_id, state, count in session.exec(counted).all()
    ]
