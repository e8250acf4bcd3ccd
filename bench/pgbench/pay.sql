-- POST /v1/orders/{id}/pay with a body and an Idempotency-Key: the statements
-- order-service sends to pay a pending order, in its order, as one transaction.
-- bench/sqlcheck.py compares this file with what the service sends. Each
-- transaction takes the next order of its client's own slice of pending orders:
-- order number n has the id UUID(int=n) in the pgbench database, so pgbench can
-- name it; -D seq=0 base=... per_client=... choose the slice (bench/harness.py).
\set seq :seq + 1
\set n :base + :client_id * :per_client + :seq
\set oid random(1, 4611686018427387903)
BEGIN;
-- the API key (the service looks it up in a short transaction of its own first)
SELECT api_keys.id, api_keys.name, api_keys.role
FROM api_keys
WHERE api_keys.key_hash = :key_hash::VARCHAR AND api_keys.revoked_at IS NULL;
INSERT INTO idempotency_keys (key, fingerprint, created_at) VALUES (lpad(to_hex(:oid::BIGINT), 64, '0')::VARCHAR, :fingerprint::VARCHAR, :now::TIMESTAMP WITH TIME ZONE) ON CONFLICT (key) DO NOTHING RETURNING idempotency_keys.key;
SELECT events.type, events.schema_version, events.data
FROM events
WHERE events.stream_id = ('order-' || lpad(to_hex(:n::BIGINT), 32, '0')::UUID)::VARCHAR ORDER BY events.version;
UPDATE orders SET status=:paid_status::VARCHAR, paid_at=:now::TIMESTAMP WITH TIME ZONE, updated_at=:now::TIMESTAMP WITH TIME ZONE, payment_reference=:paid_detail::VARCHAR, version=:two::INTEGER WHERE orders.id = lpad(to_hex(:n::BIGINT), 32, '0')::UUID AND orders.version = :one::INTEGER;
SELECT orders.id, orders.number, orders.status, orders.currency, orders.customer_name, orders.customer_email, orders.customer_phone, orders.lines, orders.shipping_address, orders.billing_address, orders.payment_method, orders.shipping_method, orders.shipping_method_name, orders.subtotal, orders.shipping, orders.tax_rate, orders.tax, orders.total, orders.placed_at, orders.paid_at, orders.shipped_at, orders.cancelled_at, orders.updated_at, orders.payment_reference, orders.tracking_number, orders.cancel_reason, orders.version, orders.placed_by, orders.payment_notifications
FROM orders
WHERE orders.id = lpad(to_hex(:n::BIGINT), 32, '0')::UUID;
UPDATE idempotency_keys SET recording=:recording::VARCHAR WHERE idempotency_keys.key = lpad(to_hex(:oid::BIGINT), 64, '0')::VARCHAR;
SELECT pg_advisory_xact_lock(:append_lock);
INSERT INTO events (stream_id, version, type, schema_version, data, metadata, recorded_at) VALUES (('order-' || lpad(to_hex(:n::BIGINT), 32, '0')::UUID)::VARCHAR, :two::INTEGER, :paid_type::VARCHAR, :one::INTEGER, :paid_data::JSONB, :metadata::JSONB, :now::TIMESTAMP WITH TIME ZONE) RETURNING events.position;
COMMIT;
