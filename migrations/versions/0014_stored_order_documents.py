"""Each order keeps its JSON document, written by the projector with the row.

Revision ID: 0014
Revises: 0013
Create Date: 2026-12-10

The documents of orders placed before this revision are made here, from their rows,
by the same projector code that writes every later one.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

from order_service.projections.projectors import order_row
from order_service.projections.read_models import order_view
from order_service.projections.tables import orders

revision: str = "0014"
down_revision: str | None = "0013"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

BATCH = 2_000


def upgrade() -> None:
    op.add_column("orders", sa.Column("document", sa.Text(), nullable=True))
    connection = op.get_bind()
    after = 0
    while True:
        rows = connection.execute(sa.select(orders).where(orders.c.number > after)
                                  .order_by(orders.c.number).limit(BATCH)).all()
        if not rows:
            return
        connection.execute(
            sa.update(orders).where(orders.c.id == sa.bindparam("b_id"))
            .values(document=sa.bindparam("b_document")),
            [{"b_id": row.id, "b_document": order_row(order_view(row._mapping))["document"]}
             for row in rows])
        after = rows[-1].number


def downgrade() -> None:
    # Not a batch copy of the table: SQLite (3.35+) drops a column in place, and the
    # copy would have to rebuild the expression index on lower(customer_email).
    op.drop_column("orders", "document")
