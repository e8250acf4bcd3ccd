"""PostgreSQL: place_orders(), a batch of placements written in one call and one commit.

Every placement takes the one receipt-number row and the append lock, and holds both
until its COMMIT is on disk, so placements queue on them one commit at a time. A worker
process hands the placements that arrive together to this function instead: it locks
the stock rows of the whole batch in SKU order, then places each order in a
subtransaction of its own (a line short of stock, or a key taken meanwhile, undoes that
order alone and reports it), and the batch commits once. See adapters/sql/placements.py.

(0014 is taken by a branch not yet landed; this chains after 0013.)

Revision ID: 0015
Revises: 0013
Create Date: 2026-12-02
"""

# Only the fixed column list is joined into the function's text.
# ruff: noqa: S608

from collections.abc import Sequence

from alembic import op

revision: str = "0015"
down_revision: str | None = "0013"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

ORDER_COLUMNS = (
    "id, number, status, currency, customer_name, customer_email, customer_phone, lines, "
    "shipping_address, billing_address, payment_method, shipping_method, "
    "shipping_method_name, subtotal, shipping, tax_rate, tax, total, placed_at, paid_at, "
    "shipped_at, cancelled_at, updated_at, payment_reference, tracking_number, "
    "cancel_reason, version, placed_by, payment_notifications"
)

PLACE_ORDERS = f"""
CREATE FUNCTION place_orders(batch jsonb, append_lock bigint)
RETURNS TABLE (nth integer, receipt bigint)
LANGUAGE plpgsql AS $$
DECLARE
    item jsonb;
    taken integer;
    next_number bigint;
BEGIN
    -- Every stock row of the batch, locked in SKU order: batches sharing SKUs never
    -- deadlock, and nothing below locks another product row.
    PERFORM 1 FROM products
    WHERE sku IN (SELECT jsonb_array_elements_text(entry->'skus')
                  FROM jsonb_array_elements(batch) AS entry)
    ORDER BY sku FOR UPDATE;
    nth := 0;
    FOR item IN SELECT entry FROM jsonb_array_elements(batch) AS entry LOOP
        nth := nth + 1;
        BEGIN
            UPDATE products SET available = products.available + c.change,
                                updated_at = (item->>'stock_at')::timestamptz
            FROM jsonb_to_recordset(item->'stock') AS c(sku varchar, change bigint)
            WHERE products.sku = c.sku;
            GET DIAGNOSTICS taken = ROW_COUNT;
            IF taken <> jsonb_array_length(item->'stock') THEN
                -- A product vanished since the read: decide again.
                RAISE EXCEPTION 'a product of the order is gone' USING ERRCODE = '23514';
            END IF;
            UPDATE order_numbers SET last_number = last_number + 1 WHERE id = 1
            RETURNING last_number INTO next_number;
            INSERT INTO orders ({ORDER_COLUMNS})
            SELECT {ORDER_COLUMNS} FROM jsonb_populate_record(
                NULL::orders, item->'order' || jsonb_build_object('number', next_number));
            IF jsonb_typeof(item->'key') = 'object' THEN
                INSERT INTO idempotency_keys (key, fingerprint, created_at, recording)
                VALUES (item->'key'->>'key', item->'key'->>'fingerprint',
                        (item->'key'->>'at')::timestamptz,
                        (item->'key'->>'head') || next_number || (item->'key'->>'tail'));
            END IF;
            -- Taken just before the first event gets its position and held to the
            -- commit: positions commit in order, so feed readers never skip one.
            PERFORM pg_advisory_xact_lock(append_lock);
            INSERT INTO events (stream_id, version, type, schema_version, data, metadata,
                                recorded_at)
            VALUES (item->'event'->>'stream_id', (item->'event'->>'version')::integer,
                    item->'event'->>'type', (item->'event'->>'schema_version')::integer,
                    jsonb_set(item->'event'->'data', '{{number}}', to_jsonb(next_number)),
                    item->'event'->'metadata', (item->'event'->>'recorded_at')::timestamptz);
            receipt := next_number;
        EXCEPTION WHEN check_violation OR unique_violation THEN
            -- Stock ran short or the key was taken meanwhile: this order alone is
            -- undone (its number too, so none is lost) and decided again.
            receipt := NULL;
        END;
        RETURN NEXT;
    END LOOP;
END
$$
"""


def upgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        op.execute(PLACE_ORDERS)


def downgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        op.execute("DROP FUNCTION place_orders(jsonb, bigint)")
