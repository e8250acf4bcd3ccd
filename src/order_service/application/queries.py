"""Questions the merchant and the storefront ask, answered from the read models."""

from __future__ import annotations

from collections.abc import Collection
from uuid import UUID

from order_service.application.ports import Storage
from order_service.application.views import (
    EventPage,
    OrderEventView,
    OrderPage,
    OrderView,
    ProductView,
    ShippingMethodView,
)
from order_service.domain.errors import OrderNotFound, ProductNotFound
from order_service.domain.values import OrderStatus


def get_order(storage: Storage, order_id: UUID) -> OrderView:
    """One order, or OrderNotFound."""
    with storage.reading() as read_models:
        order = read_models.order(order_id)
    if order is None:
        raise OrderNotFound(order_id)
    return order


def list_orders(
    storage: Storage,
    *,
    statuses: Collection[OrderStatus],
    limit: int,
    before_number: int | None,
) -> OrderPage:
    """A page of orders, newest first, with the key that starts the next page."""
    with storage.reading() as read_models:
        # One extra row tells whether another page exists without a COUNT.
        rows = read_models.orders(statuses=statuses, limit=limit + 1, before_number=before_number)
    items = tuple(rows[:limit])
    next_before = items[-1].number if len(rows) > limit else None
    return OrderPage(items=items, next_before=next_before)


def order_history(storage: Storage, order_id: UUID) -> list[OrderEventView]:
    """An order's events, oldest first, or OrderNotFound."""
    with storage.reading() as read_models:
        history = read_models.order_history(order_id)
    if not history:
        raise OrderNotFound(order_id)
    return history


def get_product(storage: Storage, sku: str) -> ProductView:
    """One product, or ProductNotFound."""
    with storage.reading() as read_models:
        product = read_models.product(sku)
    if product is None:
        raise ProductNotFound(sku)
    return product


def list_products(storage: Storage) -> list[ProductView]:
    """The whole catalogue."""
    with storage.reading() as read_models:
        return read_models.products()


def list_shipping_methods(storage: Storage) -> list[ShippingMethodView]:
    """Every shipping method the shop offers."""
    with storage.reading() as read_models:
        return read_models.shipping_methods()


def follow_events(storage: Storage, *, after: int, limit: int) -> EventPage:
    """The events after `after` in global order, and where to continue."""
    with storage.reading() as read_models:
        items = tuple(read_models.events_after(after, limit))
    return EventPage(items=items, next_after=items[-1].position if items else after)
