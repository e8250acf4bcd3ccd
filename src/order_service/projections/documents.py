"""Orders as JSON documents, built by the database itself, for fast exports.

The export is the one place where hundreds of thousands of orders pass through at once.
Decoding every row into Python objects and encoding them back to JSON costs ~100 µs an
order; asking the database for the finished JSON text costs a few. The documents here
must stay equal (as JSON) to `order_service.export.order_record`, which the HTTP API
shows; the export tests compare the two for every field.

On PostgreSQL the documents come through COPY, one row per read, with no per-row driver
work. COPY's text format doubles every backslash, and that is the only escape JSON text
can contain (JSON has no raw control characters), so halving them restores the JSON.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from sqlalchemy import Connection, text

from order_service.application.views import OrderFilter

TIMESTAMPS = ("placed_at", "paid_at", "shipped_at", "cancelled_at", "updated_at")


def order_documents(connection: Connection, after: int, up_to: int | None,
                    where: OrderFilter) -> Iterator[bytes]:
    """JSON documents (no trailing newline) of the orders in (after, up_to], by number."""
    if connection.dialect.name == "postgresql":
        return _postgres_documents(connection, after, up_to, where)
    return _sqlite_documents(connection, after, up_to, where)


# -- PostgreSQL ---------------------------------------------------------------------------


def _pg_timestamp(column: str) -> str:
    # ISO 8601 in UTC as Python's isoformat writes it: microseconds only when not zero.
    utc = f"({column} AT TIME ZONE 'UTC')"
    return (f"to_char({utc}, 'YYYY-MM-DD\"T\"HH24:MI:SS') || CASE WHEN "
            f"mod(date_part('microseconds', {column})::bigint, 1000000) = 0 THEN '' "
            f"ELSE to_char({utc}, '.US') END || 'Z'")


def _document_fields(timestamp: Any, identity: str, json_column: Any) -> str:
    fields = [
        ("id", identity), ("number", "number"), ("status", "status"),
        ("currency", "currency"),
        ("customer", "{object}('name', customer_name, 'email', customer_email, "
                     "'phone', customer_phone)"),
        ("lines", json_column("lines")), ("subtotal", "subtotal"), ("shipping", "shipping"),
        ("tax_rate", "tax_rate"), ("tax", "tax"), ("total", "total"),
        ("shipping_address", json_column("shipping_address")),
        ("billing_address", json_column("billing_address")),
        ("payment_method", "payment_method"), ("shipping_method", "shipping_method"),
        ("shipping_method_name", "shipping_method_name"),
        *((name, timestamp(name)) for name in TIMESTAMPS),
        ("payment_reference", "payment_reference"), ("tracking_number", "tracking_number"),
        ("cancel_reason", "cancel_reason"), ("version", "version"),
        ("payment_notifications", f"COALESCE({json_column('payment_notifications')}, "
                                  f"{json_column(None)})"),
    ]
    return ", ".join(f"'{name}', {expression}" for name, expression in fields)


def _pg_json(column: str | None) -> str:
    return "'[]'::jsonb" if column is None else column


_PG_DOCUMENT = "json_build_object(" + _document_fields(
    _pg_timestamp, "id", _pg_json).replace("{object}", "json_build_object") + ")"


def _postgres_documents(connection: Connection, after: int, up_to: int | None,
                        where: OrderFilter) -> Iterator[bytes]:
    conditions, params = _pg_conditions(after, up_to, where)
    # Only fixed SQL fragments are joined here; every value goes in as a parameter.
    statement = (f"COPY (SELECT {_PG_DOCUMENT} FROM orders "  # noqa: S608
                 f"WHERE {' AND '.join(conditions)} ORDER BY number) TO STDOUT")
    cursor = connection.connection.driver_connection.cursor()  # type: ignore[union-attr]
    with cursor.copy(statement, params) as copy:
        for row in copy:
            yield bytes(row)[:-1].replace(b"\\\\", b"\\")


def _pg_conditions(after: int, up_to: int | None, where: OrderFilter
                   ) -> tuple[list[str], list[Any]]:
    conditions: list[str] = ["number > %s"]
    params: list[Any] = [after]
    if up_to is not None:
        conditions.append("number <= %s")
        params.append(up_to)
    if where.statuses:
        conditions.append("status = ANY(%s)")
        params.append(sorted(status.value for status in where.statuses))
    for column, operator, moment in (("placed_at", ">=", where.placed_from),
                                     ("placed_at", "<", where.placed_to),
                                     ("updated_at", ">=", where.updated_since)):
        if moment is not None:
            conditions.append(f"{column} {operator} %s")
            params.append(moment)
    return conditions, params


# -- SQLite -------------------------------------------------------------------------------


def _sqlite_timestamp(column: str) -> str:
    # SQLAlchemy stores 'YYYY-MM-DD HH:MM:SS.ffffff' (UTC, no zone).
    return (f"CASE WHEN {column} IS NULL THEN NULL ELSE replace(CASE WHEN "
            f"substr({column}, 21, 6) = '000000' THEN substr({column}, 1, 19) "
            f"ELSE substr({column}, 1, 26) END, ' ', 'T') || 'Z' END")


def _sqlite_json(column: str | None) -> str:
    return "json('[]')" if column is None else f"json({column})"


# SQLAlchemy stores a UUID on SQLite as 32 hex digits; the API shows it with dashes.
_SQLITE_ID = ("lower(substr(id, 1, 8) || '-' || substr(id, 9, 4) || '-' || substr(id, 13, 4) "
              "|| '-' || substr(id, 17, 4) || '-' || substr(id, 21, 12))")

_SQLITE_DOCUMENT = "json_object(" + _document_fields(
    _sqlite_timestamp, _SQLITE_ID, _sqlite_json).replace("{object}", "json_object") + ")"


def _sqlite_documents(connection: Connection, after: int, up_to: int | None,
                      where: OrderFilter) -> Iterator[bytes]:
    conditions = ["number > :after"]
    params: dict[str, Any] = {"after": after}
    if up_to is not None:
        conditions.append("number <= :up_to")
        params["up_to"] = up_to
    for index, status in enumerate(sorted(s.value for s in where.statuses)):
        params[f"status_{index}"] = status
    if where.statuses:
        names = ", ".join(f":status_{i}" for i in range(len(where.statuses)))
        conditions.append(f"status IN ({names})")
    for column, operator, name, moment in (
            ("placed_at", ">=", "placed_from", where.placed_from),
            ("placed_at", "<", "placed_to", where.placed_to),
            ("updated_at", ">=", "updated_since", where.updated_since)):
        if moment is not None:
            conditions.append(f"{column} {operator} :{name}")
            params[name] = moment.strftime("%Y-%m-%d %H:%M:%S.%f")
    statement = text(f"SELECT {_SQLITE_DOCUMENT} FROM orders "  # noqa: S608  (values are bound)
                     f"WHERE {' AND '.join(conditions)} ORDER BY number")
    for (document,) in connection.execution_options(stream_results=True).execute(
            statement, params):
        yield document.encode()
