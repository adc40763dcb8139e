"""neutral people: identities per platform, dialogue state, inbound dedup

Revision ID: 0009
Revises: 0008
Create Date: 2026-12-02 00:40:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel  # noqa: F401  (autogenerate renders sqlmodel types)
from alembic import op

revision: str = "0009"
down_revision: str | None = "0008"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    """Apply this migration."""
    op.create_table(
        "identity",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("platform", sqlmodel.sql.sqltypes.AutoString(length=16), nullable=False),
        sa.Column("account", sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
        sa.Column("blocked_at", sqlmodel.sql.sqltypes.UTCDateTime(), nullable=True),
        sa.Column("created_at", sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
        sa.ForeignKeyConstraint(["user_id"], ["appuser.id"]),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("platform", "account"),
    )
    with op.batch_alter_table("identity", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_identity_user_id"), ["user_id"], unique=False)

    op.create_table(
        "dialogue",
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("step", sqlmodel.sql.sqltypes.AutoString(length=40), nullable=True),
        sa.Column("data", sa.Text(), nullable=False),
        sa.Column("updated_at", sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
        sa.ForeignKeyConstraint(["user_id"], ["appuser.id"]),
        sa.PrimaryKeyConstraint("user_id"),
    )
    op.create_table(
        "inboundseen",
        sa.Column("key", sqlmodel.sql.sqltypes.AutoString(length=160), nullable=False),
        sa.Column("seen_at", sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
        sa.PrimaryKeyConstraint("key"),
    )

    # Every Telegram person keeps their chat (and whether it blocked the bot) as an identity.
    op.execute(
        "INSERT INTO identity (user_id, platform, account, blocked_at, created_at) "
        "SELECT id, 'telegram', CAST(telegram_id AS VARCHAR(64)), blocked_at, created_at "
        "FROM appuser ORDER BY id"
    )

    with op.batch_alter_table("appuser", schema=None) as batch_op:
        batch_op.drop_index("ix_appuser_telegram_id")
        batch_op.drop_column("blocked_at")
        batch_op.drop_column("telegram_id")


def downgrade() -> None:
    """Revert this migration."""
    with op.batch_alter_table("appuser", schema=None) as batch_op:
        batch_op.add_column(sa.Column("telegram_id", sa.BigInteger(), nullable=True))
        batch_op.add_column(
            sa.Column("blocked_at", sqlmodel.sql.sqltypes.UTCDateTime(), nullable=True)
        )
    op.execute(
        "UPDATE appuser SET "
        "telegram_id = (SELECT CAST(i.account AS BIGINT) FROM identity i "
        "WHERE i.user_id = appuser.id AND i.platform = 'telegram'), "
        "blocked_at = (SELECT i.blocked_at FROM identity i "
        "WHERE i.user_id = appuser.id AND i.platform = 'telegram')"
    )
    # A person known only on another platform has no Telegram id to go back to; dropping them
    # would orphan their events, so the downgrade refuses instead.
    orphans = (
        op.get_bind()
        .exec_driver_sql("SELECT count(*) FROM appuser WHERE telegram_id IS NULL")
        .scalar()
    )
    if orphans:
        raise RuntimeError(f"{orphans} people have no Telegram identity: cannot downgrade")
    with op.batch_alter_table("appuser", schema=None) as batch_op:
        batch_op.alter_column("telegram_id", existing_type=sa.BigInteger(), nullable=False)
        batch_op.create_index("ix_appuser_telegram_id", ["telegram_id"], unique=True)

    op.drop_table("inboundseen")
    op.drop_table("dialogue")
    with op.batch_alter_table("identity", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_identity_user_id"))
    op.drop_table("identity")
