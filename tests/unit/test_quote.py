"""Pricing an order: catalogue prices, stock checks and the shop's terms."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace
from decimal import Decimal
from uuid import uuid4

import pytest

from order_service.domain.errors import (
    CurrencyMismatch,
    EmptyOrder,
    InvalidQuantity,
    OrderTooLarge,
    OutOfStock,
    Shortage,
    UnknownPaymentMethod,
    UnknownProducts,
)
from order_service.domain.pricing import MAX_ORDER_TOTAL, Quote, ShopTerms, quote_order
from order_service.domain.values import (
    CatalogueEntry,
    OrderLine,
    RequestedLine,
    ShippingOption,
)
from order_service.settings import Settings
from tests.unit.examples import ADDRESS, CUSTOMER, PLACED_AT

TERMS = ShopTerms(currency="EUR", tax_rate=Decimal("0.21"), payment_methods=("card", "paypal"))
POSTNL = ShippingOption(code="postnl", name="PostNL", price=495, currency="EUR")
FREE = ShippingOption(code="pickup", name="Pick up", price=0, currency="EUR")


def entry(sku: str, unit_price: int = 1_999, available: int = 10) -> CatalogueEntry:
    return CatalogueEntry(sku=sku, name=f"Product {sku}", unit_price=unit_price,
                          currency="EUR", available=available)


def quote(
    lines: Sequence[tuple[str, int]],
    catalogue: Sequence[CatalogueEntry],
    *,
    shipping: ShippingOption = POSTNL,
    terms: ShopTerms = TERMS,
    payment_method: str = "card",
    currency: str | None = None,
) -> Quote:
    return quote_order(
        customer=CUSTOMER,
        lines=[RequestedLine(sku, quantity) for sku, quantity in lines],
        shipping_address=ADDRESS,
        billing_address=ADDRESS,
        payment_method=payment_method,
        shipping=shipping,
        catalogue={product.sku: product for product in catalogue},
        terms=terms,
        currency=currency,
    )


def test_lines_take_name_and_price_from_the_catalogue() -> None:
    sandal = CatalogueEntry(sku="SANDAL-42", name="Leather sandal", unit_price=1_999,
                            currency="EUR", available=10)

    priced = quote([("SANDAL-42", 3)], [sandal])

    assert priced.lines == (OrderLine(sku="SANDAL-42", name="Leather sandal", quantity=3,
                                      unit_price=1_999, line_total=5_997),)


def test_total_is_subtotal_plus_shipping_plus_tax() -> None:
    priced = quote([("A", 3), ("B", 1)], [entry("A", 1_999), entry("B", 500)])

    # subtotal 3 x 19.99 + 5.00 = 64.97; tax 21 % of (64.97 + 4.95) = 14.6832 -> 14.68
    assert (priced.subtotal.amount, priced.shipping_cost.amount, priced.tax.amount) == (
        6_497, 495, 1_468)
    assert priced.total.amount == 6_497 + 495 + 1_468


@pytest.mark.parametrize(
    ("unit_price", "tax"),
    [(50, 11), (150, 32), (49, 10), (51, 11)],
    ids=["10.5-up", "31.5-up", "10.29-down", "10.71-up"],
)
def test_tax_rounds_half_up_to_a_whole_cent(unit_price: int, tax: int) -> None:
    priced = quote([("A", 1)], [entry("A", unit_price)], shipping=FREE)

    assert priced.tax.amount == tax


def test_shipping_is_not_taxed_when_the_terms_say_so() -> None:
    terms = ShopTerms(currency="EUR", tax_rate=Decimal("0.21"), payment_methods=("card",),
                      tax_applies_to_shipping=False)

    priced = quote([("A", 1)], [entry("A", 1_000)], terms=terms)

    assert priced.tax.amount == 210
    assert priced.total.amount == 1_000 + 495 + 210


def test_two_lines_of_one_sku_become_one_line() -> None:
    priced = quote([("A", 2), ("B", 1), ("A", 3)], [entry("A", 100), entry("B", 200)])

    assert [(sold.sku, sold.quantity, sold.line_total) for sold in priced.lines] == [
        ("A", 5, 500), ("B", 1, 200)]


def test_two_lines_of_one_sku_count_together_against_stock() -> None:
    with pytest.raises(OutOfStock) as refused:
        quote([("A", 2), ("A", 3)], [entry("A", available=4)])

    assert refused.value.shortages == (Shortage("A", requested=5, available=4),)


def test_an_order_short_on_several_skus_lists_every_shortage() -> None:
    catalogue = [entry("A", available=1), entry("B", available=9), entry("C", available=0)]

    with pytest.raises(OutOfStock) as refused:
        quote([("A", 3), ("B", 9), ("C", 2)], catalogue)

    assert refused.value.shortages == (Shortage("A", 3, 1), Shortage("C", 2, 0))
    assert "A: requested 3, available 1" in str(refused.value)
    assert "C: requested 2, available 0" in str(refused.value)


def test_unknown_skus_are_all_named() -> None:
    with pytest.raises(UnknownProducts) as refused:
        quote([("A", 1), ("NOPE-1", 1), ("NOPE-2", 2)], [entry("A")])

    assert refused.value.skus == ("NOPE-1", "NOPE-2")


def test_a_payment_method_the_shop_does_not_accept_is_refused() -> None:
    with pytest.raises(UnknownPaymentMethod) as refused:
        quote([("A", 1)], [entry("A")], payment_method="bitcoin")

    assert refused.value.method == "bitcoin"


def test_an_order_in_another_currency_is_refused() -> None:
    with pytest.raises(CurrencyMismatch) as refused:
        quote([("A", 1)], [entry("A")], currency="USD")

    assert (refused.value.given, refused.value.shop_currency) == ("USD", "EUR")


def test_an_order_in_the_shops_currency_is_accepted() -> None:
    assert quote([("A", 1)], [entry("A")], currency="EUR").terms.currency == "EUR"


def test_an_order_without_lines_is_refused() -> None:
    with pytest.raises(EmptyOrder):
        quote([], [entry("A")])


@pytest.mark.parametrize("quantity", [0, -1])
def test_a_line_must_ask_for_at_least_one(quantity: int) -> None:
    with pytest.raises(InvalidQuantity) as refused:
        quote([("A", 1), ("B", quantity)], [entry("A"), entry("B")])

    assert refused.value.quantity == quantity


# 8,265 items at the highest price (10**11), shipping and 21 % tax come to just over
# 10**15 minor units, the most an order may total; 8,264 stay just under.
def test_an_order_whose_total_passes_the_maximum_is_refused_naming_it() -> None:
    with pytest.raises(OrderTooLarge, match=str(MAX_ORDER_TOTAL)):
        quote([("GOLD", 8_265)], [entry("GOLD", 10**11, available=10_000)])


def test_an_order_whose_total_is_just_under_the_maximum_is_quoted() -> None:
    quoted = quote([("GOLD", 8_264)], [entry("GOLD", 10**11, available=10_000)])

    assert quoted.subtotal.amount == 8_264 * 10**11
    assert quoted.total.amount <= MAX_ORDER_TOTAL == 10**15


def test_placing_a_quote_records_its_prices_and_number() -> None:
    priced = quote([("A", 2)], [entry("A", 1_000)])
    order_id = uuid4()

    placed = priced.place(order_id=order_id, number=42, now=PLACED_AT)

    assert (placed.order_id, placed.number, placed.placed_at) == (order_id, 42, PLACED_AT)
    assert (placed.subtotal, placed.shipping, placed.tax, placed.total, placed.tax_rate) == (
        2_000, 495, 524, 3_019, "0.21")
    assert (placed.shipping_method, placed.shipping_method_name) == ("postnl", "PostNL")
    assert placed.lines == priced.lines


def test_the_shops_settings_set_the_tax_rate_and_whether_shipping_is_taxed() -> None:
    terms = Settings(tax_rate=Decimal("0.10"), tax_applies_to_shipping=False).shop_terms()
    priced = quote([("A", 1)], [entry("A", 1_995)], terms=terms,
                   shipping=replace(POSTNL, price=500))

    placed = priced.place(order_id=uuid4(), number=1, now=PLACED_AT)

    # 10 % of 19.95 is 1.995, rounded half up; the shipping is not taxed.
    assert (placed.tax_rate, placed.tax, placed.total) == ("0.10", 200, 1_995 + 500 + 200)


@pytest.mark.parametrize("method", ["bank_transfer", "card", "paypal", "cash_on_delivery"])
def test_each_payment_method_a_shop_accepts_by_default_is_accepted(method: str) -> None:
    terms = Settings().shop_terms()

    placed = quote([("A", 1)], [entry("A")], terms=terms, payment_method=method).place(
        order_id=uuid4(), number=1, now=PLACED_AT)

    assert placed.payment_method == method
