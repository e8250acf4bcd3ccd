"""The catalogue's rules: products, their stock, and the shop's shipping methods."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, replace
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
    ProductRenamed,
    ProductRepriced,
    ProductRestocked,
    ProductRetired,
    ShippingMethodAdded,
)


@dataclass(frozen=True, slots=True)
class Product:
    """A product as its catalogue history says it is now (stock aside: orders move it)."""

    sku: str
    name: str
    unit_price: int
    currency: str
    retired: bool

    @classmethod
    def from_history(cls, sku: str, history: Sequence[DomainEvent]) -> Product:
        """Replay a product's events, oldest first; no events means no such product."""
        if not history or not isinstance(history[0], ProductAdded):
            raise ProductNotFound(sku)
        added = history[0]
        product = cls(sku, added.name, added.unit_price, added.currency, retired=False)
        for event in history[1:]:
            match event:
                case ProductRenamed():
                    product = replace(product, name=event.name)
                case ProductRepriced():
                    product = replace(product, unit_price=event.unit_price)
                case ProductRetired():
                    product = replace(product, retired=True)
        return product

    def rename(self, name: str, *, now: datetime) -> list[DomainEvent]:
        """Sell the product under a new name from now on (the same name: no change)."""
        if name == self.name:
            return []
        return [ProductRenamed(sku=self.sku, name=name, renamed_at=now)]

    def reprice(self, unit_price: int, currency: str, *, now: datetime) -> list[DomainEvent]:
        """Sell the product at a new price from now on (the same price: no change)."""
        if currency != self.currency:
            raise CurrencyMismatch(currency, self.currency)
        if unit_price < 0:
            raise InvalidPrice(unit_price)
        if unit_price == self.unit_price:
            return []
        return [ProductRepriced(sku=self.sku, unit_price=unit_price, currency=currency,
                                repriced_at=now)]

    def change(self, *, name: str | None = None, unit_price: int | None = None,
               currency: str | None = None, now: datetime) -> list[DomainEvent]:
        """Rename and/or reprice the product (None: keep as is)."""
        renamed = [] if name is None else self.rename(name, now=now)
        repriced = [] if unit_price is None else self.reprice(
            unit_price, currency or self.currency, now=now)
        return [*renamed, *repriced]

    def retire(self, *, now: datetime) -> list[DomainEvent]:
        """Stop selling the product; orders that have it keep showing it (twice: no change)."""
        if self.retired:
            return []
        return [ProductRetired(sku=self.sku, retired_at=now)]


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
