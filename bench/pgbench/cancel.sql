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
-- cancel an order of 1 line(s): 11 round trips, [1] BEGIN [8] COMMIT
SELECT api_keys.id, api_keys.name, api_keys.role 
FROM api_keys 
WHERE api_keys.key_hash = (:k1::TEXT)::VARCHAR AND api_keys.revoked_at IS NULL;
BEGIN ISOLATION LEVEL READ COMMITTED;
INSERT INTO idempotency_keys (key, fingerprint, created_at) VALUES ((left(encode(sha256(('v0-' || :oid::BIGINT)::BYTEA), 'hex'), 64))::VARCHAR, (left(encode(sha256(('v1-' || :oid::BIGINT)::BYTEA), 'hex'), 64))::VARCHAR, (now())::TIMESTAMP WITH TIME ZONE) ON CONFLICT (key) DO NOTHING RETURNING idempotency_keys.key \gset r2_
SELECT events.type, events.schema_version, events.data 
FROM events 
WHERE events.stream_id = (replace(:k2::TEXT, :k3::TEXT, lpad(to_hex(:n::BIGINT), 32, '0')::UUID::TEXT))::VARCHAR ORDER BY events.version;
UPDATE products SET available=(products.available + (:k4::TEXT)::BIGINT), updated_at=(now())::TIMESTAMP WITH TIME ZONE WHERE products.sku = (:s1::TEXT)::VARCHAR;
UPDATE orders SET status=(:k5::TEXT)::VARCHAR, cancelled_at=(now())::TIMESTAMP WITH TIME ZONE, updated_at=(now())::TIMESTAMP WITH TIME ZONE, cancel_reason=(:k6::TEXT)::VARCHAR, version=(:k7::TEXT)::INTEGER WHERE orders.id = (lpad(to_hex(:n::BIGINT), 32, '0')::UUID::TEXT)::UUID AND orders.version = (:k4::TEXT)::INTEGER;
SELECT orders.id, orders.number, orders.status, orders.currency, orders.customer_name, orders.customer_email, orders.customer_phone, orders.lines, orders.shipping_address, orders.billing_address, orders.payment_method, orders.shipping_method, orders.shipping_method_name, orders.subtotal, orders.shipping, orders.tax_rate, orders.tax, orders.total, orders.placed_at, orders.paid_at, orders.shipped_at, orders.cancelled_at, orders.updated_at, orders.payment_reference, orders.tracking_number, orders.cancel_reason, orders.version, orders.placed_by, orders.payment_notifications 
FROM orders 
WHERE orders.id = (lpad(to_hex(:n::BIGINT), 32, '0')::UUID::TEXT)::UUID;
UPDATE idempotency_keys SET recording=(regexp_replace(replace(:k8::TEXT, :k3::TEXT, lpad(to_hex(:n::BIGINT), 32, '0')::UUID::TEXT), :k9::TEXT, :s1::TEXT, 'g'))::VARCHAR WHERE idempotency_keys.key = (:r2_key)::VARCHAR;
SELECT pg_advisory_xact_lock((:k10::TEXT)::bigint);
INSERT INTO events (stream_id, version, type, schema_version, data, metadata, recorded_at) VALUES ((replace(:k2::TEXT, :k3::TEXT, lpad(to_hex(:n::BIGINT), 32, '0')::UUID::TEXT))::VARCHAR, (:k7::TEXT)::INTEGER, (:k11::TEXT)::VARCHAR, (:k4::TEXT)::INTEGER, (regexp_replace(replace(:k12::TEXT, :k3::TEXT, lpad(to_hex(:n::BIGINT), 32, '0')::UUID::TEXT), :k9::TEXT, :s1::TEXT, 'g'))::JSONB, (:k13::TEXT)::JSONB, (now())::TIMESTAMP WITH TIME ZONE) RETURNING events.position;
COMMIT;
\elif :lines = 2
-- cancel an order of 2 line(s): 11 round trips, [1] BEGIN [9] COMMIT
SELECT api_keys.id, api_keys.name, api_keys.role 
FROM api_keys 
WHERE api_keys.key_hash = (:k1::TEXT)::VARCHAR AND api_keys.revoked_at IS NULL;
BEGIN ISOLATION LEVEL READ COMMITTED;
INSERT INTO idempotency_keys (key, fingerprint, created_at) VALUES ((left(encode(sha256(('v0-' || :oid::BIGINT)::BYTEA), 'hex'), 64))::VARCHAR, (left(encode(sha256(('v1-' || :oid::BIGINT)::BYTEA), 'hex'), 64))::VARCHAR, (now())::TIMESTAMP WITH TIME ZONE) ON CONFLICT (key) DO NOTHING RETURNING idempotency_keys.key \gset r2_
SELECT events.type, events.schema_version, events.data 
FROM events 
WHERE events.stream_id = (replace(:k14::TEXT, :k15::TEXT, lpad(to_hex(:n::BIGINT), 32, '0')::UUID::TEXT))::VARCHAR ORDER BY events.version;
UPDATE products SET available=(products.available + (:k4::TEXT)::BIGINT), updated_at=(now())::TIMESTAMP WITH TIME ZONE WHERE products.sku = (:s1::TEXT)::VARCHAR;
UPDATE products SET available=(products.available + (:k4::TEXT)::BIGINT), updated_at=(now())::TIMESTAMP WITH TIME ZONE WHERE products.sku = (:s2::TEXT)::VARCHAR;
UPDATE orders SET status=(:k5::TEXT)::VARCHAR, cancelled_at=(now())::TIMESTAMP WITH TIME ZONE, updated_at=(now())::TIMESTAMP WITH TIME ZONE, cancel_reason=(:k6::TEXT)::VARCHAR, version=(:k7::TEXT)::INTEGER WHERE orders.id = (lpad(to_hex(:n::BIGINT), 32, '0')::UUID::TEXT)::UUID AND orders.version = (:k4::TEXT)::INTEGER;
SELECT orders.id, orders.number, orders.status, orders.currency, orders.customer_name, orders.customer_email, orders.customer_phone, orders.lines, orders.shipping_address, orders.billing_address, orders.payment_method, orders.shipping_method, orders.shipping_method_name, orders.subtotal, orders.shipping, orders.tax_rate, orders.tax, orders.total, orders.placed_at, orders.paid_at, orders.shipped_at, orders.cancelled_at, orders.updated_at, orders.payment_reference, orders.tracking_number, orders.cancel_reason, orders.version, orders.placed_by, orders.payment_notifications 
FROM orders 
WHERE orders.id = (lpad(to_hex(:n::BIGINT), 32, '0')::UUID::TEXT)::UUID;
UPDATE idempotency_keys SET recording=(regexp_replace(regexp_replace(replace(:k16::TEXT, :k15::TEXT, lpad(to_hex(:n::BIGINT), 32, '0')::UUID::TEXT), :k9::TEXT, :s1::TEXT, 'g'), :k17::TEXT, :s2::TEXT, 'g'))::VARCHAR WHERE idempotency_keys.key = (:r2_key)::VARCHAR;
SELECT pg_advisory_xact_lock((:k10::TEXT)::bigint);
INSERT INTO events (stream_id, version, type, schema_version, data, metadata, recorded_at) VALUES ((replace(:k14::TEXT, :k15::TEXT, lpad(to_hex(:n::BIGINT), 32, '0')::UUID::TEXT))::VARCHAR, (:k7::TEXT)::INTEGER, (:k11::TEXT)::VARCHAR, (:k4::TEXT)::INTEGER, (regexp_replace(regexp_replace(replace(:k18::TEXT, :k15::TEXT, lpad(to_hex(:n::BIGINT), 32, '0')::UUID::TEXT), :k9::TEXT, :s1::TEXT, 'g'), :k17::TEXT, :s2::TEXT, 'g'))::JSONB, (:k19::TEXT)::JSONB, (now())::TIMESTAMP WITH TIME ZONE) RETURNING events.position;
COMMIT;
\else
-- cancel an order of 3 line(s): 11 round trips, [1] BEGIN [10] COMMIT
SELECT api_keys.id, api_keys.name, api_keys.role 
FROM api_keys 
WHERE api_keys.key_hash = (:k1::TEXT)::VARCHAR AND api_keys.revoked_at IS NULL;
BEGIN ISOLATION LEVEL READ COMMITTED;
INSERT INTO idempotency_keys (key, fingerprint, created_at) VALUES ((left(encode(sha256(('v0-' || :oid::BIGINT)::BYTEA), 'hex'), 64))::VARCHAR, (left(encode(sha256(('v1-' || :oid::BIGINT)::BYTEA), 'hex'), 64))::VARCHAR, (now())::TIMESTAMP WITH TIME ZONE) ON CONFLICT (key) DO NOTHING RETURNING idempotency_keys.key \gset r2_
SELECT events.type, events.schema_version, events.data 
FROM events 
WHERE events.stream_id = (replace(:k20::TEXT, :k21::TEXT, lpad(to_hex(:n::BIGINT), 32, '0')::UUID::TEXT))::VARCHAR ORDER BY events.version;
UPDATE products SET available=(products.available + (:k4::TEXT)::BIGINT), updated_at=(now())::TIMESTAMP WITH TIME ZONE WHERE products.sku = (:s1::TEXT)::VARCHAR;
UPDATE products SET available=(products.available + (:k4::TEXT)::BIGINT), updated_at=(now())::TIMESTAMP WITH TIME ZONE WHERE products.sku = (:s2::TEXT)::VARCHAR;
UPDATE products SET available=(products.available + (:k4::TEXT)::BIGINT), updated_at=(now())::TIMESTAMP WITH TIME ZONE WHERE products.sku = (:s3::TEXT)::VARCHAR;
UPDATE orders SET status=(:k5::TEXT)::VARCHAR, cancelled_at=(now())::TIMESTAMP WITH TIME ZONE, updated_at=(now())::TIMESTAMP WITH TIME ZONE, cancel_reason=(:k6::TEXT)::VARCHAR, version=(:k7::TEXT)::INTEGER WHERE orders.id = (lpad(to_hex(:n::BIGINT), 32, '0')::UUID::TEXT)::UUID AND orders.version = (:k4::TEXT)::INTEGER;
SELECT orders.id, orders.number, orders.status, orders.currency, orders.customer_name, orders.customer_email, orders.customer_phone, orders.lines, orders.shipping_address, orders.billing_address, orders.payment_method, orders.shipping_method, orders.shipping_method_name, orders.subtotal, orders.shipping, orders.tax_rate, orders.tax, orders.total, orders.placed_at, orders.paid_at, orders.shipped_at, orders.cancelled_at, orders.updated_at, orders.payment_reference, orders.tracking_number, orders.cancel_reason, orders.version, orders.placed_by, orders.payment_notifications 
FROM orders 
WHERE orders.id = (lpad(to_hex(:n::BIGINT), 32, '0')::UUID::TEXT)::UUID;
UPDATE idempotency_keys SET recording=(regexp_replace(regexp_replace(regexp_replace(replace(:k22::TEXT, :k21::TEXT, lpad(to_hex(:n::BIGINT), 32, '0')::UUID::TEXT), :k9::TEXT, :s1::TEXT, 'g'), :k17::TEXT, :s2::TEXT, 'g'), :k23::TEXT, :s3::TEXT, 'g'))::VARCHAR WHERE idempotency_keys.key = (:r2_key)::VARCHAR;
SELECT pg_advisory_xact_lock((:k10::TEXT)::bigint);
INSERT INTO events (stream_id, version, type, schema_version, data, metadata, recorded_at) VALUES ((replace(:k20::TEXT, :k21::TEXT, lpad(to_hex(:n::BIGINT), 32, '0')::UUID::TEXT))::VARCHAR, (:k7::TEXT)::INTEGER, (:k11::TEXT)::VARCHAR, (:k4::TEXT)::INTEGER, (regexp_replace(regexp_replace(regexp_replace(replace(:k24::TEXT, :k21::TEXT, lpad(to_hex(:n::BIGINT), 32, '0')::UUID::TEXT), :k9::TEXT, :s1::TEXT, 'g'), :k17::TEXT, :s2::TEXT, 'g'), :k23::TEXT, :s3::TEXT, 'g'))::JSONB, (:k25::TEXT)::JSONB, (now())::TIMESTAMP WITH TIME ZONE) RETURNING events.position;
COMMIT;
\endif
