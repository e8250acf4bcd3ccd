"""After the sale, the order aggregate: given its events, when a correction, a refund or a
note arrives, then these events (or this refusal)."""

from __future__ import annotations

from uuid import UUID, uuid4

import pytest

from order_service.application.actors import PAYMENT_GATEWAY, by_key, caused_by, who_did_it
from order_service.application.expiry import sweep_context
from order_service.domain.errors import (
    IllegalTransition,
    InvalidRefund,
    NotOnOrder,
    RefundExceedsSold,
    RefundExceedsTotal,
)
from order_service.domain.events import (
    AddressCorrection,
    CustomerCorrection,
    DomainEvent,
    OrderCancelled,
    OrderDetailsCorrected,
    OrderNoteAdded,
    OrderPaid,
    OrderRefunded,
    OrderShipped,
)
from order_service.domain.order import Order
from order_service.domain.values import Customer, OrderStatus, StockQuantity
from tests.unit.examples import ADDRESS, CUSTOMER, LATER, NEW_ADDRESS, line, order_placed

HAT, BELT = line("HAT-STRAW", 2, 1_250), line("BELT-90", 1, 2_500)


def given(order_id: UUID, *later: DomainEvent) -> Order:
    """An order of two straw hats and a belt (total 5,495), then `later`."""
    return Order.from_history(order_id, [order_placed(order_id, HAT, BELT), *later])


def paid(order_id: UUID) -> OrderPaid:
    return OrderPaid(order_id=order_id, payment_reference=None, paid_at=LATER)


def refunded(order_id: UUID, amount: int, *lines: StockQuantity) -> OrderRefunded:
    return OrderRefunded(order_id=order_id, amount=amount, currency="EUR", reason="earlier",
                         lines=lines, refunded_at=LATER)


# -- corrections ------------------------------------------------------------------------


def test_correcting_the_shipping_address_of_a_paid_order_records_old_and_new() -> None:
    order_id = uuid4()

    events = given(order_id, paid(order_id)).correct_details(
        shipping_address=NEW_ADDRESS, now=LATER)

    assert events == [OrderDetailsCorrected(
        order_id=order_id, shipping_address=AddressCorrection(ADDRESS, NEW_ADDRESS),
        corrected_at=LATER)]


def test_a_correction_records_only_the_parts_that_changed() -> None:
    order_id = uuid4()
    new_contact = Customer(name=CUSTOMER.name, email="ada@lovelace.example", phone=None)

    events = given(order_id).correct_details(customer=new_contact, shipping_address=ADDRESS,
                                             billing_address=NEW_ADDRESS, now=LATER)

    assert events == [OrderDetailsCorrected(
        order_id=order_id, customer=CustomerCorrection(CUSTOMER, new_contact),
        billing_address=AddressCorrection(ADDRESS, NEW_ADDRESS), corrected_at=LATER)]


def test_correcting_to_what_the_order_already_has_records_nothing() -> None:
    order_id = uuid4()

    assert given(order_id).correct_details(customer=CUSTOMER, shipping_address=ADDRESS,
                                           now=LATER) == []


def test_a_second_correction_starts_from_the_first_ones_new_value() -> None:
    order_id = uuid4()
    order = given(order_id, OrderDetailsCorrected(
        order_id=order_id, shipping_address=AddressCorrection(ADDRESS, NEW_ADDRESS),
        corrected_at=LATER))

    events = order.correct_details(shipping_address=ADDRESS, now=LATER)

    assert order.shipping_address == NEW_ADDRESS
    assert events == [OrderDetailsCorrected(
        order_id=order_id, shipping_address=AddressCorrection(NEW_ADDRESS, ADDRESS),
        corrected_at=LATER)]


@pytest.mark.parametrize(("last", "why"), [
    ("shipped", "it has left the warehouse with the address it had"),
    ("cancelled", "a cancelled order is closed"),
])
def test_an_order_that_shipped_or_was_cancelled_cannot_be_corrected(last: str,
                                                                    why: str) -> None:
    order_id = uuid4()
    end: DomainEvent = (
        OrderShipped(order_id=order_id, tracking_number=None, shipped_at=LATER)
        if last == "shipped" else
        OrderCancelled(order_id=order_id, reason=None, returned_stock=(), cancelled_at=LATER))
    history = [paid(order_id), end] if last == "shipped" else [end]

    with pytest.raises(IllegalTransition) as refused:
        given(order_id, *history).correct_details(shipping_address=NEW_ADDRESS, now=LATER)

    assert refused.value.current == OrderStatus(last)
    assert why in str(refused.value)


# -- refunds ----------------------------------------------------------------------------


def test_a_partial_refund_with_restock_gives_the_named_goods_back() -> None:
    order_id = uuid4()

    events = given(order_id, paid(order_id)).refund(
        amount=1_250, reason="one hat crushed", lines=[StockQuantity("HAT-STRAW", 1)],
        restock=True, now=LATER)

    assert events == [OrderRefunded(
        order_id=order_id, amount=1_250, currency="EUR", reason="one hat crushed",
        lines=(StockQuantity("HAT-STRAW", 1),), returned_stock=(StockQuantity("HAT-STRAW", 1),),
        refunded_at=LATER)]


def test_a_refund_without_restock_returns_no_stock() -> None:
    order_id = uuid4()

    [event] = given(order_id, paid(order_id)).refund(
        amount=500, reason="late", lines=[StockQuantity("BELT-90", 1)], now=LATER)

    assert isinstance(event, OrderRefunded)
    assert event.lines == (StockQuantity("BELT-90", 1),)
    assert event.returned_stock == ()


