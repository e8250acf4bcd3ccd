"""Text of the longest length each field allows, and the highest price, are stored and read
back whole: the same on every storage.

That the HTTP bodies let exactly these lengths through is tests/unit/test_order_bodies.py's
and test_catalogue_bodies.py's.
"""

from __future__ import annotations

from dataclasses import replace

import pytest

from order_service.application.commands import (
    AddProduct,
    AddShippingMethod,
    CancelOrder,
    PayOrder,
    ShipOrder,
)
from order_service.application.handlers import Shop
from order_service.application.ports import CommandContext
from order_service.application.queries import get_order, get_product, get_shipping_method
from tests.conftest import STORAGES
from tests.integration.builders import (
    ADDRESS,
    CUSTOMER,
    add_product,
    add_shipping_method,
    order_of,
    unique,
)

pytestmark = pytest.mark.parametrize("backend", STORAGES)

MAX_PRICE = 100_000_000_000  # the most a product or shipping may cost, in minor units


def test_a_product_and_a_shipping_method_of_the_longest_name_and_highest_price_read_back_whole(
    shop: Shop, context: CommandContext
) -> None:
    sku, code = unique("SKU"), unique("ship")
    shop.add_product(AddProduct(sku, "p" * 200, MAX_PRICE, "EUR", 1), context)
    shop.add_shipping_method(AddShippingMethod(code, "m" * 200, MAX_PRICE, "EUR"), context)

    product, method = get_product(shop.storage, sku), get_shipping_method(shop.storage, code)

    assert (product.name, product.price) == ("p" * 200, MAX_PRICE)
    assert (method.name, method.price) == ("m" * 200, MAX_PRICE)


def test_an_order_of_the_longest_names_and_addresses_reads_back_whole(
    shop: Shop, context: CommandContext
) -> None:
    command = replace(
        order_of([(add_product(shop, context, stock=1), 1)], add_shipping_method(shop, context)),
        customer=replace(CUSTOMER, name="n" * 200),
        shipping_address=replace(ADDRESS, line1="l" * 200, postal_code="9" * 20),
        billing_address=replace(ADDRESS, city="c" * 200))

    placed = shop.place_order(command, context)

    order = get_order(shop.storage, placed.id)
    assert order.customer.name == "n" * 200
    assert (order.shipping_address.line1, order.shipping_address.postal_code) == (
        "l" * 200, "9" * 20)
    assert order.billing_address.city == "c" * 200


def test_the_longest_payment_reference_tracking_number_and_cancel_reason_read_back_whole(
    shop: Shop, context: CommandContext
) -> None:
    method = add_shipping_method(shop, context)
    shipped = shop.place_order(order_of([(add_product(shop, context, stock=1), 1)], method),
                               context)
    cancelled = shop.place_order(order_of([(add_product(shop, context, stock=1), 1)], method),
                                 context)

    shop.pay_order(PayOrder(shipped.id, "r" * 200), context)
    shop.ship_order(ShipOrder(shipped.id, "t" * 200), context)
    shop.cancel_order(CancelOrder(cancelled.id, "w" * 500), context)

    sent = get_order(shop.storage, shipped.id)
    assert (sent.payment_reference, sent.tracking_number) == ("r" * 200, "t" * 200)
    assert get_order(shop.storage, cancelled.id).cancel_reason == "w" * 500
