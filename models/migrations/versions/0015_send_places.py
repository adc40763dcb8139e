"""send places: the platforms' send limits shared by every process

Revision ID: 0015
Revises: 0014
Create Date: 2026-12-08 00:50:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel  # noqa: F401  (autogenerate renders sqlmodel types)
from alembic import op

revision: str = "0015"
down_revision: str | None = "0014"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def _names() -> list[sa.Column]:
    return [
        sa.Column("platform", sqlmodel.sql.sqltypes.AutoString(length=16), nullable=False),
        sa.Column("kind", sqlmodel.sql.sqltypes.AutoString(length=16), nullable=False),
        sa.Column("key", sqlmodel.sql.sqltypes.AutoString(length=80), nullable=False),
    ]


def upgrade() -> None:
    """Keep each send's place, and each hold a platform asked for, in the database."""
    op.create_table(
        "sendplace",
        sa.Column("id", sa.Integer(), nullable=False),
        *_names(),
        sa.Column("taken_at", sa.Float(), nullable=False),
        sa.Column("ended_at", sa.Float(), nullable=True),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index(
        "ix_sendplace_limit", "sendplace", ["platform", "kind", "key", "ended_at"], unique=False
    )
    op.create_table(
        "sendhold",
        *_names(),
        sa.Column("until", sa.Float(), nullable=False),
        sa.PrimaryKeyConstraint("platform", "kind", "key"),
    )


def downgrade() -> None:
    """Drop the shared send limits (each process keeps its own again)."""
    op.drop_table("sendhold")
    op.drop_index("ix_sendplace_limit", table_name="sendplace")
    op.drop_table("sendplace")
