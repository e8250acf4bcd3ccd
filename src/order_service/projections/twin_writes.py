"""Writing a rebuild's order rows into its twin table, many at a time.

On PostgreSQL the rows go through COPY: one stream per batch instead of a statement per
thousand rows, and no statement for the server to parse and plan. SQLite has no COPY;
one prepared INSERT run for every row is its fastest path.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

from sqlalchemy import Connection, Table, insert

from order_service.application.views import OrderView
from order_service.projections.orders import order_row

if TYPE_CHECKING:
    from psycopg import Connection as PsycopgConnection


def write_orders(connection: Connection, twin: Table, orders: Sequence[OrderView]) -> None:
    """Insert the rows of `orders` (projections/orders.order_row's) into the twin `twin`."""
    if not orders:
        return
    if connection.dialect.name != "postgresql":
        connection.execute(insert(twin), [order_row(order) for order in orders])
        return
    names = [column.name for column in twin.columns]
    raw: PsycopgConnection[Any] = connection.connection.driver_connection  # type: ignore[assignment]
    with raw.cursor() as cursor, cursor.copy(
            f"COPY {twin.name} ({', '.join(names)}) FROM STDIN") as copy:  # fixed names only
        for order in orders:
            row = order_row(order, json_text=True)
            copy.write_row([row[name] for name in names])
