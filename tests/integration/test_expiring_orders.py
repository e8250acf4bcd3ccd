"""Orders left unpaid past the payment hold are cancelled and give their stock back."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime, timedelta
from functools import partial
from uuid import UUID

import pytest
from sqlalchemy import Engine, inspect, select

from order_service.application.commands import (
    CancelOrder,
    PayOrder,
    ShipOrder,
    TakePaymentNotification,
)
from order_service.application.expiry import SWEEPER, sweep_context
from order_service.application.handlers import Shop
from order_service.application.ports import CommandContext
from order_service.application.queries import get_order
from order_service.application.views import OrderView
from order_service.domain.errors import IllegalTransition
from order_service.domain.events import order_stream
from order_service.domain.payment_hold import PaymentHold
from order_service.domain.payments import PaymentNotification
from order_service.domain.values import OrderStatus
from order_service.eventstore.tables import events
from order_service.projections.rebuild import rebuild_projections
from tests.integration.builders import (
    add_product,
    add_shipping_method,
    available,
    event_types,
    place,
)
from tests.integration.test_races import race
from tests.integration.test_rebuild import snapshot

HOLD = PaymentHold.of_hours(72)


def placed_ago(shop: Shop, age: timedelta) -> Shop:
    """The same shop, with a clock that says it is `age` ago (to place old orders)."""
    moment = datetime.now(UTC) - age
    return replace(shop, clock=lambda: moment)


def cancellations(engine: Engine, order_id: UUID) -> list[dict[str, str]]:
    """The metadata of every OrderCancelled event of an order."""
    query = select(events.c.metadata).where(events.c.stream_id == order_stream(order_id),
                                            events.c.type == "OrderCancelled")
    with engine.connect() as connection:
        return list(connection.scalars(query))


def test_orders_unpaid_past_the_hold_are_cancelled_for_payment_timeout_and_return_their_stock(
    shop: Shop, context: CommandContext, engine: Engine
) -> None:
    sku = add_product(shop, context, stock=20)
    method = add_shipping_method(shop, context)
    old = placed_ago(shop, timedelta(hours=73))
    expired = [place(old, context, [(sku, 2)], method).id for _ in range(3)]

    count = shop.expire_pending_orders(HOLD, sweep_context("test"))

    assert count == 3
    assert available(shop, sku) == 20
    for order_id in expired:
        order = get_order(shop.storage, order_id)
        assert (order.status, order.cancel_reason) == (OrderStatus.CANCELLED, "payment_timeout")
    metadata = [cancellations(engine, order_id) for order_id in expired]
    assert all(len(found) == 1 for found in metadata)
    assert {found[0]["caused_by"] for found in metadata} == {f"{SWEEPER}: test"}
    assert len({found[0]["correlation_id"] for found in metadata}) == 1


def test_young_paid_shipped_and_cancelled_orders_are_left_as_they_are(
    shop: Shop, context: CommandContext, engine: Engine
) -> None:
    sku = add_product(shop, context, stock=20)
    method = add_shipping_method(shop, context)
    old = placed_ago(shop, timedelta(hours=73))
    young = place(placed_ago(shop, timedelta(hours=71)), context, [(sku, 1)], method).id
    paid, shipped, cancelled = (place(old, context, [(sku, 1)], method).id for _ in range(3))
    shop.pay_order(PayOrder(paid), context)
    shop.pay_order(PayOrder(shipped), context)
    shop.ship_order(ShipOrder(shipped), context)
    shop.cancel_order(CancelOrder(cancelled, reason="customer asked"), context)
    before = snapshot(engine)

    assert shop.expire_pending_orders(HOLD, sweep_context("test")) == 0

    assert snapshot(engine) == before
    assert get_order(shop.storage, young).status == OrderStatus.PENDING_PAYMENT


def test_sweeping_again_cancels_nothing_twice(
    shop: Shop, context: CommandContext, engine: Engine
) -> None:
    sku = add_product(shop, context, stock=5)
    method = add_shipping_method(shop, context)
    order_id = place(placed_ago(shop, timedelta(days=4)), context, [(sku, 5)], method).id

    first = shop.expire_pending_orders(HOLD, sweep_context("test"))
    second = shop.expire_pending_orders(HOLD, sweep_context("test"))

    assert (first, second) == (1, 0)
    assert len(cancellations(engine, order_id)) == 1
    assert available(shop, sku) == 5


def test_a_hold_of_zero_expires_nothing(shop: Shop, context: CommandContext) -> None:
    sku = add_product(shop, context, stock=5)
    method = add_shipping_method(shop, context)
    order_id = place(placed_ago(shop, timedelta(days=400)), context, [(sku, 1)], method).id

    assert shop.expire_pending_orders(PaymentHold.of_hours(0), sweep_context("test")) == 0

    assert get_order(shop.storage, order_id).status == OrderStatus.PENDING_PAYMENT
    assert available(shop, sku) == 4


def test_a_backlog_bigger_than_a_batch_is_worked_through_a_batch_at_a_time(
    shop: Shop, context: CommandContext
) -> None:
    sku = add_product(shop, context, stock=10)
    method = add_shipping_method(shop, context)
    old = placed_ago(shop, timedelta(hours=80))
    for _ in range(5):
        place(old, context, [(sku, 2)], method)

    batches = list(shop.expire_pending_batches(HOLD, sweep_context("test"), batch_size=2))

    assert batches == [2, 2, 1]
    assert available(shop, sku) == 10


def test_a_payment_after_the_expiry_is_refused_and_a_gateway_success_only_recorded(
    shop: Shop, context: CommandContext
) -> None:
    sku = add_product(shop, context, stock=3)
    method = add_shipping_method(shop, context)
    order = place(placed_ago(shop, timedelta(hours=73)), context, [(sku, 3)], method)
    shop.expire_pending_orders(HOLD, sweep_context("test"))

    with pytest.raises(IllegalTransition, match="is cancelled: cannot pay it"):
        shop.pay_order(PayOrder(order.id), context)
    outcome = shop.take_payment_notification(TakePaymentNotification(order.id, PaymentNotification(
        notification_id="ntf-late", succeeded=True, amount=order.total, currency=order.currency,
        payment_reference="psp-late")), context)

    assert (outcome.notification.applied, outcome.notification.reason) == (
        False, "order_cancelled")
    assert outcome.order.status == OrderStatus.CANCELLED
    assert available(shop, sku) == 3


def test_a_rebuild_reproduces_the_expired_orders_and_keeps_the_sweepers_index(
    shop: Shop, context: CommandContext, engine: Engine
) -> None:
    sku = add_product(shop, context, stock=4)
    method = add_shipping_method(shop, context)
    place(placed_ago(shop, timedelta(hours=73)), context, [(sku, 4)], method)
    shop.expire_pending_orders(HOLD, sweep_context("test"))
    before = snapshot(engine)

    rebuild_projections(engine)

    assert snapshot(engine) == before
    indexes = {index["name"] for index in inspect(engine).get_indexes("orders")}
    assert "ix_orders_status_placed_at" in indexes


def test_a_payment_racing_the_sweeper_either_pays_or_is_refused_never_both(
    shop: Shop, context: CommandContext, engine: Engine
) -> None:
    sku = add_product(shop, context, stock=16)
    method = add_shipping_method(shop, context)
    old = placed_ago(shop, timedelta(hours=73))
    paid_orders = 0

    for _ in range(8):
        order = place(old, context, [(sku, 2)], method)
        paid, expired = race(partial(shop.pay_order, PayOrder(order.id), context),
                             partial(shop.expire_pending_orders, HOLD, sweep_context("test")))

        history = event_types(engine, order_stream(order.id))
        if isinstance(paid, OrderView):
            assert (history, expired) == (["OrderPlaced", "OrderPaid"], 0)
            paid_orders += 1
        else:
            assert isinstance(paid, IllegalTransition), paid
            assert paid.current == OrderStatus.CANCELLED
            assert (history, expired) == (["OrderPlaced", "OrderCancelled"], 1)
    assert available(shop, sku) == 16 - 2 * paid_orders
