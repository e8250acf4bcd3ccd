-- POST /v1/orders/{id}/ship: the next order of this client's slice of paid orders (-D base, per_client, seq=0).
-- Made by bench/sqlcheck.py from the statements the service sent; do not edit:
-- `.venv/bin/python bench/sqlcheck.py --write` refreshes it. Run by bench/harness.py, which passes the -D constants.
\set seq :seq + 1
\set n :base + :client_id * :per_client + :seq
\set oid random(1, 4611686018427387903)
-- ship: 2 round trips, [2]
SELECT i.nth, h.event_types, h.event_versions, h.event_data, o.*, k.created_at AS key_created_at, k.fingerprint AS key_fingerprint, k.recording AS key_recording FROM jsonb_array_elements((replace(:k1::TEXT, :k2::TEXT, lpad(to_hex(:n::BIGINT), 32, '0')::UUID::TEXT))::text::jsonb) WITH ORDINALITY AS i(item, nth) CROSS JOIN LATERAL (SELECT array_agg(type ORDER BY version) AS event_types, array_agg(schema_version ORDER BY version) AS event_versions, array_agg(data ORDER BY version) AS event_data FROM events WHERE stream_id = i.item->>'stream') AS h LEFT JOIN LATERAL (SELECT * FROM orders WHERE id = (i.item->>'order_id')::uuid LIMIT 1) AS o ON true LEFT JOIN LATERAL (SELECT created_at, fingerprint, recording FROM idempotency_keys WHERE key = i.item->>'key' LIMIT 1) AS k ON true ORDER BY i.nth;
SELECT nth, written FROM change_orders((regexp_replace(replace(:k3::TEXT, :k2::TEXT, lpad(to_hex(:n::BIGINT), 32, '0')::UUID::TEXT), :k4::TEXT, :s1::TEXT, 'g'))::text::jsonb, (:k5::TEXT)::bigint);
