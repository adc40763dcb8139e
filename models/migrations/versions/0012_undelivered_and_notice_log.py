"""undelivered and notice log

Revision ID: 0012
Revises: 0011
Create Date: 2026-12-07 18:20:09
"""

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel  # noqa: F401  (autogenerate renders sqlmodel types)
from alembic import op

revision: str = "0012"
down_revision: str | None = "0011"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

UNDELIVERED = ("no_account", "blocked", "refused", "unavailable", "error")


def _why() -> sa.Column:
    kinds = sa.Enum(*UNDELIVERED, name="undelivered", native_enum=False, length=20)
    return sa.Column("why", kinds, nullable=True)


def upgrade() -> None:
    """Say why a push did not arrive and how much of it did; log the notices of flows."""
    op.create_table(
        "noticelog",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("platform", sqlmodel.sql.sqltypes.AutoString(length=16), nullable=False),
        sa.Column("summary", sqlmodel.sql.sqltypes.AutoString(length=80), nullable=False),
        sa.Column(
            "status",
            sa.Enum(
                "sending",
                "sent",
                "failed",
                "blocked",
                name="pushstatus",
                native_enum=False,
                length=20,
            ),
            nullable=False,
        ),
        _why(),
        sa.Column("reason", sqlmodel.sql.sqltypes.AutoString(length=200), nullable=True),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("created_at", sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
        sa.Column("ended_at", sqlmodel.sql.sqltypes.UTCDateTime(), nullable=True),
        sa.ForeignKeyConstraint(["user_id"], ["appuser.id"]),
        sa.PrimaryKeyConstraint("id"),
    )
    with op.batch_alter_table("noticelog", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_noticelog_created_at"), ["created_at"], unique=False)
        batch_op.create_index(batch_op.f("ix_noticelog_user_id"), ["user_id"], unique=False)
    with op.batch_alter_table("pushlog", schema=None) as batch_op:
        batch_op.add_column(_why())
        batch_op.add_column(
            sa.Column("parts_sent", sa.Integer(), nullable=False, server_default="0")
        )
    with op.batch_alter_table("pushlog", schema=None) as batch_op:
        batch_op.alter_column("parts_sent", server_default=None)


def downgrade() -> None:
    """Drop the notice log and the push log's why and parts sent."""
    with op.batch_alter_table("pushlog", schema=None) as batch_op:
        batch_op.drop_column("parts_sent")
        batch_op.drop_column("why")
    with op.batch_alter_table("noticelog", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_noticelog_user_id"))
        batch_op.drop_index(batch_op.f("ix_noticelog_created_at"))
    op.drop_table("noticelog")
