"""A small key-value store for chat state that must survive a restart (JSON values)."""

from __future__ import annotations

import json
from typing import Any

from sqlmodel import Session, select

from models import clock
from models.tables import ChatState


def load_states(session: Session, *, kind: str) -> dict[str, Any]:
    """Return every stored value of one kind, by key."""
    rows = session.exec(select(ChatState).where(ChatState.kind == kind)).all()
    return {row.key: json.loads(row.value) for row in rows}


def save_state(session: Session, *, kind: str, key: str, value: Any) -> None:
    """Store a value (None or an empty dict removes it)."""
    row = session.get(ChatState, (kind, key))
    if value is None or value == {}:
        if row is not None:
            session.delete(row)
        return
    text = json.dumps(value, ensure_ascii=False)
    if row is not None and row.value == text:
        return  # written after every update: most leave it as it was
    if row is None:
        row = ChatState(kind=kind, key=key, value=text)
    row.value, row.updated_at = text, clock.now()
    session.add(row)
