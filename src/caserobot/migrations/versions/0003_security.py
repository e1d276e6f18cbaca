"""security: session generation, protected-identity permission, access log, tamper-evident audit

Revision ID: 0003
Revises: 0002
Create Date: 2026-12-01 05:00:00.000000

* ``users.session_generation`` (signed sessions carry it; bumping it ends them) and
  ``users.may_view_protected`` (may open items of people with skyddad identitet);
* ``access_log``: reads of personal data, append-only;
* ``audit_log.prev_hash`` / ``row_hash``: a hash chain, filled in for the existing rows;
* triggers refusing UPDATE and DELETE on ``audit_log`` and ``access_log`` (and TRUNCATE on
  PostgreSQL).
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

from caserobot.audit import GENESIS_HASH, row_hash
from caserobot.db._types import UTCDateTime

# revision identifiers, used by Alembic.
revision: str = "0003"
down_revision: str | Sequence[str] | None = "0002"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

APPEND_ONLY = ("audit_log", "access_log")


def upgrade() -> None:
    with op.batch_alter_table("users", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("session_generation", sa.Integer(), server_default="0", nullable=False)
        )
        batch_op.add_column(
            sa.Column("may_view_protected", sa.Boolean(), server_default=sa.false(), nullable=False)
        )

    op.create_table(
        "access_log",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("actor", sa.String(length=100), nullable=False),
        sa.Column("action", sa.String(length=100), nullable=False),
        sa.Column("target", sa.String(length=300), nullable=False),
        sa.Column("case_ref", sa.String(length=200), nullable=True),
        sa.Column("detail", sa.Text(), nullable=False),
        sa.Column("client", sa.String(length=100), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_access_log")),
    )
    op.create_index("ix_access_log_at", "access_log", ["at"], unique=False)
    op.create_index("ix_access_log_actor", "access_log", ["actor"], unique=False)

    with op.batch_alter_table("audit_log", schema=None) as batch_op:
        batch_op.add_column(sa.Column("prev_hash", sa.String(length=64), nullable=True))
        batch_op.add_column(sa.Column("row_hash", sa.String(length=64), nullable=True))
    _chain_existing_rows()

    if op.get_bind().dialect.name == "postgresql":
        op.execute(
            """
            CREATE FUNCTION caserobot_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
            BEGIN
                RAISE EXCEPTION '% is append-only: % refused', TG_TABLE_NAME, TG_OP;
            END
            $$
            """
        )
        for table in APPEND_ONLY:
            op.execute(
                f"CREATE TRIGGER {table}_append_only BEFORE UPDATE OR DELETE ON {table} "
                "FOR EACH ROW EXECUTE FUNCTION caserobot_append_only()"
            )
            op.execute(
                f"CREATE TRIGGER {table}_no_truncate BEFORE TRUNCATE ON {table} "
                "FOR EACH STATEMENT EXECUTE FUNCTION caserobot_append_only()"
            )
    else:
        for table in APPEND_ONLY:
            for verb in ("UPDATE", "DELETE"):
                op.execute(
                    f"CREATE TRIGGER {table}_no_{verb.lower()} BEFORE {verb} ON {table} "
                    f"BEGIN SELECT RAISE(ABORT, '{table} is append-only: {verb} refused'); END"
                )


def downgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        for table in APPEND_ONLY:
            op.execute(f"DROP TRIGGER IF EXISTS {table}_append_only ON {table}")
            op.execute(f"DROP TRIGGER IF EXISTS {table}_no_truncate ON {table}")
        op.execute("DROP FUNCTION IF EXISTS caserobot_append_only()")
    else:
        for table in APPEND_ONLY:
            for verb in ("update", "delete"):
                op.execute(f"DROP TRIGGER IF EXISTS {table}_no_{verb}")
    with op.batch_alter_table("audit_log", schema=None) as batch_op:
        batch_op.drop_column("row_hash")
        batch_op.drop_column("prev_hash")
    op.drop_index("ix_access_log_actor", table_name="access_log")
    op.drop_index("ix_access_log_at", table_name="access_log")
    op.drop_table("access_log")
    with op.batch_alter_table("users", schema=None) as batch_op:
        batch_op.drop_column("may_view_protected")
        batch_op.drop_column("session_generation")


def _chain_existing_rows() -> None:
    """Link the rows written before this revision into the chain, oldest first."""
    audit = sa.table(
        "audit_log",
        sa.column("id", sa.Integer()),
        sa.column("at", UTCDateTime()),
        sa.column("actor", sa.String()),
        sa.column("action", sa.String()),
        sa.column("target", sa.String()),
        sa.column("before", sa.JSON()),
        sa.column("after", sa.JSON()),
        sa.column("client", sa.String()),
        sa.column("prev_hash", sa.String()),
        sa.column("row_hash", sa.String()),
    )
    bind = op.get_bind()
    prev = GENESIS_HASH
    rows = bind.execute(sa.select(audit).order_by(audit.c.id)).mappings().all()
    for row in rows:
        digest = row_hash(dict(row), prev)
        bind.execute(
            audit.update().where(audit.c.id == row["id"]).values(prev_hash=prev, row_hash=digest)
        )
        prev = digest
