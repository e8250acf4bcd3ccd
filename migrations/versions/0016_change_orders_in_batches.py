"""PostgreSQL: change_orders(), a batch of pay, ship and cancel written in one call.

Every change appends an event, so it takes the append lock and holds it until its
COMMIT is on disk: one by one, changes queue on that lock a disk flush at a time. A
worker process hands the changes that arrive together to this function instead (see
adapters/sql/changes.py): it locks the stock rows the batch gives back in SKU order,
then writes each change in a subtransaction of its own (an order that moved on since it
was read, or a key taken meanwhile, undoes that change alone and reports it), and the
batch commits once.

Revision ID: 0016
Revises: 0015
Create Date: 2026-12-02
"""

from collections.abc import Sequence

from alembic import op

revision: str = "0016"
down_revision: str | None = "0015"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# What a change may set: the columns of an order that pay, ship and cancel change.
CHANGED = ("status, paid_at, shipped_at, cancelled_at, updated_at, payment_reference, "
           "tracking_number, cancel_reason, version")

CHANGE_ORDERS = """
CREATE FUNCTION change_orders(batch jsonb, append_lock bigint)
RETURNS TABLE (nth integer, written boolean)
LANGUAGE plpgsql AS $$
DECLARE
    item jsonb;
    touched integer;
BEGIN
    -- Every stock row the batch gives back, locked in SKU order before any order's row:
    -- batches sharing SKUs never deadlock.
    PERFORM 1 FROM products
    WHERE sku IN (SELECT change->>'sku' FROM jsonb_array_elements(batch) AS entry,
                  jsonb_array_elements(entry->'stock') AS change)
    ORDER BY sku FOR UPDATE;
    nth := 0;
    FOR item IN SELECT entry FROM jsonb_array_elements(batch) AS entry LOOP
        nth := nth + 1;
        BEGIN
            IF jsonb_typeof(item->'event') = 'object' THEN
                UPDATE orders SET (CHANGED) = (
                    SELECT CHANGED FROM jsonb_populate_record(orders, item->'changes'))
                WHERE id = (item->>'order_id')::uuid
                  AND version = (item->>'from_version')::integer;
                GET DIAGNOSTICS touched = ROW_COUNT;
                IF touched = 0 THEN
                    -- The order moved on since it was read: decide again.
                    RAISE EXCEPTION 'the order changed meanwhile' USING ERRCODE = '23514';
                END IF;
                UPDATE products SET available = products.available + c.change,
                                    updated_at = (item->>'stock_at')::timestamptz
                FROM jsonb_to_recordset(item->'stock') AS c(sku varchar, change bigint)
                WHERE products.sku = c.sku;
                GET DIAGNOSTICS touched = ROW_COUNT;
                IF touched <> jsonb_array_length(item->'stock') THEN
                    RAISE EXCEPTION 'a product of the order is gone' USING ERRCODE = '23514';
                END IF;
            END IF;
            IF jsonb_typeof(item->'key') = 'object' THEN
                INSERT INTO idempotency_keys (key, fingerprint, created_at, recording)
                VALUES (item->'key'->>'key', item->'key'->>'fingerprint',
                        (item->'key'->>'at')::timestamptz, item->'key'->>'answer');
            END IF;
            IF jsonb_typeof(item->'event') = 'object' THEN
                -- Taken just before the event gets its position and held to the commit:
                -- positions commit in order, so feed readers never skip one.
                PERFORM pg_advisory_xact_lock(append_lock);
                INSERT INTO events (stream_id, version, type, schema_version, data,
                                    metadata, recorded_at)
                VALUES (item->'event'->>'stream_id', (item->'event'->>'version')::integer,
                        item->'event'->>'type', (item->'event'->>'schema_version')::integer,
                        item->'event'->'data', item->'event'->'metadata',
                        (item->'event'->>'recorded_at')::timestamptz);
            END IF;
            written := true;
        EXCEPTION WHEN check_violation OR unique_violation THEN
            -- Stock or order moved on, or the key was taken meanwhile: this change
            -- alone is undone and decided again.
            written := false;
        END;
        RETURN NEXT;
    END LOOP;
END
$$
""".replace("CHANGED", CHANGED)


def upgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        op.execute(CHANGE_ORDERS)


def downgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        op.execute("DROP FUNCTION change_orders(jsonb, bigint)")
