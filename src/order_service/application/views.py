"""What the read side returns: plain data, shaped for the merchant and the storefront."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any
from uuid import UUID

from order_service.domain.values import Address, Customer, OrderLine, OrderStatus


@dataclass(frozen=True, slots=True)
class OrderView:
    """Everything the merchant's order page shows."""

    id: UUID
    number: int
    status: OrderStatus
    currency: str
    customer: Customer
    lines: tuple[OrderLine, ...]
    subtotal: int
    shipping: int
    tax_rate: str
    tax: int
    total: int
    shipping_address: Address
    billing_address: Address
    payment_method: str
    shipping_method: str
    shipping_method_name: str
    placed_at: datetime
    paid_at: datetime | None
    shipped_at: datetime | None
    cancelled_at: datetime | None
    updated_at: datetime
    payment_reference: str | None
    tracking_number: str | None
    cancel_reason: str | None
    version: int


@dataclass(frozen=True, slots=True)
class OrderPage:
    """One page of orders, newest first, and where the next page starts."""

    items: tuple[OrderView, ...]
    next_before: int | None


@dataclass(frozen=True, slots=True)
class OrderEventView:
    """One event of an order's history."""

    position: int
    version: int
    type: str
    recorded_at: datetime
    data: dict[str, Any]


@dataclass(frozen=True, slots=True)
class ProductView:
    """A product with its price and what is left to sell."""

    sku: str
    name: str
    price: int
    currency: str
    available: int
    added_at: datetime
    updated_at: datetime

    @property
    def in_stock(self) -> bool:
        """Whether at least one can be bought now."""
        return self.available > 0


@dataclass(frozen=True, slots=True)
class ShippingMethodView:
    """A shipping method the storefront can offer."""

    code: str
    name: str
    price: int
    currency: str


@dataclass(frozen=True, slots=True)
class StoredEventView:
    """One event of the whole store, for followers (billing, search, analytics)."""

    position: int
    stream_id: str
    version: int
    type: str
    recorded_at: datetime
    data: dict[str, Any]
    metadata: dict[str, Any]


@dataclass(frozen=True, slots=True)
class EventPage:
    """Events after a position, and the position to ask after next time."""

    items: tuple[StoredEventView, ...]
    next_after: int
