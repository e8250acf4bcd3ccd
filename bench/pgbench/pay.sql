-- POST /v1/orders/{id}/pay: the next order of this client's slice of pending orders (-D base, per_client, seq=0).
-- Made by bench/sqlcheck.py from the statements the service sent; do not edit:
-- `.venv/bin/python bench/sqlcheck.py --write` refreshes it. Run by bench/harness.py, which passes the -D constants.
\set seq :seq + 1
\set n :base + :client_id * :per_client + :seq
\set oid random(1, 4611686018427387903)
-- pay: 4 round trips, BEGIN [3] COMMIT [1]
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
WITH changed AS (UPDATE orders SET status = CAST((:k3::TEXT)::character varying AS VARCHAR(20)), paid_at = CAST((now())::timestamp with time zone AS TIMESTAMP WITH TIME ZONE), payment_reference = CAST((:k4::TEXT)::character varying AS VARCHAR(200)), updated_at = CAST((now())::timestamp with time zone AS TIMESTAMP WITH TIME ZONE), version = CAST((:k5::TEXT)::integer AS INTEGER) WHERE id = (lpad(to_hex(:n::BIGINT), 32, '0')::UUID::TEXT)::uuid AND version = (:k6::TEXT)::integer RETURNING id),
ready AS (SELECT 1 AS go FROM changed),
claimed AS (INSERT INTO idempotency_keys (key, fingerprint, created_at, recording) SELECT (left(encode(sha256(('v0-' || :oid::BIGINT)::BYTEA), 'hex'), 64))::character varying, (left(encode(sha256(('v2-' || :oid::BIGINT)::BYTEA), 'hex'), 64))::character varying, (now())::timestamp with time zone, (regexp_replace(replace(:k7::TEXT, :k2::TEXT, lpad(to_hex(:n::BIGINT), 32, '0')::UUID::TEXT), :k8::TEXT, :s1::TEXT, 'g'))::text FROM ready),
appended AS (INSERT INTO events (stream_id, version, type, schema_version, data, metadata, recorded_at) SELECT (replace(:k1::TEXT, :k2::TEXT, lpad(to_hex(:n::BIGINT), 32, '0')::UUID::TEXT))::character varying, (:k5::TEXT)::integer, (:k9::TEXT)::character varying, (:k6::TEXT)::integer, (replace(:k10::TEXT, :k2::TEXT, lpad(to_hex(:n::BIGINT), 32, '0')::UUID::TEXT))::jsonb, (:k11::TEXT)::jsonb, (now())::timestamp with time zone FROM ready, LATERAL (SELECT pg_advisory_xact_lock((:k12::TEXT)::bigint)) AS serialised RETURNING 1)
SELECT count(*) FROM appended;
