"""A hot command's whole outcome as one PostgreSQL statement, committed as it ends.

The write runs in autocommit mode as a single statement of chained CTEs, so nothing a
command locks (stock rows, the receipt-number row, the append lock) waits on the
client: PostgreSQL takes the locks, writes every row and commits without another
message from us. Sent as several statements, even pipelined, the server would sit
holding the next receipt number whenever this process was slow to send the rest (a
thread switch is 5 ms).

Each CTE reads the one before it, which fixes the order in which locks are taken:
stock rows in SKU order (FOR UPDATE over a sorted, materialised CTE), then the order's
own row or the receipt number, then the append lock just before the event is inserted.
A CTE that finds nothing (a product gone, an order that moved on) starves all that
follow, so the statement writes nothing and says so; a broken rule (stock below zero,
a key or a stream version already taken) aborts it whole.
"""

# Only the tables' own column names are joined into this SQL; every value is bound.
# ruff: noqa: S608

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from sqlalchemy.dialects.postgresql import psycopg as postgresql_psycopg

from order_service.eventstore.store import APPEND_LOCK_KEY
from order_service.projections.tables import orders

_DIALECT = postgresql_psycopg.dialect()  # type: ignore[no-untyped-call]
JSON_COLUMNS = frozenset({"lines", "shipping_address", "billing_address",
                          "payment_notifications"})
# The parameters that carry JSON documents (dicts and lists): each driver sends them its
# own way (psycopg wrapped in Jsonb, asyncpg through its jsonb codec).
JSON_PARAMETERS = frozenset({"data", "metadata", *(f"o_{name}" for name in JSON_COLUMNS)})
# Each value is cast to its column's type: a NULL parameter in a SELECT list would
# otherwise be text, which no timestamp or JSON column accepts.
_ORDER_TYPES = {column.name: column.type.compile(dialect=_DIALECT) for column in orders.c}

_HELD = ("held AS MATERIALIZED (SELECT sku FROM products WHERE sku = ANY(%(skus)s){gate} "
         "ORDER BY sku FOR UPDATE)")
_STOCKED = (
    "stocked AS (UPDATE products SET available = products.available + c.change, "
    "updated_at = %(stock_at)s "
    "FROM unnest(%(skus)s::varchar[], %(changes)s::bigint[]) AS c(sku, change) "
    "WHERE products.sku = c.sku AND (SELECT count(*) FROM held) = %(sku_count)s "
    "RETURNING products.sku)")
_EVENT_COLUMNS = "stream_id, version, type, schema_version, data, metadata, recorded_at"
_APPENDED = (
    f"appended AS (INSERT INTO events ({_EVENT_COLUMNS}) "
    "SELECT %(stream_id)s::varchar, %(version)s::integer, %(type)s::varchar, "
    "%(schema_version)s::integer, {data}, %(metadata)s::jsonb, %(recorded_at)s::timestamptz "
    # Taken last, just before the event gets its position, and held to the commit that
    # ends this statement: positions commit in order, so feed readers never skip one.
    "FROM {source}, "
    "LATERAL (SELECT pg_advisory_xact_lock(%(lock_key)s::bigint)) AS serialised "
    "RETURNING 1)")
_KEY_COLUMNS = "key, fingerprint, created_at, recording"


