"""What payment gateways said about each order.

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-26
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision: str = "0004"
down_revision: str | None = "0003"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    json = sa.JSON().with_variant(postgresql.JSONB(), "postgresql")
    # Nullable: orders placed before this migration have had no notification (read as []).
    op.add_column("orders", sa.Column("payment_notifications", json, nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("orders") as orders:
        orders.drop_column("payment_notifications")
