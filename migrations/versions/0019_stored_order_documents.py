"""The order's document, stored with its row: reads and exports send it as it is.

Until now every read built each order's JSON in SQL from its columns (for PostgreSQL a
concatenation of 50 pieces), a second definition of what projections/orders.py and the
API already define. Now the projection writes the document (the API's JSON but for the
payment instructions, added at each read from the bank settings of the moment) beside
the columns, in the same statement.

This migration adds the column, fills it for the orders already stored with the SQL
that built the documents until now (frozen here as it was: the JSON may be spaced
differently from the projection's, but its value is the same), and teaches the batch
functions to write it: place_orders() puts the receipt number it takes into the
document in place of the placeholder number (its first appearance is the number's, as
for the idempotency answer), change_orders() writes the changed order's new document.

Revision ID: 0019
Revises: 0018
Create Date: 2026-12-04
"""

# Only fixed column lists and expressions are joined into SQL text.
# ruff: noqa: S608, E501

import runpy
import sys
import warnings
from collections.abc import Sequence
from pathlib import Path

import sqlalchemy as sa
from alembic import op

revision: str = "0019"
down_revision: str | None = "0018"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_HERE = Path(__file__).parent
_0016 = runpy.run_path(str(_HERE / "0016_change_orders_in_batches.py"))
_0017 = runpy.run_path(str(_HERE / "0017_stock_rows_by_index.py"))
_0018 = runpy.run_path(str(_HERE / "0018_numbers_taken_last.py"))
CACHED_KEYED_PLANS = str(_0018["CACHED_KEYED_PLANS"])
ORDER_COLUMNS = str(_0018["ORDER_COLUMNS"])
FROM_ROW = str(_0018["FROM_ROW"])
CHANGED = str(_0016["CHANGED"])

# The placeholder an order is placed with until place_orders() takes its number
# (application/ports.py NUMBER_AT_COMMIT, frozen here).
PLACEHOLDER = "-918273645546372819"
NUMBERED_DOCUMENT = (f"overlay(o.document placing numbered.number::text "
                     f"from strpos(o.document, '{PLACEHOLDER}') for {len(PLACEHOLDER)})")

PLACE_ORDERS_0018 = str(_0018["PLACE_ORDERS"])
CHANGE_ORDERS_0017 = _0017["rewritten"](_0017["CHANGE_ORDERS"], _0017["CHANGE_CHANGES"])

PLACE_CHANGES = (
    (f"INSERT INTO orders ({ORDER_COLUMNS})", f"INSERT INTO orders ({ORDER_COLUMNS}, document)"),
    (f"SELECT {FROM_ROW} FROM numbered", f"SELECT {FROM_ROW}, {NUMBERED_DOCUMENT} FROM numbered"),
)
CHANGE_CHANGES = (
    (f"UPDATE orders SET ({CHANGED}) = (", f"UPDATE orders SET ({CHANGED}, document) = ("),
    (f"SELECT {CHANGED} FROM jsonb_populate_record", f"SELECT {CHANGED}, document FROM jsonb_populate_record"),
    ("LANGUAGE plpgsql AS $$", f"LANGUAGE plpgsql {CACHED_KEYED_PLANS} AS $$"),
)

