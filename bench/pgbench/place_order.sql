-- POST /v1/orders with an Idempotency-Key: the statements order-service sends for one
-- order of 1 to 3 lines (distinct SKUs, 1-3 of each), in its order, as one transaction.
-- bench/sqlcheck.py compares this file with what the service sends, statement by
-- statement. Run with -M prepared; the -D variables come from bench/harness.py
-- (pgbench_variables). SKUs are the numbers 100001..101000, so an integer names one.
\set lines random(1, 3)
\set oid random(1, 4611686018427387903)
\set s1 random(:sku_first, :sku_last - 2)
\set s2 random(:s1 + 1, :sku_last - 1)
\set s3 random(:s2 + 1, :sku_last)
\set d1 0 - random(1, 3)
\set d2 0 - random(1, 3)
\set d3 0 - random(1, 3)
BEGIN;
-- the API key (the service looks it up in a short transaction of its own first)
SELECT api_keys.id, api_keys.name, api_keys.role
FROM api_keys
WHERE api_keys.key_hash = :key_hash::VARCHAR AND api_keys.revoked_at IS NULL;
INSERT INTO idempotency_keys (key, fingerprint, created_at) VALUES (lpad(to_hex(:oid::BIGINT), 64, '0')::VARCHAR, :fingerprint::VARCHAR, :now::TIMESTAMP WITH TIME ZONE) ON CONFLICT (key) DO NOTHING RETURNING idempotency_keys.key;
\if :lines = 1
SELECT products.sku, products.name, products.price, products.currency, products.available
FROM products
WHERE products.sku IN (:s1::VARCHAR) ORDER BY products.sku FOR UPDATE;
\elif :lines = 2
SELECT products.sku, products.name, products.price, products.currency, products.available
FROM products
WHERE products.sku IN (:s1::VARCHAR, :s2::VARCHAR) ORDER BY products.sku FOR UPDATE;
\else
SELECT products.sku, products.name, products.price, products.currency, products.available
FROM products
WHERE products.sku IN (:s1::VARCHAR, :s2::VARCHAR, :s3::VARCHAR) ORDER BY products.sku FOR UPDATE;
\endif
SELECT shipping_methods.code, shipping_methods.name, shipping_methods.price, shipping_methods.currency, shipping_methods.added_at
FROM shipping_methods
WHERE shipping_methods.code = :shipping_code::VARCHAR;
UPDATE order_numbers SET last_number=(order_numbers.last_number + :one::BIGINT) WHERE order_numbers.id = :one::INTEGER RETURNING order_numbers.last_number \gset
UPDATE products SET available=(products.available + :d1::BIGINT), updated_at=:now::TIMESTAMP WITH TIME ZONE WHERE products.sku = :s1::VARCHAR;
\if :lines >= 2
UPDATE products SET available=(products.available + :d2::BIGINT), updated_at=:now::TIMESTAMP WITH TIME ZONE WHERE products.sku = :s2::VARCHAR;
\endif
\if :lines = 3
UPDATE products SET available=(products.available + :d3::BIGINT), updated_at=:now::TIMESTAMP WITH TIME ZONE WHERE products.sku = :s3::VARCHAR;
\endif
INSERT INTO orders (id, number, status, currency, customer_name, customer_email, customer_phone, lines, shipping_address, billing_address, payment_method, shipping_method, shipping_method_name, subtotal, shipping, tax_rate, tax, total, placed_at, paid_at, shipped_at, cancelled_at, updated_at, payment_reference, tracking_number, cancel_reason, version, placed_by, payment_notifications) VALUES (lpad(to_hex(:oid::BIGINT), 32, '0')::UUID, :last_number::BIGINT, :pending::VARCHAR, :currency::VARCHAR, :customer_name::VARCHAR, :customer_email::VARCHAR, :customer_phone::VARCHAR, :lines_json::JSONB, :address::JSONB, :address::JSONB, :payment_method::VARCHAR, :shipping_code::VARCHAR, :shipping_name::VARCHAR, :subtotal::BIGINT, :shipping::BIGINT, :tax_rate::VARCHAR, :tax::BIGINT, :total::BIGINT, :now::TIMESTAMP WITH TIME ZONE, NULL::TIMESTAMP WITH TIME ZONE, NULL::TIMESTAMP WITH TIME ZONE, NULL::TIMESTAMP WITH TIME ZONE, :now::TIMESTAMP WITH TIME ZONE, NULL::VARCHAR, NULL::VARCHAR, NULL::VARCHAR, :one::INTEGER, :key_id::VARCHAR, :no_notifications::JSONB);
SELECT orders.id, orders.number, orders.status, orders.currency, orders.customer_name, orders.customer_email, orders.customer_phone, orders.lines, orders.shipping_address, orders.billing_address, orders.payment_method, orders.shipping_method, orders.shipping_method_name, orders.subtotal, orders.shipping, orders.tax_rate, orders.tax, orders.total, orders.placed_at, orders.paid_at, orders.shipped_at, orders.cancelled_at, orders.updated_at, orders.payment_reference, orders.tracking_number, orders.cancel_reason, orders.version, orders.placed_by, orders.payment_notifications
FROM orders
WHERE orders.id = lpad(to_hex(:oid::BIGINT), 32, '0')::UUID;
UPDATE idempotency_keys SET recording=:recording::VARCHAR WHERE idempotency_keys.key = lpad(to_hex(:oid::BIGINT), 64, '0')::VARCHAR;
SELECT pg_advisory_xact_lock(:append_lock);
INSERT INTO events (stream_id, version, type, schema_version, data, metadata, recorded_at) VALUES (('order-' || lpad(to_hex(:oid::BIGINT), 32, '0')::UUID)::VARCHAR, :one::INTEGER, :placed_type::VARCHAR, :one::INTEGER, :placed_data::JSONB, :metadata::JSONB, :now::TIMESTAMP WITH TIME ZONE) RETURNING events.position;
COMMIT;
