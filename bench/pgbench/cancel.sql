-- POST /v1/orders/{id}/cancel: the next order of this client's slice of pending orders (-D base, per_client, seq=0); its 1-3 lines' stock goes back.
-- Made by bench/sqlcheck.py from the statements the service sent; do not edit:
-- `.venv/bin/python bench/sqlcheck.py --write` refreshes it. Run by bench/harness.py, which passes the -D constants.
\set seq :seq + 1
\set n :base + :client_id * :per_client + :seq
\set oid random(1, 4611686018427387903)
\set lines random(1, 3)
\set s1 random(:sku_first, :sku_last - 2)
\set s2 random(:s1 + 1, :sku_last - 1)
\set s3 random(:s2 + 1, :sku_last)
\if :lines = 1
-- cancel an order of 1 line(s): 6 round trips, BEGIN [3] COMMIT BEGIN [6] COMMIT
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
UPDATE products SET available=(products.available + (:k5::TEXT)::BIGINT), updated_at=(now())::TIMESTAMP WITH TIME ZONE WHERE products.sku = (:s1::TEXT)::VARCHAR;
UPDATE orders SET status=(:k6::TEXT)::VARCHAR, cancelled_at=(now())::TIMESTAMP WITH TIME ZONE, updated_at=(now())::TIMESTAMP WITH TIME ZONE, cancel_reason=(:k7::TEXT)::VARCHAR, version=(:k8::TEXT)::INTEGER WHERE orders.id = (lpad(to_hex(:n::BIGINT), 32, '0')::UUID::TEXT)::UUID AND orders.version = (:k5::TEXT)::INTEGER;
SELECT pg_advisory_xact_lock((:k9::TEXT)::bigint) AS pg_advisory_xact_lock_1;
INSERT INTO events (stream_id, version, type, schema_version, data, metadata, recorded_at) VALUES ((replace(:k1::TEXT, :k2::TEXT, lpad(to_hex(:n::BIGINT), 32, '0')::UUID::TEXT))::VARCHAR, (:k8::TEXT)::INTEGER, (:k10::TEXT)::VARCHAR, (:k5::TEXT)::INTEGER, (regexp_replace(replace(:k11::TEXT, :k2::TEXT, lpad(to_hex(:n::BIGINT), 32, '0')::UUID::TEXT), :k4::TEXT, :s1::TEXT, 'g'))::JSONB, (:k12::TEXT)::JSONB, (now())::TIMESTAMP WITH TIME ZONE) RETURNING events.position;
COMMIT;
\elif :lines = 2
-- cancel an order of 2 line(s): 6 round trips, BEGIN [3] COMMIT BEGIN [7] COMMIT
BEGIN ISOLATION LEVEL READ COMMITTED;
SELECT events.type, events.schema_version, events.data 
FROM events 
WHERE events.stream_id = (replace(:k13::TEXT, :k14::TEXT, lpad(to_hex(:n::BIGINT), 32, '0')::UUID::TEXT))::VARCHAR ORDER BY events.version;
SELECT orders.id, orders.number, orders.status, orders.currency, orders.customer_name, orders.customer_email, orders.customer_phone, orders.lines, orders.shipping_address, orders.billing_address, orders.payment_method, orders.shipping_method, orders.shipping_method_name, orders.subtotal, orders.shipping, orders.tax_rate, orders.tax, orders.total, orders.placed_at, orders.paid_at, orders.shipped_at, orders.cancelled_at, orders.updated_at, orders.payment_reference, orders.tracking_number, orders.cancel_reason, orders.version, orders.placed_by, orders.payment_notifications 
FROM orders 
WHERE orders.id = (lpad(to_hex(:n::BIGINT), 32, '0')::UUID::TEXT)::UUID;
SELECT idempotency_keys.fingerprint, idempotency_keys.recording, idempotency_keys.created_at 
FROM idempotency_keys 
WHERE idempotency_keys.key = (left(encode(sha256(('v0-' || :oid::BIGINT)::BYTEA), 'hex'), 64))::VARCHAR;
COMMIT;
BEGIN ISOLATION LEVEL READ COMMITTED;
DELETE FROM idempotency_keys WHERE idempotency_keys.key = (left(encode(sha256(('v0-' || :oid::BIGINT)::BYTEA), 'hex'), 64))::VARCHAR AND idempotency_keys.created_at < (now())::TIMESTAMP WITH TIME ZONE;
INSERT INTO idempotency_keys (key, fingerprint, recording, created_at) VALUES ((left(encode(sha256(('v0-' || :oid::BIGINT)::BYTEA), 'hex'), 64))::VARCHAR, (left(encode(sha256(('v2-' || :oid::BIGINT)::BYTEA), 'hex'), 64))::VARCHAR, (regexp_replace(regexp_replace(replace(:k15::TEXT, :k14::TEXT, lpad(to_hex(:n::BIGINT), 32, '0')::UUID::TEXT), :k4::TEXT, :s1::TEXT, 'g'), :k16::TEXT, :s2::TEXT, 'g'))::VARCHAR, (now())::TIMESTAMP WITH TIME ZONE);
UPDATE products SET available=(products.available + (:k5::TEXT)::BIGINT), updated_at=(now())::TIMESTAMP WITH TIME ZONE WHERE products.sku = (:s1::TEXT)::VARCHAR;
UPDATE products SET available=(products.available + (:k5::TEXT)::BIGINT), updated_at=(now())::TIMESTAMP WITH TIME ZONE WHERE products.sku = (:s2::TEXT)::VARCHAR;
UPDATE orders SET status=(:k6::TEXT)::VARCHAR, cancelled_at=(now())::TIMESTAMP WITH TIME ZONE, updated_at=(now())::TIMESTAMP WITH TIME ZONE, cancel_reason=(:k7::TEXT)::VARCHAR, version=(:k8::TEXT)::INTEGER WHERE orders.id = (lpad(to_hex(:n::BIGINT), 32, '0')::UUID::TEXT)::UUID AND orders.version = (:k5::TEXT)::INTEGER;
SELECT pg_advisory_xact_lock((:k9::TEXT)::bigint) AS pg_advisory_xact_lock_1;
INSERT INTO events (stream_id, version, type, schema_version, data, metadata, recorded_at) VALUES ((replace(:k13::TEXT, :k14::TEXT, lpad(to_hex(:n::BIGINT), 32, '0')::UUID::TEXT))::VARCHAR, (:k8::TEXT)::INTEGER, (:k10::TEXT)::VARCHAR, (:k5::TEXT)::INTEGER, (regexp_replace(regexp_replace(replace(:k17::TEXT, :k14::TEXT, lpad(to_hex(:n::BIGINT), 32, '0')::UUID::TEXT), :k4::TEXT, :s1::TEXT, 'g'), :k16::TEXT, :s2::TEXT, 'g'))::JSONB, (:k18::TEXT)::JSONB, (now())::TIMESTAMP WITH TIME ZONE) RETURNING events.position;
COMMIT;
\else
-- cancel an order of 3 line(s): 6 round trips, BEGIN [3] COMMIT BEGIN [8] COMMIT
BEGIN ISOLATION LEVEL READ COMMITTED;
SELECT events.type, events.schema_version, events.data 
FROM events 
WHERE events.stream_id = (replace(:k19::TEXT, :k20::TEXT, lpad(to_hex(:n::BIGINT), 32, '0')::UUID::TEXT))::VARCHAR ORDER BY events.version;
SELECT orders.id, orders.number, orders.status, orders.currency, orders.customer_name, orders.customer_email, orders.customer_phone, orders.lines, orders.shipping_address, orders.billing_address, orders.payment_method, orders.shipping_method, orders.shipping_method_name, orders.subtotal, orders.shipping, orders.tax_rate, orders.tax, orders.total, orders.placed_at, orders.paid_at, orders.shipped_at, orders.cancelled_at, orders.updated_at, orders.payment_reference, orders.tracking_number, orders.cancel_reason, orders.version, orders.placed_by, orders.payment_notifications 
FROM orders 
WHERE orders.id = (lpad(to_hex(:n::BIGINT), 32, '0')::UUID::TEXT)::UUID;
SELECT idempotency_keys.fingerprint, idempotency_keys.recording, idempotency_keys.created_at 
FROM idempotency_keys 
WHERE idempotency_keys.key = (left(encode(sha256(('v0-' || :oid::BIGINT)::BYTEA), 'hex'), 64))::VARCHAR;
COMMIT;
BEGIN ISOLATION LEVEL READ COMMITTED;
DELETE FROM idempotency_keys WHERE idempotency_keys.key = (left(encode(sha256(('v0-' || :oid::BIGINT)::BYTEA), 'hex'), 64))::VARCHAR AND idempotency_keys.created_at < (now())::TIMESTAMP WITH TIME ZONE;
INSERT INTO idempotency_keys (key, fingerprint, recording, created_at) VALUES ((left(encode(sha256(('v0-' || :oid::BIGINT)::BYTEA), 'hex'), 64))::VARCHAR, (left(encode(sha256(('v2-' || :oid::BIGINT)::BYTEA), 'hex'), 64))::VARCHAR, (regexp_replace(regexp_replace(regexp_replace(replace(:k21::TEXT, :k20::TEXT, lpad(to_hex(:n::BIGINT), 32, '0')::UUID::TEXT), :k4::TEXT, :s1::TEXT, 'g'), :k16::TEXT, :s2::TEXT, 'g'), :k22::TEXT, :s3::TEXT, 'g'))::VARCHAR, (now())::TIMESTAMP WITH TIME ZONE);
UPDATE products SET available=(products.available + (:k5::TEXT)::BIGINT), updated_at=(now())::TIMESTAMP WITH TIME ZONE WHERE products.sku = (:s1::TEXT)::VARCHAR;
UPDATE products SET available=(products.available + (:k5::TEXT)::BIGINT), updated_at=(now())::TIMESTAMP WITH TIME ZONE WHERE products.sku = (:s2::TEXT)::VARCHAR;
UPDATE products SET available=(products.available + (:k5::TEXT)::BIGINT), updated_at=(now())::TIMESTAMP WITH TIME ZONE WHERE products.sku = (:s3::TEXT)::VARCHAR;
UPDATE orders SET status=(:k6::TEXT)::VARCHAR, cancelled_at=(now())::TIMESTAMP WITH TIME ZONE, updated_at=(now())::TIMESTAMP WITH TIME ZONE, cancel_reason=(:k7::TEXT)::VARCHAR, version=(:k8::TEXT)::INTEGER WHERE orders.id = (lpad(to_hex(:n::BIGINT), 32, '0')::UUID::TEXT)::UUID AND orders.version = (:k5::TEXT)::INTEGER;
SELECT pg_advisory_xact_lock((:k9::TEXT)::bigint) AS pg_advisory_xact_lock_1;
INSERT INTO events (stream_id, version, type, schema_version, data, metadata, recorded_at) VALUES ((replace(:k19::TEXT, :k20::TEXT, lpad(to_hex(:n::BIGINT), 32, '0')::UUID::TEXT))::VARCHAR, (:k8::TEXT)::INTEGER, (:k10::TEXT)::VARCHAR, (:k5::TEXT)::INTEGER, (regexp_replace(regexp_replace(regexp_replace(replace(:k23::TEXT, :k20::TEXT, lpad(to_hex(:n::BIGINT), 32, '0')::UUID::TEXT), :k4::TEXT, :s1::TEXT, 'g'), :k16::TEXT, :s2::TEXT, 'g'), :k22::TEXT, :s3::TEXT, 'g'))::JSONB, (:k24::TEXT)::JSONB, (now())::TIMESTAMP WITH TIME ZONE) RETURNING events.position;
COMMIT;
\endif
