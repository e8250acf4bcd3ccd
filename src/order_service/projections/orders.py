"""The orders table: order_projector.py's views as rows, kept in step with their events.

What an event makes of an order is decided in order_projector.py; this module only says
how a view is written as a row of the SQL table (its columns, and JSON for the parts the
row keeps whole) and applies it inside the append's transaction.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import replace
from datetime import datetime
from enum import Enum
from typing import Any
from uuid import UUID

from pydantic import TypeAdapter
from sqlalchemy import Connection, select, update

from order_service.application.errors import ConcurrencyConflict
from order_service.application.export import order_fields_json
from order_service.application.views import OrderView, PaymentNotificationView, RefundView
from order_service.domain.events import OrderPlaced
from order_service.domain.values import Address, Customer, OrderLine, OrderStatus, StockQuantity
from order_service.eventstore.store import PendingEvent
from order_service.projections.order_projector import ORDER_EVENTS, order_changes, placed_order
from order_service.projections.rows import insert_first_row
from order_service.projections.tables import orders


def order_row(view: OrderView, *, json_text: bool = False) -> dict[str, Any]:
    """The orders row of `view`; with `json_text`, the parts kept whole as JSON text
    (for COPY) instead of the Python values SQLAlchemy's JSON columns encode."""
    return {"id": view.id, "number": view.number, **changed_columns({
        name: getattr(view, name) for name in _FIELDS if name not in ("id", "number")},
        json_text=json_text), "document": stored_document(view)}


def changed_row(changed: OrderView, changes: Mapping[str, Any]) -> dict[str, Any]:
    """The columns of the orders row that these changes set, `changed` being the view
    they made: its document is written again whole."""
    return {**changed_columns(changes), "document": stored_document(changed)}


def stored_document(view: OrderView) -> str:
    """The order as the JSON text the API sends, but for its payment instructions (read
    adds them, from the bank settings of the moment): one definition, the API's own."""
    return order_fields_json(view).decode()


def changed_columns(changes: Mapping[str, Any], *, json_text: bool = False) -> dict[str, Any]:
    """The columns of the orders row that these changes of a view's fields set."""
    columns: dict[str, Any] = {}
    for name, value in changes.items():
        if name == "customer":
            customer: Customer = value
            columns.update(customer_name=customer.name, customer_email=customer.email,
                           customer_phone=customer.phone)
        elif name in _WHOLE:
            # As the events store them: JSON text for COPY, else the Python values
            # SQLAlchemy's JSON columns encode.
            whole = _WHOLE[name]
            columns[name] = (whole.dump_json(value).decode() if json_text
                             else whole.dump_python(value, mode="json"))
        else:
            columns[name] = value.value if isinstance(value, Enum) else value
    return columns


def project_orders(connection: Connection, pending: Sequence[PendingEvent]) -> None:
    """Apply order events to the orders table inside the append's transaction."""
    for stored in pending:
        event = stored.event
        if isinstance(event, OrderPlaced):
            view = placed_order(event, stored.version, stored.metadata.get("api_key_id"))
            insert_first_row(connection, orders, order_row(view), stored)
        elif isinstance(event, ORDER_EVENTS):
            _change(connection, stored, event.order_id)


def _change(connection: Connection, stored: PendingEvent, order_id: UUID) -> None:
    row = connection.execute(select(orders).where(orders.c.id == order_id)).first()
    if row is None:
        raise ConcurrencyConflict(stored.stream_id, stored.version - 1)
    current = order_view(row._mapping)
    changes = order_changes(stored.event, stored.version, current)
    # Guarding on the previous version detects a concurrent change before the event
    # insert does, and keeps the row from ever skipping a version.
    result = connection.execute(
        update(orders)
        .where(orders.c.id == order_id, orders.c.version == stored.version - 1)
        .values(changed_row(replace(current, **changes), changes))
    )
    if result.rowcount != 1:
        raise ConcurrencyConflict(stored.stream_id, stored.version - 1)


def order_view(row: Mapping[Any, Any]) -> OrderView:
    """Map an orders row (its columns by name) to the order view."""
    return OrderView(
        **{name: row[name] for name in _FIELDS if name not in _SHAPED},
        status=OrderStatus(row["status"]),
        customer=Customer(name=row["customer_name"], email=row["customer_email"],
                          phone=row["customer_phone"]),
        lines=tuple(OrderLine(**line) for line in row["lines"]),
        shipping_address=Address(**row["shipping_address"]),
        billing_address=Address(**row["billing_address"]),
        payment_notifications=tuple(
            notification_of(entry) for entry in row["payment_notifications"] or ()),
        refunds=tuple(refund_of(entry) for entry in row["refunds"] or ()),
    )


# The view's fields that a row keeps in another shape: the rest are its columns as read.
_SHAPED = frozenset({"status", "customer", "lines", "shipping_address", "billing_address",
                     "payment_notifications", "refunds"})


def notification_of(entry: Mapping[str, Any]) -> PaymentNotificationView:
    """A payment notification as the row keeps it (JSON), as a view."""
    return PaymentNotificationView(**{**entry, "received_at": datetime.fromisoformat(
        entry["received_at"])})


def refund_of(entry: Mapping[str, Any]) -> RefundView:
    """A refund as the row keeps it (JSON), as a view."""
    return RefundView(
        amount=entry["amount"], reason=entry["reason"],
        lines=tuple(StockQuantity(**line) for line in entry["lines"]),
        returned_stock=tuple(StockQuantity(**line) for line in entry["returned_stock"]),
        refunded_at=datetime.fromisoformat(entry["refunded_at"]))


# The view's fields, in the row's column order; those kept whole as JSON.
_FIELDS = tuple(OrderView.__dataclass_fields__)
_WHOLE: dict[str, TypeAdapter[Any]] = {
    "lines": TypeAdapter(tuple[OrderLine, ...]), "shipping_address": TypeAdapter(Address),
    "billing_address": TypeAdapter(Address),
    "payment_notifications": TypeAdapter(tuple[PaymentNotificationView, ...]),
    "refunds": TypeAdapter(tuple[RefundView, ...])}
