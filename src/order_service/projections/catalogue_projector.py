"""The catalogue and stock read model, defined once: what each event makes of products
and shipping methods.

Plain Python over decoded domain events, like order_projector.py; the memory storage
keeps the views, projections/products.py writes them as rows.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any, NamedTuple

from order_service.application.views import ProductView, ShippingMethodView
from order_service.domain.events import (
    DomainEvent,
    OrderCancelled,
    OrderPlaced,
    OrderRefunded,
    ProductAdded,
    ProductRenamed,
    ProductRepriced,
    ProductRestocked,
    ProductRetired,
    ShippingMethodAdded,
)


class StockChange(NamedTuple):
    """Stock an event takes (negative) or gives back, of one product, at its moment.

    A named tuple, not a frozen dataclass: a rebuild makes one per order line, and a
    tuple is made several times faster.
    """

    sku: str
    change: int
    at: datetime


def added_product(added: ProductAdded) -> ProductView:
    """The product a ProductAdded event puts in the catalogue."""
    return ProductView(sku=added.sku, name=added.name, price=added.unit_price,
                       currency=added.currency, available=added.stock,
                       added_at=added.added_at, updated_at=added.added_at)


def product_changes(event: DomainEvent) -> dict[str, Any]:
    """The fields of a product's view that a later event of its stream sets, but for
    its stock (stock_changes): empty for any other event."""
    match event:
        case ProductRenamed():
            return {"name": event.name, "updated_at": event.renamed_at}
        case ProductRepriced():
            return {"price": event.unit_price, "updated_at": event.repriced_at}
        case ProductRetired():
            return {"retired_at": event.retired_at, "updated_at": event.retired_at}
        case _:
            return {}


def stock_changes(event: DomainEvent) -> list[StockChange]:
    """Every change in available stock the event makes, in SKU order.

    SKU order is the order placements lock stock rows in; updating rows in any other
    order could deadlock a cancel against a placement of the same products.
    """
    match event:
        case ProductRestocked():
            return [StockChange(event.sku, event.quantity, event.restocked_at)]
        case OrderPlaced():
            changes = [StockChange(line.sku, -line.quantity, event.placed_at)
                       for line in event.lines]
        case OrderCancelled():
            changes = [StockChange(returned.sku, returned.quantity, event.cancelled_at)
                       for returned in event.returned_stock]
        case OrderRefunded():
            changes = [StockChange(returned.sku, returned.quantity, event.refunded_at)
                       for returned in event.returned_stock]
        case _:
            return []
    return sorted(changes, key=lambda change: change.sku)


def added_shipping_method(added: ShippingMethodAdded) -> ShippingMethodView:
    """The shipping method a ShippingMethodAdded event offers."""
    return ShippingMethodView(code=added.code, name=added.name, price=added.price,
                              currency=added.currency)
