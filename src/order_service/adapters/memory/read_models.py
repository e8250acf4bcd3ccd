"""The ReadModels port over the in-memory read models: the SQL queries, in Python."""

from __future__ import annotations

import json
from collections.abc import Iterator
from uuid import UUID

from order_service.adapters.memory.state import MemoryState
from order_service.application.actors import who_did_it
from order_service.application.export import order_record
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


class MemoryReadModels:
    """The ReadModels port over one state (a transaction's, or a snapshot of it)."""

    def __init__(self, state: MemoryState) -> None:
        self._state = state

    def order(self, order_id: UUID) -> OrderView | None:
        """One order, if it exists."""
        return self._state.rows.orders.get(order_id)

    def order_numbered(self, number: int) -> OrderView | None:
        """The order with this receipt number, if any."""
        order_id = self._state.rows.numbers.get(number)
        return None if order_id is None else self.order(order_id)

    def order_document(self, order_id: UUID, transfer: TransferTerms) -> OrderDocument | None:
        """One order as the JSON document the API sends, if it exists."""
        order = self.order(order_id)
        if order is None:
            return None
        return OrderDocument(_document(order, transfer), order.version, order.placed_by)

    def order_history(self, order_id: UUID) -> list[OrderEventView]:
        """An order's events, oldest first, payloads at their current schema."""
        return [
            OrderEventView(position=stored.position, version=stored.version, type=stored.type,
                           recorded_at=stored.recorded_at,
                           data=as_followed(stored.type, stored.schema_version, stored.data)[1],
                           by=who_did_it(stored.metadata.get("caused_by")))
            for stored in self._state.streams.get(order_stream(order_id), ())
        ]

    def order_numbers_before(self, number: int | None, limit: int, where: OrderFilter
                             ) -> list[int]:
        """Receipt numbers below `number` matching `where`, newest first."""
        found = [order.number for order in self._matching(where)
                 if number is None or order.number < number]
        return sorted(found, reverse=True)[:limit]

    def order_numbers_after(self, number: int, limit: int, where: OrderFilter) -> list[int]:
        """Receipt numbers above `number` matching `where`, in order."""
        return sorted(order.number for order in self._matching(where)
                      if order.number > number)[:limit]

    def orders_between(self, after: int, up_to: int | None, where: OrderFilter
                       ) -> Iterator[OrderView]:
        """Orders numbered in (after, up_to] matching `where`, by number."""
        found = [order for order in self._matching(where)
                 if order.number > after and (up_to is None or order.number <= up_to)]
        return iter(sorted(found, key=lambda order: order.number))

    def order_documents_between(self, after: int, up_to: int | None, where: OrderFilter,
                                transfer: TransferTerms) -> Iterator[bytes]:
        """The same orders as `orders_between`, as JSON documents."""
        return (_document(order, transfer) for order in self.orders_between(after, up_to, where))

    def count_orders(self, where: OrderFilter) -> int:
        """How many orders match `where`."""
        return sum(1 for _ in self._matching(where))

    def count_orders_by_status(self, where: OrderFilter) -> dict[OrderStatus, int]:
        """How many orders matching `where` are in each status."""
        counts = dict.fromkeys(OrderStatus, 0)
        for order in self._matching(where):
            counts[order.status] += 1
        return counts

    def sales_by_status(self, where: OrderFilter, currency: str
                        ) -> dict[OrderStatus, StatusFigures]:
        """Counts, money and refunds per status of the orders in `currency` matching `where`."""
        figures = {status: StatusFigures(0, Amounts()) for status in OrderStatus}
        for order in self._matching(where):
            if order.currency == currency:
                figures[order.status] += StatusFigures(1, Amounts(
                    order.subtotal, order.shipping, order.tax, order.total),
                    refunded=order.refunded)
        return figures

    def events_after(self, position: int, limit: int) -> list[StoredEventView]:
        """Up to `limit` events of the whole store after `position`, in order."""
        # Positions are 1, 2, 3, ... with no gaps: the event at position p is at p - 1.
        views = []
        for stored in self._state.events[max(position, 0):max(position, 0) + limit]:
            schema_version, data = as_followed(stored.type, stored.schema_version, stored.data)
            views.append(StoredEventView(
                position=stored.position, stream_id=stored.stream_id, version=stored.version,
                type=stored.type, recorded_at=stored.recorded_at, data=data,
                metadata=stored.metadata, schema_version=schema_version))
        return views

    def product(self, sku: str) -> ProductView | None:
        """One product, if the catalogue has it."""
        return self._state.rows.products.get(sku)

    def products(self) -> list[ProductView]:
        """The whole catalogue, by SKU."""
        return [self._state.rows.products[sku] for sku in sorted(self._state.rows.products)]

    def shipping_method(self, code: str) -> ShippingMethodView | None:
        """One shipping method, if offered."""
        return self._state.rows.shipping_methods.get(code)

    def shipping_methods(self) -> list[ShippingMethodView]:
        """Every shipping method, by code."""
        methods = self._state.rows.shipping_methods
        return [methods[code] for code in sorted(methods)]

    def _matching(self, where: OrderFilter) -> Iterator[OrderView]:
        return (order for order in self._state.rows.orders.values() if matches(order, where))


def matches(order: OrderView, where: OrderFilter) -> bool:
    """Whether `order` is one of the orders `where` names (the SQL conditions, in Python)."""
    email = order.customer.email.lower()
    return all((
        not where.statuses or order.status in where.statuses,
        where.placed_from is None or order.placed_at >= where.placed_from,
        where.placed_to is None or order.placed_at < where.placed_to,
        where.updated_since is None or order.updated_at >= where.updated_since,
        not where.email_contains or where.email_contains.lower() in email,
        not where.search or _searched(order, where),
        not where.customer_email or email == where.customer_email.lower(),
        where.placed_by is None or order.placed_by == where.placed_by,
    ))


def _searched(order: OrderView, where: OrderFilter) -> bool:
    fragment = (where.search or "").strip().lower()
    return (fragment in order.customer.email.lower() or fragment in order.customer.name.lower()
            or order.number == where.searched_number)


def _document(order: OrderView, transfer: TransferTerms) -> bytes:
    return json.dumps(order_record(order, transfer), ensure_ascii=False,
                      separators=(",", ":")).encode()
