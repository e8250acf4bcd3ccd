"""The orders read model, defined once: what each order event makes of an order.

Plain Python over decoded (upcast) domain events, with no storage in sight. Every
storage runs it: the in-memory storage keeps the views it returns, the SQL storages
write them as rows (projections/orders.py), and the hot path writes the same rows
through PostgreSQL's batch functions (adapters/sql/outcome_plan.py).
"""

from __future__ import annotations

from typing import Any

from order_service.application.views import OrderView, PaymentNotificationView
from order_service.domain.events import (
    DomainEvent,
    OrderCancelled,
    OrderPaid,
    OrderPlaced,
    OrderShipped,
    PaymentNotified,
)
from order_service.domain.values import OrderStatus

# Every event of an order's stream; OrderPlaced starts one, the others change it.
ORDER_EVENTS = (OrderPlaced, OrderPaid, OrderShipped, OrderCancelled, PaymentNotified)


def placed_order(placed: OrderPlaced, version: int, placed_by: str | None) -> OrderView:
    """The order an OrderPlaced event starts (`placed_by`: the key that placed it)."""
    return OrderView(
        id=placed.order_id, number=placed.number, status=OrderStatus.PENDING_PAYMENT,
        currency=placed.currency, customer=placed.customer, lines=placed.lines,
        subtotal=placed.subtotal, shipping=placed.shipping, tax_rate=placed.tax_rate,
        tax=placed.tax, total=placed.total, shipping_address=placed.shipping_address,
        billing_address=placed.billing_address, payment_method=placed.payment_method,
        shipping_method=placed.shipping_method,
        shipping_method_name=placed.shipping_method_name, placed_at=placed.placed_at,
        paid_at=None, shipped_at=None, cancelled_at=None, updated_at=placed.placed_at,
        payment_reference=None, tracking_number=None, cancel_reason=None,
        version=version, placed_by=placed_by,
    )


def order_changes(event: DomainEvent, version: int,
                  notifications: tuple[PaymentNotificationView, ...] = ()) -> dict[str, Any]:
    """The fields of an order's view that a later event of its stream sets, given the
    payment notifications it had before."""
    match event:
        case OrderPaid():
            changes: dict[str, Any] = {
                "status": OrderStatus.PAID, "paid_at": event.paid_at,
                "payment_reference": event.payment_reference, "updated_at": event.paid_at}
        case OrderShipped():
            changes = {"status": OrderStatus.SHIPPED, "shipped_at": event.shipped_at,
                       "tracking_number": event.tracking_number,
                       "updated_at": event.shipped_at}
        case OrderCancelled():
            changes = {"status": OrderStatus.CANCELLED, "cancelled_at": event.cancelled_at,
                       "cancel_reason": event.reason, "updated_at": event.cancelled_at}
        case PaymentNotified():
            changes = {"payment_notifications": (*notifications, notification_view(event)),
                       "updated_at": event.received_at}
        case _:
            raise ValueError(f"{type(event).__name__} does not change an order")
    return {**changes, "version": version}


def notification_view(notified: PaymentNotified) -> PaymentNotificationView:
    """How a PaymentNotified event appears among the order's payment notifications."""
    return PaymentNotificationView(
        notification_id=notified.notification_id, succeeded=notified.succeeded,
        amount=notified.amount, currency=notified.currency,
        payment_reference=notified.payment_reference, applied=notified.applied,
        reason=notified.reason, received_at=notified.received_at)
