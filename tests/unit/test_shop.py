"""The shop's use cases on the in-memory storage: given events, when a command, then events.

What the handlers themselves do is tested here: reading, deciding, writing, retrying when
someone wrote first, answering a repeated key from its recording, recording refusals.
"""

from __future__ import annotations

from dataclasses import replace
from datetime import timedelta
from uuid import uuid4

import pytest

from order_service.application.commands import (
    AddProduct,
    AddShippingMethod,
    CancelOrder,
    PayOrder,
    PlaceOrder,
    RestockProduct,
    ShipOrder,
)
from order_service.application.errors import (
    AlreadyHandled,
    ConcurrencyConflict,
    IdempotencyKeyReused,
)
from order_service.application.handlers import MAX_ATTEMPTS
from order_service.domain.errors import (
    OrderChangedMeanwhile,
    OrderNotFound,
    OutOfStock,
    ProductAlreadyExists,
    Shortage,
    StaleOrderVersion,
    UnknownShippingMethod,
)
from order_service.domain.events import (
    OrderCancelled,
    OrderPaid,
    OrderPlaced,
    ProductAdded,
    ProductRestocked,
    ShippingMethodAdded,
)
from order_service.domain.values import OrderStatus, RequestedLine, StockQuantity
from tests.unit.examples import ADDRESS, CUSTOMER, LATER, PLACED_AT, order_placed
from tests.unit.shop_given import CONTEXT, Watcher, given, keyed, then

SANDAL = ProductAdded(sku="SANDAL-42", name="Sandal 42", unit_price=1_250, currency="EUR",
                      stock=3, added_at=PLACED_AT)
POSTNL = ShippingMethodAdded(code="postnl", name="PostNL", price=495, currency="EUR",
                             added_at=PLACED_AT)
CATALOGUE = (SANDAL, POSTNL)


def placing(quantity: int, shipping_method: str = "postnl") -> PlaceOrder:
    return PlaceOrder(customer=CUSTOMER, lines=(RequestedLine("SANDAL-42", quantity),),
                      shipping_address=ADDRESS, billing_address=ADDRESS,
                      payment_method="card", shipping_method=shipping_method)


# -- placing orders ----------------------------------------------------------------------


def test_placing_an_order_records_it_priced_and_numbered_and_takes_its_stock() -> None:
    shop, _ = given(*CATALOGUE)
    command = placing(2)

    order = shop.place_order(command, CONTEXT)

    (placed,) = then(shop, len(CATALOGUE))
    assert isinstance(placed, OrderPlaced)
    assert (placed.order_id, placed.number, placed.placed_at) == (command.order_id, 1, LATER)
    assert (placed.subtotal, placed.shipping, placed.tax, placed.total) == (2500, 495, 629, 3624)
    assert (order.number, order.total, order.status) == (1, 3624, OrderStatus.PENDING_PAYMENT)
    assert shop.restock_product(RestockProduct("SANDAL-42", 1), CONTEXT).available == 2


def test_orders_are_numbered_one_after_another() -> None:
    shop, _ = given(replace(SANDAL, stock=10), POSTNL)

    numbers = [shop.place_order(placing(1), CONTEXT).number for _ in range(3)]

    assert numbers == [1, 2, 3]


def test_an_order_for_more_than_the_stock_is_refused_and_stores_nothing() -> None:
    shop, _ = given(*CATALOGUE)

    with pytest.raises(OutOfStock) as refused:
        shop.place_order(placing(4), CONTEXT)

    assert refused.value.shortages == (Shortage("SANDAL-42", 4, 3),)
    assert then(shop, len(CATALOGUE)) == []


def test_an_unknown_shipping_method_is_refused_naming_those_offered() -> None:
    shop, _ = given(*CATALOGUE)

    with pytest.raises(UnknownShippingMethod, match="offered: 'postnl'"):
        shop.place_order(placing(1, "pigeon"), CONTEXT)


