"""Refunds on the orders table, and retired products.

`orders.refunded` (the money given back so far) and `orders.refunds` (each refund), and
`products.retired_at` (when the shop stopped selling the product). Every stored order
document gains the two new fields at their empty values, where the projection writes
them (after `payment_notifications`), so reads and exports stay equal to the API's
own serialisation.

Revision ID: 0020
Revises: 0019
Create Date: 2026-12-04
"""

import sys
from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision: str = "0020"
down_revision: str | None = "0019"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

JSON = sa.JSON().with_variant(postgresql.JSONB(), "postgresql")

# Orders per UPDATE while filling: one progress line each.
FILL_BATCH = 100_000
NO_REFUNDS = ',"refunded":0,"refunds":[]}'


def upgrade() -> None:
    op.add_column("orders", sa.Column("refunded", sa.BigInteger(), nullable=False,
                                      server_default="0"))
    # Defaults for the rows place_orders() (PostgreSQL's hot path) writes: it names only
    # the columns it knew of when it was written.
    op.add_column("orders", sa.Column("refunds", JSON, nullable=False, server_default="[]"))
    op.add_column("products", sa.Column("retired_at", sa.DateTime(timezone=True), nullable=True))
    if op.get_bind().dialect.name == "postgresql":
        op.execute("SET LOCAL statement_timeout = 0")
    # Every document ends in the `}` of the order object: the new fields go before it.
    _rewrite_documents("substr(document, 1, length(document) - 1) || :suffix",
                       suffix=NO_REFUNDS)


def downgrade() -> None:
    # The refunds go with their columns; the document ends before its `"refunded"` key,
    # which only the order object has (inside a string, the quotes would be escaped).
    find = "strpos" if op.get_bind().dialect.name == "postgresql" else "instr"
    _rewrite_documents(f"substr(document, 1, {find}(document, :key) - 1) || '}}'",
                       key=',"refunded":')
    # SQLite (3.35 and later) drops a column in place, keeping the orders' indexes.
    op.drop_column("products", "retired_at")
    op.drop_column("orders", "refunds")
    op.drop_column("orders", "refunded")


def _rewrite_documents(document: str, **values: object) -> None:
    connection = op.get_bind()
    last = connection.execute(sa.text("SELECT coalesce(max(number), 0) FROM orders")).scalar_one()
    if last > FILL_BATCH:
        print(f"0020: adding refunds to the document of {last:,} orders ...", file=sys.stderr)
    for after in range(0, last, FILL_BATCH):
        connection.execute(sa.text(f"UPDATE orders SET document = {document} "  # noqa: S608
                                   "WHERE number > :after AND number <= :up_to"),
                           {"after": after, "up_to": after + FILL_BATCH, **values})
        if last > FILL_BATCH:
            print(f"0020: {min(after + FILL_BATCH, last):,} of {last:,} orders",
                  file=sys.stderr)
