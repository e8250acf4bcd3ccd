"""A gateway's notification id pays one order at most, across the store, on every storage."""

from __future__ import annotations

import uuid
from dataclasses import replace

import pytest

from order_service.application.commands import TakePaymentNotification
from order_service.application.handlers import Shop
from order_service.application.ports import CommandContext
from order_service.application.queries import get_order
from order_service.application.views import OrderView
from order_service.domain.errors import OrderNotFound
from order_service.domain.events import order_stream
from order_service.domain.payments import PaymentNotification
from order_service.domain.values import OrderStatus
from tests.conftest import STORAGES
from tests.integration.builders import add_product, add_shipping_method, place, stored_events

pytestmark = pytest.mark.parametrize("backend", STORAGES)


def _order(shop: Shop, context: CommandContext) -> OrderView:
    return place(shop, context, [(add_product(shop, context, stock=5), 1)],
                 add_shipping_method(shop, context))


def _paying(order: OrderView, notification_id: str) -> TakePaymentNotification:
    return TakePaymentNotification(order.id, PaymentNotification(
        notification_id=notification_id, succeeded=True, amount=order.total,
        currency=order.currency, payment_reference="pi_1"))


def _new_id() -> str:
    return f"evt_{uuid.uuid4().hex[:12]}"


def test_an_id_that_paid_one_order_is_recorded_on_another_as_a_duplicate_and_pays_nothing(
    shop: Shop, context: CommandContext
) -> None:
    first, second = _order(shop, context), _order(shop, context)
    notification_id = _new_id()
    shop.take_payment_notification(_paying(first, notification_id), context)

    outcome = shop.take_payment_notification(_paying(second, notification_id), context)

    assert (outcome.notification.applied, outcome.notification.reason) == (
        False, "duplicate_notification_id")
    assert get_order(shop.storage, second.id).status == OrderStatus.PENDING_PAYMENT
    assert event_types(shop, order_stream(second.id)) == ["OrderPlaced", "PaymentNotified"]
    assert get_order(shop.storage, first.id).status == OrderStatus.PAID


def test_a_duplicate_sent_again_gets_the_same_answer_and_adds_nothing(
    shop: Shop, context: CommandContext
) -> None:
    first, second = _order(shop, context), _order(shop, context)
    notification_id = _new_id()
    shop.take_payment_notification(_paying(first, notification_id), context)
    duplicate = shop.take_payment_notification(_paying(second, notification_id), context)

    again = shop.take_payment_notification(_paying(second, notification_id), context)

    assert again.notification == duplicate.notification
    assert event_types(shop, order_stream(second.id)) == ["OrderPlaced", "PaymentNotified"]


def test_an_id_sent_for_an_unknown_order_stays_free_for_the_order_it_belongs_to(
    shop: Shop, context: CommandContext
) -> None:
    order = _order(shop, context)
    notification_id = _new_id()
    with pytest.raises(OrderNotFound):
        shop.take_payment_notification(
            replace(_paying(order, notification_id), order_id=uuid.uuid4()), context)

    outcome = shop.take_payment_notification(_paying(order, notification_id), context)

    assert outcome.notification.applied is True


def test_each_id_is_held_by_the_order_it_was_first_taken_for(
    shop: Shop, context: CommandContext
) -> None:
    first, second = _order(shop, context), _order(shop, context)
    notification_id = _new_id()
    for order in (first, second, first):
        shop.take_payment_notification(_paying(order, notification_id), context)

    with shop.storage.transaction(context) as tx:
        assert tx.notification_ids.take(notification_id, uuid.uuid4()) == first.id


def event_types(shop: Shop, stream_id: str) -> list[str]:
    return [event.type for event in stored_events(shop.storage, stream_id=stream_id)]
