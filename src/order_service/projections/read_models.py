"""Queries over the read models, returning the application's views."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any
from uuid import UUID

from sqlalchemy import ColumnElement, Connection, Row, bindparam, func, or_, select

from order_service.adapters.sql.column_types import fold_case
from order_service.application.actors import who_did_it
from order_service.application.views import (
    Amounts,
    OrderDocument,
    OrderEventView,
    OrderFilter,
    OrderView,
    ProductView,
    ShippingMethodView,
    StatusFigures,
    StoredEventView,
)
from order_service.domain.events import order_stream
from order_service.domain.payment_instructions import TransferTerms
from order_service.domain.values import OrderStatus
from order_service.eventstore.codec import as_followed
from order_service.eventstore.tables import events
from order_service.projections.documents import order_document, order_documents
from order_service.projections.orders import order_view
from order_service.projections.tables import orders, products, shipping_methods

# The hottest read, built once.
_ORDER_BY_ID = select(orders).where(orders.c.id == bindparam("order_id"))


class SqlReadModels:
    """The ReadModels port over one connection."""

    def __init__(self, connection: Connection) -> None:
        self._connection = connection

    def order(self, order_id: UUID) -> OrderView | None:
        """One order, if it exists."""
        row = self._connection.execute(_ORDER_BY_ID, {"order_id": order_id}).first()
        return None if row is None else order_view(row._mapping)

    def order_numbered(self, number: int) -> OrderView | None:
        """The order with this receipt number, if any."""
        row = self._connection.execute(select(orders).where(orders.c.number == number)).first()
        return None if row is None else order_view(row._mapping)

    def order_document(self, order_id: UUID, transfer: TransferTerms) -> OrderDocument | None:
        """One order as the JSON document the API sends, built by the database."""
        return order_document(self._connection, order_id, transfer)

    def order_history(self, order_id: UUID) -> list[OrderEventView]:
        """An order's events, oldest first, payloads at their current schema (an event
        a newer version of the service wrote is shown as stored)."""
        rows = self._connection.execute(
            select(events.c.position, events.c.version, events.c.type, events.c.schema_version,
                   events.c.recorded_at, events.c.data, events.c.metadata)
            .where(events.c.stream_id == order_stream(order_id))
            .order_by(events.c.version)
        )
        return [
            OrderEventView(
                position=row.position,
                version=row.version,
                type=row.type,
                recorded_at=row.recorded_at,
                data=as_followed(row.type, row.schema_version, row.data)[1],
                by=who_did_it(row.metadata.get("caused_by")),
            )
            for row in rows
        ]

    def order_numbers_before(self, number: int | None, limit: int, where: OrderFilter
                             ) -> list[int]:
        """Receipt numbers below `number` matching `where`, newest first: a list page."""
        query = (
            select(orders.c.number).where(*_conditions(where))
            .order_by(orders.c.number.desc()).limit(limit)
        )
        if number is not None:
            query = query.where(orders.c.number < number)
        return list(self._connection.scalars(query))

    def order_numbers_after(self, number: int, limit: int, where: OrderFilter) -> list[int]:
        """Receipt numbers above `number` matching `where`: the keys of one export page."""
        query = (
            select(orders.c.number).where(orders.c.number > number, *_conditions(where))
            .order_by(orders.c.number).limit(limit)
        )
        return list(self._connection.scalars(query))

    def orders_between(self, after: int, up_to: int | None, where: OrderFilter
                       ) -> Iterator[OrderView]:
        """Orders numbered in (after, up_to] matching `where`, streamed from the database."""
        query = (
            select(orders).where(orders.c.number > after, *_conditions(where))
            .order_by(orders.c.number)
        )
        if up_to is not None:
            query = query.where(orders.c.number <= up_to)
        # A server-side cursor: rows arrive in batches, so memory stays flat however
        # many orders there are.
        result = self._connection.execution_options(stream_results=True, yield_per=500).execute(
            query
        )
        for row in result:
            yield order_view(row._mapping)

    def order_documents_between(self, after: int, up_to: int | None, where: OrderFilter,
                                transfer: TransferTerms) -> Iterator[bytes]:
        """Orders numbered in (after, up_to] as JSON built by the database, streamed."""
        return order_documents(self._connection, after, up_to, where, transfer)

    def count_orders(self, where: OrderFilter) -> int:
        """How many orders match `where`."""
        query = select(func.count()).select_from(orders).where(*_conditions(where))
        return int(self._connection.execute(query).scalar_one())

    def count_orders_by_status(self, where: OrderFilter) -> dict[OrderStatus, int]:
        """How many orders matching `where` are in each status, in one query."""
        query = (select(orders.c.status, func.count()).where(*_conditions(where))
                 .group_by(orders.c.status))
        counts = dict.fromkeys(OrderStatus, 0)
        for status, count in self._connection.execute(query):
            counts[OrderStatus(status)] = int(count)
        return counts

    def sales_by_status(self, where: OrderFilter, currency: str
                        ) -> dict[OrderStatus, StatusFigures]:
        """Counts, money and refunds per status, summed by the database."""
        query = (
            select(orders.c.status, func.count(), func.sum(orders.c.subtotal),
                   func.sum(orders.c.shipping), func.sum(orders.c.tax), func.sum(orders.c.total),
                   func.sum(orders.c.refunded))
            .where(orders.c.currency == currency, *_conditions(where))
            .group_by(orders.c.status)
        )
        figures = {status: StatusFigures(0, Amounts()) for status in OrderStatus}
        rows = self._connection.execute(query)
        for status, count, subtotal, shipping, tax, total, refunded in rows:
            figures[OrderStatus(status)] = StatusFigures(
                int(count), Amounts(int(subtotal), int(shipping), int(tax), int(total)),
                refunded=int(refunded),
            )
        return figures

    def events_after(self, position: int, limit: int) -> list[StoredEventView]:
        """Events after `position` in global order.

        Safe to follow: appends are serialised until commit (see SqlEventStore), so no
        event can later appear below a position a reader has already passed.
        """
        rows = self._connection.execute(
            select(events).where(events.c.position > position)
            .order_by(events.c.position).limit(limit)
        )
        views = []
        for row in rows:
            # A type this version does not know (a newer one wrote it) is passed on as
            # stored: a follower must be able to page past it.
            schema_version, data = as_followed(row.type, row.schema_version, row.data)
            views.append(StoredEventView(
                position=row.position, stream_id=row.stream_id, version=row.version,
                type=row.type, recorded_at=row.recorded_at, data=data,
                metadata=row.metadata, schema_version=schema_version,
            ))
        return views

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


def _conditions(where: OrderFilter) -> list[ColumnElement[bool]]:
    conditions: list[ColumnElement[bool]] = []
    if where.statuses:
        conditions.append(orders.c.status.in_(sorted(s.value for s in where.statuses)))
    if where.placed_from is not None:
        conditions.append(orders.c.placed_at >= where.placed_from)
    if where.placed_to is not None:
        conditions.append(orders.c.placed_at < where.placed_to)
    if where.updated_since is not None:
        conditions.append(orders.c.updated_at >= where.updated_since)
    if where.email_contains:
        conditions.append(func.lower(orders.c.customer_email).contains(
            where.email_contains.lower(), autoescape=True))
    if where.search:
        conditions.append(_searched(where.search, where.searched_number))
    if where.customer_email:
        conditions.append(func.lower(orders.c.customer_email) == where.customer_email.lower())
    if where.placed_by is not None:
        conditions.append(orders.c.placed_by == where.placed_by)
    return conditions


def _searched(text: str, number: int | None) -> ColumnElement[bool]:
    """Orders whose number is `number`, or whose customer's email or name holds `text`."""
    fragment = text.strip().lower()
    found = [fold_case(column).contains(fragment, autoescape=True)
             for column in (orders.c.customer_email, orders.c.customer_name)]
    if number is not None:
        found.append(orders.c.number == number)
    return or_(*found)


def _product_view(row: Row[Any]) -> ProductView:
    return ProductView(
        sku=row.sku,
        name=row.name,
        price=row.price,
        currency=row.currency,
        available=row.available,
        added_at=row.added_at,
        updated_at=row.updated_at,
        retired_at=row.retired_at,
    )


def _shipping_method_view(row: Row[Any]) -> ShippingMethodView:
    return ShippingMethodView(code=row.code, name=row.name, price=row.price, currency=row.currency)
