"""Two orders sent one notification id at once on PostgreSQL: one is paid (tests/contract has
the rest of the notification ids' contract)."""

from __future__ import annotations

import threading
import time
import uuid
from concurrent.futures import ThreadPoolExecutor
from dataclasses import replace
from datetime import UTC, datetime
from uuid import UUID

import pytest
from sqlalchemy import Engine, select, text

from order_service.adapters.sql.tables import payment_notification_ids
from order_service.application.commands import TakePaymentNotification
from order_service.application.handlers import Shop
from order_service.application.ports import CommandContext
from order_service.application.queries import get_order
from order_service.application.views import NotificationOutcome, OrderView
from order_service.domain.payments import PaymentNotification
from order_service.domain.values import OrderStatus
from tests.integration.builders import add_product, add_shipping_method, place

TIMEOUT_S = 30


def _order(shop: Shop, context: CommandContext) -> OrderView:
    return place(shop, context, [(add_product(shop, context, stock=5), 1)],
                 add_shipping_method(shop, context))


def _paying(order: OrderView, notification_id: str) -> TakePaymentNotification:
    return TakePaymentNotification(order.id, PaymentNotification(
        notification_id=notification_id, succeeded=True, amount=order.total,
        currency=order.currency, payment_reference="pi_1"))


def _new_id() -> str:
    return f"evt_{uuid.uuid4().hex[:12]}"


def _holder(engine: Engine, notification_id: str) -> UUID:
    with engine.connect() as connection:
        holder: UUID = connection.execute(
            select(payment_notification_ids.c.order_id)
            .where(payment_notification_ids.c.notification_id == notification_id)
        ).scalar_one()
    return holder


class GateClock:
    """A clock whose first reading waits until the test opens the gate."""

    def __init__(self) -> None:
        self.arrived = threading.Event()
        self.gate = threading.Event()
        self._first = threading.Lock()

    def __call__(self) -> datetime:
        if self._first.acquire(blocking=False):
            self.arrived.set()
            assert self.gate.wait(TIMEOUT_S)
        return datetime.now(UTC)


def _wait_for_a_lock_wait(engine: Engine) -> None:
    """Until some session of this test's database waits for a lock another one holds."""
    query = text("SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() "
                 "AND wait_event_type = 'Lock'")
    deadline = time.monotonic() + TIMEOUT_S
    with engine.connect() as connection:
        while connection.execute(query).scalar_one() == 0:
            assert time.monotonic() < deadline, "the second notification never waited"
            time.sleep(0.02)
            connection.rollback()  # a fresh snapshot of the statistics for each look


@pytest.mark.parametrize("backend", ["postgresql"])  # SQLite never lets two writers decide at once
def test_one_id_sent_for_two_orders_at_once_pays_only_the_first_to_take_it(
    shop: Shop, context: CommandContext, engine: Engine, backend: str
) -> None:
    first, second = _order(shop, context), _order(shop, context)
    notification_id = _new_id()
    clock = GateClock()
    held = replace(shop, clock=clock)

    with ThreadPoolExecutor(max_workers=2) as pool:
        # The first command takes the id and stops, uncommitted, at its clock reading;
        # the second must then wait for it on the id's row, and decides after it commits.
        taking = pool.submit(held.take_payment_notification,
                             _paying(first, notification_id), context)
        assert clock.arrived.wait(TIMEOUT_S)
        waiting = pool.submit(held.take_payment_notification,
                              _paying(second, notification_id), context)
        _wait_for_a_lock_wait(engine)
        clock.gate.set()
        outcomes: list[NotificationOutcome] = [taking.result(TIMEOUT_S),
                                               waiting.result(TIMEOUT_S)]

    assert [(o.notification.applied, o.notification.reason) for o in outcomes] == [
        (True, None), (False, "duplicate_notification_id")]
    assert get_order(shop.storage, second.id).status == OrderStatus.PENDING_PAYMENT
    assert _holder(engine, notification_id) == first.id


@pytest.mark.parametrize("backend", ["postgresql"])
def test_many_orders_sent_one_id_at_once_let_exactly_one_be_paid(
    shop: Shop, context: CommandContext, engine: Engine, backend: str
) -> None:
    orders = [_order(shop, context) for _ in range(6)]
    notification_id = _new_id()
    start = threading.Barrier(len(orders))

    def notify(order: OrderView) -> NotificationOutcome:
        start.wait(TIMEOUT_S)
        return shop.take_payment_notification(_paying(order, notification_id), context)

    with ThreadPoolExecutor(max_workers=len(orders)) as pool:
        outcomes = list(pool.map(notify, orders, timeout=TIMEOUT_S))

    applied = [o.order.id for o in outcomes if o.notification.applied]
    assert len(applied) == 1
    assert {o.notification.reason for o in outcomes if not o.notification.applied} == {
        "duplicate_notification_id"}
    paid = [o.id for o in orders if get_order(shop.storage, o.id).status == OrderStatus.PAID]
    assert paid == applied == [_holder(engine, notification_id)]
