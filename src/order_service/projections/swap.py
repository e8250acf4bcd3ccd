"""Copying the rebuilt twins over the live read models, under the write locks.

Only orders that differ are written: a rebuild of a sound store rewrites nothing. The
comparison of every order with its twin is made before the locks are taken, while
commands go on (`note_differing_orders`). An order changes after it only through a new
event, which its live row shows at once (the projection writes it with the event) and
the catch-up folds into its twin; so under the locks only the orders noted are written,
from twins that are then up to date.
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


def note_differing_orders(connection: Connection) -> None:
    """Note (in rebuild_differing) every order whose live row differs from its twin, or
    that only one of them has. Takes no lock: commands go on meanwhile."""
    # The comparison under which NULL equals NULL and nothing else.
    differs = "IS DISTINCT FROM" if connection.dialect.name == "postgresql" else "IS NOT"
    names = [column.name for column in tables.orders.columns]
    live, twin = (", ".join(f"{alias}.{name}" for name in names) for alias in ("o", "r"))
    connection.execute(text(
        "INSERT INTO rebuild_differing (id) SELECT r.id FROM rebuild_orders r "  # noqa: S608
        "WHERE NOT EXISTS (SELECT 1 FROM orders o WHERE o.id = r.id "
        f"AND NOT (({twin}) {differs} ({live}))) "
        "UNION SELECT o.id FROM orders o "
        "WHERE NOT EXISTS (SELECT 1 FROM rebuild_orders r WHERE r.id = o.id)"))


def swap_in(connection: Connection) -> tuple[int, int]:
    """Make the live read models equal to the twins, writing only the orders noted as
    differing; (last order number, products)."""
    noted = "SELECT id FROM rebuild_differing"
    connection.execute(text(f"DELETE FROM orders WHERE id IN ({noted})"))  # noqa: S608
    connection.execute(text(
        f"INSERT INTO orders ({_columns(tables.orders)}) "  # noqa: S608 (fixed names)
        f"SELECT {_columns(tables.orders)} FROM rebuild_orders WHERE id IN ({noted})"))
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


def _columns(table: Table) -> str:
    return ", ".join(column.name for column in table.columns)
