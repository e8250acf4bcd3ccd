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
-- cancel an order of 1 line(s): 4 round trips, BEGIN [3] COMMIT [1]
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
WITH changed AS (UPDATE orders SET status = CAST((:k3::TEXT)::character varying AS VARCHAR(20)), cancelled_at = CAST((now())::timestamp with time zone AS TIMESTAMP WITH TIME ZONE), cancel_reason = CAST((:k4::TEXT)::character varying AS VARCHAR(500)), updated_at = CAST((now())::timestamp with time zone AS TIMESTAMP WITH TIME ZONE), version = CAST((:k5::TEXT)::integer AS INTEGER) WHERE id = (lpad(to_hex(:n::BIGINT), 32, '0')::UUID::TEXT)::uuid AND version = (:k6::TEXT)::integer RETURNING id),
held AS MATERIALIZED (SELECT sku FROM products WHERE sku = ANY((regexp_replace(:k7::TEXT, :k8::TEXT, :s1::TEXT, 'g'))::text[]) AND EXISTS (SELECT FROM changed) ORDER BY sku FOR UPDATE),
stocked AS (UPDATE products SET available = products.available + c.change, updated_at = (now())::timestamp with time zone FROM unnest((regexp_replace(:k7::TEXT, :k8::TEXT, :s1::TEXT, 'g'))::varchar[], (:k9::TEXT)::bigint[]) AS c(sku, change) WHERE products.sku = c.sku AND (SELECT count(*) FROM held) = (:k6::TEXT)::bigint RETURNING products.sku),
ready AS (SELECT 1 AS go FROM changed WHERE (SELECT count(*) FROM stocked) = (:k6::TEXT)::bigint),
claimed AS (INSERT INTO idempotency_keys (key, fingerprint, created_at, recording) SELECT (left(encode(sha256(('v0-' || :oid::BIGINT)::BYTEA), 'hex'), 64))::character varying, (left(encode(sha256(('v2-' || :oid::BIGINT)::BYTEA), 'hex'), 64))::character varying, (now())::timestamp with time zone, (regexp_replace(replace(:k10::TEXT, :k2::TEXT, lpad(to_hex(:n::BIGINT), 32, '0')::UUID::TEXT), :k8::TEXT, :s1::TEXT, 'g'))::text FROM ready),
appended AS (INSERT INTO events (stream_id, version, type, schema_version, data, metadata, recorded_at) SELECT (replace(:k1::TEXT, :k2::TEXT, lpad(to_hex(:n::BIGINT), 32, '0')::UUID::TEXT))::character varying, (:k5::TEXT)::integer, (:k11::TEXT)::character varying, (:k6::TEXT)::integer, (regexp_replace(replace(:k12::TEXT, :k2::TEXT, lpad(to_hex(:n::BIGINT), 32, '0')::UUID::TEXT), :k8::TEXT, :s1::TEXT, 'g'))::jsonb, (:k13::TEXT)::jsonb, (now())::timestamp with time zone FROM ready, LATERAL (SELECT pg_advisory_xact_lock((:k14::TEXT)::bigint)) AS serialised RETURNING 1)
SELECT count(*) FROM appended;
\elif :lines = 2
-- cancel an order of 2 line(s): 4 round trips, BEGIN [3] COMMIT [1]
BEGIN ISOLATION LEVEL READ COMMITTED;
SELECT events.type, events.schema_version, events.data 
FROM events 
WHERE events.stream_id = (replace(:k15::TEXT, :k16::TEXT, lpad(to_hex(:n::BIGINT), 32, '0')::UUID::TEXT))::VARCHAR ORDER BY events.version;
SELECT orders.id, orders.number, orders.status, orders.currency, orders.customer_name, orders.customer_email, orders.customer_phone, orders.lines, orders.shipping_address, orders.billing_address, orders.payment_method, orders.shipping_method, orders.shipping_method_name, orders.subtotal, orders.shipping, orders.tax_rate, orders.tax, orders.total, orders.placed_at, orders.paid_at, orders.shipped_at, orders.cancelled_at, orders.updated_at, orders.payment_reference, orders.tracking_number, orders.cancel_reason, orders.version, orders.placed_by, orders.payment_notifications 
FROM orders 
WHERE orders.id = (lpad(to_hex(:n::BIGINT), 32, '0')::UUID::TEXT)::UUID;
SELECT idempotency_keys.fingerprint, idempotency_keys.recording, idempotency_keys.created_at 
FROM idempotency_keys 
WHERE idempotency_keys.key = (left(encode(sha256(('v0-' || :oid::BIGINT)::BYTEA), 'hex'), 64))::VARCHAR;
COMMIT;
WITH changed AS (UPDATE orders SET status = CAST((:k3::TEXT)::character varying AS VARCHAR(20)), cancelled_at = CAST((now())::timestamp with time zone AS TIMESTAMP WITH TIME ZONE), cancel_reason = CAST((:k4::TEXT)::character varying AS VARCHAR(500)), updated_at = CAST((now())::timestamp with time zone AS TIMESTAMP WITH TIME ZONE), version = CAST((:k5::TEXT)::integer AS INTEGER) WHERE id = (lpad(to_hex(:n::BIGINT), 32, '0')::UUID::TEXT)::uuid AND version = (:k6::TEXT)::integer RETURNING id),
held AS MATERIALIZED (SELECT sku FROM products WHERE sku = ANY((regexp_replace(regexp_replace(:k17::TEXT, :k8::TEXT, :s1::TEXT, 'g'), :k18::TEXT, :s2::TEXT, 'g'))::text[]) AND EXISTS (SELECT FROM changed) ORDER BY sku FOR UPDATE),
stocked AS (UPDATE products SET available = products.available + c.change, updated_at = (now())::timestamp with time zone FROM unnest((regexp_replace(regexp_replace(:k17::TEXT, :k8::TEXT, :s1::TEXT, 'g'), :k18::TEXT, :s2::TEXT, 'g'))::varchar[], (:k19::TEXT)::bigint[]) AS c(sku, change) WHERE products.sku = c.sku AND (SELECT count(*) FROM held) = (:k5::TEXT)::bigint RETURNING products.sku),
ready AS (SELECT 1 AS go FROM changed WHERE (SELECT count(*) FROM stocked) = (:k5::TEXT)::bigint),
claimed AS (INSERT INTO idempotency_keys (key, fingerprint, created_at, recording) SELECT (left(encode(sha256(('v0-' || :oid::BIGINT)::BYTEA), 'hex'), 64))::character varying, (left(encode(sha256(('v2-' || :oid::BIGINT)::BYTEA), 'hex'), 64))::character varying, (now())::timestamp with time zone, (regexp_replace(regexp_replace(replace(:k20::TEXT, :k16::TEXT, lpad(to_hex(:n::BIGINT), 32, '0')::UUID::TEXT), :k8::TEXT, :s1::TEXT, 'g'), :k18::TEXT, :s2::TEXT, 'g'))::text FROM ready),
appended AS (INSERT INTO events (stream_id, version, type, schema_version, data, metadata, recorded_at) SELECT (replace(:k15::TEXT, :k16::TEXT, lpad(to_hex(:n::BIGINT), 32, '0')::UUID::TEXT))::character varying, (:k5::TEXT)::integer, (:k11::TEXT)::character varying, (:k6::TEXT)::integer, (regexp_replace(regexp_replace(replace(:k21::TEXT, :k16::TEXT, lpad(to_hex(:n::BIGINT), 32, '0')::UUID::TEXT), :k8::TEXT, :s1::TEXT, 'g'), :k18::TEXT, :s2::TEXT, 'g'))::jsonb, (:k22::TEXT)::jsonb, (now())::timestamp with time zone FROM ready, LATERAL (SELECT pg_advisory_xact_lock((:k14::TEXT)::bigint)) AS serialised RETURNING 1)
SELECT count(*) FROM appended;
\else
-- cancel an order of 3 line(s): 4 round trips, BEGIN [3] COMMIT [1]
BEGIN ISOLATION LEVEL READ COMMITTED;
SELECT events.type, events.schema_version, events.data 
FROM events 
WHERE events.stream_id = (replace(:k23::TEXT, :k24::TEXT, lpad(to_hex(:n::BIGINT), 32, '0')::UUID::TEXT))::VARCHAR ORDER BY events.version;
SELECT orders.id, orders.number, orders.status, orders.currency, orders.customer_name, orders.customer_email, orders.customer_phone, orders.lines, orders.shipping_address, orders.billing_address, orders.payment_method, orders.shipping_method, orders.shipping_method_name, orders.subtotal, orders.shipping, orders.tax_rate, orders.tax, orders.total, orders.placed_at, orders.paid_at, orders.shipped_at, orders.cancelled_at, orders.updated_at, orders.payment_reference, orders.tracking_number, orders.cancel_reason, orders.version, orders.placed_by, orders.payment_notifications 
FROM orders 
WHERE orders.id = (lpad(to_hex(:n::BIGINT), 32, '0')::UUID::TEXT)::UUID;
SELECT idempotency_keys.fingerprint, idempotency_keys.recording, idempotency_keys.created_at 
FROM idempotency_keys 
WHERE idempotency_keys.key = (left(encode(sha256(('v0-' || :oid::BIGINT)::BYTEA), 'hex'), 64))::VARCHAR;
COMMIT;
WITH changed AS (UPDATE orders SET status = CAST((:k3::TEXT)::character varying AS VARCHAR(20)), cancelled_at = CAST((now())::timestamp with time zone AS TIMESTAMP WITH TIME ZONE), cancel_reason = CAST((:k4::TEXT)::character varying AS VARCHAR(500)), updated_at = CAST((now())::timestamp with time zone AS TIMESTAMP WITH TIME ZONE), version = CAST((:k5::TEXT)::integer AS INTEGER) WHERE id = (lpad(to_hex(:n::BIGINT), 32, '0')::UUID::TEXT)::uuid AND version = (:k6::TEXT)::integer RETURNING id),
held AS MATERIALIZED (SELECT sku FROM products WHERE sku = ANY((regexp_replace(regexp_replace(regexp_replace(:k25::TEXT, :k8::TEXT, :s1::TEXT, 'g'), :k18::TEXT, :s2::TEXT, 'g'), :k26::TEXT, :s3::TEXT, 'g'))::text[]) AND EXISTS (SELECT FROM changed) ORDER BY sku FOR UPDATE),
stocked AS (UPDATE products SET available = products.available + c.change, updated_at = (now())::timestamp with time zone FROM unnest((regexp_replace(regexp_replace(regexp_replace(:k25::TEXT, :k8::TEXT, :s1::TEXT, 'g'), :k18::TEXT, :s2::TEXT, 'g'), :k26::TEXT, :s3::TEXT, 'g'))::varchar[], (:k27::TEXT)::bigint[]) AS c(sku, change) WHERE products.sku = c.sku AND (SELECT count(*) FROM held) = (:k28::TEXT)::bigint RETURNING products.sku),
ready AS (SELECT 1 AS go FROM changed WHERE (SELECT count(*) FROM stocked) = (:k28::TEXT)::bigint),
claimed AS (INSERT INTO idempotency_keys (key, fingerprint, created_at, recording) SELECT (left(encode(sha256(('v0-' || :oid::BIGINT)::BYTEA), 'hex'), 64))::character varying, (left(encode(sha256(('v2-' || :oid::BIGINT)::BYTEA), 'hex'), 64))::character varying, (now())::timestamp with time zone, (regexp_replace(regexp_replace(regexp_replace(replace(:k29::TEXT, :k24::TEXT, lpad(to_hex(:n::BIGINT), 32, '0')::UUID::TEXT), :k8::TEXT, :s1::TEXT, 'g'), :k18::TEXT, :s2::TEXT, 'g'), :k26::TEXT, :s3::TEXT, 'g'))::text FROM ready),
appended AS (INSERT INTO events (stream_id, version, type, schema_version, data, metadata, recorded_at) SELECT (replace(:k23::TEXT, :k24::TEXT, lpad(to_hex(:n::BIGINT), 32, '0')::UUID::TEXT))::character varying, (:k5::TEXT)::integer, (:k11::TEXT)::character varying, (:k6::TEXT)::integer, (regexp_replace(regexp_replace(regexp_replace(replace(:k30::TEXT, :k24::TEXT, lpad(to_hex(:n::BIGINT), 32, '0')::UUID::TEXT), :k8::TEXT, :s1::TEXT, 'g'), :k18::TEXT, :s2::TEXT, 'g'), :k26::TEXT, :s3::TEXT, 'g'))::jsonb, (:k31::TEXT)::jsonb, (now())::timestamp with time zone FROM ready, LATERAL (SELECT pg_advisory_xact_lock((:k14::TEXT)::bigint)) AS serialised RETURNING 1)
SELECT count(*) FROM appended;
\endif
