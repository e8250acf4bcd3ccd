-- GET /v1/orders/{id}: the API key lookup and the orders row (the service reads them
-- in two short transactions; here they share one). Orders 1..:orders have the ids
-- UUID(int=number) in the pgbench database. bench/sqlcheck.py compares this file with
-- what the service sends.
\set n random(1, :orders)
BEGIN;
SELECT api_keys.id, api_keys.name, api_keys.role
FROM api_keys
WHERE api_keys.key_hash = :key_hash::VARCHAR AND api_keys.revoked_at IS NULL;
SELECT orders.id, orders.number, orders.status, orders.currency, orders.customer_name, orders.customer_email, orders.customer_phone, orders.lines, orders.shipping_address, orders.billing_address, orders.payment_method, orders.shipping_method, orders.shipping_method_name, orders.subtotal, orders.shipping, orders.tax_rate, orders.tax, orders.total, orders.placed_at, orders.paid_at, orders.shipped_at, orders.cancelled_at, orders.updated_at, orders.payment_reference, orders.tracking_number, orders.cancel_reason, orders.version, orders.placed_by, orders.payment_notifications
FROM orders
WHERE orders.id = lpad(to_hex(:n::BIGINT), 32, '0')::UUID;
COMMIT;
