"""A rebuild's order rows, made ready to write into its twin table, and written.

On PostgreSQL the rows go through COPY: one stream per batch instead of a statement per
thousand rows, and no statement for the server to parse and plan. They are written as
COPY's text where they are folded (often a worker process), so writing them is one
copy of bytes. SQLite has no COPY; one prepared INSERT run for every row is its
fastest path.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import TYPE_CHECKING, Any

from sqlalchemy import Connection, Table, insert

from order_service.application.views import OrderView
from order_service.projections.orders import order_row
from order_service.projections.tables import orders as orders_table

if TYPE_CHECKING:
    from psycopg import Connection as PsycopgConnection

# Rows as COPY's text (PostgreSQL), or as the mappings an INSERT takes (SQLite).
ReadyRows = bytes | list[dict[str, Any]]

COLUMNS = tuple(column.name for column in orders_table.columns)


def ready_rows(database: str, orders: Sequence[OrderView]) -> ReadyRows:
    """The rows of `orders` (projections/orders.order_row's) as `database` takes them."""
    if database != "postgresql":
        return [order_row(order) for order in orders]
    lines = []
    for order in orders:
        row = order_row(order, json_text=True)
        lines.append("\t".join([_copy_value(row[name]) for name in COLUMNS]))
    lines.append("")
    return "\n".join(lines).encode() if orders else b""


def _copy_value(value: object) -> str:
    if value is None:
        return "\\N"
    if isinstance(value, str):
        # COPY's text format escapes these four characters. Most values hold none, and
        # looking for each is much faster than translating every character.
        if "\\" in value:
            value = value.replace("\\", "\\\\")
        if "\t" in value or "\n" in value or "\r" in value:
            value = value.replace("\t", "\\t").replace("\n", "\\n").replace("\r", "\\r")
        return value
    if isinstance(value, datetime):
        return value.isoformat()
    return str(value)  # integers and UUIDs


def write_rows(connection: Connection, twin: Table, rows: ReadyRows) -> None:
    """Insert rows made by `ready_rows` into the orders twin `twin`."""
    if not rows:
        return
    if isinstance(rows, list):
        connection.execute(insert(twin), rows)
        return
    raw: PsycopgConnection[Any] = connection.connection.driver_connection  # type: ignore[assignment]
    with raw.cursor() as cursor, cursor.copy(
            f"COPY {twin.name} ({', '.join(COLUMNS)}) FROM STDIN") as copy:  # fixed names only
        copy.write(rows)
