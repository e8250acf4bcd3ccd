"""The catalogue's rules: given a product's or shipping method's events, when a command
arrives, then this event or this refusal."""

from __future__ import annotations

import pytest

from order_service.domain import catalogue
from order_service.domain.errors import (
    CurrencyMismatch,
    InvalidPrice,
    InvalidQuantity,
    ProductAlreadyExists,
    ProductNotFound,
    ShippingMethodAlreadyExists,
)
from order_service.domain.events import (
    DomainEvent,
    ProductAdded,
    ProductRestocked,
    ShippingMethodAdded,
)
from tests.unit.examples import LATER, PLACED_AT

SANDAL = ProductAdded(sku="SANDAL-42", name="Sandal 42", unit_price=1_999, currency="EUR",
                      stock=12, added_at=PLACED_AT)
POSTNL = ShippingMethodAdded(code="postnl", name="PostNL", price=495, currency="EUR",
                             added_at=PLACED_AT)


def add_sandal(history: list[DomainEvent], *, price: int = 1_999, currency: str = "EUR",
               stock: int = 12) -> ProductAdded:
    return catalogue.add_product(history, sku="SANDAL-42", name="Sandal 42", unit_price=price,
                                 currency=currency, shop_currency="EUR", stock=stock,
                                 now=PLACED_AT)


def add_postnl(history: list[DomainEvent], *, price: int = 495, currency: str = "EUR"
               ) -> ShippingMethodAdded:
    return catalogue.add_shipping_method(history, code="postnl", name="PostNL", price=price,
                                         currency=currency, shop_currency="EUR",
                                         now=PLACED_AT)


def test_a_new_product_joins_the_catalogue_with_its_price_and_opening_stock() -> None:
    assert add_sandal([]) == SANDAL


@pytest.mark.parametrize(("price", "stock"), [(0, 0), (1, 1_000_000)])
def test_a_free_product_or_one_without_stock_may_be_added(price: int, stock: int) -> None:
    added = add_sandal([], price=price, stock=stock)

    assert (added.unit_price, added.stock) == (price, stock)


def test_a_sku_the_catalogue_has_is_not_added_again() -> None:
    with pytest.raises(ProductAlreadyExists, match="SANDAL-42"):
        add_sandal([SANDAL])


def test_a_product_priced_in_another_currency_than_the_shops_is_refused() -> None:
    with pytest.raises(CurrencyMismatch) as refused:
        add_sandal([], currency="USD")

    assert (refused.value.given, refused.value.shop_currency) == ("USD", "EUR")


def test_a_product_with_a_negative_price_is_refused() -> None:
    with pytest.raises(InvalidPrice):
        add_sandal([], price=-1)


def test_a_product_with_negative_opening_stock_is_refused() -> None:
    with pytest.raises(InvalidQuantity, match="the opening stock must be at least 0, not -1"):
        add_sandal([], stock=-1)


def test_restocking_a_product_records_the_received_quantity() -> None:
    restocked = catalogue.restock([SANDAL], sku="SANDAL-42", quantity=5, now=LATER)

    assert restocked == ProductRestocked(sku="SANDAL-42", quantity=5, restocked_at=LATER)


def test_restocking_a_product_the_catalogue_lacks_is_refused() -> None:
    with pytest.raises(ProductNotFound, match="SANDAL-42"):
        catalogue.restock([], sku="SANDAL-42", quantity=5, now=LATER)


@pytest.mark.parametrize("quantity", [0, -3])
def test_a_restock_must_bring_at_least_one(quantity: int) -> None:
    with pytest.raises(InvalidQuantity, match=f"a restock must be at least 1, not {quantity}"):
        catalogue.restock([SANDAL], sku="SANDAL-42", quantity=quantity, now=LATER)


def test_a_new_shipping_method_is_offered_at_its_price() -> None:
    assert add_postnl([]) == POSTNL


def test_a_shipping_code_the_shop_has_is_not_added_again() -> None:
    with pytest.raises(ShippingMethodAlreadyExists, match="postnl"):
        add_postnl([POSTNL])


def test_a_shipping_method_priced_in_another_currency_is_refused() -> None:
    with pytest.raises(CurrencyMismatch):
        add_postnl([], currency="GBP")


def test_a_shipping_method_with_a_negative_price_is_refused() -> None:
    with pytest.raises(InvalidPrice):
        add_postnl([], price=-495)
