"""The catalogue and stock read model: what each product costs and how many are left."""

from __future__ import annotations

from collections.abc import Collection, Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import Connection, bindparam, select, update

from order_service.domain.values import CatalogueEntry, ShippingOption
from order_service.eventstore.codec import JsonObject
from order_service.eventstore.store import PendingEvent
from order_service.projections.rows import insert_first_row
from order_service.projections.tables import products, shipping_methods

# The moment each stock-changing event happened, as the event itself records it.
OCCURRED_AT = {
    "ProductRestocked": "restocked_at",
    "OrderPlaced": "placed_at",
    "OrderCancelled": "cancelled_at",
}


def product_row(data: JsonObject) -> dict[str, Any]:
    """The row a ProductAdded event creates."""
    added_at = datetime.fromisoformat(data["added_at"])
    return {
        "sku": data["sku"],
        "name": data["name"],
        "price": data["unit_price"],
        "currency": data["currency"],
        "available": data["stock"],
        "added_at": added_at,
        "updated_at": added_at,
    }


def stock_changes(event_type: str, data: JsonObject) -> list[tuple[str, int]]:
    """(SKU, change in available stock) for every product an event touches, by SKU.

    SKU order is the order placements lock stock rows in; updating rows in any other
    order could deadlock a cancel against a placement of the same products.
    """
    if event_type == "ProductRestocked":
        return [(data["sku"], data["quantity"])]
    if event_type == "OrderPlaced":
        changes = [(line["sku"], -line["quantity"]) for line in data["lines"]]
    elif event_type == "OrderCancelled":
        changes = [(line["sku"], line["quantity"]) for line in data["returned_stock"]]
    else:
        return []
    return sorted(changes)


_change_stock = (
    update(products)
    .where(products.c.sku == bindparam("b_sku"))
    .values(available=products.c.available + bindparam("b_change"), updated_at=bindparam("b_at"))
)


def project_products(connection: Connection, pending: Sequence[PendingEvent]) -> None:
    """Apply catalogue and stock events to the products table."""
    for event in pending:
        if event.type == "ProductAdded":
            insert_first_row(connection, products, product_row(event.data), event)
            continue
        changes = stock_changes(event.type, event.data)
        if changes:
            at = datetime.fromisoformat(event.data[OCCURRED_AT[event.type]])
            connection.execute(
                _change_stock,
                [{"b_sku": sku, "b_change": change, "b_at": at} for sku, change in changes],
            )


def shipping_method_row(data: JsonObject) -> dict[str, Any]:
    """The row a ShippingMethodAdded event creates."""
    return {
        "code": data["code"],
        "name": data["name"],
        "price": data["price"],
        "currency": data["currency"],
        "added_at": datetime.fromisoformat(data["added_at"]),
    }


def project_shipping_methods(connection: Connection, pending: Sequence[PendingEvent]) -> None:
    """Apply shipping-method events to the shipping_methods table."""
    for event in pending:
        if event.type == "ShippingMethodAdded":
            insert_first_row(connection, shipping_methods, shipping_method_row(event.data), event)


# Every placement sends these two: built once, only the bound values change.
_LOCK_PRODUCTS = (
    select(products.c.sku, products.c.name, products.c.price, products.c.currency,
           products.c.available)
    .where(products.c.sku.in_(bindparam("skus", expanding=True)))
    .order_by(products.c.sku)
    .with_for_update()
)
_SHIPPING_METHOD = select(shipping_methods).where(shipping_methods.c.code == bindparam("code"))


class SqlCatalogue:
    """The Catalogue port: products locked for an order, and shipping options."""

    def __init__(self, connection: Connection) -> None:
        self._connection = connection

    def lock_products(self, skus: Collection[str]) -> dict[str, CatalogueEntry]:
        """The products with these SKUs, row-locked until the transaction ends."""
        # Locking in SKU order means two orders for the same products queue up instead
        # of deadlocking. SQLite ignores FOR UPDATE: its writers already run one at a time.
        rows = self._connection.execute(_LOCK_PRODUCTS, {"skus": sorted(skus)})
        return {
            row.sku: CatalogueEntry(row.sku, row.name, row.price, row.currency, row.available)
            for row in rows
        }

    def shipping_option(self, code: str) -> ShippingOption | None:
        """A shipping method by code, if the shop offers it."""
        row = self._connection.execute(_SHIPPING_METHOD, {"code": code}).first()
        if row is None:
            return None
        return ShippingOption(row.code, row.name, row.price, row.currency)

    def shipping_codes(self) -> list[str]:
        """Codes of every shipping method offered."""
        return list(
            self._connection.scalars(select(shipping_methods.c.code).order_by(shipping_methods.c.code))
        )
