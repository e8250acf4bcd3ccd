"""Builders for the integration tests: catalogue entries and orders with ids of their own."""

from __future__ import annotations

from collections.abc import Sequence
from uuid import uuid4

from sqlalchemy import Engine, func, select

from order_service.application.commands import AddProduct, AddShippingMethod, PlaceOrder
from order_service.application.handlers import Shop
from order_service.application.ports import CommandContext, Storage
from order_service.application.queries import get_product
from order_service.application.views import OrderView, StoredEventView
from order_service.domain.values import Address, Customer, RequestedLine
from order_service.eventstore.tables import events

CUSTOMER = Customer(name="Grace Hopper", email="grace@example.org")
ADDRESS = Address(name="Grace Hopper", line1="Damrak 1", city="Amsterdam",
                  postal_code="1012 LG", country="NL")


def unique(prefix: str) -> str:
    """An id no other test uses."""
    return f"{prefix}-{uuid4().hex[:10]}"


def add_product(shop: Shop, context: CommandContext, *, stock: int, price: int = 1_000) -> str:
    """A new product with `stock` on the shelf; returns its SKU."""
    sku = unique("SKU")
    shop.add_product(AddProduct(sku=sku, name=f"Product {sku}", price=price,
                                currency=shop.terms.currency, stock=stock), context)
    return sku


def add_shipping_method(shop: Shop, context: CommandContext, *, price: int = 495) -> str:
    """A new shipping method; returns its code."""
    code = unique("ship")
    shop.add_shipping_method(AddShippingMethod(code=code, name=f"Carrier {code}", price=price,
                                               currency=shop.terms.currency), context)
    return code


def order_of(
    lines: Sequence[tuple[str, int]], shipping_method: str, *, payment_method: str = "card"
) -> PlaceOrder:
    """A PlaceOrder command for (SKU, quantity) lines."""
    return PlaceOrder(
        customer=CUSTOMER,
        lines=tuple(RequestedLine(sku, quantity) for sku, quantity in lines),
        shipping_address=ADDRESS,
        billing_address=ADDRESS,
        payment_method=payment_method,
        shipping_method=shipping_method,
    )


def place(
    shop: Shop, context: CommandContext, lines: Sequence[tuple[str, int]], shipping_method: str
) -> OrderView:
    """Place an order for (SKU, quantity) lines."""
    return shop.place_order(order_of(lines, shipping_method), context)


def available(shop: Shop, sku: str) -> int:
    """What is left of a product according to the read model."""
    return get_product(shop.storage, sku).available


def count_events(engine: Engine, *, stream_id: str | None = None, type: str | None = None) -> int:
    """How many rows the events table holds, optionally of one stream or type."""
    query = select(func.count()).select_from(events)
    if stream_id is not None:
        query = query.where(events.c.stream_id == stream_id)
    if type is not None:
        query = query.where(events.c.type == type)
    with engine.connect() as connection:
        return int(connection.execute(query).scalar_one())


def event_types(engine: Engine, stream_id: str) -> list[str]:
    """The types of a stream's events, oldest first."""
    query = select(events.c.type).where(events.c.stream_id == stream_id).order_by(events.c.version)
    with engine.connect() as connection:
        return list(connection.scalars(query))


def stored_events(storage: Storage, *, stream_id: str | None = None,
                  type: str | None = None) -> list[StoredEventView]:
    """Every event the storage holds, in order, optionally of one stream or type."""
    with storage.reading() as read_models:
        found = read_models.events_after(0, 1_000_000)
    return [event for event in found if stream_id in (None, event.stream_id)
            and type in (None, event.type)]