def test_partial_refunds_may_add_up_to_the_total_and_no_further() -> None:
    order_id = uuid4()
    order = given(order_id, paid(order_id), refunded(order_id, 3_000))

    assert order.refundable == 2_495
    assert len(order.refund(amount=2_495, reason="rest", now=LATER)) == 1
    with pytest.raises(RefundExceedsTotal) as refused:
        order.refund(amount=2_496, reason="rest", now=LATER)
    assert (refused.value.refundable, refused.value.amount) == (2_495, 2_496)
    assert "2495" in str(refused.value)


def test_a_fully_refunded_order_keeps_its_status() -> None:
    order_id = uuid4()

    order = given(order_id, paid(order_id), refunded(order_id, 5_495))

    assert order.status == OrderStatus.PAID
    assert order.refundable == 0


def test_a_shipped_order_can_be_refunded() -> None:
    order_id = uuid4()
    order = given(order_id, paid(order_id),
                  OrderShipped(order_id=order_id, tracking_number=None, shipped_at=LATER))

    assert len(order.refund(amount=100, reason="late", now=LATER)) == 1


@pytest.mark.parametrize("later", ["pending", "cancelled"])
def test_an_order_never_paid_cannot_be_refunded(later: str) -> None:
    order_id = uuid4()
    history = [] if later == "pending" else [OrderCancelled(
        order_id=order_id, reason=None, returned_stock=(), cancelled_at=LATER)]

    with pytest.raises(IllegalTransition) as refused:
        given(order_id, *history).refund(amount=100, reason="?", now=LATER)

    assert refused.value.action == "refund"


def test_refunded_goods_never_exceed_what_was_sold_across_refunds() -> None:
    order_id = uuid4()
    order = given(order_id, paid(order_id),
                  refunded(order_id, 1_250, StockQuantity("HAT-STRAW", 1)))

    order.refund(amount=1_250, reason="second hat", lines=[StockQuantity("HAT-STRAW", 1)],
                 now=LATER)
    with pytest.raises(RefundExceedsSold) as refused:
        order.refund(amount=100, reason="two more", lines=[
            StockQuantity("HAT-STRAW", 1), StockQuantity("HAT-STRAW", 1)], now=LATER)
    assert (refused.value.sku, refused.value.quantity, refused.value.refundable) == (
        "HAT-STRAW", 2, 1)


def test_a_refund_may_not_name_goods_the_order_does_not_hold() -> None:
    order_id = uuid4()

    with pytest.raises(NotOnOrder) as refused:
        given(order_id, paid(order_id)).refund(
            amount=100, reason="?", lines=[StockQuantity("SANDAL-42", 1)], now=LATER)

    assert refused.value.skus == ("SANDAL-42",)


@pytest.mark.parametrize(("amount", "lines", "restock", "why"), [
    (0, (), False, "at least 1 minor unit"),
    (100, (), True, "restock needs the lines"),
    (100, (StockQuantity("HAT-STRAW", 0),), False, "at least 1, not 0"),
])
def test_a_refund_of_nothing_is_refused(amount: int, lines: tuple[StockQuantity, ...],
                                        restock: bool, why: str) -> None:
    order_id = uuid4()

    with pytest.raises(InvalidRefund, match=why):
        given(order_id, paid(order_id)).refund(amount=amount, reason="?", lines=lines,
                                               restock=restock, now=LATER)


# -- notes ------------------------------------------------------------------------------


@pytest.mark.parametrize("later", ["pending", "cancelled"])
def test_a_note_is_taken_in_any_status_and_changes_only_the_version(later: str) -> None:
    order_id = uuid4()
    history = [] if later == "pending" else [OrderCancelled(
        order_id=order_id, reason=None, returned_stock=(), cancelled_at=LATER)]
    order = given(order_id, *history)

    note = order.add_note("call before delivery", now=LATER)
    after = Order.from_history(order_id, [order_placed(order_id, HAT, BELT), *history, note])

    assert note == OrderNoteAdded(order_id=order_id, text="call before delivery",
                                  added_at=LATER)
    assert (after.status, after.version) == (order.status, order.version + 1)


# -- who did it -------------------------------------------------------------------------


@pytest.mark.parametrize(("cause", "who"), [
    (by_key("Marta (back office)", "POST /v1/orders/{order_id}/notes"), "Marta (back office)"),
    (caused_by(PAYMENT_GATEWAY, "POST /v1/payment-notifications"), "payment gateway"),
    (sweep_context("order-service expire-orders").caused_by, "payment hold expiry"),
    (None, "unknown"),
])
def test_the_history_names_who_caused_each_event_in_peoples_words(
        cause: str | None, who: str) -> None:
    assert who_did_it(cause) == who


def test_cancelling_after_a_restocking_refund_returns_only_the_stock_still_held() -> None:
    order_id = uuid4()
    order = given(order_id, paid(order_id), OrderRefunded(
        order_id=order_id, amount=1_250, currency="EUR", reason="one hat back",
        lines=(StockQuantity("HAT-STRAW", 1),),
        returned_stock=(StockQuantity("HAT-STRAW", 1),), refunded_at=LATER))

    [cancelled] = order.cancel(reason="customer asked", now=LATER)

    assert isinstance(cancelled, OrderCancelled)
    assert cancelled.returned_stock == (StockQuantity("HAT-STRAW", 1),
                                        StockQuantity("BELT-90", 1))
