"""Order emails: what the email follower sent (or was refused), and resends asked for.

The follower's checkpoint and lease are a row of event_relay, like the NATS relay's.

Revision ID: 0021
Revises: 0020
Create Date: 2026-12-04
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0021"
down_revision: str | None = "0020"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

POSITION = sa.BigInteger().with_variant(sa.Integer(), "sqlite")
MOMENT = sa.DateTime(timezone=True)


def upgrade() -> None:
    op.create_table(
        "email_log",
        sa.Column("id", sa.Integer(), primary_key=True, autoincrement=True),
        sa.Column("event_id", sa.String(36), nullable=False),
        sa.Column("position", POSITION, nullable=False),
        sa.Column("order_id", sa.Uuid(), nullable=False),
        sa.Column("kind", sa.String(20), nullable=False),
        sa.Column("recipient", sa.String(320), nullable=False),
        sa.Column("subject", sa.String(300), nullable=False),
        sa.Column("message_id", sa.String(200), nullable=False),
        sa.Column("outcome", sa.String(10), nullable=False),
        sa.Column("reason", sa.String(500)),
        sa.Column("at", MOMENT, nullable=False),
    )
    op.create_index("ix_email_log_event_id", "email_log", ["event_id"])
    op.create_index("ix_email_log_order_id", "email_log", ["order_id"])
    op.create_table(
        "email_resends",
        sa.Column("id", sa.Integer(), primary_key=True, autoincrement=True),
        sa.Column("event_id", sa.String(36), nullable=False),
        sa.Column("position", POSITION, nullable=False),
        sa.Column("order_id", sa.Uuid(), nullable=False),
        sa.Column("requested_by", sa.String(200), nullable=False),
        sa.Column("requested_at", MOMENT, nullable=False),
        sa.Column("done_at", MOMENT),
    )
    op.create_index("ix_email_resends_order_id", "email_resends", ["order_id"])


def downgrade() -> None:
    op.drop_table("email_resends")
    op.drop_table("email_log")
