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


def downgrade() -> None:
    with op.batch_alter_table("work_items", schema=None) as batch_op:
        batch_op.drop_column("transient_failures")
        batch_op.drop_column("write_started_at")
