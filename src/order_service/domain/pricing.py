"""Pricing an order: the shop's terms, the catalogue's prices, and the checks that refuse
an order whole before it takes any stock."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from uuid import UUID

from order_service.domain.errors import (
    CurrencyMismatch,
    EmptyOrder,
    InvalidQuantity,
    OrderTooLarge,
    OutOfStock,
    ProductsRetired,
    QuantityTooLarge,
    Shortage,
    UnknownPaymentMethod,
    UnknownProducts,
)
from order_service.domain.events import OrderPlaced
from order_service.domain.money import Money
from order_service.domain.values import (
    Address,
    CatalogueEntry,
    Customer,
    OrderLine,
    RequestedLine,
    ShippingOption,
)

# Far above any real basket, far below the 2**63 a database integer holds: totals are
# sums of products of bounded numbers, and this keeps every one of them storable.
MAX_ORDER_TOTAL = 10**15
# The most of one product an order may hold, however many lines it is spread over.
MAX_QUANTITY_PER_PRODUCT = 1_000_000


@dataclass(frozen=True, slots=True)
class ShopTerms:
    """The shop's own configuration that prices every order."""

    currency: str
    tax_rate: Decimal
    payment_methods: tuple[str, ...]
    tax_applies_to_shipping: bool = True


def requested_quantities(lines: Sequence[RequestedLine]) -> dict[str, int]:
    """Quantities per SKU, in first-seen order; two lines of one SKU count together."""
    wanted: dict[str, int] = {}
    for line in lines:
        if line.quantity <= 0:
            raise InvalidQuantity(f"the quantity of {line.sku}", line.quantity)
        wanted[line.sku] = wanted.get(line.sku, 0) + line.quantity
    for sku, quantity in wanted.items():
        if quantity > MAX_QUANTITY_PER_PRODUCT:
            raise QuantityTooLarge(sku, quantity, MAX_QUANTITY_PER_PRODUCT)
    return wanted


@dataclass(frozen=True, slots=True)
class Quote:
    """An order that passed every check and is priced, waiting only for its number."""

    customer: Customer
    lines: tuple[OrderLine, ...]
    shipping_address: Address
    billing_address: Address
    payment_method: str
    shipping: ShippingOption
    terms: ShopTerms
    subtotal: Money
    shipping_cost: Money
    tax: Money

    @property
    def total(self) -> Money:
        """What the customer pays: subtotal + shipping + tax."""
        return self.subtotal + self.shipping_cost + self.tax

    def place(self, *, order_id: UUID, number: int, now: datetime) -> OrderPlaced:
        """The event that records this quote as order `number`."""
        return OrderPlaced(
            order_id=order_id,
            number=number,
            customer=self.customer,
            lines=self.lines,
            shipping_address=self.shipping_address,
            billing_address=self.billing_address,
            payment_method=self.payment_method,
            shipping_method=self.shipping.code,
            shipping_method_name=self.shipping.name,
            currency=self.terms.currency,
            subtotal=self.subtotal.amount,
            shipping=self.shipping_cost.amount,
            tax_rate=str(self.terms.tax_rate),
            tax=self.tax.amount,
            total=self.total.amount,
            placed_at=now,
        )


def quote_order(
    *,
    customer: Customer,
    lines: Sequence[RequestedLine],
    shipping_address: Address,
    billing_address: Address,
    payment_method: str,
    shipping: ShippingOption,
    catalogue: Mapping[str, CatalogueEntry],
    terms: ShopTerms,
    currency: str | None = None,
) -> Quote:
    """Check an order against the catalogue and stock, and price it; refuse it whole."""
    if currency is not None and currency != terms.currency:
        raise CurrencyMismatch(currency, terms.currency)
    if payment_method not in terms.payment_methods:
        raise UnknownPaymentMethod(payment_method, terms.payment_methods)
    if not lines:
        raise EmptyOrder
    wanted = requested_quantities(lines)
    unknown = [sku for sku in wanted if sku not in catalogue]
    if unknown:
        raise UnknownProducts(unknown)
    retired = [sku for sku in wanted if catalogue[sku].retired]
    if retired:
        raise ProductsRetired(retired)
    shortages = [
        Shortage(sku, quantity, catalogue[sku].available)
        for sku, quantity in wanted.items()
        if catalogue[sku].available < quantity
    ]
    if shortages:
        raise OutOfStock(shortages)
    sold = tuple(_sell(catalogue[sku], qty, terms.currency) for sku, qty in wanted.items())
    subtotal = Money.zero(terms.currency)
    for line in sold:
        subtotal += Money(line.line_total, terms.currency)
    if shipping.currency != terms.currency:
        what = f"shipping method {shipping.code}"
        raise CurrencyMismatch(shipping.currency, terms.currency, what)
    shipping_cost = Money(shipping.price, terms.currency)
    taxable = subtotal + shipping_cost if terms.tax_applies_to_shipping else subtotal
    tax = taxable.percentage(terms.tax_rate)
    total = (subtotal + shipping_cost + tax).amount
    if total > MAX_ORDER_TOTAL:
        raise OrderTooLarge(total, MAX_ORDER_TOTAL)
    return Quote(
        customer=customer,
        lines=sold,
        shipping_address=shipping_address,
        billing_address=billing_address,
        payment_method=payment_method,
        shipping=shipping,
        terms=terms,
        subtotal=subtotal,
        shipping_cost=shipping_cost,
        tax=tax,
    )


def _sell(entry: CatalogueEntry, quantity: int, currency: str) -> OrderLine:
    unit_price = Money(entry.unit_price, entry.currency)
    if unit_price.currency != currency:
        raise CurrencyMismatch(entry.currency, currency, f"product {entry.sku}")
    return OrderLine(
        sku=entry.sku,
        name=entry.name,
        quantity=quantity,
        unit_price=unit_price.amount,
        line_total=unit_price.times(quantity).amount,
    )