def placement(*, stock: Sequence[Mapping[str, Any]], order: Mapping[str, Any],
              event: Mapping[str, Any], remembered: tuple[str, str, str, str] | None,
              key_at: Any) -> tuple[str, dict[str, Any]]:
    """The statement that places an order; it returns the receipt number it took.

    `remembered` is (key, fingerprint, answer before the number, answer after it).
    """
    values = ", ".join(
        "numbered.last_number" if name == "number"
        else f"CAST(%(o_{name})s AS {_ORDER_TYPES[name]})" for name in _ORDER_TYPES)
    parts = [
        _HELD.format(gate=""),
        _STOCKED,
        "numbered AS (UPDATE order_numbers SET last_number = last_number + 1 "
        "WHERE id = 1 AND (SELECT count(*) FROM stocked) = %(sku_count)s "
        "RETURNING last_number)",
        f"placed AS (INSERT INTO orders ({', '.join(_ORDER_TYPES)}) "
        f"SELECT {values} FROM numbered)",
    ]
    params = {**_stock_params(stock), **_event_params(event),
              **{f"o_{name}": value for name, value in order.items()}}
    if remembered is not None:
        key, fingerprint, head, tail = remembered
        parts.append(f"claimed AS (INSERT INTO idempotency_keys ({_KEY_COLUMNS}) "
                     "SELECT %(key)s::varchar, %(fingerprint)s::varchar, "
                     "%(key_at)s::timestamptz, "
                     "%(head)s::text || numbered.last_number || %(tail)s::text FROM numbered)")
        params.update(key=key, fingerprint=fingerprint, key_at=key_at, head=head, tail=tail)
    parts.append(_APPENDED.format(
        data="jsonb_set(%(data)s::jsonb, '{number}', to_jsonb(numbered.last_number))",
        source="numbered"))
    return "WITH " + ",\n".join(parts) + "\nSELECT last_number FROM numbered", params


def change(*, order_id: Any, changes: Mapping[str, Any], stock: Sequence[Mapping[str, Any]],
           event: Mapping[str, Any], remembered: tuple[str, str, str] | None,
           key_at: Any) -> tuple[str, dict[str, Any]]:
    """The statement that changes an order; it returns 1 if it did, 0 if it moved on.

    `remembered` is (key, fingerprint, answer).
    """
    assignments = ", ".join(f"{name} = CAST(%(o_{name})s AS {_ORDER_TYPES[name]})"
                            for name in changes)
    parts = [f"changed AS (UPDATE orders SET {assignments} "
             "WHERE id = %(order_id)s AND version = %(from_version)s RETURNING id)"]
    ready = "SELECT 1 AS go FROM changed"
    if stock:
        parts += [_HELD.format(gate=" AND EXISTS (SELECT FROM changed)"), _STOCKED]
        ready += " WHERE (SELECT count(*) FROM stocked) = %(sku_count)s"
    parts.append(f"ready AS ({ready})")
    params: dict[str, Any] = {
        "order_id": order_id, "from_version": changes["version"] - 1,
        **{f"o_{name}": value for name, value in changes.items()},
        **_stock_params(stock), **_event_params(event)}
    if remembered is not None:
        key, fingerprint, answer = remembered
        parts.append(f"claimed AS (INSERT INTO idempotency_keys ({_KEY_COLUMNS}) "
                     "SELECT %(key)s::varchar, %(fingerprint)s::varchar, "
                     "%(key_at)s::timestamptz, %(answer)s::text FROM ready)")
        params.update(key=key, fingerprint=fingerprint, key_at=key_at, answer=answer)
    parts.append(_APPENDED.format(data="%(data)s::jsonb", source="ready"))
    return "WITH " + ",\n".join(parts) + "\nSELECT count(*) FROM appended", params


REMEMBER_ONLY = (f"INSERT INTO idempotency_keys ({_KEY_COLUMNS}) "
                 "VALUES (%(key)s, %(fingerprint)s, %(key_at)s, %(answer)s)")


def remember_only(remembered: tuple[str, str, str], key_at: Any
                  ) -> tuple[str, dict[str, Any]]:
    """The statement that keeps only a key's answer: a repeat-safe no-op's outcome."""
    key, fingerprint, answer = remembered
    return REMEMBER_ONLY, {"key": key, "fingerprint": fingerprint, "key_at": key_at,
                           "answer": answer}


def _stock_params(stock: Sequence[Mapping[str, Any]]) -> dict[str, Any]:
    return {"skus": [change["sku"] for change in stock],
            "changes": [change["change"] for change in stock],
            "stock_at": stock[0]["at"] if stock else None,
            "sku_count": len(stock)}


def _event_params(event: Mapping[str, Any]) -> dict[str, Any]:
    return {**event, "lock_key": APPEND_LOCK_KEY}
