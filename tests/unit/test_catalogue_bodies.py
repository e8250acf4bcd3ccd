"""The catalogue routes' bodies: what a new product, a restock and a new shipping method
refuse, and where each says the fault lies.

How a refusal reaches the client (a 422 problem+json pointing at the field) is
tests/e2e/test_bad_input.py's; whether the shop already has the SKU or sells in that
currency is the catalogue's (tests/unit/test_catalogue.py, test_shop_refusals.py).
"""

from __future__ import annotations

from typing import Any

import pytest

from order_service.api.schemas.catalogue import ProductIn, RestockIn, ShippingMethodIn
from tests.unit.request_bodies import MISSING, PRODUCT, SHIPPING_METHOD, edited, refusals

MAX_PRICE = 100_000_000_000  # the documented maximum of a price, in minor units


@pytest.mark.parametrize("name", ["sku", "name", "price", "stock"])
def test_a_product_missing_a_field_is_refused_at_it(name: str) -> None:
    assert refusals(ProductIn, edited(PRODUCT, (name,), MISSING)) == {(name,): "is required"}


@pytest.mark.parametrize(("name", "value"), [
    ("price", -1), ("price", 19.99), ("price", "4990"), ("price", None), ("price", 10**30),
    ("price", 10**12), ("stock", -1), ("stock", 2.5), ("stock", 1_000_000_001),
    ("sku", "bad sku!"), ("sku", "S" * 65), ("name", ""), ("name", "Sandals\x00"),
    ("colour", "red"),
], ids=["negative-price", "float-price", "string-price", "null-price", "huge-price",
        "price-over-the-maximum", "negative-stock", "fractional-stock", "stock-over-a-billion",
        "sku-with-spaces", "sku-too-long", "name-empty", "name-with-nul", "unknown-field"])
def test_a_product_field_that_breaks_its_rule_is_refused_where_it_is(
    name: str, value: Any
) -> None:
    assert list(refusals(ProductIn, edited(PRODUCT, (name,), value))) == [(name,)]


def test_a_product_name_one_character_over_200_is_refused_naming_the_limit() -> None:
    assert refusals(ProductIn, {**PRODUCT, "name": "x" * 201}) == {
        ("name",): "should have at most 200 characters"}


def test_a_product_at_the_limits_is_valid_and_kept_whole() -> None:
    body = {**PRODUCT, "name": "x" * 200, "price": MAX_PRICE, "stock": 1_000_000_000}

    product = ProductIn.model_validate(body)

    assert (product.name, product.price, product.stock) == ("x" * 200, MAX_PRICE, 1_000_000_000)


@pytest.mark.parametrize("currency", ["EUR", "eur"])
def test_a_products_currency_may_be_given_in_either_case_and_is_upper_cased(
    currency: str
) -> None:
    assert ProductIn.model_validate({**PRODUCT, "currency": currency}).currency == "EUR"


@pytest.mark.parametrize("body", [
    {"quantity": 0}, {"quantity": -1}, {"quantity": -3}, {"quantity": "3"},
    {"quantity": 10**30}, {"quantity": 1_000_001}, {},
], ids=["zero", "minus-one", "negative", "string", "huge", "over-a-million", "missing"])
def test_a_restock_is_a_whole_number_from_1_to_a_million(body: dict[str, Any]) -> None:
    assert list(refusals(RestockIn, body)) == [("quantity",)]


@pytest.mark.parametrize("name", ["note", "colour"])
def test_a_restock_with_a_field_it_does_not_have_is_refused_at_it(name: str) -> None:
    assert refusals(RestockIn, {"quantity": 1, name: "x"}) == {
        (name,): "is not a field of this request"}


@pytest.mark.parametrize(("name", "value"), [
    ("price", -1), ("price", 4.95), ("price", 10**12), ("code", "Next Day!"), ("name", MISSING),
    ("name", "Std\x00"), ("colour", "red"),
], ids=["negative-price", "float-price", "price-over-the-maximum", "code-spaced",
        "missing-name", "name-with-nul", "unknown-field"])
def test_a_shipping_method_field_that_breaks_its_rule_is_refused_where_it_is(
    name: str, value: Any
) -> None:
    assert list(refusals(ShippingMethodIn, edited(SHIPPING_METHOD, (name,), value))) == [
        (name,)]


def test_a_shipping_method_name_one_character_over_200_is_refused_naming_the_limit() -> None:
    assert refusals(ShippingMethodIn, {**SHIPPING_METHOD, "name": "x" * 201}) == {
        ("name",): "should have at most 200 characters"}


def test_a_shipping_method_at_the_limits_is_valid_and_kept_whole() -> None:
    method = ShippingMethodIn.model_validate({**SHIPPING_METHOD, "name": "x" * 200,
                                             "price": MAX_PRICE})

    assert (method.name, method.price) == ("x" * 200, MAX_PRICE)


def test_a_shipping_methods_currency_is_upper_cased() -> None:
    assert ShippingMethodIn.model_validate({**SHIPPING_METHOD, "currency": "eur"}
                                           ).currency == "EUR"
