"""The payment hold: given an order's events, when its hold is checked, then these events."""

from __future__ import annotations

from datetime import timedelta
from uuid import uuid4

import pytest

from order_service.domain.events import OrderCancelled
from order_service.domain.payment_hold import PaymentHold
from order_service.domain.values import StockQuantity
from tests.unit.examples import PLACED_AT, line
from tests.unit.test_order_transitions import given

HOLD = PaymentHold.of_hours(72)
AFTER_THE_HOLD = PLACED_AT + timedelta(hours=72, microseconds=1)


def test_an_order_unpaid_after_the_hold_is_cancelled_for_payment_timeout_returning_its_stock(
) -> None:
    order_id = uuid4()
    order = given(order_id, lines=(line("SANDAL-42", 2), line("BOOT-38", 1)))

    events = order.expire_pending(HOLD, now=AFTER_THE_HOLD)

    assert events == [OrderCancelled(
        order_id=order_id, reason="payment_timeout",
        returned_stock=(StockQuantity("SANDAL-42", 2), StockQuantity("BOOT-38", 1)),
        cancelled_at=AFTER_THE_HOLD,
    )]


@pytest.mark.parametrize("waited", [timedelta(hours=1), timedelta(hours=72)],
                         ids=["well-within", "exactly-the-hold"])
def test_an_unpaid_order_within_its_hold_keeps_its_stock(waited: timedelta) -> None:
    assert given(uuid4()).expire_pending(HOLD, now=PLACED_AT + waited) == []


@pytest.mark.parametrize("moves", [("paid",), ("paid", "shipped"), ("cancelled",)],
                         ids=["paid", "shipped", "cancelled"])
def test_an_order_that_is_no_longer_pending_is_left_as_it_is(moves: tuple[str, ...]) -> None:
    assert given(uuid4(), *moves).expire_pending(HOLD, now=AFTER_THE_HOLD) == []


def test_a_hold_of_zero_never_expires_an_order() -> None:
    hold = PaymentHold.of_hours(0)

    assert not hold.enabled
    assert given(uuid4()).expire_pending(hold, now=PLACED_AT + timedelta(days=3650)) == []


def test_a_hold_may_be_a_fraction_of_an_hour() -> None:
    hold = PaymentHold.of_hours(0.5)

    assert hold.cutoff(PLACED_AT) == PLACED_AT - timedelta(minutes=30)
    assert given(uuid4()).expire_pending(hold, now=PLACED_AT + timedelta(minutes=31)) != []


def test_a_negative_hold_is_refused() -> None:
    with pytest.raises(ValueError, match="cannot be negative"):
        PaymentHold.of_hours(-1)
