"""A payment notification id is unique across the store; a customer's orders found by email.

Revision ID: 0013
Revises: 0007
Create Date: 2026-11-27
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0013"
down_revision: str | None = "0012"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# Every id already taken, for the order it was first taken for (the earliest event wins).
BACKFILL = {
    "postgresql": (
        "INSERT INTO payment_notification_ids (notification_id, order_id, taken_at) "
        "SELECT data->>'notification_id', (data->>'order_id')::uuid, recorded_at "
        "FROM events WHERE type = 'PaymentNotified' ORDER BY position "
        "ON CONFLICT DO NOTHING"
    ),
    # SQLAlchemy keeps a UUID on SQLite as 32 hex digits, without dashes.
    "sqlite": (
        "INSERT OR IGNORE INTO payment_notification_ids (notification_id, order_id, taken_at) "
        "SELECT json_extract(data, '$.notification_id'), "
        "replace(json_extract(data, '$.order_id'), '-', ''), recorded_at "
        "FROM events WHERE type = 'PaymentNotified' ORDER BY position"
    ),
}


def upgrade() -> None:
    op.create_table(
        "payment_notification_ids",
        sa.Column("notification_id", sa.String(200), nullable=False),
        sa.Column("order_id", sa.Uuid(), nullable=False),
        sa.Column("taken_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("notification_id", name="pk_payment_notification_ids"),
    )
    op.execute(BACKFILL[op.get_bind().dialect.name])
    # A storefront lists one customer's orders by email, in any case.
    op.create_index("ix_orders_customer_email", "orders", [sa.text("lower(customer_email)")])


def downgrade() -> None:
    op.drop_index("ix_orders_customer_email", table_name="orders")
    op.drop_table("payment_notification_ids")
