-- POST /v1/orders/{id}/ship: the next order of this client's slice of paid orders (-D base, per_client, seq=0).
-- Made by bench/sqlcheck.py from the statements the service sent; do not edit:
-- `.venv/bin/python bench/sqlcheck.py --write` refreshes it. Run by bench/harness.py, which passes the -D constants.
\set seq :seq + 1
\set n :base + :client_id * :per_client + :seq
\set oid random(1, 4611686018427387903)
-- ship: 6 round trips, BEGIN [3] COMMIT BEGIN [5] COMMIT
BEGIN ISOLATION LEVEL READ COMMITTED;
SELECT events.type, events.schema_version, events.data 
FROM events 
WHERE events.stream_id = (replace(:k1::TEXT, :k2::TEXT, lpad(to_hex(:n::BIGINT), 32, '0')::UUID::TEXT))::VARCHAR ORDER BY events.version;
SELECT orders.id, orders.number, orders.status, orders.currency, orders.customer_name, orders.customer_email, orders.customer_phone, orders.lines, orders.shipping_address, orders.billing_address, orders.payment_method, orders.shipping_method, orders.shipping_method_name, orders.subtotal, orders.shipping, orders.tax_rate, orders.tax, orders.total, orders.placed_at, orders.paid_at, orders.shipped_at, orders.cancelled_at, orders.updated_at, orders.payment_reference, orders.tracking_number, orders.cancel_reason, orders.version, orders.placed_by, orders.payment_notifications 
FROM orders 
WHERE orders.id = (lpad(to_hex(:n::BIGINT), 32, '0')::UUID::TEXT)::UUID;
SELECT idempotency_keys.fingerprint, idempotency_keys.recording, idempotency_keys.created_at 
FROM idempotency_keys 
WHERE idempotency_keys.key = (left(encode(sha256(('v0-' || :oid::BIGINT)::BYTEA), 'hex'), 64))::VARCHAR;
COMMIT;
BEGIN ISOLATION LEVEL READ COMMITTED;
DELETE FROM idempotency_keys WHERE idempotency_keys.key = (left(encode(sha256(('v0-' || :oid::BIGINT)::BYTEA), 'hex'), 64))::VARCHAR AND idempotency_keys.created_at < (now())::TIMESTAMP WITH TIME ZONE;
INSERT INTO idempotency_keys (key, fingerprint, recording, created_at) VALUES ((left(encode(sha256(('v0-' || :oid::BIGINT)::BYTEA), 'hex'), 64))::VARCHAR, (left(encode(sha256(('v2-' || :oid::BIGINT)::BYTEA), 'hex'), 64))::VARCHAR, (regexp_replace(replace(:k3::TEXT, :k2::TEXT, lpad(to_hex(:n::BIGINT), 32, '0')::UUID::TEXT), :k4::TEXT, :s1::TEXT, 'g'))::VARCHAR, (now())::TIMESTAMP WITH TIME ZONE);
UPDATE orders SET status=(:k5::TEXT)::VARCHAR, shipped_at=(now())::TIMESTAMP WITH TIME ZONE, updated_at=(now())::TIMESTAMP WITH TIME ZONE, tracking_number=(:k6::TEXT)::VARCHAR, version=(:k7::TEXT)::INTEGER WHERE orders.id = (lpad(to_hex(:n::BIGINT), 32, '0')::UUID::TEXT)::UUID AND orders.version = (:k8::TEXT)::INTEGER;
SELECT pg_advisory_xact_lock((:k9::TEXT)::bigint) AS pg_advisory_xact_lock_1;
INSERT INTO events (stream_id, version, type, schema_version, data, metadata, recorded_at) VALUES ((replace(:k1::TEXT, :k2::TEXT, lpad(to_hex(:n::BIGINT), 32, '0')::UUID::TEXT))::VARCHAR, (:k7::TEXT)::INTEGER, (:k10::TEXT)::VARCHAR, (:k11::TEXT)::INTEGER, (replace(:k12::TEXT, :k2::TEXT, lpad(to_hex(:n::BIGINT), 32, '0')::UUID::TEXT))::JSONB, (:k13::TEXT)::JSONB, (now())::TIMESTAMP WITH TIME ZONE) RETURNING events.position;
COMMIT;