def test_a_placement_that_lost_its_stock_meanwhile_is_decided_again_and_refused() -> None:
    shop, storage = given(*CATALOGUE)
    storage.meanwhile.append(lambda: shop.place_order(placing(2), CONTEXT))

    with pytest.raises(OutOfStock):
        shop.place_order(placing(2), CONTEXT)

    assert [type(event) for event in then(shop, len(CATALOGUE))] == [OrderPlaced]


# -- changing orders ---------------------------------------------------------------------


def test_cancelling_an_order_returns_its_stock() -> None:
    order_id = uuid4()
    shop, _ = given(*CATALOGUE, order_placed(order_id))

    shop.cancel_order(CancelOrder(order_id, reason="changed my mind"), CONTEXT)

    assert then(shop, 3) == [OrderCancelled(
        order_id=order_id, reason="changed my mind",
        returned_stock=(StockQuantity("SANDAL-42", 2),), cancelled_at=LATER)]
    # The placement took 2 of 3; the cancel gives them back, and 1 more comes in.
    assert shop.restock_product(RestockProduct("SANDAL-42", 1), CONTEXT).available == 4


def test_a_change_of_an_order_that_does_not_exist_is_refused() -> None:
    shop, _ = given(*CATALOGUE)

    with pytest.raises(OrderNotFound):
        shop.pay_order(PayOrder(uuid4()), CONTEXT)


def test_a_change_on_a_copy_of_the_order_the_caller_no_longer_has_is_refused() -> None:
    order_id = uuid4()
    shop, _ = given(*CATALOGUE, order_placed(order_id),
                    OrderPaid(order_id=order_id, payment_reference=None, paid_at=LATER))

    with pytest.raises(StaleOrderVersion):
        shop.ship_order(ShipOrder(order_id, expected_version=1), CONTEXT)

    assert then(shop, 4) == []


def test_a_payment_that_lost_the_race_to_another_payment_answers_the_paid_order() -> None:
    order_id = uuid4()
    shop, storage = given(*CATALOGUE, order_placed(order_id))
    storage.meanwhile.append(lambda: shop.pay_order(PayOrder(order_id, "first"), CONTEXT))

    paid = shop.pay_order(PayOrder(order_id, "second"), CONTEXT)

    assert (paid.status, paid.payment_reference) == (OrderStatus.PAID, "first")
    assert [type(event) for event in then(shop, 3)] == [OrderPaid]


def test_a_cancel_first_decided_before_a_payment_got_in_is_refused_not_retried() -> None:
    order_id = uuid4()
    shop, storage = given(*CATALOGUE, order_placed(order_id))
    storage.meanwhile.append(lambda: shop.pay_order(PayOrder(order_id), CONTEXT))

    with pytest.raises(OrderChangedMeanwhile) as refused:
        shop.cancel_order(CancelOrder(order_id), CONTEXT)

    assert refused.value.current == OrderStatus.PAID
    assert [type(event) for event in then(shop, 3)] == [OrderPaid]


def test_a_command_that_keeps_conflicting_gives_up_after_the_last_attempt() -> None:
    order_id = uuid4()
    shop, storage = given(*CATALOGUE, order_placed(order_id))

    def collide() -> None:
        storage.meanwhile.append(collide)  # every attempt meets another writer
        raise ConcurrencyConflict("order-x", 1)

    storage.meanwhile.append(collide)
    with pytest.raises(ConcurrencyConflict):
        shop.pay_order(PayOrder(order_id), CONTEXT)

    assert storage.writes == MAX_ATTEMPTS
    assert then(shop, 3) == []


# -- the catalogue -----------------------------------------------------------------------


def test_adding_a_product_and_a_shipping_method_records_them() -> None:
    shop, _ = given()

    product = shop.add_product(AddProduct("SANDAL-42", "Sandal 42", 1_250, "EUR", 3), CONTEXT)
    shop.add_shipping_method(AddShippingMethod("postnl", "PostNL", 495, "EUR"), CONTEXT)

    assert then(shop, 0) == [replace(SANDAL, added_at=LATER), replace(POSTNL, added_at=LATER)]
    assert (product.available, product.in_stock) == (3, True)


