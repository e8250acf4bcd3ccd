-- POST /v1/orders: a fresh order of 1-3 lines (distinct SKUs).
-- Made by bench/sqlcheck.py from the statements the service sent; do not edit:
-- `.venv/bin/python bench/sqlcheck.py --write` refreshes it. Run by bench/harness.py, which passes the -D constants.
\set lines random(1, 3)
\set oid random(1, 4611686018427387903)
\set s1 random(:sku_first, :sku_last - 2)
\set s2 random(:s1 + 1, :sku_last - 1)
\set s3 random(:s2 + 1, :sku_last)
\if :lines = 1
-- place an order of 1 line(s): 13 round trips, [1] BEGIN [10] COMMIT
SELECT api_keys.id, api_keys.name, api_keys.role 
FROM api_keys 
WHERE api_keys.key_hash = (:k1::TEXT)::VARCHAR AND api_keys.revoked_at IS NULL \gset r0_
BEGIN ISOLATION LEVEL READ COMMITTED;
INSERT INTO idempotency_keys (key, fingerprint, created_at) VALUES ((left(encode(sha256(('v0-' || :oid::BIGINT)::BYTEA), 'hex'), 64))::VARCHAR, (:k2::TEXT)::VARCHAR, (now())::TIMESTAMP WITH TIME ZONE) ON CONFLICT (key) DO NOTHING RETURNING idempotency_keys.key \gset r2_
SELECT products.sku, products.name, products.price, products.currency, products.available 
FROM products 
WHERE products.sku IN ((:s1::TEXT)::VARCHAR) ORDER BY products.sku FOR UPDATE \gset r3_
SELECT shipping_methods.code, shipping_methods.name, shipping_methods.price, shipping_methods.currency, shipping_methods.added_at 
FROM shipping_methods 
WHERE shipping_methods.code = (:k3::TEXT)::VARCHAR \gset r4_
UPDATE order_numbers SET last_number=(order_numbers.last_number + (:k4::TEXT)::BIGINT) WHERE order_numbers.id = (:k4::TEXT)::INTEGER RETURNING order_numbers.last_number \gset r5_
UPDATE products SET available=(products.available + (:k5::TEXT)::BIGINT), updated_at=(now())::TIMESTAMP WITH TIME ZONE WHERE products.sku = (:s1::TEXT)::VARCHAR;
INSERT INTO orders (id, number, status, currency, customer_name, customer_email, customer_phone, lines, shipping_address, billing_address, payment_method, shipping_method, shipping_method_name, subtotal, shipping, tax_rate, tax, total, placed_at, paid_at, shipped_at, cancelled_at, updated_at, payment_reference, tracking_number, cancel_reason, version, placed_by, payment_notifications) VALUES ((lpad(to_hex(:oid::BIGINT), 32, '0')::UUID::TEXT)::UUID, (:r5_last_number)::BIGINT, (:k6::TEXT)::VARCHAR, (:k7::TEXT)::VARCHAR, (:k8::TEXT)::VARCHAR, (:k9::TEXT)::VARCHAR, (:k10::TEXT)::VARCHAR, (regexp_replace(:k11::TEXT, :k12::TEXT, :s1::TEXT, 'g'))::JSONB, (:k13::TEXT)::JSONB, (:k13::TEXT)::JSONB, (:k14::TEXT)::VARCHAR, (:r4_code)::VARCHAR, (:r4_name)::VARCHAR, (:r3_price)::BIGINT, (:k15::TEXT)::BIGINT, (:k16::TEXT)::VARCHAR, (:k17::TEXT)::BIGINT, (:k18::TEXT)::BIGINT, (now())::TIMESTAMP WITH TIME ZONE, NULL::TIMESTAMP WITH TIME ZONE, NULL::TIMESTAMP WITH TIME ZONE, NULL::TIMESTAMP WITH TIME ZONE, (now())::TIMESTAMP WITH TIME ZONE, NULL::VARCHAR, NULL::VARCHAR, NULL::VARCHAR, (:k4::TEXT)::INTEGER, (:r0_id)::VARCHAR, (:k19::TEXT)::JSONB);
SELECT orders.id, orders.number, orders.status, orders.currency, orders.customer_name, orders.customer_email, orders.customer_phone, orders.lines, orders.shipping_address, orders.billing_address, orders.payment_method, orders.shipping_method, orders.shipping_method_name, orders.subtotal, orders.shipping, orders.tax_rate, orders.tax, orders.total, orders.placed_at, orders.paid_at, orders.shipped_at, orders.cancelled_at, orders.updated_at, orders.payment_reference, orders.tracking_number, orders.cancel_reason, orders.version, orders.placed_by, orders.payment_notifications 
FROM orders 
WHERE orders.id = (lpad(to_hex(:oid::BIGINT), 32, '0')::UUID::TEXT)::UUID;
UPDATE idempotency_keys SET recording=(regexp_replace(replace(:k20::TEXT, :k21::TEXT, lpad(to_hex(:oid::BIGINT), 32, '0')::UUID::TEXT), :k12::TEXT, :s1::TEXT, 'g'))::VARCHAR WHERE idempotency_keys.key = (:r2_key)::VARCHAR;
SELECT pg_advisory_xact_lock((:k22::TEXT)::bigint);
INSERT INTO events (stream_id, version, type, schema_version, data, metadata, recorded_at) VALUES ((replace(:k23::TEXT, :k21::TEXT, lpad(to_hex(:oid::BIGINT), 32, '0')::UUID::TEXT))::VARCHAR, (:k4::TEXT)::INTEGER, (:k24::TEXT)::VARCHAR, (:k4::TEXT)::INTEGER, (regexp_replace(replace(:k25::TEXT, :k21::TEXT, lpad(to_hex(:oid::BIGINT), 32, '0')::UUID::TEXT), :k12::TEXT, :s1::TEXT, 'g'))::JSONB, (:k26::TEXT)::JSONB, (now())::TIMESTAMP WITH TIME ZONE) RETURNING events.position;
COMMIT;
\elif :lines = 2
-- place an order of 2 line(s): 13 round trips, [1] BEGIN [11] COMMIT
SELECT api_keys.id, api_keys.name, api_keys.role 
FROM api_keys 
WHERE api_keys.key_hash = (:k1::TEXT)::VARCHAR AND api_keys.revoked_at IS NULL \gset r0_
BEGIN ISOLATION LEVEL READ COMMITTED;
INSERT INTO idempotency_keys (key, fingerprint, created_at) VALUES ((left(encode(sha256(('v0-' || :oid::BIGINT)::BYTEA), 'hex'), 64))::VARCHAR, (:k27::TEXT)::VARCHAR, (now())::TIMESTAMP WITH TIME ZONE) ON CONFLICT (key) DO NOTHING RETURNING idempotency_keys.key \gset r2_
SELECT products.sku, products.name, products.price, products.currency, products.available 
FROM products 
WHERE products.sku IN ((:s1::TEXT)::VARCHAR, (:s2::TEXT)::VARCHAR) ORDER BY products.sku FOR UPDATE;
SELECT shipping_methods.code, shipping_methods.name, shipping_methods.price, shipping_methods.currency, shipping_methods.added_at 
FROM shipping_methods 
WHERE shipping_methods.code = (:k3::TEXT)::VARCHAR \gset r4_
UPDATE order_numbers SET last_number=(order_numbers.last_number + (:k4::TEXT)::BIGINT) WHERE order_numbers.id = (:k4::TEXT)::INTEGER RETURNING order_numbers.last_number \gset r5_
UPDATE products SET available=(products.available + (:k5::TEXT)::BIGINT), updated_at=(now())::TIMESTAMP WITH TIME ZONE WHERE products.sku = (:s1::TEXT)::VARCHAR;
UPDATE products SET available=(products.available + (:k5::TEXT)::BIGINT), updated_at=(now())::TIMESTAMP WITH TIME ZONE WHERE products.sku = (:s2::TEXT)::VARCHAR;
INSERT INTO orders (id, number, status, currency, customer_name, customer_email, customer_phone, lines, shipping_address, billing_address, payment_method, shipping_method, shipping_method_name, subtotal, shipping, tax_rate, tax, total, placed_at, paid_at, shipped_at, cancelled_at, updated_at, payment_reference, tracking_number, cancel_reason, version, placed_by, payment_notifications) VALUES ((lpad(to_hex(:oid::BIGINT), 32, '0')::UUID::TEXT)::UUID, (:r5_last_number)::BIGINT, (:k6::TEXT)::VARCHAR, (:k7::TEXT)::VARCHAR, (:k8::TEXT)::VARCHAR, (:k9::TEXT)::VARCHAR, (:k10::TEXT)::VARCHAR, (regexp_replace(regexp_replace(:k28::TEXT, :k12::TEXT, :s1::TEXT, 'g'), :k29::TEXT, :s2::TEXT, 'g'))::JSONB, (:k13::TEXT)::JSONB, (:k13::TEXT)::JSONB, (:k14::TEXT)::VARCHAR, (:r4_code)::VARCHAR, (:r4_name)::VARCHAR, (:k30::TEXT)::BIGINT, (:k15::TEXT)::BIGINT, (:k16::TEXT)::VARCHAR, (:k31::TEXT)::BIGINT, (:k32::TEXT)::BIGINT, (now())::TIMESTAMP WITH TIME ZONE, NULL::TIMESTAMP WITH TIME ZONE, NULL::TIMESTAMP WITH TIME ZONE, NULL::TIMESTAMP WITH TIME ZONE, (now())::TIMESTAMP WITH TIME ZONE, NULL::VARCHAR, NULL::VARCHAR, NULL::VARCHAR, (:k4::TEXT)::INTEGER, (:r0_id)::VARCHAR, (:k19::TEXT)::JSONB);
SELECT orders.id, orders.number, orders.status, orders.currency, orders.customer_name, orders.customer_email, orders.customer_phone, orders.lines, orders.shipping_address, orders.billing_address, orders.payment_method, orders.shipping_method, orders.shipping_method_name, orders.subtotal, orders.shipping, orders.tax_rate, orders.tax, orders.total, orders.placed_at, orders.paid_at, orders.shipped_at, orders.cancelled_at, orders.updated_at, orders.payment_reference, orders.tracking_number, orders.cancel_reason, orders.version, orders.placed_by, orders.payment_notifications 
FROM orders 
WHERE orders.id = (lpad(to_hex(:oid::BIGINT), 32, '0')::UUID::TEXT)::UUID;
UPDATE idempotency_keys SET recording=(regexp_replace(regexp_replace(replace(:k33::TEXT, :k34::TEXT, lpad(to_hex(:oid::BIGINT), 32, '0')::UUID::TEXT), :k12::TEXT, :s1::TEXT, 'g'), :k29::TEXT, :s2::TEXT, 'g'))::VARCHAR WHERE idempotency_keys.key = (:r2_key)::VARCHAR;
SELECT pg_advisory_xact_lock((:k22::TEXT)::bigint);
INSERT INTO events (stream_id, version, type, schema_version, data, metadata, recorded_at) VALUES ((replace(:k35::TEXT, :k34::TEXT, lpad(to_hex(:oid::BIGINT), 32, '0')::UUID::TEXT))::VARCHAR, (:k4::TEXT)::INTEGER, (:k24::TEXT)::VARCHAR, (:k4::TEXT)::INTEGER, (regexp_replace(regexp_replace(replace(:k36::TEXT, :k34::TEXT, lpad(to_hex(:oid::BIGINT), 32, '0')::UUID::TEXT), :k12::TEXT, :s1::TEXT, 'g'), :k29::TEXT, :s2::TEXT, 'g'))::JSONB, (:k37::TEXT)::JSONB, (now())::TIMESTAMP WITH TIME ZONE) RETURNING events.position;
COMMIT;
\else
-- place an order of 3 line(s): 13 round trips, [1] BEGIN [12] COMMIT
SELECT api_keys.id, api_keys.name, api_keys.role 
FROM api_keys 
WHERE api_keys.key_hash = (:k1::TEXT)::VARCHAR AND api_keys.revoked_at IS NULL \gset r0_
BEGIN ISOLATION LEVEL READ COMMITTED;
INSERT INTO idempotency_keys (key, fingerprint, created_at) VALUES ((left(encode(sha256(('v0-' || :oid::BIGINT)::BYTEA), 'hex'), 64))::VARCHAR, (:k38::TEXT)::VARCHAR, (now())::TIMESTAMP WITH TIME ZONE) ON CONFLICT (key) DO NOTHING RETURNING idempotency_keys.key \gset r2_
SELECT products.sku, products.name, products.price, products.currency, products.available 
FROM products 
WHERE products.sku IN ((:s1::TEXT)::VARCHAR, (:s2::TEXT)::VARCHAR, (:s3::TEXT)::VARCHAR) ORDER BY products.sku FOR UPDATE;
SELECT shipping_methods.code, shipping_methods.name, shipping_methods.price, shipping_methods.currency, shipping_methods.added_at 
FROM shipping_methods 
WHERE shipping_methods.code = (:k3::TEXT)::VARCHAR \gset r4_
UPDATE order_numbers SET last_number=(order_numbers.last_number + (:k4::TEXT)::BIGINT) WHERE order_numbers.id = (:k4::TEXT)::INTEGER RETURNING order_numbers.last_number \gset r5_
UPDATE products SET available=(products.available + (:k5::TEXT)::BIGINT), updated_at=(now())::TIMESTAMP WITH TIME ZONE WHERE products.sku = (:s1::TEXT)::VARCHAR;
UPDATE products SET available=(products.available + (:k5::TEXT)::BIGINT), updated_at=(now())::TIMESTAMP WITH TIME ZONE WHERE products.sku = (:s2::TEXT)::VARCHAR;
UPDATE products SET available=(products.available + (:k5::TEXT)::BIGINT), updated_at=(now())::TIMESTAMP WITH TIME ZONE WHERE products.sku = (:s3::TEXT)::VARCHAR;
INSERT INTO orders (id, number, status, currency, customer_name, customer_email, customer_phone, lines, shipping_address, billing_address, payment_method, shipping_method, shipping_method_name, subtotal, shipping, tax_rate, tax, total, placed_at, paid_at, shipped_at, cancelled_at, updated_at, payment_reference, tracking_number, cancel_reason, version, placed_by, payment_notifications) VALUES ((lpad(to_hex(:oid::BIGINT), 32, '0')::UUID::TEXT)::UUID, (:r5_last_number)::BIGINT, (:k6::TEXT)::VARCHAR, (:k7::TEXT)::VARCHAR, (:k8::TEXT)::VARCHAR, (:k9::TEXT)::VARCHAR, (:k10::TEXT)::VARCHAR, (regexp_replace(regexp_replace(regexp_replace(:k39::TEXT, :k12::TEXT, :s1::TEXT, 'g'), :k29::TEXT, :s2::TEXT, 'g'), :k40::TEXT, :s3::TEXT, 'g'))::JSONB, (:k13::TEXT)::JSONB, (:k13::TEXT)::JSONB, (:k14::TEXT)::VARCHAR, (:r4_code)::VARCHAR, (:r4_name)::VARCHAR, (:k41::TEXT)::BIGINT, (:k15::TEXT)::BIGINT, (:k16::TEXT)::VARCHAR, (:k42::TEXT)::BIGINT, (:k43::TEXT)::BIGINT, (now())::TIMESTAMP WITH TIME ZONE, NULL::TIMESTAMP WITH TIME ZONE, NULL::TIMESTAMP WITH TIME ZONE, NULL::TIMESTAMP WITH TIME ZONE, (now())::TIMESTAMP WITH TIME ZONE, NULL::VARCHAR, NULL::VARCHAR, NULL::VARCHAR, (:k4::TEXT)::INTEGER, (:r0_id)::VARCHAR, (:k19::TEXT)::JSONB);
SELECT orders.id, orders.number, orders.status, orders.currency, orders.customer_name, orders.customer_email, orders.customer_phone, orders.lines, orders.shipping_address, orders.billing_address, orders.payment_method, orders.shipping_method, orders.shipping_method_name, orders.subtotal, orders.shipping, orders.tax_rate, orders.tax, orders.total, orders.placed_at, orders.paid_at, orders.shipped_at, orders.cancelled_at, orders.updated_at, orders.payment_reference, orders.tracking_number, orders.cancel_reason, orders.version, orders.placed_by, orders.payment_notifications 
FROM orders 
WHERE orders.id = (lpad(to_hex(:oid::BIGINT), 32, '0')::UUID::TEXT)::UUID;
UPDATE idempotency_keys SET recording=(regexp_replace(regexp_replace(regexp_replace(replace(:k44::TEXT, :k45::TEXT, lpad(to_hex(:oid::BIGINT), 32, '0')::UUID::TEXT), :k12::TEXT, :s1::TEXT, 'g'), :k29::TEXT, :s2::TEXT, 'g'), :k40::TEXT, :s3::TEXT, 'g'))::VARCHAR WHERE idempotency_keys.key = (:r2_key)::VARCHAR;
SELECT pg_advisory_xact_lock((:k22::TEXT)::bigint);
INSERT INTO events (stream_id, version, type, schema_version, data, metadata, recorded_at) VALUES ((replace(:k46::TEXT, :k45::TEXT, lpad(to_hex(:oid::BIGINT), 32, '0')::UUID::TEXT))::VARCHAR, (:k4::TEXT)::INTEGER, (:k24::TEXT)::VARCHAR, (:k4::TEXT)::INTEGER, (regexp_replace(regexp_replace(regexp_replace(replace(:k47::TEXT, :k45::TEXT, lpad(to_hex(:oid::BIGINT), 32, '0')::UUID::TEXT), :k12::TEXT, :s1::TEXT, 'g'), :k29::TEXT, :s2::TEXT, 'g'), :k40::TEXT, :s3::TEXT, 'g'))::JSONB, (:k48::TEXT)::JSONB, (now())::TIMESTAMP WITH TIME ZONE) RETURNING events.position;
COMMIT;
\endif
