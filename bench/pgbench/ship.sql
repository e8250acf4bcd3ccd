-- POST /v1/orders/{id}/ship: the next order of this client's slice of paid orders (-D base, per_client, seq=0).
-- Made by bench/sqlcheck.py from the statements the service sent; do not edit:
-- `.venv/bin/python bench/sqlcheck.py --write` refreshes it. Run by bench/harness.py, which passes the -D constants.
\set seq :seq + 1
\set n :base + :client_id * :per_client + :seq
\set oid random(1, 4611686018427387903)
-- ship: 10 round trips, [1] BEGIN [7] COMMIT
SELECT api_keys.id, api_keys.name, api_keys.role 
FROM api_keys 
WHERE api_keys.key_hash = (:k1::TEXT)::VARCHAR AND api_keys.revoked_at IS NULL;
BEGIN ISOLATION LEVEL READ COMMITTED;
INSERT INTO idempotency_keys (key, fingerprint, created_at) VALUES ((left(encode(sha256(('v0-' || :oid::BIGINT)::BYTEA), 'hex'), 64))::VARCHAR, (left(encode(sha256(('v1-' || :oid::BIGINT)::BYTEA), 'hex'), 64))::VARCHAR, (now())::TIMESTAMP WITH TIME ZONE) ON CONFLICT (key) DO NOTHING RETURNING idempotency_keys.key \gset r2_
SELECT events.type, events.schema_version, events.data 
FROM events 
WHERE events.stream_id = (replace(:k2::TEXT, :k3::TEXT, lpad(to_hex(:n::BIGINT), 32, '0')::UUID::TEXT))::VARCHAR ORDER BY events.version;
UPDATE orders SET status=(:k4::TEXT)::VARCHAR, shipped_at=(now())::TIMESTAMP WITH TIME ZONE, updated_at=(now())::TIMESTAMP WITH TIME ZONE, tracking_number=(:k5::TEXT)::VARCHAR, version=(:k6::TEXT)::INTEGER WHERE orders.id = (lpad(to_hex(:n::BIGINT), 32, '0')::UUID::TEXT)::UUID AND orders.version = (:k7::TEXT)::INTEGER;
SELECT orders.id, orders.number, orders.status, orders.currency, orders.customer_name, orders.customer_email, orders.customer_phone, orders.lines, orders.shipping_address, orders.billing_address, orders.payment_method, orders.shipping_method, orders.shipping_method_name, orders.subtotal, orders.shipping, orders.tax_rate, orders.tax, orders.total, orders.placed_at, orders.paid_at, orders.shipped_at, orders.cancelled_at, orders.updated_at, orders.payment_reference, orders.tracking_number, orders.cancel_reason, orders.version, orders.placed_by, orders.payment_notifications 
FROM orders 
WHERE orders.id = (lpad(to_hex(:n::BIGINT), 32, '0')::UUID::TEXT)::UUID;
UPDATE idempotency_keys SET recording=(regexp_replace(replace(:k8::TEXT, :k3::TEXT, lpad(to_hex(:n::BIGINT), 32, '0')::UUID::TEXT), :k9::TEXT, :s1::TEXT, 'g'))::VARCHAR WHERE idempotency_keys.key = (:r2_key)::VARCHAR;
SELECT pg_advisory_xact_lock((:k10::TEXT)::bigint);
INSERT INTO events (stream_id, version, type, schema_version, data, metadata, recorded_at) VALUES ((replace(:k2::TEXT, :k3::TEXT, lpad(to_hex(:n::BIGINT), 32, '0')::UUID::TEXT))::VARCHAR, (:k6::TEXT)::INTEGER, (:k11::TEXT)::VARCHAR, (:k12::TEXT)::INTEGER, (replace(:k13::TEXT, :k3::TEXT, lpad(to_hex(:n::BIGINT), 32, '0')::UUID::TEXT))::JSONB, (:k14::TEXT)::JSONB, (now())::TIMESTAMP WITH TIME ZONE) RETURNING events.position;
COMMIT;
