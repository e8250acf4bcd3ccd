"""The in-memory read models, kept current from decoded events as each is stored.

An order's view is what projections/order_projector.py makes of its events, as every
storage keeps it; this module adds the checks the SQL tables' constraints make.
"""

from __future__ import annotations

from dataclasses import replace
from datetime import datetime

from order_service.adapters.memory.state import ReadModelRows, StoredEvent
from order_service.application.errors import ConcurrencyConflict
from order_service.application.views import ProductView, ShippingMethodView
from order_service.domain.events import (
    OrderCancelled,
    OrderPaid,
    OrderPlaced,
    OrderShipped,
    PaymentNotified,
    ProductAdded,
    ProductRestocked,
    ShippingMethodAdded,
)
from order_service.projections.order_projector import order_changes, placed_order


def project(rows: ReadModelRows, stored: StoredEvent) -> None:
    """Apply one stored event to the read models.

    Raises ConcurrencyConflict where the SQL tables' constraints would refuse the row:
    stock below zero, or an order row that is not at the version before the event's.
    """
    match stored.event:
        case ProductAdded() as added:
            rows.products[added.sku] = ProductView(
                sku=added.sku, name=added.name, price=added.unit_price, currency=added.currency,
                available=added.stock, added_at=added.added_at, updated_at=added.added_at)
        case ProductRestocked() as restocked:
            _change_stock(rows, stored, {restocked.sku: restocked.quantity},
                          restocked.restocked_at)
        case ShippingMethodAdded() as method:
            rows.shipping_methods[method.code] = ShippingMethodView(
                code=method.code, name=method.name, price=method.price, currency=method.currency)
        case OrderPlaced() as placed:
            _change_stock(rows, stored, {line.sku: -line.quantity for line in placed.lines},
                          placed.placed_at)
            rows.orders[placed.order_id] = placed_order(placed, stored.version,
                                                        stored.metadata.get("api_key_id"))
            rows.numbers[placed.number] = placed.order_id
        case OrderCancelled() as cancelled:
            _change_stock(rows, stored, {s.sku: s.quantity for s in cancelled.returned_stock},
                          cancelled.cancelled_at)
            _change_order(rows, stored)
        case OrderPaid() | OrderShipped() | PaymentNotified():
            _change_order(rows, stored)


def _change_stock(rows: ReadModelRows, stored: StoredEvent, changes: dict[str, int],
                  at: datetime) -> None:
    for sku, change in sorted(changes.items()):
        product = rows.products.get(sku)
        if product is None:
            continue  # as an UPDATE of no row: the SQL read model ignores it alike
        if product.available + change < 0:
            # The stock column's CHECK (available >= 0): someone took it meanwhile.
            raise ConcurrencyConflict(stored.stream_id, stored.version - 1)
        rows.products[sku] = replace(product, available=product.available + change,
                                     updated_at=at)


def _change_order(rows: ReadModelRows, stored: StoredEvent) -> None:
    order_id = getattr(stored.event, "order_id")  # noqa: B009 (every order event has one)
    current = rows.orders.get(order_id)
    if current is None or current.version != stored.version - 1:
        raise ConcurrencyConflict(stored.stream_id, stored.version - 1)
    rows.orders[order_id] = replace(current, **order_changes(
        stored.event, stored.version, current.payment_notifications))
