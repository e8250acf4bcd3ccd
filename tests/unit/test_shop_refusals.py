"""What the shop refuses, and that a refusal stores nothing; what it takes at its limits.

Given a catalogue and a pending order, when a command the shop cannot carry out, then no
event, and a refusal whose words name what was wrong (the API sends them as the
problem's detail; how each kind maps to a status is tests/e2e's).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace
from typing import Any
from uuid import UUID, uuid4

import pytest

from order_service.application.commands import (
    AddProduct,
    AddShippingMethod,
    PayOrder,
    PlaceOrder,
    RestockProduct,
    ShipOrder,
)
from order_service.application.handlers import Shop
from order_service.domain.errors import (
    CurrencyMismatch,
    IllegalTransition,
    OrderNotFound,
    OrderServiceError,
    OrderTooLarge,
    ProductAlreadyExists,
    ProductNotFound,
    ShippingMethodAlreadyExists,
    UnknownPaymentMethod,
    UnknownProducts,
    UnknownShippingMethod,
)
from order_service.domain.events import OrderPlaced, ProductAdded, ShippingMethodAdded
from order_service.domain.values import RequestedLine
from order_service.settings import Settings
from tests.unit.examples import ADDRESS, CUSTOMER, PLACED_AT, order_placed
from tests.unit.shop_given import CONTEXT, given, then

SANDAL = ProductAdded(sku="SANDAL-42", name="Sandal 42", unit_price=1_250, currency="EUR",
                      stock=3, added_at=PLACED_AT)
POSTNL_CODE = "postnl"
POSTNL = ShippingMethodAdded(code=POSTNL_CODE, name="PostNL", price=495, currency="EUR",
                             added_at=PLACED_AT)
MAX_PRICE = 100_000_000_000  # the most a product may cost, in minor units


def placing(*lines: tuple[str, int], **changes: Any) -> PlaceOrder:
    command = PlaceOrder(customer=CUSTOMER,
                         lines=tuple(RequestedLine(sku, quantity) for sku, quantity in lines),
                         shipping_address=ADDRESS, billing_address=ADDRESS,
                         payment_method="card", shipping_method=POSTNL_CODE)
    return replace(command, **changes)


PENDING_ORDER_ID = uuid4()
# (the refused command, the refusal, words its message must hold)
REFUSED: list[Any] = [
    pytest.param(lambda shop: shop.place_order(placing(("GHOST-SKU-1", 1)), CONTEXT),
                 UnknownProducts, ["GHOST-SKU-1"], id="order-of-an-unknown-sku"),
    pytest.param(lambda shop: shop.place_order(
        placing(("SANDAL-42", 1), shipping_method="teleport"), CONTEXT),
        UnknownShippingMethod, ["teleport"], id="order-by-an-unknown-shipping-method"),
    pytest.param(lambda shop: shop.place_order(
        placing(("SANDAL-42", 1), payment_method="bitcoin"), CONTEXT),
        UnknownPaymentMethod, ["bitcoin"], id="order-by-an-unknown-payment-method"),
    pytest.param(lambda shop: shop.place_order(placing(("SANDAL-42", 1), currency="USD"),
                                               CONTEXT),
                 CurrencyMismatch, ["USD", "EUR"], id="order-in-another-currency"),
    pytest.param(lambda shop: shop.add_product(AddProduct("BOOT-38", "Boot", 100, "USD", 1),
                                               CONTEXT),
                 CurrencyMismatch, ["USD", "EUR"], id="product-in-another-currency"),
    pytest.param(lambda shop: shop.add_shipping_method(
        AddShippingMethod("dhl", "DHL", 100, "USD"), CONTEXT),
        CurrencyMismatch, ["USD", "EUR"], id="shipping-method-in-another-currency"),
    pytest.param(lambda shop: shop.add_product(
        AddProduct("SANDAL-42", "Impostor", 1, "EUR", 99), CONTEXT),
        ProductAlreadyExists, ["already", "SANDAL-42"], id="product-of-a-sku-the-shop-has"),
    pytest.param(lambda shop: shop.add_shipping_method(
        AddShippingMethod(POSTNL_CODE, "Again", 1, "EUR"), CONTEXT),
        ShippingMethodAlreadyExists, ["already", POSTNL_CODE],
        id="shipping-method-of-a-code-the-shop-has"),
    pytest.param(lambda shop: shop.restock_product(RestockProduct("GHOST-SKU-2", 1), CONTEXT),
                 ProductNotFound, ["GHOST-SKU-2"], id="restock-of-an-unknown-sku"),
    pytest.param(lambda shop: shop.ship_order(ShipOrder(PENDING_ORDER_ID), CONTEXT),
                 IllegalTransition, ["pending_payment"],
                 id="ship-a-pending-order"),
    pytest.param(lambda shop: shop.pay_order(PayOrder(UUID(int=1)), CONTEXT),
                 OrderNotFound, [str(UUID(int=1))], id="pay-an-unknown-order"),
]


def test_the_shop_accepts_exactly_the_payment_methods_its_settings_name() -> None:
    history = (SANDAL, POSTNL)
    given_shop, _ = given(*history)
    shop = replace(given_shop, terms=Settings(
        geocoder_url=None, payment_methods="card, bank_transfer").shop_terms())

    with pytest.raises(UnknownPaymentMethod, match="paypal"):
        shop.place_order(placing(("SANDAL-42", 1), payment_method="paypal"), CONTEXT)
    order = shop.place_order(placing(("SANDAL-42", 1), payment_method="bank_transfer"),
                             CONTEXT)

    assert order.payment_method == "bank_transfer"
    assert [type(event) for event in then(shop, len(history))] == [OrderPlaced]


@pytest.mark.parametrize(("command", "refusal", "words"), REFUSED)
def test_a_refused_command_stores_nothing_and_says_what_was_wrong(
    command: Callable[[Shop], object], refusal: type[OrderServiceError], words: list[str]
) -> None:
    history = (SANDAL, POSTNL, order_placed(PENDING_ORDER_ID))
    shop, _ = given(*history)

    with pytest.raises(refusal) as refused:
        command(shop)

    assert all(word in str(refused.value) for word in words), str(refused.value)
    assert then(shop, len(history)) == []


def test_an_order_whose_total_would_pass_the_maximum_stores_nothing_naming_it() -> None:
    # 8,265 items at the highest price, plus 21 % tax, come to just over 10**15 minor
    # units, the most an order may total; every field is within its own bounds.
    history = (replace(SANDAL, unit_price=MAX_PRICE, stock=8_265), POSTNL)
    shop, _ = given(*history)

    with pytest.raises(OrderTooLarge, match=str(10**15)):
        shop.place_order(placing(("SANDAL-42", 8_265)), CONTEXT)

    assert then(shop, len(history)) == []


# -- at the limits ------------------------------------------------------------------------


def test_an_order_of_100_lines_of_one_sku_is_one_line_taking_all_100() -> None:
    shop, _ = given(replace(SANDAL, stock=500), POSTNL)

    order = shop.place_order(placing(*[("SANDAL-42", 1)] * 100), CONTEXT)

    assert [(line.sku, line.quantity) for line in order.lines] == [("SANDAL-42", 100)]
    assert shop.restock_product(RestockProduct("SANDAL-42", 1), CONTEXT).available == 401


def test_an_order_line_of_the_largest_quantity_takes_all_that_stock() -> None:
    shop, _ = given(replace(SANDAL, unit_price=1, stock=1_000_000), POSTNL)

    order = shop.place_order(placing(("SANDAL-42", 1_000_000)), CONTEXT)

    (placed,) = then(shop, 2)
    assert isinstance(placed, OrderPlaced)
    assert order.lines[0].quantity == placed.lines[0].quantity == 1_000_000
    assert shop.restock_product(RestockProduct("SANDAL-42", 1), CONTEXT).available == 1


def test_a_product_and_a_shipping_method_of_the_highest_price_keep_it() -> None:
    shop, _ = given()

    product = shop.add_product(AddProduct("GOLD-1", "Gold", MAX_PRICE, "EUR", 1), CONTEXT)
    method = shop.add_shipping_method(AddShippingMethod("armoured", "Armoured van",
                                                        MAX_PRICE, "EUR"), CONTEXT)

    assert (product.price, method.price) == (MAX_PRICE, MAX_PRICE)