# The documents of the orders stored before this migration, as the SQL built them.
POSTGRES_DOCUMENT = """
    '{"id" : '
    || COALESCE('"' || id::text || '"', 'null')
    || ', "number" : '
    || COALESCE(number::text, 'null')
    || ', "status" : '
    || COALESCE(to_json(status)::text, 'null')
    || ', "currency" : '
    || COALESCE(to_json(currency)::text, 'null')
    || ', "customer" : {"name" : '
    || COALESCE(to_json(customer_name)::text, 'null')
    || ', "email" : '
    || COALESCE(to_json(customer_email)::text, 'null')
    || ', "phone" : '
    || COALESCE(to_json(customer_phone)::text, 'null')
    || '}, "lines" : '
    || COALESCE(lines::text, 'null')
    || ', "subtotal" : '
    || COALESCE(subtotal::text, 'null')
    || ', "shipping" : '
    || COALESCE(shipping::text, 'null')
    || ', "tax_rate" : '
    || COALESCE(to_json(tax_rate)::text, 'null')
    || ', "tax" : '
    || COALESCE(tax::text, 'null')
    || ', "total" : '
    || COALESCE(total::text, 'null')
    || ', "shipping_address" : '
    || COALESCE(shipping_address::text, 'null')
    || ', "billing_address" : '
    || COALESCE(billing_address::text, 'null')
    || ', "payment_method" : '
    || COALESCE(to_json(payment_method)::text, 'null')
    || ', "shipping_method" : '
    || COALESCE(to_json(shipping_method)::text, 'null')
    || ', "shipping_method_name" : '
    || COALESCE(to_json(shipping_method_name)::text, 'null')
    || ', "placed_at" : '
    || COALESCE('"' || to_char((placed_at AT TIME ZONE 'UTC'), 'YYYY-MM-DD"T"HH24:MI:SS') || CASE WHEN mod(date_part('microseconds', placed_at)::bigint, 1000000) = 0 THEN '' ELSE to_char((placed_at AT TIME ZONE 'UTC'), '.US') END || 'Z' || '"', 'null')
    || ', "paid_at" : '
    || COALESCE('"' || to_char((paid_at AT TIME ZONE 'UTC'), 'YYYY-MM-DD"T"HH24:MI:SS') || CASE WHEN mod(date_part('microseconds', paid_at)::bigint, 1000000) = 0 THEN '' ELSE to_char((paid_at AT TIME ZONE 'UTC'), '.US') END || 'Z' || '"', 'null')
    || ', "shipped_at" : '
    || COALESCE('"' || to_char((shipped_at AT TIME ZONE 'UTC'), 'YYYY-MM-DD"T"HH24:MI:SS') || CASE WHEN mod(date_part('microseconds', shipped_at)::bigint, 1000000) = 0 THEN '' ELSE to_char((shipped_at AT TIME ZONE 'UTC'), '.US') END || 'Z' || '"', 'null')
    || ', "cancelled_at" : '
    || COALESCE('"' || to_char((cancelled_at AT TIME ZONE 'UTC'), 'YYYY-MM-DD"T"HH24:MI:SS') || CASE WHEN mod(date_part('microseconds', cancelled_at)::bigint, 1000000) = 0 THEN '' ELSE to_char((cancelled_at AT TIME ZONE 'UTC'), '.US') END || 'Z' || '"', 'null')
    || ', "updated_at" : '
    || COALESCE('"' || to_char((updated_at AT TIME ZONE 'UTC'), 'YYYY-MM-DD"T"HH24:MI:SS') || CASE WHEN mod(date_part('microseconds', updated_at)::bigint, 1000000) = 0 THEN '' ELSE to_char((updated_at AT TIME ZONE 'UTC'), '.US') END || 'Z' || '"', 'null')
    || ', "payment_reference" : '
    || COALESCE(to_json(payment_reference)::text, 'null')
    || ', "tracking_number" : '
    || COALESCE(to_json(tracking_number)::text, 'null')
    || ', "cancel_reason" : '
    || COALESCE(to_json(cancel_reason)::text, 'null')
    || ', "version" : '
    || COALESCE(version::text, 'null')
    || ', "payment_notifications" : '
    || COALESCE(COALESCE(payment_notifications::text, '[]'), 'null')
    || '}'
"""
SQLITE_DOCUMENT = """
json_object(
    'id', lower(substr(id, 1, 8) || '-' || substr(id, 9, 4) || '-' || substr(id, 13, 4) || '-' || substr(id, 17, 4) || '-' || substr(id, 21, 12)),
    'number', number,
    'status', status,
    'currency', currency,
    'customer', json_object('name', customer_name, 'email', customer_email, 'phone', customer_phone),
    'lines', json(lines),
    'subtotal', subtotal,
    'shipping', shipping,
    'tax_rate', tax_rate,
    'tax', tax,
    'total', total,
    'shipping_address', json(shipping_address),
    'billing_address', json(billing_address),
    'payment_method', payment_method,
    'shipping_method', shipping_method,
    'shipping_method_name', shipping_method_name,
    'placed_at', CASE WHEN placed_at IS NULL THEN NULL ELSE replace(CASE WHEN substr(placed_at, 21, 6) = '000000' THEN substr(placed_at, 1, 19) ELSE substr(placed_at, 1, 26) END, ' ', 'T') || 'Z' END,
    'paid_at', CASE WHEN paid_at IS NULL THEN NULL ELSE replace(CASE WHEN substr(paid_at, 21, 6) = '000000' THEN substr(paid_at, 1, 19) ELSE substr(paid_at, 1, 26) END, ' ', 'T') || 'Z' END,
    'shipped_at', CASE WHEN shipped_at IS NULL THEN NULL ELSE replace(CASE WHEN substr(shipped_at, 21, 6) = '000000' THEN substr(shipped_at, 1, 19) ELSE substr(shipped_at, 1, 26) END, ' ', 'T') || 'Z' END,
    'cancelled_at', CASE WHEN cancelled_at IS NULL THEN NULL ELSE replace(CASE WHEN substr(cancelled_at, 21, 6) = '000000' THEN substr(cancelled_at, 1, 19) ELSE substr(cancelled_at, 1, 26) END, ' ', 'T') || 'Z' END,
    'updated_at', CASE WHEN updated_at IS NULL THEN NULL ELSE replace(CASE WHEN substr(updated_at, 21, 6) = '000000' THEN substr(updated_at, 1, 19) ELSE substr(updated_at, 1, 26) END, ' ', 'T') || 'Z' END,
    'payment_reference', payment_reference,
    'tracking_number', tracking_number,
    'cancel_reason', cancel_reason,
    'version', version,
    'payment_notifications', COALESCE(json(payment_notifications), json('[]')))
"""