def test_restocking_adds_to_what_is_left() -> None:
    shop, _ = given(*CATALOGUE)

    restocked = shop.restock_product(RestockProduct("SANDAL-42", 5), CONTEXT)

    assert then(shop, 2) == [ProductRestocked(sku="SANDAL-42", quantity=5,
                                              restocked_at=LATER)]
    assert restocked.available == 8


def test_a_product_without_stock_reads_out_of_stock_until_restocked() -> None:
    shop, _ = given()

    added = shop.add_product(AddProduct("SANDAL-42", "Sandal 42", 1_250, "EUR", 0), CONTEXT)
    restocked = shop.restock_product(RestockProduct("SANDAL-42", 1), CONTEXT)

    assert (added.available, added.in_stock) == (0, False)
    assert (restocked.available, restocked.in_stock) == (1, True)


# -- idempotency keys and what the observer is told -----------------------------------------


def test_a_repeated_key_is_answered_from_its_recording_and_changes_nothing() -> None:
    shop, _ = given(*CATALOGUE)
    first = shop.place_order(placing(1), keyed("k-1"))

    with pytest.raises(AlreadyHandled) as repeated:
        shop.place_order(placing(1), keyed("k-1"))

    assert repeated.value.recording == f"answer {first!r}"
    assert len(then(shop, 2)) == 1
    assert shop.observer.told == [("committed", ["OrderPlaced"]),  # type: ignore[attr-defined]
                                  ("replayed", None)]


def test_a_key_sent_again_with_another_request_is_refused() -> None:
    shop, _ = given(*CATALOGUE)
    shop.place_order(placing(1), keyed("k-1"))

    with pytest.raises(IdempotencyKeyReused):
        shop.place_order(placing(2), keyed("k-1", fingerprint="body-2"))


def test_a_refusal_is_recorded_and_repeated_even_once_the_stock_came_in() -> None:
    shop, _ = given(*CATALOGUE)
    with pytest.raises(OutOfStock) as refused:
        shop.place_order(placing(5), keyed("k-1"))
    shop.restock_product(RestockProduct("SANDAL-42", 10), CONTEXT)

    with pytest.raises(AlreadyHandled) as repeated:
        shop.place_order(placing(5), keyed("k-1"))

    assert repeated.value.recording == f"refusal {refused.value}"
    assert [type(event) for event in then(shop, 2)] == [ProductRestocked]


def test_a_key_older_than_its_time_to_live_is_a_new_key() -> None:
    shop, _ = given(replace(SANDAL, stock=5), POSTNL)
    shop.place_order(placing(1), keyed("k-1"))
    shop.clock.move(timedelta(hours=2))  # type: ignore[attr-defined]

    again = shop.place_order(placing(1), keyed("k-1"))

    assert again.number == 2


def test_a_keyed_catalogue_command_repeats_its_answer_too() -> None:
    shop, _ = given()
    command = AddProduct("SANDAL-42", "Sandal 42", 1_250, "EUR", 3)
    first = shop.add_product(command, keyed("k-1"))

    with pytest.raises(AlreadyHandled) as repeated:
        shop.add_product(command, keyed("k-1"))

    assert repeated.value.recording == f"answer {first!r}"


def test_the_observer_hears_of_refusals_and_of_retried_commands_only_once() -> None:
    order_id = uuid4()
    shop, storage = given(*CATALOGUE, order_placed(order_id))
    watcher = Watcher()
    other = replace(shop, observer=Watcher())
    shop = replace(shop, observer=watcher)
    storage.meanwhile.append(lambda: other.restock_product(RestockProduct("SANDAL-42", 1),
                                                           CONTEXT))
    with pytest.raises(ProductAlreadyExists):
        shop.add_product(AddProduct("SANDAL-42", "Again", 1, "EUR", 1), CONTEXT)

    shop.cancel_order(CancelOrder(order_id), CONTEXT)

    assert watcher.told == [("refused", "ProductAlreadyExists"),
                            ("committed", ["OrderCancelled"])]
