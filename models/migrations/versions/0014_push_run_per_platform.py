"""push run per platform

Revision ID: 0014
Revises: 0013
Create Date: 2026-12-07 23:40:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel  # noqa: F401  (autogenerate renders sqlmodel types)
from alembic import op

revision: str = "0014"
down_revision: str | None = "0013"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

OLD_KEY = ["kind", "project_id", "day"]


def _platform(**kw: object) -> sa.Column:
    return sa.Column("platform", sqlmodel.sql.sqltypes.AutoString(length=16), **kw)


def _drop_key(batch_op: object) -> None:
    """Drop the run table's primary key (SQLite's rebuild replaces it: nothing to drop)."""
    if op.get_bind().dialect.name != "sqlite":
        batch_op.drop_constraint("pushrun_pkey", type_="primary")


def upgrade() -> None:
    """Claim a day's run per platform: add the platform to the run table and to its key."""
    # No run recorded its platform: every process that ran them before was one platform's
    # alone, Telegram's as sites ran it, so the old rows become Telegram's.
    with op.batch_alter_table("pushrun") as batch_op:
        batch_op.add_column(_platform(nullable=False, server_default="telegram"))
    # SQLite rebuilds the table: told the platform is part of the key, it builds it so.
    reflected = [_platform(nullable=False, primary_key=True)]
    with op.batch_alter_table("pushrun", reflect_args=reflected) as batch_op:
        batch_op.alter_column("platform", server_default=None)
        _drop_key(batch_op)
        batch_op.create_primary_key("pushrun_pkey", [*OLD_KEY, "platform"])


def downgrade() -> None:
    """Claim a day's run once again: keep of each kind, project and day the run that started
    first (a tie: the first platform by name), and drop the platform."""
    op.execute(
        "DELETE FROM pushrun WHERE EXISTS (SELECT 1 FROM pushrun AS o"
        " WHERE o.kind = pushrun.kind AND o.project_id = pushrun.project_id"
        " AND o.day = pushrun.day AND (o.started_at < pushrun.started_at"
        " OR (o.started_at = pushrun.started_at AND o.platform < pushrun.platform)))"
    )
    with op.batch_alter_table("pushrun") as batch_op:
        _drop_key(batch_op)
        batch_op.drop_column("platform")
        batch_op.create_primary_key("pushrun_pkey", OLD_KEY)
