"""PostgreSQL: place_orders() takes the batch's receipt numbers last, in one statement.

0015's function took each order's number inside that order's subtransaction, so the one
receipt-number row stayed locked from the batch's first order through every later
order's stock update, key insert and planning, to COMMIT. The other worker's batch
queued on it: with the statements planned per call (see adapters/sql/async_pool.py),
24% of the sampled backend states of a full bench waited on a lock (Lock:transactionid).

Now each order's subtransaction takes only what can refuse it (its stock, and its
Idempotency-Key, kept without its answer for now). Then one statement takes all the
numbers of the orders that stood, inserts their rows and events and fills in their keys'
answers, and COMMIT follows: the serialised section is that statement and the commit.
Numbers stay gap-free (taken only for orders that are written, in the batch's order) and
positions still commit in order (the append lock is taken just before that statement).

Both functions also keep their plans, made to find rows by key (CACHED_KEYED_PLANS).

Revision ID: 0018
Revises: 0017
Create Date: 2026-12-03
"""

# Only the fixed column list is joined into the function's text.
# ruff: noqa: S608

import runpy
from collections.abc import Sequence
from pathlib import Path

from alembic import op

revision: str = "0018"
down_revision: str | None = "0017"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# Each statement of both functions finds its rows by key (or only inserts), so inside
# them plans are kept (the session plans each call, see adapters/sql/async_pool.py) and
# made to use the keys: a plan kept from while a table was small must not scan it whole
# once it has grown, and planning each statement of each order cost a third of the
# functions' throughput (pgbench 3,180 -> 2,145 transactions/s).
CACHED_KEYED_PLANS = "SET plan_cache_mode = auto SET enable_seqscan = off"

_HERE = Path(__file__).parent
_0015 = runpy.run_path(str(_HERE / "0015_place_orders_in_batches.py"))
_0017 = runpy.run_path(str(_HERE / "0017_stock_rows_by_index.py"))
ORDER_COLUMNS = str(_0015["ORDER_COLUMNS"])
FROM_ROW = ", ".join(f"o.{column}" for column in ORDER_COLUMNS.split(", "))

PLACE_ORDERS = f"""
CREATE OR REPLACE FUNCTION place_orders(batch jsonb, append_lock bigint)
RETURNS TABLE (nth integer, receipt bigint)
LANGUAGE plpgsql {CACHED_KEYED_PLANS} AS $$
DECLARE
    item jsonb;
    i integer := 0;
    taken integer;
    standing integer[] := '{{}}';  -- the batch positions of the orders that stood
    keys text[] := '{{}}';         -- their Idempotency-Keys, to find them by index
    last_before bigint;
BEGIN
    -- Every stock row of the batch, locked in SKU order: batches sharing SKUs never
    -- deadlock, and nothing below locks another product row.
    PERFORM 1 FROM products
    WHERE sku = ANY(ARRAY(SELECT jsonb_array_elements_text(entry->'skus')
                          FROM jsonb_array_elements(batch) AS entry))
    ORDER BY sku FOR UPDATE;
    FOR item IN SELECT entry FROM jsonb_array_elements(batch) AS entry LOOP
        i := i + 1;
        BEGIN
            UPDATE products SET available = products.available + c.change,
                                updated_at = (item->>'stock_at')::timestamptz
            FROM jsonb_to_recordset(item->'stock') AS c(sku varchar, change bigint)
            WHERE products.sku = c.sku AND products.sku = ANY(ARRAY(
                SELECT line->>'sku' FROM jsonb_array_elements(item->'stock') AS line));
            GET DIAGNOSTICS taken = ROW_COUNT;
            IF taken <> jsonb_array_length(item->'stock') THEN
                -- A product vanished since the read: decide again.
                RAISE EXCEPTION 'a product of the order is gone' USING ERRCODE = '23514';
            END IF;
            IF jsonb_typeof(item->'key') = 'object' THEN
                INSERT INTO idempotency_keys (key, fingerprint, created_at, recording)
                VALUES (item->'key'->>'key', item->'key'->>'fingerprint',
                        (item->'key'->>'at')::timestamptz, NULL);
                keys := keys || (item->'key'->>'key');
            END IF;
            standing := standing || i;
        EXCEPTION WHEN check_violation OR unique_violation THEN
            -- Stock ran short or the key was taken meanwhile: this order alone is
            -- undone and decided again.
            NULL;
        END;
    END LOOP;
    IF cardinality(standing) > 0 THEN
        -- From here to COMMIT: one statement. The numbers are taken last, all at once,
        -- and the append lock just before the events get their positions (held to the
        -- commit, so positions commit in order and feed readers never skip one).
        UPDATE order_numbers SET last_number = last_number + cardinality(standing)
        WHERE id = 1 RETURNING last_number - cardinality(standing) INTO last_before;
        PERFORM pg_advisory_xact_lock(append_lock);
        WITH numbered AS (
            SELECT s.k, e.entry AS item, last_before + s.k AS number
            FROM unnest(standing) WITH ORDINALITY AS s(position, k)
            JOIN jsonb_array_elements(batch) WITH ORDINALITY AS e(entry, position)
              ON e.position = s.position
        ), placed AS (
            INSERT INTO orders ({ORDER_COLUMNS})
            SELECT {FROM_ROW} FROM numbered, jsonb_populate_record(
                NULL::orders, numbered.item->'order' || jsonb_build_object('number',
                                                                           numbered.number)
            ) AS o
        ), answered AS (
            UPDATE idempotency_keys
            SET recording = (n.item->'key'->>'head') || n.number || (n.item->'key'->>'tail')
            FROM numbered AS n
            WHERE idempotency_keys.key = n.item->'key'->>'key'
              AND idempotency_keys.key = ANY(keys)
        )
        INSERT INTO events (stream_id, version, type, schema_version, data, metadata,
                            recorded_at)
        SELECT n.item->'event'->>'stream_id', (n.item->'event'->>'version')::integer,
               n.item->'event'->>'type', (n.item->'event'->>'schema_version')::integer,
               jsonb_set(n.item->'event'->'data', '{{number}}', to_jsonb(n.number)),
               n.item->'event'->'metadata', (n.item->'event'->>'recorded_at')::timestamptz
        FROM numbered AS n ORDER BY n.k;
    END IF;
    RETURN QUERY
        SELECT b.position::integer, last_before + s.k
        FROM generate_series(1, jsonb_array_length(batch)) AS b(position)
        LEFT JOIN unnest(standing) WITH ORDINALITY AS s(position, k)
          ON s.position = b.position
        ORDER BY b.position;
END
$$
"""


def upgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        op.execute(PLACE_ORDERS)
        op.execute(f"ALTER FUNCTION change_orders(jsonb, bigint) {CACHED_KEYED_PLANS}")


def downgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        op.execute("ALTER FUNCTION change_orders(jsonb, bigint) RESET ALL")
        # CREATE OR REPLACE keeps no SET clause it does not name.
        op.execute(_0017["rewritten"](_0017["PLACE_ORDERS"], _0017["PLACE_CHANGES"]))
