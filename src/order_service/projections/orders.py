"""The orders read model: one row per order, kept in step with its events."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any
from uuid import UUID

from sqlalchemy import Connection, select, update

from order_service.application.errors import ConcurrencyConflict
from order_service.eventstore.codec import JsonObject
from order_service.eventstore.store import PendingEvent
from order_service.projections.rows import insert_first_row
from order_service.projections.tables import orders

TRANSITIONS = frozenset({"OrderPaid", "OrderShipped", "OrderCancelled"})
NOTIFIED = "PaymentNotified"


def notification_entry(data: JsonObject) -> JsonObject:
    """How a PaymentNotified event appears in the order's payment_notifications."""
    keys = ("notification_id", "succeeded", "amount", "currency", "payment_reference",
            "applied", "reason", "received_at")
    return {key: data[key] for key in keys}


def notified_values(data: JsonObject, version: int, earlier: list[JsonObject] | None
                    ) -> dict[str, Any]:
    """The columns a PaymentNotified event changes, given the notifications before it."""
    return {
        "payment_notifications": [*(earlier or []), notification_entry(data)],
        "updated_at": datetime.fromisoformat(data["received_at"]),
        "version": version,
    }


def placed_row(data: JsonObject, metadata: JsonObject) -> dict[str, Any]:
    """The row an OrderPlaced event creates (its metadata names the placing API key)."""
    customer = data["customer"]
    placed_at = datetime.fromisoformat(data["placed_at"])
    return {
        "id": UUID(data["order_id"]),
        "number": data["number"],
        "status": "pending_payment",
        "currency": data["currency"],
        "customer_name": customer["name"],
        "customer_email": customer["email"],
        "customer_phone": customer["phone"],
        "lines": data["lines"],
        "shipping_address": data["shipping_address"],
        "billing_address": data["billing_address"],
        "payment_method": data["payment_method"],
        "shipping_method": data["shipping_method"],
        "shipping_method_name": data["shipping_method_name"],
        "subtotal": data["subtotal"],
        "shipping": data["shipping"],
        "tax_rate": data["tax_rate"],
        "tax": data["tax"],
        "total": data["total"],
        "placed_at": placed_at,
        "paid_at": None,
        "shipped_at": None,
        "cancelled_at": None,
        "updated_at": placed_at,
        "payment_reference": None,
        "tracking_number": None,
        "cancel_reason": None,
        "version": 1,
        "placed_by": metadata.get("api_key_id"),
        "payment_notifications": [],
    }


def transition_values(event_type: str, data: JsonObject, version: int) -> dict[str, Any]:
    """The columns a paid, shipped or cancelled event changes."""
    if event_type == "OrderPaid":
        at = datetime.fromisoformat(data["paid_at"])
        changes = {"status": "paid", "paid_at": at, "payment_reference": data["payment_reference"]}
    elif event_type == "OrderShipped":
        at = datetime.fromisoformat(data["shipped_at"])
        changes = {"status": "shipped", "shipped_at": at,
                   "tracking_number": data["tracking_number"]}
    elif event_type == "OrderCancelled":
        at = datetime.fromisoformat(data["cancelled_at"])
        changes = {"status": "cancelled", "cancelled_at": at, "cancel_reason": data["reason"]}
    else:
        raise ValueError(f"{event_type} is not an order transition")
    return {**changes, "updated_at": at, "version": version}


def project_orders(connection: Connection, pending: Sequence[PendingEvent]) -> None:
    """Apply order events to the orders table inside the append's transaction."""
    for event in pending:
        if event.type == "OrderPlaced":
            insert_first_row(connection, orders, placed_row(event.data, event.metadata), event)
        elif event.type == NOTIFIED:
            _project_notification(connection, event)
        elif event.type in TRANSITIONS:
            # Guarding on the previous version detects a concurrent change before the
            # event insert does, and keeps the row from ever skipping a version.
            result = connection.execute(
                update(orders)
                .where(orders.c.id == UUID(event.data["order_id"]))
                .where(orders.c.version == event.version - 1)
                .values(transition_values(event.type, event.data, event.version))
            )
            if result.rowcount != 1:
                raise ConcurrencyConflict(event.stream_id, event.version - 1)


def _project_notification(connection: Connection, event: PendingEvent) -> None:
    order_id = UUID(event.data["order_id"])
    earlier = connection.execute(
        select(orders.c.payment_notifications).where(orders.c.id == order_id)
    ).scalar_one_or_none()
    result = connection.execute(
        update(orders)
        .where(orders.c.id == order_id, orders.c.version == event.version - 1)
        .values(notified_values(event.data, event.version, earlier))
    )
    if result.rowcount != 1:
        raise ConcurrencyConflict(event.stream_id, event.version - 1)
