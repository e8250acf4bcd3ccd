"""Events flow out: the relay's checkpoint (how far it has published).

Revision ID: 0006
Revises: 0005
Create Date: 2026-11-26
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0006"
down_revision: str | None = "0005"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

COUNTER = sa.BigInteger().with_variant(sa.Integer(), "sqlite")


def upgrade() -> None:
    op.create_table(
        "event_relay",
        sa.Column("stream", sa.String(100), nullable=False),
        sa.Column("position", COUNTER, nullable=False),
        sa.Column("holder", sa.String(100), nullable=True),
        sa.Column("beat", COUNTER, nullable=False),
        sa.PrimaryKeyConstraint("stream", name="pk_event_relay"),
    )


def downgrade() -> None:
    op.drop_table("event_relay")
