"""The catalogue read models folded in SQL: products with their stock, shipping methods.

Each statement applies the events with positions in (:lo, :hi], so the same statements
serve the bulk replay and the catch-up that follows it.
"""

# ruff: noqa: S608 (statements built from fixed fragments only; values are bound)
from __future__ import annotations

from order_service.projections.replay import Dialect

IN_RANGE = "e.position > :lo AND e.position <= :hi"
# The payload member holding the moment of each stock-changing event
# (catalogue_projector.stock_changes).
OCCURRED_AT = {
    "ProductRestocked": "restocked_at",
    "OrderPlaced": "placed_at",
    "OrderCancelled": "cancelled_at",
}


def add_products(d: Dialect) -> str:
    """INSERT the row of every ProductAdded event (catalogue_projector.added_product)."""
    added_at = d.timestamp(d.text("e.data", "added_at"))
    return (f"INSERT INTO rebuild_products (sku, name, price, currency, available, added_at, "
            f"updated_at) SELECT {d.text('e.data', 'sku')}, {d.text('e.data', 'name')}, "
            f"{d.integer('e.data', 'unit_price')}, {d.text('e.data', 'currency')}, "
            f"{d.integer('e.data', 'stock')}, {added_at}, {added_at} FROM events e "
            f"WHERE e.type = 'ProductAdded' AND {IN_RANGE}")


def add_shipping_methods(d: Dialect) -> str:
    """INSERT the row of every ShippingMethodAdded event (products.shipping_method_row)."""
    return (f"INSERT INTO rebuild_shipping_methods (code, name, price, currency, added_at) "
            f"SELECT {d.text('e.data', 'code')}, {d.text('e.data', 'name')}, "
            f"{d.integer('e.data', 'price')}, {d.text('e.data', 'currency')}, "
            f"{d.timestamp(d.text('e.data', 'added_at'))} FROM events e "
            f"WHERE e.type = 'ShippingMethodAdded' AND {IN_RANGE}")


def _stock_changes(d: Dialect) -> str:
    """(position, sku, change) for every line catalogue_projector.stock_changes yields."""
    restocked = (f"SELECT e.position, {d.text('e.data', 'sku')} AS sku, "
                 f"{d.integer('e.data', 'quantity')} AS change "
                 f"FROM events e WHERE e.type = 'ProductRestocked' AND {IN_RANGE}")
    if d.name == "postgresql":
        line = "line"
        lines = ("jsonb_array_elements(CASE e.type WHEN 'OrderPlaced' THEN e.data->'lines' "
                 "ELSE e.data->'returned_stock' END) AS line")
    else:
        line = "line.value"
        lines = ("json_each(e.data, CASE e.type WHEN 'OrderPlaced' THEN '$.lines' "
                 "ELSE '$.returned_stock' END) AS line")
    taken_or_returned = (
        f"SELECT e.position, {d.text(line, 'sku')}, "
        f"CASE e.type WHEN 'OrderPlaced' THEN -1 ELSE 1 END * {d.integer(line, 'quantity')} "
        f"FROM events e CROSS JOIN {lines} "
        f"WHERE e.type IN ('OrderPlaced', 'OrderCancelled') AND {IN_RANGE}")
    return f"{restocked} UNION ALL {taken_or_returned}"


def change_stock(d: Dialect) -> str:
    """UPDATE every product by the sum of its changes, `updated_at` from the last one."""
    moment = " ".join(f"WHEN '{kind}' THEN {d.text('last.data', member)}"
                      for kind, member in OCCURRED_AT.items())
    by_sku = (f"SELECT sku, sum(change) AS change, max(position) AS last_position "
              f"FROM ({_stock_changes(d)}) AS changes GROUP BY sku")
    return (f"UPDATE rebuild_products SET available = available + d.change, "
            f"updated_at = {d.timestamp('d.moment')} FROM (SELECT by_sku.sku, by_sku.change, "
            f"CASE last.type {moment} END AS moment FROM ({by_sku}) AS by_sku "
            f"JOIN events last ON last.position = by_sku.last_position) AS d "
            f"WHERE rebuild_products.sku = d.sku")
