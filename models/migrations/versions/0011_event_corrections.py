"""event corrections

Revision ID: 0011
Revises: 0010
Create Date: 2026-12-16 09:00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel  # noqa: F401  (autogenerate renders sqlmodel types)
from alembic import op

revision: str = "0011"
down_revision: str | None = "0010"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


COLUMNS = ("field", "old_value", "new_value", "due_before")


def upgrade() -> None:
    """Let an event say what a correction changed, and the due date a move replaced."""
    op.add_column("event", sa.Column("field", sqlmodel.AutoString(length=20), nullable=True))
    op.add_column("event", sa.Column("old_value", sa.Text(), nullable=True))
    op.add_column("event", sa.Column("new_value", sa.Text(), nullable=True))
    op.add_column("event", sa.Column("due_before", sa.Date(), nullable=True))


def downgrade() -> None:
    """Drop them (the events of corrections, restores and undos stay, without their values)."""
    for name in reversed(COLUMNS):
        if op.get_bind().dialect.name == "sqlite":
            # SQLite's own DROP COLUMN (3.35+): a batch would rebuild event, and dropping the
            # old table fails the foreign keys of every photo of an event.
            op.execute(f"ALTER TABLE event DROP COLUMN {name}")
        else:
            op.drop_column("event", name)
