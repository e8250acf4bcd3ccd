"""Copying the rebuilt twins over the live read models, under the write locks.

Only rows that differ are written: a rebuild of a sound store rewrites nothing, so the
locks are held for one comparison instead of a rewrite of every order.
"""

from __future__ import annotations

from sqlalchemy import Connection, Table, text

from order_service.eventstore.store import APPEND_LOCK_KEY
from order_service.projections import tables


def lock_read_models(connection: Connection) -> None:
    """Take the write locks: commands wait from here until the transaction ends."""
    # Same order as commands take them (stock rows, numbers, orders, then the append
    # lock), so the rebuild queues behind in-flight commands instead of deadlocking.
    if connection.dialect.name == "postgresql":
        connection.execute(text(
            "LOCK TABLE products, shipping_methods, order_numbers, orders IN EXCLUSIVE MODE"
        ))
        connection.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": APPEND_LOCK_KEY})


def swap_in(connection: Connection) -> tuple[int, int]:
    """Make the live read models equal to the twins; (last order number, products)."""
    _replace_differing_orders(connection)
    for table in (tables.products, tables.shipping_methods):
        columns = _columns(table)
        connection.execute(text(f"DELETE FROM {table.name}"))  # noqa: S608 (fixed names)
        connection.execute(text(f"INSERT INTO {table.name} ({columns}) "  # noqa: S608
                                f"SELECT {columns} FROM rebuild_{table.name}"))
    last_number = int(connection.execute(text(
        "SELECT coalesce(max(number), 0) FROM rebuild_orders")).scalar_one())
    connection.execute(text("UPDATE order_numbers SET last_number = :last WHERE id = 1"),
                       {"last": last_number})
    products = int(connection.execute(text("SELECT count(*) FROM rebuild_products")).scalar_one())
    return last_number, products


def _replace_differing_orders(connection: Connection) -> None:
    # The comparison under which NULL equals NULL and nothing else.
    differs = "IS DISTINCT FROM" if connection.dialect.name == "postgresql" else "IS NOT"
    names = [column.name for column in tables.orders.columns]
    live, twin = (", ".join(f"{alias}.{name}" for name in names) for alias in ("orders", "r"))
    # Orders left in place equal their twin in every column; every other twin is new.
    connection.execute(text(
        f"DELETE FROM orders WHERE NOT EXISTS (SELECT 1 FROM rebuild_orders r "  # noqa: S608
        f"WHERE r.id = orders.id AND NOT (({twin}) {differs} ({live})))"))
    connection.execute(text(
        f"INSERT INTO orders ({_columns(tables.orders)}) SELECT {twin} "  # noqa: S608
        f"FROM rebuild_orders r WHERE NOT EXISTS (SELECT 1 FROM orders o WHERE o.id = r.id)"))


def _columns(table: Table) -> str:
    return ", ".join(column.name for column in table.columns)
