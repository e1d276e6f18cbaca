"""claim indexes: each of the queue's claim queries reads one index range in order

Revision ID: 0007
Revises: 0006
Create Date: 2026-12-07 19:00:00.000000

"""

from collections.abc import Sequence

from alembic import op

# revision identifiers, used by Alembic.
revision: str = "0007"
down_revision: str | Sequence[str] | None = "0006"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    # caserobot.queue.claim_queries: ready items by (case type, state) oldest first, ties by
    # id; expired leases by (case type, state) in the order they expired.
    op.drop_index("ix_work_items_claim", table_name="work_items")
    op.create_index(
        "ix_work_items_claim", "work_items", ["case_type", "state", "available_at", "id"]
    )
    op.create_index(
        "ix_work_items_leases", "work_items", ["case_type", "state", "lease_expires_at", "id"]
    )


def downgrade() -> None:
    op.drop_index("ix_work_items_leases", table_name="work_items")
    op.drop_index("ix_work_items_claim", table_name="work_items")
    op.create_index("ix_work_items_claim", "work_items", ["case_type", "state", "available_at"])
