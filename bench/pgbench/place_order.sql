-- POST /v1/orders: a fresh order of 1-3 lines (distinct SKUs).
-- Made by bench/sqlcheck.py from the statements the service sent; do not edit:
-- `.venv/bin/python bench/sqlcheck.py --write` refreshes it. Run by bench/harness.py, which passes the -D constants.
\set lines random(1, 3)
\set oid random(1, 4611686018427387903)
\set s1 random(:sku_first, :sku_last - 2)
\set s2 random(:s1 + 1, :sku_last - 1)
\set s3 random(:s2 + 1, :sku_last)
\if :lines = 1
-- place an order of 1 line(s): 2 round trips, [2]
SELECT i.nth, p.skus, p.names, p.prices, p.currencies, p.available, s.code AS shipping_code, s.name AS shipping_name, s.price AS shipping_price, s.currency AS shipping_currency, k.created_at AS key_created_at, k.fingerprint AS key_fingerprint, k.recording AS key_recording FROM jsonb_array_elements((regexp_replace(:k1::TEXT, :k2::TEXT, :s1::TEXT, 'g'))::text::jsonb) WITH ORDINALITY AS i(item, nth) CROSS JOIN LATERAL (SELECT array_agg(sku) AS skus, array_agg(name) AS names, array_agg(price) AS prices, array_agg(currency) AS currencies, array_agg(available) AS available FROM products WHERE sku = ANY(ARRAY(SELECT jsonb_array_elements_text(i.item->'skus')))) AS p LEFT JOIN shipping_methods AS s ON s.code = i.item->>'shipping_code' LEFT JOIN LATERAL (SELECT created_at, fingerprint, recording FROM idempotency_keys WHERE key = i.item->>'key' LIMIT 1) AS k ON true ORDER BY i.nth;
SELECT nth, receipt FROM place_orders((regexp_replace(replace(:k3::TEXT, :k4::TEXT, lpad(to_hex(:oid::BIGINT), 32, '0')::UUID::TEXT), :k2::TEXT, :s1::TEXT, 'g'))::text::jsonb, (:k5::TEXT)::bigint);
\elif :lines = 2
-- place an order of 2 line(s): 2 round trips, [2]
SELECT i.nth, p.skus, p.names, p.prices, p.currencies, p.available, s.code AS shipping_code, s.name AS shipping_name, s.price AS shipping_price, s.currency AS shipping_currency, k.created_at AS key_created_at, k.fingerprint AS key_fingerprint, k.recording AS key_recording FROM jsonb_array_elements((regexp_replace(regexp_replace(:k6::TEXT, :k2::TEXT, :s1::TEXT, 'g'), :k7::TEXT, :s2::TEXT, 'g'))::text::jsonb) WITH ORDINALITY AS i(item, nth) CROSS JOIN LATERAL (SELECT array_agg(sku) AS skus, array_agg(name) AS names, array_agg(price) AS prices, array_agg(currency) AS currencies, array_agg(available) AS available FROM products WHERE sku = ANY(ARRAY(SELECT jsonb_array_elements_text(i.item->'skus')))) AS p LEFT JOIN shipping_methods AS s ON s.code = i.item->>'shipping_code' LEFT JOIN LATERAL (SELECT created_at, fingerprint, recording FROM idempotency_keys WHERE key = i.item->>'key' LIMIT 1) AS k ON true ORDER BY i.nth;
SELECT nth, receipt FROM place_orders((regexp_replace(regexp_replace(replace(:k8::TEXT, :k9::TEXT, lpad(to_hex(:oid::BIGINT), 32, '0')::UUID::TEXT), :k2::TEXT, :s1::TEXT, 'g'), :k7::TEXT, :s2::TEXT, 'g'))::text::jsonb, (:k5::TEXT)::bigint);
\else
-- place an order of 3 line(s): 2 round trips, [2]
SELECT i.nth, p.skus, p.names, p.prices, p.currencies, p.available, s.code AS shipping_code, s.name AS shipping_name, s.price AS shipping_price, s.currency AS shipping_currency, k.created_at AS key_created_at, k.fingerprint AS key_fingerprint, k.recording AS key_recording FROM jsonb_array_elements((regexp_replace(regexp_replace(regexp_replace(:k10::TEXT, :k2::TEXT, :s1::TEXT, 'g'), :k7::TEXT, :s2::TEXT, 'g'), :k11::TEXT, :s3::TEXT, 'g'))::text::jsonb) WITH ORDINALITY AS i(item, nth) CROSS JOIN LATERAL (SELECT array_agg(sku) AS skus, array_agg(name) AS names, array_agg(price) AS prices, array_agg(currency) AS currencies, array_agg(available) AS available FROM products WHERE sku = ANY(ARRAY(SELECT jsonb_array_elements_text(i.item->'skus')))) AS p LEFT JOIN shipping_methods AS s ON s.code = i.item->>'shipping_code' LEFT JOIN LATERAL (SELECT created_at, fingerprint, recording FROM idempotency_keys WHERE key = i.item->>'key' LIMIT 1) AS k ON true ORDER BY i.nth;
SELECT nth, receipt FROM place_orders((regexp_replace(regexp_replace(regexp_replace(replace(:k12::TEXT, :k13::TEXT, lpad(to_hex(:oid::BIGINT), 32, '0')::UUID::TEXT), :k2::TEXT, :s1::TEXT, 'g'), :k7::TEXT, :s2::TEXT, 'g'), :k11::TEXT, :s3::TEXT, 'g'))::text::jsonb, (:k5::TEXT)::bigint);
\endif
