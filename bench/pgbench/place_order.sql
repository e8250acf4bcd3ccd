-- POST /v1/orders: a fresh order of 1-3 lines (distinct SKUs).
-- Made by bench/sqlcheck.py from the statements the service sent; do not edit:
-- `.venv/bin/python bench/sqlcheck.py --write` refreshes it. Run by bench/harness.py, which passes the -D constants.
\set lines random(1, 3)
\set oid random(1, 4611686018427387903)
\set s1 random(:sku_first, :sku_last - 2)
\set s2 random(:s1 + 1, :sku_last - 1)
\set s3 random(:s2 + 1, :sku_last)
\if :lines = 1
-- place an order of 1 line(s): 6 round trips, BEGIN [3] COMMIT BEGIN [8] COMMIT
BEGIN ISOLATION LEVEL READ COMMITTED;
SELECT products.sku, products.name, products.price, products.currency, products.available 
FROM products 
WHERE products.sku = any((regexp_replace(:k1::TEXT, :k2::TEXT, :s1::TEXT, 'g'))::text[]) \gset r1_
SELECT shipping_methods.code, shipping_methods.name, shipping_methods.price, shipping_methods.currency 
FROM shipping_methods 
WHERE shipping_methods.code = (:k3::TEXT)::VARCHAR \gset r2_
SELECT idempotency_keys.fingerprint, idempotency_keys.recording, idempotency_keys.created_at 
FROM idempotency_keys 
WHERE idempotency_keys.key = (left(encode(sha256(('v0-' || :oid::BIGINT)::BYTEA), 'hex'), 64))::VARCHAR;
COMMIT;
BEGIN ISOLATION LEVEL READ COMMITTED;
DELETE FROM idempotency_keys WHERE idempotency_keys.key = (left(encode(sha256(('v0-' || :oid::BIGINT)::BYTEA), 'hex'), 64))::VARCHAR AND idempotency_keys.created_at < (now())::TIMESTAMP WITH TIME ZONE;
INSERT INTO idempotency_keys (key, fingerprint, recording, created_at) VALUES ((left(encode(sha256(('v0-' || :oid::BIGINT)::BYTEA), 'hex'), 64))::VARCHAR, (:k4::TEXT)::VARCHAR, NULL::VARCHAR, (now())::TIMESTAMP WITH TIME ZONE);
UPDATE products SET available=(products.available + (:k5::TEXT)::BIGINT), updated_at=(now())::TIMESTAMP WITH TIME ZONE WHERE products.sku = (:s1::TEXT)::VARCHAR;
UPDATE order_numbers SET last_number=(order_numbers.last_number + 1) WHERE order_numbers.id = 1 RETURNING order_numbers.last_number;
INSERT INTO orders (id, number, status, currency, customer_name, customer_email, customer_phone, lines, shipping_address, billing_address, payment_method, shipping_method, shipping_method_name, subtotal, shipping, tax_rate, tax, total, placed_at, paid_at, shipped_at, cancelled_at, updated_at, payment_reference, tracking_number, cancel_reason, version, placed_by, payment_notifications) VALUES ((lpad(to_hex(:oid::BIGINT), 32, '0')::UUID::TEXT)::UUID, (SELECT order_numbers.last_number 
FROM order_numbers 
WHERE order_numbers.id = 1), (:k6::TEXT)::VARCHAR, (:k7::TEXT)::VARCHAR, (:k8::TEXT)::VARCHAR, (:k9::TEXT)::VARCHAR, (:k10::TEXT)::VARCHAR, (regexp_replace(:k11::TEXT, :k2::TEXT, :s1::TEXT, 'g'))::JSONB, (:k12::TEXT)::JSONB, (:k12::TEXT)::JSONB, (:k13::TEXT)::VARCHAR, (:r2_code)::VARCHAR, (:r2_name)::VARCHAR, (:r1_price)::BIGINT, (:k14::TEXT)::BIGINT, (:k15::TEXT)::VARCHAR, (:k16::TEXT)::BIGINT, (:k17::TEXT)::BIGINT, (now())::TIMESTAMP WITH TIME ZONE, NULL::TIMESTAMP WITH TIME ZONE, NULL::TIMESTAMP WITH TIME ZONE, NULL::TIMESTAMP WITH TIME ZONE, (now())::TIMESTAMP WITH TIME ZONE, NULL::VARCHAR, NULL::VARCHAR, NULL::VARCHAR, (:k18::TEXT)::INTEGER, (:k19::TEXT)::VARCHAR, (:k20::TEXT)::JSONB);
UPDATE idempotency_keys SET recording=((replace(:k21::TEXT, :k22::TEXT, lpad(to_hex(:oid::BIGINT), 32, '0')::UUID::TEXT))::VARCHAR || CAST((SELECT order_numbers.last_number 
FROM order_numbers 
WHERE order_numbers.id = 1) AS TEXT) || (regexp_replace(:k23::TEXT, :k2::TEXT, :s1::TEXT, 'g'))::VARCHAR) WHERE idempotency_keys.key = (left(encode(sha256(('v0-' || :oid::BIGINT)::BYTEA), 'hex'), 64))::VARCHAR;
SELECT pg_advisory_xact_lock((:k24::TEXT)::bigint) AS pg_advisory_xact_lock_1;
INSERT INTO events (stream_id, version, type, schema_version, data, metadata, recorded_at) VALUES ((replace(:k25::TEXT, :k22::TEXT, lpad(to_hex(:oid::BIGINT), 32, '0')::UUID::TEXT))::VARCHAR, (:k18::TEXT)::INTEGER, (:k26::TEXT)::VARCHAR, (:k18::TEXT)::INTEGER, jsonb_set((regexp_replace(replace(:k27::TEXT, :k22::TEXT, lpad(to_hex(:oid::BIGINT), 32, '0')::UUID::TEXT), :k2::TEXT, :s1::TEXT, 'g'))::jsonb, '{number}', to_jsonb((SELECT order_numbers.last_number 
FROM order_numbers 
WHERE order_numbers.id = 1))), (:k28::TEXT)::JSONB, (now())::TIMESTAMP WITH TIME ZONE) RETURNING events.position;
COMMIT;
\elif :lines = 2
-- place an order of 2 line(s): 6 round trips, BEGIN [3] COMMIT BEGIN [9] COMMIT
BEGIN ISOLATION LEVEL READ COMMITTED;
SELECT products.sku, products.name, products.price, products.currency, products.available 
FROM products 
WHERE products.sku = any((regexp_replace(regexp_replace(:k29::TEXT, :k2::TEXT, :s1::TEXT, 'g'), :k30::TEXT, :s2::TEXT, 'g'))::text[]);
SELECT shipping_methods.code, shipping_methods.name, shipping_methods.price, shipping_methods.currency 
FROM shipping_methods 
WHERE shipping_methods.code = (:k3::TEXT)::VARCHAR \gset r2_
SELECT idempotency_keys.fingerprint, idempotency_keys.recording, idempotency_keys.created_at 
FROM idempotency_keys 
WHERE idempotency_keys.key = (left(encode(sha256(('v0-' || :oid::BIGINT)::BYTEA), 'hex'), 64))::VARCHAR;
COMMIT;
BEGIN ISOLATION LEVEL READ COMMITTED;
DELETE FROM idempotency_keys WHERE idempotency_keys.key = (left(encode(sha256(('v0-' || :oid::BIGINT)::BYTEA), 'hex'), 64))::VARCHAR AND idempotency_keys.created_at < (now())::TIMESTAMP WITH TIME ZONE;
INSERT INTO idempotency_keys (key, fingerprint, recording, created_at) VALUES ((left(encode(sha256(('v0-' || :oid::BIGINT)::BYTEA), 'hex'), 64))::VARCHAR, (:k31::TEXT)::VARCHAR, NULL::VARCHAR, (now())::TIMESTAMP WITH TIME ZONE);
UPDATE products SET available=(products.available + (:k5::TEXT)::BIGINT), updated_at=(now())::TIMESTAMP WITH TIME ZONE WHERE products.sku = (:s1::TEXT)::VARCHAR;
UPDATE products SET available=(products.available + (:k5::TEXT)::BIGINT), updated_at=(now())::TIMESTAMP WITH TIME ZONE WHERE products.sku = (:s2::TEXT)::VARCHAR;
UPDATE order_numbers SET last_number=(order_numbers.last_number + 1) WHERE order_numbers.id = 1 RETURNING order_numbers.last_number;
INSERT INTO orders (id, number, status, currency, customer_name, customer_email, customer_phone, lines, shipping_address, billing_address, payment_method, shipping_method, shipping_method_name, subtotal, shipping, tax_rate, tax, total, placed_at, paid_at, shipped_at, cancelled_at, updated_at, payment_reference, tracking_number, cancel_reason, version, placed_by, payment_notifications) VALUES ((lpad(to_hex(:oid::BIGINT), 32, '0')::UUID::TEXT)::UUID, (SELECT order_numbers.last_number 
FROM order_numbers 
WHERE order_numbers.id = 1), (:k6::TEXT)::VARCHAR, (:k7::TEXT)::VARCHAR, (:k8::TEXT)::VARCHAR, (:k9::TEXT)::VARCHAR, (:k10::TEXT)::VARCHAR, (regexp_replace(regexp_replace(:k32::TEXT, :k2::TEXT, :s1::TEXT, 'g'), :k30::TEXT, :s2::TEXT, 'g'))::JSONB, (:k12::TEXT)::JSONB, (:k12::TEXT)::JSONB, (:k13::TEXT)::VARCHAR, (:r2_code)::VARCHAR, (:r2_name)::VARCHAR, (:k33::TEXT)::BIGINT, (:k14::TEXT)::BIGINT, (:k15::TEXT)::VARCHAR, (:k34::TEXT)::BIGINT, (:k35::TEXT)::BIGINT, (now())::TIMESTAMP WITH TIME ZONE, NULL::TIMESTAMP WITH TIME ZONE, NULL::TIMESTAMP WITH TIME ZONE, NULL::TIMESTAMP WITH TIME ZONE, (now())::TIMESTAMP WITH TIME ZONE, NULL::VARCHAR, NULL::VARCHAR, NULL::VARCHAR, (:k18::TEXT)::INTEGER, (:k19::TEXT)::VARCHAR, (:k20::TEXT)::JSONB);
UPDATE idempotency_keys SET recording=((replace(:k36::TEXT, :k37::TEXT, lpad(to_hex(:oid::BIGINT), 32, '0')::UUID::TEXT))::VARCHAR || CAST((SELECT order_numbers.last_number 
FROM order_numbers 
WHERE order_numbers.id = 1) AS TEXT) || (regexp_replace(regexp_replace(:k38::TEXT, :k2::TEXT, :s1::TEXT, 'g'), :k30::TEXT, :s2::TEXT, 'g'))::VARCHAR) WHERE idempotency_keys.key = (left(encode(sha256(('v0-' || :oid::BIGINT)::BYTEA), 'hex'), 64))::VARCHAR;
SELECT pg_advisory_xact_lock((:k24::TEXT)::bigint) AS pg_advisory_xact_lock_1;
INSERT INTO events (stream_id, version, type, schema_version, data, metadata, recorded_at) VALUES ((replace(:k39::TEXT, :k37::TEXT, lpad(to_hex(:oid::BIGINT), 32, '0')::UUID::TEXT))::VARCHAR, (:k18::TEXT)::INTEGER, (:k26::TEXT)::VARCHAR, (:k18::TEXT)::INTEGER, jsonb_set((regexp_replace(regexp_replace(replace(:k40::TEXT, :k37::TEXT, lpad(to_hex(:oid::BIGINT), 32, '0')::UUID::TEXT), :k2::TEXT, :s1::TEXT, 'g'), :k30::TEXT, :s2::TEXT, 'g'))::jsonb, '{number}', to_jsonb((SELECT order_numbers.last_number 
FROM order_numbers 
WHERE order_numbers.id = 1))), (:k41::TEXT)::JSONB, (now())::TIMESTAMP WITH TIME ZONE) RETURNING events.position;
COMMIT;
\else
-- place an order of 3 line(s): 6 round trips, BEGIN [3] COMMIT BEGIN [10] COMMIT
BEGIN ISOLATION LEVEL READ COMMITTED;
SELECT products.sku, products.name, products.price, products.currency, products.available 
FROM products 
WHERE products.sku = any((regexp_replace(regexp_replace(regexp_replace(:k42::TEXT, :k2::TEXT, :s1::TEXT, 'g'), :k30::TEXT, :s2::TEXT, 'g'), :k43::TEXT, :s3::TEXT, 'g'))::text[]);
SELECT shipping_methods.code, shipping_methods.name, shipping_methods.price, shipping_methods.currency 
FROM shipping_methods 
WHERE shipping_methods.code = (:k3::TEXT)::VARCHAR \gset r2_
SELECT idempotency_keys.fingerprint, idempotency_keys.recording, idempotency_keys.created_at 
FROM idempotency_keys 
WHERE idempotency_keys.key = (left(encode(sha256(('v0-' || :oid::BIGINT)::BYTEA), 'hex'), 64))::VARCHAR;
COMMIT;
BEGIN ISOLATION LEVEL READ COMMITTED;
DELETE FROM idempotency_keys WHERE idempotency_keys.key = (left(encode(sha256(('v0-' || :oid::BIGINT)::BYTEA), 'hex'), 64))::VARCHAR AND idempotency_keys.created_at < (now())::TIMESTAMP WITH TIME ZONE;
INSERT INTO idempotency_keys (key, fingerprint, recording, created_at) VALUES ((left(encode(sha256(('v0-' || :oid::BIGINT)::BYTEA), 'hex'), 64))::VARCHAR, (:k44::TEXT)::VARCHAR, NULL::VARCHAR, (now())::TIMESTAMP WITH TIME ZONE);
UPDATE products SET available=(products.available + (:k5::TEXT)::BIGINT), updated_at=(now())::TIMESTAMP WITH TIME ZONE WHERE products.sku = (:s1::TEXT)::VARCHAR;
UPDATE products SET available=(products.available + (:k5::TEXT)::BIGINT), updated_at=(now())::TIMESTAMP WITH TIME ZONE WHERE products.sku = (:s2::TEXT)::VARCHAR;
UPDATE products SET available=(products.available + (:k5::TEXT)::BIGINT), updated_at=(now())::TIMESTAMP WITH TIME ZONE WHERE products.sku = (:s3::TEXT)::VARCHAR;
UPDATE order_numbers SET last_number=(order_numbers.last_number + 1) WHERE order_numbers.id = 1 RETURNING order_numbers.last_number;
INSERT INTO orders (id, number, status, currency, customer_name, customer_email, customer_phone, lines, shipping_address, billing_address, payment_method, shipping_method, shipping_method_name, subtotal, shipping, tax_rate, tax, total, placed_at, paid_at, shipped_at, cancelled_at, updated_at, payment_reference, tracking_number, cancel_reason, version, placed_by, payment_notifications) VALUES ((lpad(to_hex(:oid::BIGINT), 32, '0')::UUID::TEXT)::UUID, (SELECT order_numbers.last_number 
FROM order_numbers 
WHERE order_numbers.id = 1), (:k6::TEXT)::VARCHAR, (:k7::TEXT)::VARCHAR, (:k8::TEXT)::VARCHAR, (:k9::TEXT)::VARCHAR, (:k10::TEXT)::VARCHAR, (regexp_replace(regexp_replace(regexp_replace(:k45::TEXT, :k2::TEXT, :s1::TEXT, 'g'), :k30::TEXT, :s2::TEXT, 'g'), :k43::TEXT, :s3::TEXT, 'g'))::JSONB, (:k12::TEXT)::JSONB, (:k12::TEXT)::JSONB, (:k13::TEXT)::VARCHAR, (:r2_code)::VARCHAR, (:r2_name)::VARCHAR, (:k46::TEXT)::BIGINT, (:k14::TEXT)::BIGINT, (:k15::TEXT)::VARCHAR, (:k47::TEXT)::BIGINT, (:k48::TEXT)::BIGINT, (now())::TIMESTAMP WITH TIME ZONE, NULL::TIMESTAMP WITH TIME ZONE, NULL::TIMESTAMP WITH TIME ZONE, NULL::TIMESTAMP WITH TIME ZONE, (now())::TIMESTAMP WITH TIME ZONE, NULL::VARCHAR, NULL::VARCHAR, NULL::VARCHAR, (:k18::TEXT)::INTEGER, (:k19::TEXT)::VARCHAR, (:k20::TEXT)::JSONB);
UPDATE idempotency_keys SET recording=((replace(:k49::TEXT, :k50::TEXT, lpad(to_hex(:oid::BIGINT), 32, '0')::UUID::TEXT))::VARCHAR || CAST((SELECT order_numbers.last_number 
FROM order_numbers 
WHERE order_numbers.id = 1) AS TEXT) || (regexp_replace(regexp_replace(regexp_replace(:k51::TEXT, :k2::TEXT, :s1::TEXT, 'g'), :k30::TEXT, :s2::TEXT, 'g'), :k43::TEXT, :s3::TEXT, 'g'))::VARCHAR) WHERE idempotency_keys.key = (left(encode(sha256(('v0-' || :oid::BIGINT)::BYTEA), 'hex'), 64))::VARCHAR;
SELECT pg_advisory_xact_lock((:k24::TEXT)::bigint) AS pg_advisory_xact_lock_1;
INSERT INTO events (stream_id, version, type, schema_version, data, metadata, recorded_at) VALUES ((replace(:k52::TEXT, :k50::TEXT, lpad(to_hex(:oid::BIGINT), 32, '0')::UUID::TEXT))::VARCHAR, (:k18::TEXT)::INTEGER, (:k26::TEXT)::VARCHAR, (:k18::TEXT)::INTEGER, jsonb_set((regexp_replace(regexp_replace(regexp_replace(replace(:k53::TEXT, :k50::TEXT, lpad(to_hex(:oid::BIGINT), 32, '0')::UUID::TEXT), :k2::TEXT, :s1::TEXT, 'g'), :k30::TEXT, :s2::TEXT, 'g'), :k43::TEXT, :s3::TEXT, 'g'))::jsonb, '{number}', to_jsonb((SELECT order_numbers.last_number 
FROM order_numbers 
WHERE order_numbers.id = 1))), (:k54::TEXT)::JSONB, (now())::TIMESTAMP WITH TIME ZONE) RETURNING events.position;
COMMIT;
\endif
