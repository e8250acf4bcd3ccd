"""The projections' folds as set-based SQL over the events table, for rebuilding.

Replaying a million events one at a time through Python costs minutes; the database can
fold them in seconds without a single event leaving the server. Each statement here is
the set-based form of a live projection (orders.py, products.py) and must produce
exactly its rows: tests/integration/test_rebuild.py compares a rebuild with the live
read models after every kind of event, on both databases.

An order's row is a fold of its stream: the OrderPlaced event gives the row, and of the
later events the last one of each kind gives that kind's columns (paid, shipped,
cancelled), the last transition gives the status, the last change of any kind gives
`updated_at` and `version`, and every PaymentNotified adds an entry, oldest first. A
product is its ProductAdded row plus the sum of its stock changes, `updated_at` taken
from the last change. Both folds read the stored payloads as they are, so they refuse
to run while any stored event still needs an upcaster (see `outdated_event_types`).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import Connection

from order_service.eventstore.codec import EVENT_CLASSES
from order_service.projections import tables

# What each order event sets besides `updated_at` and `version` (order_projector.order_changes).
STATUS_AFTER = {"OrderPaid": "paid", "OrderShipped": "shipped", "OrderCancelled": "cancelled"}
MOMENT_OF = {"OrderPaid": "paid_at", "OrderShipped": "shipped_at",
             "OrderCancelled": "cancelled_at", "PaymentNotified": "received_at"}
DETAIL_OF = {"OrderPaid": "payment_reference", "OrderShipped": "tracking_number",
             "OrderCancelled": "reason"}
NOTIFICATION_KEYS = ("notification_id", "succeeded", "amount", "currency",
                     "payment_reference", "applied", "reason", "received_at")


def outdated_event_types() -> list[tuple[str, int]]:
    """(type, schema version) pairs an upcaster would still change when read."""
    return [(name, version) for name, cls in sorted(EVENT_CLASSES.items())
            for version in range(1, cls.SCHEMA_VERSION)]


@dataclass(frozen=True)
class Dialect:
    """How one database reads a JSON payload and spells the few things that differ."""

    name: str
    text: Callable[[str, str], str]  # a scalar member as SQL text ("customer.name" nests)
    json: Callable[[str, str], str]  # a member as a JSON value
    integer: Callable[[str, str], str]
    timestamp: Callable[[str], str]  # ISO 8601 text to the column's stored form
    uuid: Callable[[str], str]  # canonical UUID text to the column's stored form
    json_object: str
    empty_array: str
    padded: Callable[[str], str]  # an integer as ten digits, so text order is number order
    binary: str  # the collation that compares text byte by byte
    differs: str  # the comparison under which NULL equals NULL and nothing else


def _pg_path(document: str, path: str, last: str) -> str:
    *outer, member = path.split(".")
    return "".join([document, *(f"->'{key}'" for key in outer), f"{last}'{member}'"])


POSTGRESQL = Dialect(
    name="postgresql",
    text=lambda document, path: _pg_path(document, path, "->>"),
    json=lambda document, path: _pg_path(document, path, "->"),
    integer=lambda document, path: f"({_pg_path(document, path, '->>')})::bigint",
    timestamp=lambda iso: f"({iso})::timestamptz",
    uuid=lambda canonical: f"({canonical})::uuid",
    json_object="jsonb_build_object",
    empty_array="'[]'::jsonb",
    padded=lambda number: f"lpad(({number})::text, 10, '0')",
    binary=' COLLATE "C"',
    differs="IS DISTINCT FROM",
)

# SQLAlchemy keeps SQLite timestamps as 'YYYY-MM-DD HH:MM:SS.ffffff' (UTC). Payloads
# hold pydantic's ISO form, '...THH:MM:SS.ffffffZ' or, at a whole second, '...THH:MM:SSZ';
# those two are rewritten in SQL, anything else goes through Python (rebuild_timestamp).
_DIGITS = {"Y": "[0-9][0-9][0-9][0-9]", "D": "[0-9][0-9]", "F": "[0-9]" * 6}
_ISO_SECONDS = "{Y}-{D}-{D}T{D}:{D}:{D}".format(**_DIGITS)
_ISO_MICROSECONDS = "{Y}-{D}-{D}T{D}:{D}:{D}.{F}".format(**_DIGITS)


def _sqlite_timestamp(iso: str) -> str:
    return (f"CASE WHEN {iso} IS NULL THEN NULL WHEN {iso} GLOB '{_ISO_MICROSECONDS}Z' "
            f"THEN substr({iso}, 1, 10) || ' ' || substr({iso}, 12, 15) "
            f"WHEN {iso} GLOB '{_ISO_SECONDS}Z' "
            f"THEN substr({iso}, 1, 10) || ' ' || substr({iso}, 12, 8) || '.000000' "
            f"ELSE rebuild_timestamp({iso}) END")


SQLITE = Dialect(
    name="sqlite",
    text=lambda document, path: f"json_extract({document}, '$.{path}')",
    json=lambda document, path: f"({document} -> '$.{path}')",
    integer=lambda document, path: f"json_extract({document}, '$.{path}')",
    timestamp=_sqlite_timestamp,
    # SQLAlchemy keeps a UUID on SQLite as its 32 hex digits.
    uuid=lambda canonical: f"lower(replace({canonical}, '-', ''))",
    json_object="json_object",
    empty_array="'[]'",
    padded=lambda number: f"printf('%010d', {number})",
    binary="",
    differs="IS NOT",
)


def dialect_of(connection: Connection) -> Dialect:
    """The Dialect for this connection's database (registering what SQLite needs)."""
    if connection.dialect.name == "postgresql":
        return POSTGRESQL
    stored = tables.orders.c.placed_at.type.dialect_impl(connection.dialect).bind_processor(
        connection.dialect)
    if stored is None:
        raise TypeError("UtcDateTime lost its SQLite bind processor")

    def rebuild_timestamp(iso: str | None) -> str | None:
        return None if iso is None else str(stored(datetime.fromisoformat(iso)))

    raw = connection.connection.driver_connection
    raw.create_function("rebuild_timestamp", 1, rebuild_timestamp,  # type: ignore[union-attr]
                        deterministic=True)
    return SQLITE
