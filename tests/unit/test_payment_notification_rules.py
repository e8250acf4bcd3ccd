"""A gateway's payment notification: given an order's events, when a notification arrives,
then it pays the order, or is only recorded with the reason why."""

from __future__ import annotations

from uuid import UUID, uuid4

import pytest

from order_service.domain.events import (
    DomainEvent,
    OrderCancelled,
    OrderPaid,
    OrderShipped,
    PaymentNotified,
)
from order_service.domain.order import Order
from order_service.domain.payments import PaymentNotification
from tests.unit.examples import LATER, order_placed

TOTAL = 2 * 1_250 + 495  # what order_placed's order costs


def notification(*, notification_id: str = "evt_1", succeeded: bool = True,
                 amount: int = TOTAL, currency: str = "EUR") -> PaymentNotification:
    return PaymentNotification(notification_id=notification_id, succeeded=succeeded,
                               amount=amount, currency=currency, payment_reference="pi_1")


def given(order_id: UUID, *later: DomainEvent) -> Order:
    return Order.from_history(order_id, [order_placed(order_id), *later])


def recorded(order_id: UUID, sent: PaymentNotification, reason: str | None
             ) -> PaymentNotified:
    return sent.recorded(order_id, applied=reason is None, reason=reason, now=LATER)


def test_a_successful_payment_of_the_whole_total_pays_the_order() -> None:
    order_id, sent = uuid4(), notification()

    events = given(order_id).take_payment_notification(sent, now=LATER)

    assert events == [recorded(order_id, sent, None),
                      OrderPaid(order_id=order_id, payment_reference="pi_1", paid_at=LATER)]


@pytest.mark.parametrize(("sent", "reason"), [
    (notification(succeeded=False), "payment_failed"),
    (notification(amount=TOTAL - 1), "amount_mismatch"),
    (notification(amount=TOTAL + 1), "amount_mismatch"),
    (notification(currency="USD"), "currency_mismatch"),
], ids=["failed", "short", "over", "currency"])
def test_a_notification_that_does_not_pay_the_order_in_full_is_only_recorded(
    sent: PaymentNotification, reason: str
) -> None:
    order_id = uuid4()

    events = given(order_id).take_payment_notification(sent, now=LATER)

    assert events == [recorded(order_id, sent, reason)]


def test_a_payment_for_a_cancelled_order_is_only_recorded_for_the_merchant_to_refund() -> None:
    order_id, sent = uuid4(), notification()
    cancelled = OrderCancelled(order_id=order_id, reason=None, returned_stock=(),
                               cancelled_at=LATER)

    events = given(order_id, cancelled).take_payment_notification(sent, now=LATER)

    assert events == [recorded(order_id, sent, "order_cancelled")]


@pytest.mark.parametrize("shipped", [False, True], ids=["paid", "shipped"])
def test_a_second_payment_of_a_paid_order_is_only_recorded(shipped: bool) -> None:
    order_id, sent = uuid4(), notification(notification_id="evt_2")
    history: list[DomainEvent] = [
        OrderPaid(order_id=order_id, payment_reference="bank", paid_at=LATER)]
    if shipped:
        history.append(OrderShipped(order_id=order_id, tracking_number=None, shipped_at=LATER))

    events = given(order_id, *history).take_payment_notification(sent, now=LATER)

    assert events == [recorded(order_id, sent, "already_paid")]


def test_a_failure_is_named_before_any_other_reason() -> None:
    order_id, sent = uuid4(), notification(succeeded=False, amount=1, currency="USD")

    events = given(order_id).take_payment_notification(sent, now=LATER)

    assert events == [recorded(order_id, sent, "payment_failed")]


@pytest.mark.parametrize("first_applied", [True, False], ids=["applied", "recorded"])
def test_a_notification_seen_before_changes_nothing(first_applied: bool) -> None:
    order_id = uuid4()
    sent = notification(succeeded=first_applied)
    first = given(order_id).take_payment_notification(sent, now=LATER)

    again = given(order_id, *first).take_payment_notification(sent, now=LATER)

    assert again == []
    assert given(order_id, *first).notification("evt_1") == first[0]


def test_each_notification_adds_one_version_and_the_payment_another() -> None:
    order_id = uuid4()
    failed = given(order_id).take_payment_notification(
        notification(notification_id="evt_1", succeeded=False), now=LATER)
    paid = given(order_id, *failed).take_payment_notification(
        notification(notification_id="evt_2"), now=LATER)

    order = given(order_id, *failed, *paid)

    assert (order.version, order.status.value) == (4, "paid")
    assert [seen.notification_id for seen in order.notifications] == ["evt_1", "evt_2"]
    assert order.notification("evt_3") is None
