-- GET /v1/orders/{id}: a random one of the seeded orders 1..:orders.
-- Made by bench/sqlcheck.py from the statements the service sent; do not edit:
-- `.venv/bin/python bench/sqlcheck.py --write` refreshes it. Run by bench/harness.py, which passes the -D constants.
\set n random(1, :orders)
\set oid random(1, 4611686018427387903)
-- get an order: 2 round trips, [2]
SELECT api_keys.id, api_keys.name, api_keys.role 
FROM api_keys 
WHERE api_keys.key_hash = (:k1::TEXT)::VARCHAR AND api_keys.revoked_at IS NULL;
SELECT orders.id, orders.number, orders.status, orders.currency, orders.customer_name, orders.customer_email, orders.customer_phone, orders.lines, orders.shipping_address, orders.billing_address, orders.payment_method, orders.shipping_method, orders.shipping_method_name, orders.subtotal, orders.shipping, orders.tax_rate, orders.tax, orders.total, orders.placed_at, orders.paid_at, orders.shipped_at, orders.cancelled_at, orders.updated_at, orders.payment_reference, orders.tracking_number, orders.cancel_reason, orders.version, orders.placed_by, orders.payment_notifications 
FROM orders 
WHERE orders.id = (lpad(to_hex(:n::BIGINT), 32, '0')::UUID::TEXT)::UUID;
