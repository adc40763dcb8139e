"""partial indexes of the pushes and notices being sent

Revision ID: 0017
Revises: 0016
Create Date: 2026-12-08 01:10:00

/healthz counts what waits to be sent at every probe; these indexes hold only the rows whose
status is 'sending', so the count stays instant however long the logs grow.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0017"
down_revision: str | None = "0016"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

TABLES = ("pushlog", "noticelog")


def upgrade() -> None:
    sending = sa.text("status = 'sending'")
    for table in TABLES:
        op.create_index(
            f"ix_{table}_sending",
            table,
            ["status"],
            sqlite_where=sending,
            postgresql_where=sending,
        )


def downgrade() -> None:
    for table in TABLES:
        op.drop_index(f"ix_{table}_sending", table_name=table)
