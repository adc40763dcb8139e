"""upload links: one-time upload pages honoured by any process

Revision ID: 0016
Revises: 0015
Create Date: 2026-12-08 01:00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel  # noqa: F401  (autogenerate renders sqlmodel types)
from alembic import op

revision: str = "0016"
down_revision: str | None = "0015"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    """Keep the open upload links in the database (they were in one process's memory)."""
    op.create_table(
        "uploadlink",
        sa.Column("key", sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
        sa.Column("account", sqlmodel.sql.sqltypes.AutoString(length=80), nullable=False),
        sa.Column("lang", sqlmodel.sql.sqltypes.AutoString(length=8), nullable=False),
        sa.Column("until", sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
        sa.Column("visitor", sqlmodel.sql.sqltypes.AutoString(length=40), nullable=False),
        sa.Column("busy_until", sqlmodel.sql.sqltypes.UTCDateTime(), nullable=True),
        sa.PrimaryKeyConstraint("key"),
    )
    op.create_index(op.f("ix_uploadlink_until"), "uploadlink", ["until"], unique=False)


def downgrade() -> None:
    """Drop the upload links (links open then are no longer honoured)."""
    op.drop_index(op.f("ix_uploadlink_until"), table_name="uploadlink")
    op.drop_table("uploadlink")
