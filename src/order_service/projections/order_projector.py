"""The orders read model, defined once: what each order event makes of an order.

Plain Python over decoded (upcast) domain events, with no storage in sight. Every
storage runs it: the in-memory storage keeps the views it returns, the SQL storages
write them as rows (projections/orders.py), and the hot path writes the same rows
through PostgreSQL's batch functions (adapters/sql/outcome_plan.py).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from order_service.application.views import OrderView, PaymentNotificationView, RefundView
from order_service.domain.events import (
    DomainEvent,
    OrderCancelled,
    OrderDetailsCorrected,
    OrderNoteAdded,
    OrderPaid,
    OrderPlaced,
    OrderRefunded,
    OrderShipped,
    PaymentNotified,
)
from order_service.domain.values import OrderStatus

# Every event of an order's stream; OrderPlaced starts one, the others change it.
ORDER_EVENTS = (OrderPlaced, OrderPaid, OrderShipped, OrderCancelled, PaymentNotified,
                OrderDetailsCorrected, OrderRefunded, OrderNoteAdded)


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
                  before: OrderView | Mapping[str, Any] | None = None) -> dict[str, Any]:
    """The fields of an order's view that a later event of its stream sets.

    `before` is the order as the earlier events left it: its view, or the fields they
    changed since it was placed (as a rebuild gathers them). The events that add to a
    list of the order (notifications, refunds) need it.
    """
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
            changes = {"payment_notifications": (*_earlier(before, "payment_notifications"),
                                                 notification_view(event)),
                       "updated_at": event.received_at}
        case OrderDetailsCorrected():
            changes = {**event.new_details(), "updated_at": event.corrected_at}
        case OrderRefunded():
            refunds = (*_earlier(before, "refunds"), refund_view(event))
            changes = {"refunds": refunds, "refunded": sum(r.amount for r in refunds),
                       "updated_at": event.refunded_at}
        case OrderNoteAdded():
            # A note is for colleagues: the order as the API shows it is unchanged, but
            # for its version (the history has the note).
            changes = {}
        case _:
            raise ValueError(f"{type(event).__name__} does not change an order")
    return {**changes, "version": version}


def _earlier(before: OrderView | Mapping[str, Any] | None, name: str) -> tuple[Any, ...]:
    if before is None:
        return ()
    # A list a rebuild has not changed since the order was placed is still empty.
    earlier: tuple[Any, ...] = (before.get(name, ()) if isinstance(before, Mapping)
                                else getattr(before, name))
    return earlier


def refund_view(refunded: OrderRefunded) -> RefundView:
    """How an OrderRefunded event appears among the order's refunds."""
    return RefundView(amount=refunded.amount, reason=refunded.reason, lines=refunded.lines,
                      returned_stock=refunded.returned_stock,
                      refunded_at=refunded.refunded_at)


def notification_view(notified: PaymentNotified) -> PaymentNotificationView:
    """How a PaymentNotified event appears among the order's payment notifications."""
    return PaymentNotificationView(
        notification_id=notified.notification_id, succeeded=notified.succeeded,
        amount=notified.amount, currency=notified.currency,
        payment_reference=notified.payment_reference, applied=notified.applied,
        reason=notified.reason, received_at=notified.received_at)
