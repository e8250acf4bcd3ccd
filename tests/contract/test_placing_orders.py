"""Placing and moving orders through the application: the same on every storage."""

from __future__ import annotations

from collections.abc import Callable

import pytest

from order_service.application.commands import (
    AddProduct,
    CancelOrder,
    PayOrder,
    RestockProduct,
    ShipOrder,
)
from order_service.application.handlers import Shop
from order_service.application.ports import CommandContext
from order_service.application.queries import get_product, list_orders
from order_service.application.views import OrderFilter, OrderView
from order_service.domain.errors import (
    InvalidQuantity,
    OrderServiceError,
    OutOfStock,
    ProductAlreadyExists,
    ProductNotFound,
    Shortage,
    UnknownPaymentMethod,
    UnknownProducts,
    UnknownShippingMethod,
)
from order_service.domain.events import order_stream
from order_service.domain.values import OrderStatus
from tests.conftest import STORAGES
from tests.integration.builders import (
    add_product,
    add_shipping_method,
    available,
    order_of,
    place,
    stored_events,
    unique,
)

pytestmark = pytest.mark.parametrize("backend", STORAGES)


def test_placing_an_order_takes_its_stock(shop: Shop, context: CommandContext) -> None:
    sandal, boot = add_product(shop, context, stock=5), add_product(shop, context, stock=3)
    postnl = add_shipping_method(shop, context)

    order = place(shop, context, [(sandal, 2), (boot, 3)], postnl)

    assert (order.number, order.status) == (1, OrderStatus.PENDING_PAYMENT)
    assert (available(shop, sandal), available(shop, boot)) == (3, 0)


def test_an_order_that_cannot_be_served_whole_takes_nothing(
    shop: Shop, context: CommandContext
) -> None:
    plenty, scarce = add_product(shop, context, stock=5), add_product(shop, context, stock=1)
    postnl = add_shipping_method(shop, context)

    with pytest.raises(OutOfStock) as refused:
        place(shop, context, [(plenty, 2), (scarce, 3)], postnl)

    assert refused.value.shortages == (Shortage(scarce, 3, 1),)
    assert (available(shop, plenty), available(shop, scarce)) == (5, 1)
    assert stored_events(shop.storage, type="OrderPlaced") == []


def test_a_refused_order_consumes_no_order_number(shop: Shop, context: CommandContext) -> None:
    sku = add_product(shop, context, stock=1)
    postnl = add_shipping_method(shop, context)
    with pytest.raises(OutOfStock):
        place(shop, context, [(sku, 2)], postnl)

    assert place(shop, context, [(sku, 1)], postnl).number == 1


def test_order_numbers_have_no_gaps_after_refused_placements(
    shop: Shop, context: CommandContext
) -> None:
    sku = add_product(shop, context, stock=10)
    postnl = add_shipping_method(shop, context)
    attempts = [
        order_of([(sku, 1)], postnl),
        order_of([(sku, 99)], postnl),  # out of stock
        order_of([(sku, 1)], postnl),
        order_of([(sku, 1), (unique("SKU"), 1)], postnl),  # unknown SKU
        order_of([(sku, 1)], unique("ship")),  # unknown shipping method
        order_of([(sku, 1)], postnl),
        order_of([(sku, 1)], postnl, payment_method="barter"),  # unknown payment method
        order_of([(sku, 0)], postnl),  # invalid quantity
        order_of([(sku, 1)], postnl),
    ]
    refusals: list[type[OrderServiceError]] = []
    numbers: list[int] = []
    for attempt in attempts:
        try:
            numbers.append(shop.place_order(attempt, context).number)
        except OrderServiceError as error:
            refusals.append(type(error))

    assert refusals == [OutOfStock, UnknownProducts, UnknownShippingMethod,
                        UnknownPaymentMethod, InvalidQuantity]
    assert numbers == [1, 2, 3, 4]
    listed = list_orders(shop.storage, OrderFilter(), limit=10, before_number=None)
    assert [order.number for order in listed.orders] == [4, 3, 2, 1]
    assert place(shop, context, [(sku, 1)], postnl).number == 5
    assert available(shop, sku) == 5


@pytest.mark.parametrize("pay_first", [False, True], ids=["pending", "paid"])
def test_cancelling_an_order_gives_its_stock_back(
    shop: Shop, context: CommandContext, pay_first: bool
) -> None:
    sandal, boot = add_product(shop, context, stock=5), add_product(shop, context, stock=2)
    order = place(shop, context, [(sandal, 4), (boot, 2)], add_shipping_method(shop, context))
    if pay_first:
        shop.pay_order(PayOrder(order.id), context)

    cancelled = shop.cancel_order(CancelOrder(order.id, reason="out of budget"), context)

    assert (cancelled.status, cancelled.cancel_reason) == (OrderStatus.CANCELLED,
                                                           "out of budget")
    assert (available(shop, sandal), available(shop, boot)) == (5, 2)


