"""web UI: users, audit log, caseworker actions, opening hours

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-23 15:47:35.849729

"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision: str = "0002"
down_revision: str | Sequence[str] | None = "0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "audit_log",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("actor", sa.String(length=100), nullable=False),
        sa.Column("action", sa.String(length=100), nullable=False),
        sa.Column("target", sa.String(length=300), nullable=False),
        sa.Column("before", sa.JSON(), nullable=True),
        sa.Column("after", sa.JSON(), nullable=True),
        sa.Column("client", sa.String(length=100), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_audit_log")),
    )
    with op.batch_alter_table("audit_log", schema=None) as batch_op:
        batch_op.create_index("ix_audit_log_at", ["at"], unique=False)

    op.create_table(
        "users",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("username", sa.String(length=100), nullable=False),
        sa.Column("display_name", sa.String(length=200), nullable=False),
        sa.Column("password_hash", sa.String(length=300), nullable=False),
        sa.Column("role", sa.String(length=20), nullable=False),
        sa.Column("units", sa.JSON(), nullable=False),
        sa.Column("active", sa.Boolean(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("last_login_at", sa.DateTime(timezone=True), nullable=True),
        sa.CheckConstraint(
            "role IN ('admin', 'caseworker', 'manager')", name=op.f("ck_users_role")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_users")),
        sa.UniqueConstraint("username", name=op.f("uq_users_username")),
    )
    op.create_table(
        "caseworker_actions",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("exception_item_id", sa.Integer(), nullable=False),
        sa.Column("action", sa.String(length=30), nullable=False),
        sa.Column("outcome", sa.String(length=50), nullable=True),
        sa.Column("amount", sa.Integer(), nullable=True),
        sa.Column("motivering", sa.Text(), nullable=False),
        sa.Column("actor", sa.String(length=100), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("state", sa.String(length=20), nullable=False),
        sa.Column("work_item_id", sa.Integer(), nullable=True),
        sa.Column("legacy_case_id", sa.String(length=100), nullable=True),
        sa.Column("diarienummer", sa.String(length=100), nullable=True),
        sa.Column("written_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("error", sa.Text(), nullable=True),
        sa.CheckConstraint(
            "action IN ('accept', 'decide', 'request_completion')",
            name=op.f("ck_caseworker_actions_action"),
        ),
        sa.CheckConstraint(
            "state IN ('pending', 'written', 'failed')", name=op.f("ck_caseworker_actions_state")
        ),
        sa.ForeignKeyConstraint(
            ["exception_item_id"],
            ["exception_items.id"],
            name=op.f("fk_caseworker_actions_exception_item_id_exception_items"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["work_item_id"],
            ["work_items.id"],
            name=op.f("fk_caseworker_actions_work_item_id_work_items"),
            ondelete="SET NULL",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_caseworker_actions")),
    )
    with op.batch_alter_table("caseworker_actions", schema=None) as batch_op:
        batch_op.create_index(
            "ix_caseworker_actions_exception_item_id", ["exception_item_id"], unique=False
        )

    with op.batch_alter_table("legacy_systems", schema=None) as batch_op:
        batch_op.add_column(sa.Column("opening_hours", sa.String(length=100), nullable=True))
    with op.batch_alter_table("work_items", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("kind", sa.String(length=30), server_default="application", nullable=False)
        )
        batch_op.create_index("ix_work_items_created_at", ["created_at"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("work_items", schema=None) as batch_op:
        batch_op.drop_index("ix_work_items_created_at")
        batch_op.drop_column("kind")
    with op.batch_alter_table("legacy_systems", schema=None) as batch_op:
        batch_op.drop_column("opening_hours")

    with op.batch_alter_table("caseworker_actions", schema=None) as batch_op:
        batch_op.drop_index("ix_caseworker_actions_exception_item_id")

    op.drop_table("caseworker_actions")
    op.drop_table("users")
    with op.batch_alter_table("audit_log", schema=None) as batch_op:
        batch_op.drop_index("ix_audit_log_at")

    op.drop_table("audit_log")