def upgrade() -> None:
    op.add_column("orders", sa.Column("document", sa.Text(), nullable=True))
    postgres = op.get_bind().dialect.name == "postgresql"
    if postgres:
        # Writing every order takes as long as the store is big (30 s for 500,000 here),
        # not the service's statement timeout.
        op.execute("SET LOCAL statement_timeout = 0")
    _fill_documents(POSTGRES_DOCUMENT if postgres else SQLITE_DOCUMENT)
    if postgres:
        op.execute("ALTER TABLE orders ALTER COLUMN document SET NOT NULL")
        op.execute(_0017["rewritten"](PLACE_ORDERS_0018, PLACE_CHANGES))
        op.execute(_0017["rewritten"](CHANGE_ORDERS_0017, CHANGE_CHANGES))
    else:
        # SQLite adds NOT NULL only by copying the table, which leaves out its
        # expression index (with a warning that would only alarm): it is made again.
        with warnings.catch_warnings(), op.batch_alter_table("orders") as orders:
            warnings.filterwarnings("ignore", "Skipped unsupported reflection of "
                                    "expression-based index")
            orders.alter_column("document", existing_type=sa.Text(), nullable=False)
        op.create_index("ix_orders_customer_email", "orders",
                        [sa.text("lower(customer_email)")])


# Orders per UPDATE while filling: one progress line each.
FILL_BATCH = 100_000


def _fill_documents(document: str) -> None:
    connection = op.get_bind()
    last = connection.execute(sa.text("SELECT coalesce(max(number), 0) FROM orders")).scalar_one()
    if last > FILL_BATCH:
        print(f"0019: writing the stored document of {last:,} orders ...", file=sys.stderr)
    for after in range(0, last, FILL_BATCH):
        connection.execute(sa.text(f"UPDATE orders SET document = {document} "
                                   "WHERE number > :after AND number <= :up_to"),
                           {"after": after, "up_to": after + FILL_BATCH})
        if last > FILL_BATCH:
            print(f"0019: {min(after + FILL_BATCH, last):,} of {last:,} orders",
                  file=sys.stderr)


def downgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        op.execute(_0017["rewritten"](PLACE_ORDERS_0018, ()))
        op.execute(CHANGE_ORDERS_0017)
        op.execute(f"ALTER FUNCTION change_orders(jsonb, bigint) {CACHED_KEYED_PLANS}")
    op.execute("ALTER TABLE orders DROP COLUMN document")