def test_shipping_an_order_leaves_its_stock_taken(shop: Shop, context: CommandContext) -> None:
    sku = add_product(shop, context, stock=5)
    order = place(shop, context, [(sku, 2)], add_shipping_method(shop, context))
    shop.pay_order(PayOrder(order.id, payment_reference="psp-1"), context)

    shipped = shop.ship_order(ShipOrder(order.id, tracking_number="3S123"), context)

    assert (shipped.status, shipped.payment_reference, shipped.tracking_number) == (
        OrderStatus.SHIPPED, "psp-1", "3S123")
    assert available(shop, sku) == 3


Step = Callable[[Shop, OrderView, CommandContext], OrderView]


def _pay(shop: Shop, order: OrderView, context: CommandContext) -> OrderView:
    return shop.pay_order(PayOrder(order.id), context)


def _ship(shop: Shop, order: OrderView, context: CommandContext) -> OrderView:
    return shop.ship_order(ShipOrder(order.id), context)


def _cancel(shop: Shop, order: OrderView, context: CommandContext) -> OrderView:
    return shop.cancel_order(CancelOrder(order.id), context)


@pytest.mark.parametrize(
    ("steps", "repeat"),
    [((_pay,), _pay), ((_pay, _ship), _ship), ((_cancel,), _cancel)],
    ids=["pay-paid", "ship-shipped", "cancel-cancelled"],
)
def test_repeating_the_state_an_order_is_in_appends_no_event(
    shop: Shop, context: CommandContext, steps: tuple[Step, ...], repeat: Step,
) -> None:
    sku = add_product(shop, context, stock=5)
    order = place(shop, context, [(sku, 2)], add_shipping_method(shop, context))
    for step in steps:
        before = step(shop, order, context)
    events_before = len(stored_events(shop.storage))

    after = repeat(shop, order, context)

    assert len(stored_events(shop.storage)) == events_before
    assert after == before
    assert len(stored_events(shop.storage, stream_id=order_stream(order.id))) == 1 + len(steps)
    assert available(shop, sku) == (5 if repeat is _cancel else 3)


def test_a_product_without_stock_cannot_be_bought_until_restocked(
    shop: Shop, context: CommandContext
) -> None:
    sku = add_product(shop, context, stock=0)
    postnl = add_shipping_method(shop, context)
    with pytest.raises(OutOfStock) as refused:
        place(shop, context, [(sku, 1)], postnl)
    assert refused.value.shortages == (Shortage(sku, 1, 0),)

    shop.restock_product(RestockProduct(sku, 3), context)

    assert place(shop, context, [(sku, 1)], postnl).number == 1
    assert available(shop, sku) == 2


def test_restocking_adds_to_the_stock(shop: Shop, context: CommandContext) -> None:
    sku = add_product(shop, context, stock=2)

    restocked = shop.restock_product(RestockProduct(sku, 3), context)

    assert restocked.available == 5
    assert available(shop, sku) == 5


def test_a_sku_is_added_to_the_catalogue_only_once(shop: Shop, context: CommandContext) -> None:
    sku = add_product(shop, context, stock=2, price=1_000)
    again = AddProduct(sku=sku, name="Imposter", price=1, currency=shop.terms.currency, stock=99)

    with pytest.raises(ProductAlreadyExists):
        shop.add_product(again, context)

    product = get_product(shop.storage, sku)
    assert (product.name, product.price, product.available) == (f"Product {sku}", 1_000, 2)


def test_restocking_a_product_the_catalogue_lacks_is_refused(
    shop: Shop, context: CommandContext
) -> None:
    with pytest.raises(ProductNotFound):
        shop.restock_product(RestockProduct(unique("SKU"), 3), context)


def test_a_product_with_negative_stock_is_refused_as_a_business_error(
    shop: Shop, context: CommandContext
) -> None:
    command = AddProduct(sku=unique("SKU"), name="Minus one", price=100,
                         currency=shop.terms.currency, stock=-1)

    with pytest.raises(OrderServiceError):
        shop.add_product(command, context)


def test_an_order_totalling_just_under_the_maximum_is_stored_and_read_back_whole(
    shop: Shop, context: CommandContext
) -> None:
    # 8,264 items at the highest price, plus 21 % tax: just under 10**15 minor units.
    gold = add_product(shop, context, stock=8_264, price=100_000_000_000)
    postnl = add_shipping_method(shop, context)

    placed = place(shop, context, [(gold, 8_264)], postnl)

    (listed,) = list_orders(shop.storage, OrderFilter(), limit=1, before_number=None).orders
    assert listed.subtotal == placed.subtotal == 8_264 * 100_000_000_000
    assert listed.total == placed.total == placed.subtotal + placed.shipping + placed.tax
    assert 10**15 - 10**12 < listed.total <= 10**15
    assert available(shop, gold) == 0
