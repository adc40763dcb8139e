"""A person's dialogue with the bot as data: the step they are in, their draft, their pages.

Read on every input and written after it, in the database, so a step begun on one process (or
before a restart) carries on in another, and both chat platforms share it.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy.dialects import postgresql, sqlite
from sqlmodel import Session, col, delete, select

from models import clock
from models.tables import AppUser
from models.tables import Dialogue as DialogueRow

# INSERT ... ON CONFLICT DO UPDATE, as each database we run on spells it.
_UPSERT = {"sqlite": sqlite.insert, "postgresql": postgresql.insert}
# A report left half-finished this long is dropped (the person is told at their next input).
DRAFT_LIFETIME = timedelta(minutes=30)


@dataclass
class Dialogue:
    """Where a person is: a step (None: none), its draft, and what their screens remember."""

    step: str | None = None
    draft: dict[str, Any] = field(default_factory=dict)
    memory: dict[str, Any] = field(default_factory=dict)
    # A draft that outlived DRAFT_LIFETIME, taken off `draft` when loaded: the flows say so.
    expired: dict[str, Any] | None = None
    expired_step: str | None = None

    def begin(self, step: str, draft: dict[str, Any]) -> None:
        """Enter a step with a new draft."""
        self.step, self.draft = step, draft

    def end(self) -> dict[str, Any]:
        """Leave the step; return the draft it had."""
        draft, self.step, self.draft = self.draft, None, {}
        return draft

    def snapshot(self) -> str:
        """Return what is stored, to tell whether an input changed it."""
        return json.dumps([self.step, self.draft, self.memory], sort_keys=True, default=str)


def load_dialogue(session: Session, *, user_id: int) -> Dialogue:
    """Return the person's dialogue; a draft older than DRAFT_LIFETIME comes back as expired."""
    row = session.get(DialogueRow, user_id)
    if row is None:
        return Dialogue()
    data = json.loads(row.data or "{}")
    dialogue = Dialogue(row.step, data.get("draft") or {}, data.get("memory") or {})
    if dialogue.step and _stale(row.updated_at):
        dialogue.expired, dialogue.expired_step = dialogue.draft, dialogue.step
        dialogue.step, dialogue.draft = None, {}
    return dialogue


def _stale(updated_at: datetime) -> bool:
    if updated_at.tzinfo is None:  # SQLite gives back naive UTC
        updated_at = updated_at.replace(tzinfo=clock.now().tzinfo)
    return clock.now() - updated_at > DRAFT_LIFETIME


def save_dialogue(session: Session, *, user_id: int, dialogue: Dialogue) -> None:
    """Store the person's dialogue (a person with none keeps no row).

    One statement, not a read and then a write: two inputs of one person handled at once (two
    taps, two processes) both find no row, and the second insert would break the first row's
    key. The last input stored wins, as it would one after the other.
    """
    if dialogue.step is None and not dialogue.draft and not dialogue.memory:
        session.exec(delete(DialogueRow).where(col(DialogueRow.user_id) == user_id))
        return
    data = json.dumps({"draft": dialogue.draft, "memory": dialogue.memory}, ensure_ascii=False)
    values = {"step": dialogue.step, "data": data, "updated_at": clock.now()}
    insert = _UPSERT[session.get_bind().dialect.name](DialogueRow).values(user_id=user_id, **values)
    session.exec(
        insert.on_conflict_do_update(
            index_elements=[col(DialogueRow.user_id)],
            set_={name: insert.excluded[name] for name in values},
        )
    )


@dataclass(frozen=True)
class Expired:
    """A report left half-finished too long, taken off its person's dialogue."""

    user_id: int
    step: str
    draft: dict[str, Any]
    language: str | None


def take_expired(session: Session, *, steps: frozenset[str]) -> list[Expired]:
    """Take every draft of these steps older than DRAFT_LIFETIME off its dialogue; return them.

    Taken in the same transaction that clears them, so two processes never tell a person twice.
    """
    cutoff = clock.now() - DRAFT_LIFETIME
    rows = session.exec(
        select(DialogueRow, AppUser)
        .join(AppUser, AppUser.id == DialogueRow.user_id)
        .where(col(DialogueRow.step).in_(steps), DialogueRow.updated_at < cutoff)
        .with_for_update(skip_locked=True)
    ).all()
    taken = []
    for row, user in rows:
        data = json.loads(row.data or "{}")
        taken.append(Expired(row.user_id, row.step, data.get("draft") or {}, user.language))
        row.step, row.data = None, json.dumps({"memory": data.get("memory") or {}})
        session.add(row)
    return taken
