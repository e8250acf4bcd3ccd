"""The orders read model, as every storage keeps it: given an order's events, its view."""

from __future__ import annotations

from dataclasses import replace
from uuid import uuid4

import pytest

from order_service.application.views import OrderView
from order_service.domain.events import (
    DomainEvent,
    OrderCancelled,
    OrderPaid,
    OrderShipped,
    PaymentNotified,
    ProductRestocked,
)
from order_service.domain.values import OrderStatus, StockQuantity
from order_service.projections.order_projector import order_changes, placed_order
from tests.unit.examples import LATER, PLACED_AT, line, order_placed


def order_after(*later: DomainEvent) -> OrderView:
    """The view of an order placed by key "key-1", after `later` events."""
    placed = order_placed(ORDER_ID, line("SANDAL-42", 2))
    view = placed_order(placed, 1, "key-1")
    for version, event in enumerate(later, start=2):
        view = replace(view, **order_changes(event, version, view))
    return view


ORDER_ID = uuid4()
PAID = OrderPaid(order_id=ORDER_ID, payment_reference="psp-123", paid_at=LATER)


def notified(number: int) -> PaymentNotified:
    return PaymentNotified(order_id=ORDER_ID, notification_id=f"evt_{number}",
                           succeeded=True, amount=2_995, currency="EUR",
                           payment_reference="pi_1", applied=number == 1, reason=None,
                           received_at=LATER)


def test_a_placed_order_is_pending_with_everything_the_receipt_shows() -> None:
    view = order_after()

    placed = order_placed(ORDER_ID, line("SANDAL-42", 2))
    assert (view.id, view.number, view.status, view.version) == (
        ORDER_ID, 7, OrderStatus.PENDING_PAYMENT, 1)
    assert (view.lines, view.customer, view.total) == (placed.lines, placed.customer,
                                                       placed.total)
    assert view.placed_at == view.updated_at == PLACED_AT
    assert view.placed_by == "key-1"
    assert (view.paid_at, view.shipped_at, view.cancelled_at) == (None, None, None)


def test_paid_then_shipped_keeps_when_and_how_each_happened() -> None:
    view = order_after(PAID, OrderShipped(order_id=ORDER_ID, tracking_number="3SABC",
                                          shipped_at=LATER))

    assert (view.status, view.version, view.updated_at) == (OrderStatus.SHIPPED, 3, LATER)
    assert (view.paid_at, view.payment_reference) == (LATER, "psp-123")
    assert (view.shipped_at, view.tracking_number) == (LATER, "3SABC")


def test_a_cancelled_order_keeps_the_reason() -> None:
    view = order_after(OrderCancelled(order_id=ORDER_ID, reason="payment_timeout",
                                      returned_stock=(StockQuantity("SANDAL-42", 2),),
                                      cancelled_at=LATER))

    assert (view.status, view.cancel_reason, view.cancelled_at) == (
        OrderStatus.CANCELLED, "payment_timeout", LATER)


def test_payment_notifications_are_kept_in_arrival_order_without_changing_the_status() -> None:
    view = order_after(notified(1), PAID, notified(2))

    assert [n.notification_id for n in view.payment_notifications] == ["evt_1", "evt_2"]
    assert [n.applied for n in view.payment_notifications] == [True, False]
    assert (view.status, view.version) == (OrderStatus.PAID, 4)


def test_an_event_of_another_stream_changes_no_order() -> None:
    with pytest.raises(ValueError, match="ProductRestocked does not change an order"):
        order_changes(ProductRestocked(sku="SANDAL-42", quantity=1, restocked_at=LATER), 2)
