"""report indexes

Revision ID: 0008
Revises: 0007
Create Date: 2026-12-01 22:04:27.189497
"""

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel  # noqa: F401  (autogenerate renders sqlmodel types)
from alembic import op

revision: str = "0008"
down_revision: str | None = "0007"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# models.tables.days_between as each database spells it (the index holds the expression).
DAYS = {
    "sqlite": "CAST(julianday(closed_on) - julianday(raised_on) AS INTEGER)",
    "postgresql": "(closed_on - raised_on)",
}


def upgrade() -> None:
    """Apply this migration."""
    with op.batch_alter_table("event", schema=None) as batch_op:
        batch_op.create_index("ix_event_action_item", ["action", "item_id", "at"], unique=False)

    with op.batch_alter_table("item", schema=None) as batch_op:
        batch_op.create_index(
            "ix_item_report_first",
            ["project_id", "contractor_id", "first_inspection"],
            unique=False,
        )
        batch_op.create_index(
            "ix_item_report_state",
            ["project_id", "state", "contractor_id", "raised_on", "due_on"],
            unique=False,
        )
    op.create_index(
        "ix_item_report_rework",
        "item",
        ["project_id", "contractor_id", "category_id", "unit_id", "rework_count"],
        unique=False,
        sqlite_where=sa.text("rework_count > 0"),
        postgresql_where=sa.text("rework_count > 0"),
    )
    days = DAYS.get(op.get_bind().dialect.name, DAYS["postgresql"])
    closed = sa.text("closed_on IS NOT NULL")
    op.create_index(
        "ix_item_report_days",
        "item",
        ["project_id", "contractor_id", sa.text(days)],
        unique=False,
        sqlite_where=closed,
        postgresql_where=closed,
        postgresql_include=["raised_on", "closed_on"],
    )


def downgrade() -> None:
    """Revert this migration."""
    op.drop_index("ix_item_report_days", table_name="item")
    op.drop_index("ix_item_report_rework", table_name="item")
    with op.batch_alter_table("item", schema=None) as batch_op:
        batch_op.drop_index("ix_item_report_state")
        batch_op.drop_index("ix_item_report_first")

    with op.batch_alter_table("event", schema=None) as batch_op:
        batch_op.drop_index("ix_event_action_item")
