"""Unpaid orders expire: what the sweeper needs to find them fast.

Revision ID: 0005
Revises: 0004
Create Date: 2026-11-26
"""

from collections.abc import Sequence

from alembic import op

revision: str = "0005"
down_revision: str | None = "0004"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    # The sweeper asks for unpaid orders placed before a moment, oldest first.
    op.create_index("ix_orders_status_placed_at", "orders", ["status", "placed_at"])


def downgrade() -> None:
    op.drop_index("ix_orders_status_placed_at", table_name="orders")
