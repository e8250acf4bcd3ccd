"""The order aggregate: given its events, when a command arrives, then these events."""

from __future__ import annotations

from collections.abc import Callable
from uuid import UUID, uuid4

import pytest

from order_service.domain.errors import IllegalTransition, OrderNotFound
from order_service.domain.events import (
    DomainEvent,
    OrderCancelled,
    OrderPaid,
    OrderShipped,
)
from order_service.domain.order import Order
from order_service.domain.values import OrderLine, OrderStatus, StockQuantity
from tests.unit.examples import LATER, line, order_placed

Command = Callable[[Order], list[DomainEvent]]


def pay(order: Order) -> list[DomainEvent]:
    return order.pay(payment_reference="psp-1", now=LATER)


def ship(order: Order) -> list[DomainEvent]:
    return order.ship(tracking_number="track-1", now=LATER)


def cancel(order: Order) -> list[DomainEvent]:
    return order.cancel(reason="changed my mind", now=LATER)


def given(order_id: UUID, *moves: str, lines: tuple[OrderLine, ...] = ()) -> Order:
    """An order placed and then paid, shipped or cancelled, as its history says."""
    history: list[DomainEvent] = [order_placed(order_id, *lines)]
    for move in moves:
        if move == "paid":
            history.append(OrderPaid(order_id=order_id, payment_reference=None, paid_at=LATER))
        elif move == "shipped":
            history.append(OrderShipped(order_id=order_id, tracking_number=None,
                                        shipped_at=LATER))
        elif move == "cancelled":
            history.append(OrderCancelled(order_id=order_id, reason=None, returned_stock=(),
                                          cancelled_at=LATER))
    return Order.from_history(order_id, history)


def test_paying_a_pending_order_records_the_payment() -> None:
    order_id = uuid4()

    events = pay(given(order_id))

    assert events == [OrderPaid(order_id=order_id, payment_reference="psp-1", paid_at=LATER)]


def test_shipping_a_paid_order_records_the_tracking_number() -> None:
    order_id = uuid4()

    events = ship(given(order_id, "paid"))

    assert events == [OrderShipped(order_id=order_id, tracking_number="track-1",
                                   shipped_at=LATER)]


@pytest.mark.parametrize("moves", [(), ("paid",)], ids=["pending", "paid"])
def test_cancelling_an_unshipped_order_returns_every_lines_stock(moves: tuple[str, ...]) -> None:
    order_id = uuid4()
    order = given(order_id, *moves, lines=(line("SANDAL-42", 2), line("BOOT-38", 3)))

    events = cancel(order)

    assert events == [OrderCancelled(
        order_id=order_id, reason="changed my mind",
        returned_stock=(StockQuantity("SANDAL-42", 2), StockQuantity("BOOT-38", 3)),
        cancelled_at=LATER,
    )]


@pytest.mark.parametrize(
    ("moves", "command", "current"),
    [
        (("paid", "shipped"), pay, "shipped"),
        (("paid", "shipped"), cancel, "shipped"),
        (("cancelled",), pay, "cancelled"),
        (("paid", "cancelled"), pay, "cancelled"),
        (("cancelled",), ship, "cancelled"),
        ((), ship, "pending_payment"),
    ],
    ids=["pay-shipped", "cancel-shipped", "pay-cancelled", "pay-paid-then-cancelled",
         "ship-cancelled", "ship-pending"],
)
def test_an_illegal_transition_is_refused_naming_the_current_state(
    moves: tuple[str, ...], command: Command, current: str
) -> None:
    order = given(uuid4(), *moves)

    with pytest.raises(IllegalTransition, match=f" is {current}: cannot ") as refused:
        command(order)

    assert refused.value.current == OrderStatus(current)
    assert refused.value.order_id == order.order_id


@pytest.mark.parametrize(
    ("moves", "command"),
    [(("paid",), pay), (("paid", "shipped"), ship), (("cancelled",), cancel)],
    ids=["pay-paid", "ship-shipped", "cancel-cancelled"],
)
def test_repeating_the_state_an_order_is_in_changes_nothing(
    moves: tuple[str, ...], command: Command
) -> None:
    assert command(given(uuid4(), *moves)) == []


@pytest.mark.parametrize(
    ("moves", "status", "version"),
    [
        ((), OrderStatus.PENDING_PAYMENT, 1),
        (("paid",), OrderStatus.PAID, 2),
        (("paid", "shipped"), OrderStatus.SHIPPED, 3),
        (("paid", "cancelled"), OrderStatus.CANCELLED, 3),
    ],
)
def test_replaying_a_history_gives_the_latest_status_and_version(
    moves: tuple[str, ...], status: OrderStatus, version: int
) -> None:
    order = given(uuid4(), *moves)

    assert (order.status, order.version) == (status, version)


def test_an_order_without_history_does_not_exist() -> None:
    order_id = uuid4()

    with pytest.raises(OrderNotFound) as missing:
        Order.from_history(order_id, [])

    assert missing.value.order_id == order_id


def test_a_history_that_does_not_start_with_the_placement_is_no_order() -> None:
    order_id = uuid4()
    paid = OrderPaid(order_id=order_id, payment_reference=None, paid_at=LATER)

    with pytest.raises(OrderNotFound):
        Order.from_history(order_id, [paid])
