"""engine: writes of unknown outcome, conflicts, circuit breakers

Revision ID: 0005
Revises: 0004
Create Date: 2026-12-01 05:00:00.000000

"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision: str = "0005"
down_revision: str | Sequence[str] | None = "0004"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("work_items", schema=None) as batch_op:
        # When the last write to a legacy system was started: a write whose outcome is
        # unknown is resolved by reading back until this plus the settle window.
        batch_op.add_column(sa.Column("write_started_at", sa.DateTime(timezone=True)))
        # Failures of the systems (down, 5xx, timeouts) counted apart from attempts.
        batch_op.add_column(
            sa.Column("transient_failures", sa.Integer(), nullable=False, server_default="0")
        )
    with op.batch_alter_table("legacy_systems", schema=None) as batch_op:
        # What the robots' circuit breakers last saw: down since when, and why.
        batch_op.add_column(sa.Column("down_since", sa.DateTime(timezone=True)))
        batch_op.add_column(sa.Column("last_failure", sa.Text()))
        batch_op.add_column(sa.Column("health_at", sa.DateTime(timezone=True)))


def downgrade() -> None:
    with op.batch_alter_table("legacy_systems", schema=None) as batch_op:
        batch_op.drop_column("health_at")
        batch_op.drop_column("last_failure")
        batch_op.drop_column("down_since")
    with op.batch_alter_table("work_items", schema=None) as batch_op:
        batch_op.drop_column("transient_failures")
        batch_op.drop_column("write_started_at")
