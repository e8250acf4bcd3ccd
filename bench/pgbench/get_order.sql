-- GET /v1/orders/{id}: a random one of the seeded orders 1..:orders.
-- Made by bench/sqlcheck.py from the statements the service sent; do not edit:
-- `.venv/bin/python bench/sqlcheck.py --write` refreshes it. Run by bench/harness.py, which passes the -D constants.
\set n random(1, :orders)
\set oid random(1, 4611686018427387903)
-- get an order: 1 round trips, [1]
SELECT id, left(document, -1) || E',"payment_instructions"\072' || COALESCE((CASE payment_method WHEN (:k1::TEXT)::text THEN (:k2::TEXT)::text || total::text || (:k3::TEXT)::text || currency || (:k4::TEXT)::text || number::text || (:k5::TEXT)::text WHEN (:k6::TEXT)::text THEN (:k7::TEXT)::text || total::text || (:k3::TEXT)::text || currency || (:k5::TEXT)::text ELSE 'null' END)::text, 'null') || '}', version, placed_by FROM orders WHERE id = ANY((replace(:k8::TEXT, :k9::TEXT, lpad(to_hex(:n::BIGINT), 32, '0')::UUID::TEXT))::uuid[]);
