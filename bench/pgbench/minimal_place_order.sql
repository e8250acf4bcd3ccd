-- The minimal placement (issue 13's pgbench yardstick), on the plain app's schema
-- (bench/plain_app.py): one transaction of three statements. The conditional stock
-- UPDATE takes every line of the order (1-3 distinct SKUs, 1-3 of each, as the load
-- sends them) in one statement; then the read-model INSERT, its number from a sequence;
-- then the event INSERT. Variables: -D from bench/harness.py (pgbench_variables).
\set lines random(1, 3)
\set oid random(1, 4611686018427387903)
\set s1 random(:sku_first, :sku_last - 2)
\set s2 random(:s1 + 1, :sku_last - 1)
\set s3 random(:s2 + 1, :sku_last)
\set q1 random(1, 3)
\set q2 random(1, 3)
\set q3 random(1, 3)
BEGIN;
\if :lines = 1
UPDATE stock SET available = stock.available - line.quantity FROM (VALUES (:s1::VARCHAR, :q1::BIGINT)) AS line (sku, quantity) WHERE stock.sku = line.sku AND stock.available >= line.quantity RETURNING stock.sku, stock.name, stock.price;
\elif :lines = 2
UPDATE stock SET available = stock.available - line.quantity FROM (VALUES (:s1::VARCHAR, :q1::BIGINT), (:s2::VARCHAR, :q2::BIGINT)) AS line (sku, quantity) WHERE stock.sku = line.sku AND stock.available >= line.quantity RETURNING stock.sku, stock.name, stock.price;
\else
UPDATE stock SET available = stock.available - line.quantity FROM (VALUES (:s1::VARCHAR, :q1::BIGINT), (:s2::VARCHAR, :q2::BIGINT), (:s3::VARCHAR, :q3::BIGINT)) AS line (sku, quantity) WHERE stock.sku = line.sku AND stock.available >= line.quantity RETURNING stock.sku, stock.name, stock.price;
\endif
INSERT INTO orders (id, status, customer, lines, shipping_address, billing_address, payment_method, shipping_method, subtotal, shipping, tax, total, placed_by) VALUES (lpad(to_hex(:oid::BIGINT), 32, '0')::UUID, 'pending_payment', :customer_json::JSONB, :lines_json::JSONB, :address::JSONB, :address::JSONB, :payment_method::VARCHAR, :shipping_code::VARCHAR, :subtotal::BIGINT, :shipping::BIGINT, :tax::BIGINT, :total::BIGINT, 'bench') RETURNING orders.number;
INSERT INTO events (order_id, type, data) VALUES (lpad(to_hex(:oid::BIGINT), 32, '0')::UUID, 'OrderPlaced', :placed_data::JSONB);
COMMIT;
