"""canary: accepted screen layouts and the UI-drift canary's state per robot

Revision ID: 0006
Revises: 0005
Create Date: 2026-12-01 06:00:00.000000

"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision: str = "0006"
down_revision: str | Sequence[str] | None = "0005"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    # The layout of each screen a robot relies on, as accepted (caserobot.canary).
    op.create_table(
        "canary_screens",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("robot", sa.String(length=100), nullable=False),
        sa.Column("screen", sa.String(length=100), nullable=False),
        sa.Column("fingerprint", sa.String(length=64), nullable=False),
        sa.Column("features", sa.JSON(), nullable=False),
        sa.Column("accepted_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("accepted_by", sa.String(length=100), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_canary_screens")),
    )
    op.create_index(
        "ix_canary_screens_robot_screen", "canary_screens", ["robot", "screen"], unique=True
    )
    # Per robot: the last check, what changed, the screens as seen (for accepting them).
    op.create_table(
        "canary_states",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("robot", sa.String(length=100), nullable=False),
        sa.Column("status", sa.String(length=20), nullable=False),
        sa.Column("message", sa.Text(), nullable=False),
        sa.Column("changes", sa.JSON(), nullable=False),
        sa.Column("observed", sa.JSON(), nullable=False),
        sa.Column("samples", sa.JSON(), nullable=False),
        sa.Column("detected_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("checked_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("check_ms", sa.Integer(), nullable=True),
        sa.CheckConstraint("status IN ('ok', 'changed')", name=op.f("ck_canary_states_status")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_canary_states")),
        sa.UniqueConstraint("robot", name=op.f("uq_canary_states_robot")),
    )


def downgrade() -> None:
    op.drop_table("canary_states")
    op.drop_index("ix_canary_screens_robot_screen", table_name="canary_screens")
    op.drop_table("canary_screens")
