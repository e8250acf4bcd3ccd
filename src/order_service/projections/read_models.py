"""Queries over the read models, returning the application's views."""

from __future__ import annotations

from collections.abc import Collection
from typing import Any
from uuid import UUID

from sqlalchemy import Connection, Row, select

from order_service.application.views import (
    OrderEventView,
    OrderView,
    ProductView,
    ShippingMethodView,
    StoredEventView,
)
from order_service.domain.events import order_stream
from order_service.domain.values import Address, Customer, OrderLine, OrderStatus
from order_service.eventstore.codec import upcast
from order_service.eventstore.tables import events
from order_service.projections.tables import orders, products, shipping_methods


class SqlReadModels:
    """The ReadModels port over one connection."""

    def __init__(self, connection: Connection) -> None:
        self._connection = connection

    def order(self, order_id: UUID) -> OrderView | None:
        """One order, if it exists."""
        row = self._connection.execute(select(orders).where(orders.c.id == order_id)).first()
        return None if row is None else order_view(row)

    def orders(
        self, *, statuses: Collection[OrderStatus], limit: int, before_number: int | None
    ) -> list[OrderView]:
        """Orders newest first; keyset pagination on the receipt number, never OFFSET."""
        query = select(orders).order_by(orders.c.number.desc()).limit(limit)
        if statuses:
            query = query.where(orders.c.status.in_([s.value for s in statuses]))
        if before_number is not None:
            query = query.where(orders.c.number < before_number)
        return [order_view(row) for row in self._connection.execute(query)]

    def order_history(self, order_id: UUID) -> list[OrderEventView]:
        """An order's events, oldest first, payloads at their current schema."""
        rows = self._connection.execute(
            select(events.c.position, events.c.version, events.c.type, events.c.schema_version,
                   events.c.recorded_at, events.c.data)
            .where(events.c.stream_id == order_stream(order_id))
            .order_by(events.c.version)
        )
        return [
            OrderEventView(
                position=row.position,
                version=row.version,
                type=row.type,
                recorded_at=row.recorded_at,
                data=upcast(row.type, row.schema_version, row.data),
            )
            for row in rows
        ]

    def events_after(self, position: int, limit: int) -> list[StoredEventView]:
        """Events after `position` in global order.

        Safe to follow: appends are serialised until commit (see SqlEventStore), so no
        event can later appear below a position a reader has already passed.
        """
        rows = self._connection.execute(
            select(events).where(events.c.position > position)
            .order_by(events.c.position).limit(limit)
        )
        return [
            StoredEventView(
                position=row.position,
                stream_id=row.stream_id,
                version=row.version,
                type=row.type,
                recorded_at=row.recorded_at,
                data=upcast(row.type, row.schema_version, row.data),
                metadata=row.metadata,
            )
            for row in rows
        ]

    def product(self, sku: str) -> ProductView | None:
        """One product, if the catalogue has it."""
        row = self._connection.execute(select(products).where(products.c.sku == sku)).first()
        return None if row is None else _product_view(row)

    def products(self) -> list[ProductView]:
        """The whole catalogue, by SKU."""
        rows = self._connection.execute(select(products).order_by(products.c.sku))
        return [_product_view(row) for row in rows]

    def shipping_method(self, code: str) -> ShippingMethodView | None:
        """One shipping method, if offered."""
        row = self._connection.execute(
            select(shipping_methods).where(shipping_methods.c.code == code)
        ).first()
        return None if row is None else _shipping_method_view(row)

    def shipping_methods(self) -> list[ShippingMethodView]:
        """Every shipping method, by code."""
        rows = self._connection.execute(select(shipping_methods).order_by(shipping_methods.c.code))
        return [_shipping_method_view(row) for row in rows]


def order_view(row: Row[Any]) -> OrderView:
    """Map an orders row to the order view."""
    return OrderView(
        id=row.id,
        number=row.number,
        status=OrderStatus(row.status),
        currency=row.currency,
        customer=Customer(name=row.customer_name, email=row.customer_email,
                          phone=row.customer_phone),
        lines=tuple(OrderLine(**line) for line in row.lines),
        subtotal=row.subtotal,
        shipping=row.shipping,
        tax_rate=row.tax_rate,
        tax=row.tax,
        total=row.total,
        shipping_address=Address(**row.shipping_address),
        billing_address=Address(**row.billing_address),
        payment_method=row.payment_method,
        shipping_method=row.shipping_method,
        shipping_method_name=row.shipping_method_name,
        placed_at=row.placed_at,
        paid_at=row.paid_at,
        shipped_at=row.shipped_at,
        cancelled_at=row.cancelled_at,
        updated_at=row.updated_at,
        payment_reference=row.payment_reference,
        tracking_number=row.tracking_number,
        cancel_reason=row.cancel_reason,
        version=row.version,
    )


def _product_view(row: Row[Any]) -> ProductView:
    return ProductView(
        sku=row.sku,
        name=row.name,
        price=row.price,
        currency=row.currency,
        available=row.available,
        added_at=row.added_at,
        updated_at=row.updated_at,
    )


def _shipping_method_view(row: Row[Any]) -> ShippingMethodView:
    return ShippingMethodView(code=row.code, name=row.name, price=row.price, currency=row.currency)
