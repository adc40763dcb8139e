"""Which numbers can be ids: every id column is an INTEGER, 32 bits on PostgreSQL.

A typed or forged number beyond that names no row: it is refused here, before the database
is asked (PostgreSQL refuses to compare an INTEGER with it; SQLite with one over 64 bits).
"""

from __future__ import annotations

from typing import TypeVar

from sqlmodel import Session, SQLModel

from models.errors import DomainError

T = TypeVar("T", bound=SQLModel)

MAX_ID = 2**31 - 1
SHOWN_DIGITS = 12  # a refusal repeats at most this much of a number someone typed


def possible(row_id: int) -> bool:
    """Return whether a number can be the id of a row at all."""
    return 0 < row_id <= MAX_ID


def get(session: Session, table: type[T], row_id: int) -> T | None:
    """Return the row of a table with this id, or None (also for a number no id can be)."""
    return session.get(table, row_id) if possible(row_id) else None


def shown(number: int) -> str:
    """Return a number as a refusal repeats it: a very long one cut short."""
    digits = str(number)
    return digits if len(digits) <= SHOWN_DIGITS else f"{digits[:SHOWN_DIGITS]}…"


def no_such_item(item_id: int) -> DomainError:
    """Return the refusal for an item that does not exist, naming the number as typed."""
    return DomainError("no_such_item", item=shown(item_id))


def check_item(item_id: int) -> None:
    """Refuse a number that cannot be an item's id."""
    if not possible(item_id):
        raise no_such_item(item_id)
