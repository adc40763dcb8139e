"""What the probes compare: every row of the database, before and after what was tried.

`rows(db)` reads every table of the schema (SQLModel's metadata, so a new table is compared
without anyone adding it here), each sorted, as plain tuples; `changed(before, after)` names
the tables that differ. The record of inbound keys (InboundSeen) is left out by default: seeing
an update is the one thing every input may record.
"""

from __future__ import annotations

from sqlalchemy import select
from sqlmodel import SQLModel

from models.db import Database

Rows = dict[str, list[tuple]]
ALWAYS_WRITTEN = frozenset({"inboundseen"})


def rows(db: Database, *, skip: frozenset[str] = ALWAYS_WRITTEN) -> Rows:
    """Return every row of every table (but `skip`), each table's rows sorted."""
    found: Rows = {}
    with db.engine.connect() as conn:
        for table in SQLModel.metadata.sorted_tables:
            if table.name in skip:
                continue
            got = conn.execute(select(table)).all()
            found[table.name] = sorted((tuple(r) for r in got), key=repr)
    return found


def changed(before: Rows, after: Rows) -> dict[str, tuple[list[tuple], list[tuple]]]:
    """Return the tables whose rows differ: the rows gone and the rows come, of each."""
    out = {}
    for name in before.keys() | after.keys():
        old, new = before.get(name, []), after.get(name, [])
        if old != new:
            gone = [r for r in old if r not in new]
            came = [r for r in new if r not in old]
            out[name] = (gone, came)
    return out
