"""The catalogue's rules: products, their stock, and the shop's shipping methods."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

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


def add_product(
    history: Sequence[DomainEvent],
    *,
    sku: str,
    name: str,
    unit_price: int,
    currency: str,
    shop_currency: str,
    stock: int,
    now: datetime,
) -> ProductAdded:
    """Add a product to the catalogue; a SKU is added once."""
    if history:
        raise ProductAlreadyExists(sku)
    if currency != shop_currency:
        raise CurrencyMismatch(currency, shop_currency)
    if unit_price < 0:
        raise InvalidPrice(unit_price)
    if stock < 0:
        raise InvalidQuantity("the opening stock", stock, minimum=0)
    return ProductAdded(
        sku=sku, name=name, unit_price=unit_price, currency=currency, stock=stock, added_at=now
    )


def restock(
    history: Sequence[DomainEvent], *, sku: str, quantity: int, now: datetime
) -> ProductRestocked:
    """Receive stock of a product the catalogue has."""
    if not history:
        raise ProductNotFound(sku)
    if quantity <= 0:
        raise InvalidQuantity("a restock", quantity)
    return ProductRestocked(sku=sku, quantity=quantity, restocked_at=now)


def add_shipping_method(
    history: Sequence[DomainEvent],
    *,
    code: str,
    name: str,
    price: int,
    currency: str,
    shop_currency: str,
    now: datetime,
) -> ShippingMethodAdded:
    """Offer a new shipping method; a code is added once."""
    if history:
        raise ShippingMethodAlreadyExists(code)
    if currency != shop_currency:
        raise CurrencyMismatch(currency, shop_currency)
    if price < 0:
        raise InvalidPrice(price)
    return ShippingMethodAdded(code=code, name=name, price=price, currency=currency, added_at=now)
