"""A gateway's notification id is unique across the store: given the order that took it
first, when the same id arrives for an order, then it pays only the order that took it."""

from __future__ import annotations

from uuid import uuid4

from order_service.domain.events import OrderPaid, PaymentNotified
from order_service.domain.order import Order
from order_service.domain.payments import PaymentNotification
from tests.unit.examples import LATER, line, order_placed


def _pending() -> Order:
    order_id = uuid4()
    return Order.from_history(order_id, [order_placed(order_id, line("SANDAL-42", 1))])


def _paying(order: Order, notification_id: str = "evt_1") -> PaymentNotification:
    return PaymentNotification(notification_id=notification_id, succeeded=True,
                               amount=order.total, currency=order.currency,
                               payment_reference="pi_1")


def test_an_id_first_taken_for_another_order_is_recorded_as_a_duplicate_and_pays_nothing(
) -> None:
    order = _pending()

    events = order.take_payment_notification(_paying(order), now=LATER, taken_for=uuid4())

    (recorded,) = events
    assert isinstance(recorded, PaymentNotified)
    assert (recorded.applied, recorded.reason) == (False, "duplicate_notification_id")


def test_an_id_taken_for_this_very_order_pays_it() -> None:
    order = _pending()

    events = order.take_payment_notification(_paying(order), now=LATER,
                                             taken_for=order.order_id)

    assert [type(event) for event in events] == [PaymentNotified, OrderPaid]


def test_a_duplicate_id_seen_again_on_the_same_order_changes_nothing_more() -> None:
    order = _pending()
    other_order = uuid4()
    (recorded,) = order.take_payment_notification(_paying(order), now=LATER,
                                                  taken_for=other_order)
    order = Order.from_history(order.order_id, [
        order_placed(order.order_id, line("SANDAL-42", 1)), recorded])

    assert order.take_payment_notification(_paying(order), now=LATER,
                                           taken_for=other_order) == []
