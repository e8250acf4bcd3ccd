"""The schema's one MetaData, and the tables of the service's own bookkeeping.

Idempotency keys, API keys, back-office sessions, the relay's checkpoint, geocoded
addresses and payment notification ids; the events (eventstore.tables) and the read
models (projections.tables) are tables of the same MetaData.
"""

from __future__ import annotations

from sqlalchemy import Column, Float, Index, Integer, MetaData, String, Table, Text, Uuid

from order_service.adapters.sql.column_types import Position, UtcDateTime

# One naming convention for every constraint so Alembic migrations name them alike on
# SQLite and PostgreSQL.
NAMING_CONVENTION = {
    "ix": "ix_%(table_name)s_%(column_0_N_name)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}

metadata = MetaData(naming_convention=NAMING_CONVENTION)

idempotency_keys = Table(
    "idempotency_keys",
    metadata,
    Column("key", String(255), primary_key=True),
    Column("fingerprint", String(64), nullable=False),
    # The answer to repeat: opaque to the store, written by the HTTP layer.
    Column("recording", Text),
    Column("created_at", UtcDateTime, nullable=False, index=True),
)

api_keys = Table(
    "api_keys",
    metadata,
    Column("id", String(36), primary_key=True),
    Column("name", String(100), nullable=False),
    Column("role", String(20), nullable=False),
    # SHA-256 of the key: the key itself is shown once and never stored.
    Column("key_hash", String(64), nullable=False, unique=True),
    Column("shown_prefix", String(16), nullable=False),
    Column("created_at", UtcDateTime, nullable=False),
    Column("last_used_at", UtcDateTime),
    Column("revoked_at", UtcDateTime),
)
# A name is unique among active keys, so a revoked key's name can be given again.
Index("uq_api_keys_active_name", api_keys.c.name, unique=True,
      sqlite_where=api_keys.c.revoked_at.is_(None),
      postgresql_where=api_keys.c.revoked_at.is_(None))

# Signed-in sessions of the merchant back office (/admin). The browser holds the token in
# a cookie; only its SHA-256 is stored, so a copy of this table signs nobody in.
admin_sessions = Table(
    "admin_sessions",
    metadata,
    Column("token_hash", String(64), primary_key=True),
    # The merchant key that signed in: revoking it ends the session at its next request.
    Column("api_key_id", String(36), nullable=False),
    Column("created_at", UtcDateTime, nullable=False),
    Column("last_seen_at", UtcDateTime, nullable=False),
    # The message the next page shows once (after an action: Post/Redirect/Get).
    Column("flash", Text),
)

# How far the NATS relay has published, one row per JetStream stream, and which relay
# publishes: the holder bumps `beat` while it works, and a standby that sees the beat
# stand still for a lease takes over (no clocks compared, so hosts may disagree on time).
event_relay = Table(
    "event_relay",
    metadata,
    Column("stream", String(100), primary_key=True),
    # The last position JetStream acknowledged; every event up to it is published.
    Column("position", Position, nullable=False),
    Column("holder", String(100)),
    # A counter, typed like a position so that it never overflows.
    Column("beat", Position, nullable=False),
)

# Where each shipping address is, as a geocoder found it (geocoding/), so that it is asked
# once per address and never while a page waits. Failures are kept too, with when to try
# again, so a geocoder that is down is not asked on every page view.
address_locations = Table(
    "address_locations",
    metadata,
    # SHA-256 of the address's street, town and country (geocoding.places.AddressQuery).
    Column("address_key", String(64), primary_key=True),
    # pending, found, not_found or failed (geocoding.places.LookupState); the point is
    # there exactly when found.
    Column("state", String(20), nullable=False),
    Column("latitude", Float),
    Column("longitude", Float),
    Column("attempts", Integer, nullable=False),
    Column("looked_up_at", UtcDateTime, nullable=False),
    # When the geocoder may be asked again; NULL once found.
    Column("retry_at", UtcDateTime),
)

# Each payment-gateway notification id, with the order it was first taken for: an id is
# unique across the store, so its primary key is what stops two orders taking one id,
# however the two commands interleave. Written in the command's own transaction.
payment_notification_ids = Table(
    "payment_notification_ids",
    metadata,
    Column("notification_id", String(200), primary_key=True),
    Column("order_id", Uuid, nullable=False),
    Column("taken_at", UtcDateTime, nullable=False),
)

# Every email the email follower handed to the mail server, or that the server refused
# for good: the order's page lists them, and a resend is asked for by the event's id.
# The follower's checkpoint and lease are an event_relay row (EMAIL_STREAM).
email_log = Table(
    "email_log",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("event_id", String(36), nullable=False, index=True),
    Column("position", Position, nullable=False),
    Column("order_id", Uuid, nullable=False, index=True),
    Column("kind", String(20), nullable=False),
    Column("recipient", String(320), nullable=False),
    Column("subject", String(300), nullable=False),
    Column("message_id", String(200), nullable=False),
    # "sent" (the server accepted it) or "refused" (a permanent refusal, in `reason`).
    Column("outcome", String(10), nullable=False),
    Column("reason", String(500)),
    Column("at", UtcDateTime, nullable=False),
)

# Emails a merchant asked to send again (the back office's Resend): the follower sends
# each once, with a Message-ID of its own, and marks it done.
email_resends = Table(
    "email_resends",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("event_id", String(36), nullable=False),
    Column("position", Position, nullable=False),
    Column("order_id", Uuid, nullable=False, index=True),
    Column("requested_by", String(200), nullable=False),
    Column("requested_at", UtcDateTime, nullable=False),
    Column("done_at", UtcDateTime),
)
