-- POST /v1/orders/{id}/pay: the next order of this client's slice of pending orders (-D base, per_client, seq=0).
-- Made by bench/sqlcheck.py from the statements the service sent; do not edit:
-- `.venv/bin/python bench/sqlcheck.py --write` refreshes it. Run by bench/harness.py, which passes the -D constants.
\set seq :seq + 1
\set n :base + :client_id * :per_client + :seq
\set oid random(1, 4611686018427387903)
-- pay: 2 round trips, [2]
SELECT h.event_types, h.event_versions, h.event_data, o.*, k.created_at AS key_created_at, k.fingerprint AS key_fingerprint, k.recording AS key_recording FROM (SELECT array_agg(type ORDER BY version) AS event_types, array_agg(schema_version ORDER BY version) AS event_versions, array_agg(data ORDER BY version) AS event_data FROM events WHERE stream_id = (replace(:k1::TEXT, :k2::TEXT, lpad(to_hex(:n::BIGINT), 32, '0')::UUID::TEXT))::text) AS h LEFT JOIN orders AS o ON o.id = (lpad(to_hex(:n::BIGINT), 32, '0')::UUID::TEXT)::uuid LEFT JOIN idempotency_keys AS k ON k.key = (left(encode(sha256(('v0-' || :oid::BIGINT)::BYTEA), 'hex'), 64))::text;
WITH changed AS (UPDATE orders SET status = CAST((:k3::TEXT)::character varying AS VARCHAR(20)), paid_at = CAST((now())::timestamp with time zone AS TIMESTAMP WITH TIME ZONE), payment_reference = CAST((:k4::TEXT)::character varying AS VARCHAR(200)), updated_at = CAST((now())::timestamp with time zone AS TIMESTAMP WITH TIME ZONE), version = CAST((:k5::TEXT)::integer AS INTEGER) WHERE id = (lpad(to_hex(:n::BIGINT), 32, '0')::UUID::TEXT)::uuid AND version = (:k6::TEXT)::integer RETURNING id),
ready AS (SELECT 1 AS go FROM changed),
claimed AS (INSERT INTO idempotency_keys (key, fingerprint, created_at, recording) SELECT (left(encode(sha256(('v0-' || :oid::BIGINT)::BYTEA), 'hex'), 64))::varchar, (left(encode(sha256(('v2-' || :oid::BIGINT)::BYTEA), 'hex'), 64))::varchar, (now())::timestamptz, (regexp_replace(replace(:k7::TEXT, :k2::TEXT, lpad(to_hex(:n::BIGINT), 32, '0')::UUID::TEXT), :k8::TEXT, :s1::TEXT, 'g'))::text FROM ready),
appended AS (INSERT INTO events (stream_id, version, type, schema_version, data, metadata, recorded_at) SELECT (replace(:k1::TEXT, :k2::TEXT, lpad(to_hex(:n::BIGINT), 32, '0')::UUID::TEXT))::varchar, (:k5::TEXT)::integer, (:k9::TEXT)::varchar, (:k6::TEXT)::integer, (replace(:k10::TEXT, :k2::TEXT, lpad(to_hex(:n::BIGINT), 32, '0')::UUID::TEXT))::jsonb, (:k11::TEXT)::jsonb, (now())::timestamptz FROM ready, LATERAL (SELECT pg_advisory_xact_lock((:k12::TEXT)::bigint)) AS serialised RETURNING 1)
SELECT count(*) FROM appended;
