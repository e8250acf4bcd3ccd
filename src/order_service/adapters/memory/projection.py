"""The in-memory read models, kept current from decoded events as each is stored.

What each event makes of an order, a product or a shipping method is decided in
projections/order_projector.py and catalogue_projector.py, as for every storage; this
module keeps the views and adds the checks the SQL tables' constraints make.
"""

from __future__ import annotations

from dataclasses import replace

from order_service.adapters.memory.state import ReadModelRows, StoredEvent
from order_service.application.errors import ConcurrencyConflict
from order_service.domain.events import (
    OrderPlaced,
    ProductAdded,
    ShippingMethodAdded,
)
from order_service.projections.catalogue_projector import (
    StockChange,
    added_product,
    added_shipping_method,
    product_changes,
    stock_changes,
)
from order_service.projections.order_projector import ORDER_EVENTS, order_changes, placed_order


def project(rows: ReadModelRows, stored: StoredEvent) -> None:
    """Apply one stored event to the read models.

    Raises ConcurrencyConflict where the SQL tables' constraints would refuse the row:
    stock below zero, or an order row that is not at the version before the event's.
    """
    _change_stock(rows, stored, stock_changes(stored.event))
    match stored.event:
        case ProductAdded() as added:
            rows.products[added.sku] = added_product(added)
        case ShippingMethodAdded() as method:
            rows.shipping_methods[method.code] = added_shipping_method(method)
        case OrderPlaced() as placed:
            rows.orders[placed.order_id] = placed_order(placed, stored.version,
                                                        stored.metadata.get("api_key_id"))
            rows.numbers[placed.number] = placed.order_id
        case event if isinstance(event, ORDER_EVENTS):
            _change_order(rows, stored)
    changed = product_changes(stored.event)
    if changed:
        sku = getattr(stored.event, "sku")  # noqa: B009 (every product event has one)
        rows.products[sku] = replace(rows.products[sku], **changed)


def _change_stock(rows: ReadModelRows, stored: StoredEvent,
                  changes: list[StockChange]) -> None:
    for change in changes:
        product = rows.products.get(change.sku)
        if product is None:
            continue  # as an UPDATE of no row: the SQL read model ignores it alike
        if product.available + change.change < 0:
            # The stock column's CHECK (available >= 0): someone took it meanwhile.
            raise ConcurrencyConflict(stored.stream_id, stored.version - 1)
        rows.products[change.sku] = replace(
            product, available=product.available + change.change, updated_at=change.at)


def _change_order(rows: ReadModelRows, stored: StoredEvent) -> None:
    order_id = getattr(stored.event, "order_id")  # noqa: B009 (every order event has one)
    current = rows.orders.get(order_id)
    if current is None or current.version != stored.version - 1:
        raise ConcurrencyConflict(stored.stream_id, stored.version - 1)
    rows.orders[order_id] = replace(current, **order_changes(
        stored.event, stored.version, current))
