"""The catalogue after the sale: given a product's events, when it is renamed, repriced
or retired, then these events; and a retired product is no longer sold."""

from __future__ import annotations

from dataclasses import replace

import pytest

from order_service.domain.catalogue import Product
from order_service.domain.errors import (
    CurrencyMismatch,
    InvalidPrice,
    ProductNotFound,
    ProductsRetired,
)
from order_service.domain.events import (
    DomainEvent,
    ProductAdded,
    ProductRenamed,
    ProductRepriced,
    ProductRetired,
)
from tests.unit.examples import LATER, PLACED_AT
from tests.unit.test_quote import entry, quote

ADDED = ProductAdded(sku="HAT-STRAW", name="Straw hat", unit_price=1_250, currency="EUR",
                     stock=4, added_at=PLACED_AT)


def given(*later: DomainEvent) -> Product:
    return Product.from_history("HAT-STRAW", [ADDED, *later])


def test_renaming_and_repricing_records_one_event_each() -> None:
    events = given().change(name="Straw hat, wide brim", unit_price=1_490, now=LATER)

    assert events == [
        ProductRenamed(sku="HAT-STRAW", name="Straw hat, wide brim", renamed_at=LATER),
        ProductRepriced(sku="HAT-STRAW", unit_price=1_490, currency="EUR", repriced_at=LATER),
    ]


def test_a_product_is_as_its_latest_name_and_price_say() -> None:
    product = given(ProductRenamed(sku="HAT-STRAW", name="Panama", renamed_at=LATER),
                    ProductRepriced(sku="HAT-STRAW", unit_price=990, currency="EUR",
                                    repriced_at=LATER))

    assert (product.name, product.unit_price, product.retired) == ("Panama", 990, False)


def test_the_same_name_and_price_again_record_nothing() -> None:
    assert given().change(name="Straw hat", unit_price=1_250, now=LATER) == []


@pytest.mark.parametrize(("price", "currency", "refusal"), [
    (-1, "EUR", InvalidPrice), (1_000, "USD", CurrencyMismatch)])
def test_a_price_below_zero_or_in_another_currency_is_refused(
        price: int, currency: str, refusal: type[Exception]) -> None:
    with pytest.raises(refusal):
        given().reprice(price, currency, now=LATER)


def test_retiring_a_product_records_it_once() -> None:
    assert given().retire(now=LATER) == [ProductRetired(sku="HAT-STRAW", retired_at=LATER)]
    assert given(ProductRetired(sku="HAT-STRAW", retired_at=LATER)).retire(now=LATER) == []


def test_a_product_the_catalogue_never_had_cannot_change() -> None:
    with pytest.raises(ProductNotFound):
        Product.from_history("GHOST-1", []).retire(now=LATER)


def test_an_order_for_a_retired_product_is_refused_whole_naming_it() -> None:
    catalogue = [entry("BELT-90"), replace(entry("HAT-STRAW"), retired=True)]

    with pytest.raises(ProductsRetired) as refused:
        quote([("BELT-90", 1), ("HAT-STRAW", 1)], catalogue)

    assert refused.value.skus == ("HAT-STRAW",)
