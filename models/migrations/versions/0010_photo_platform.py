"""photo platform

Revision ID: 0010
Revises: 0009
Create Date: 2026-12-02 01:20:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel  # noqa: F401  (autogenerate renders sqlmodel types)
from alembic import op

revision: str = "0010"
down_revision: str | None = "0009"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    """Name the platform of each photo's file id; every photo so far came in on Telegram."""
    with op.batch_alter_table("photo") as batch:
        batch.add_column(sa.Column("platform", sqlmodel.AutoString(length=16), nullable=True))
    op.execute("UPDATE photo SET platform = 'telegram' WHERE file_id IS NOT NULL")


def downgrade() -> None:
    """Drop the photo's platform (file ids stay)."""
    with op.batch_alter_table("photo") as batch:
        batch.drop_column("platform")
