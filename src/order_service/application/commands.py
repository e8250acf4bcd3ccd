"""What the shop is asked to do, as plain data checked at the edge."""

from __future__ import annotations

from dataclasses import dataclass, field
from uuid import UUID, uuid4

from order_service.domain.payments import PaymentNotification
from order_service.domain.values import Address, Customer, RequestedLine


@dataclass(frozen=True, slots=True)
class AddProduct:
    """Put a new product in the catalogue."""

    sku: str
    name: str
    price: int
    currency: str
    stock: int


@dataclass(frozen=True, slots=True)
class RestockProduct:
    """Receive more of a product."""

    sku: str
    quantity: int


@dataclass(frozen=True, slots=True)
class AddShippingMethod:
    """Offer a new way to ship."""

    code: str
    name: str
    price: int
    currency: str


@dataclass(frozen=True, slots=True)
class PlaceOrder:
    """A storefront's order; prices come from the catalogue, never from here."""

    customer: Customer
    lines: tuple[RequestedLine, ...]
    shipping_address: Address
    billing_address: Address
    payment_method: str
    shipping_method: str
    currency: str | None = None
    order_id: UUID = field(default_factory=uuid4)


@dataclass(frozen=True, slots=True)
class PayOrder:
    """Record that an order's money arrived."""

    order_id: UUID
    payment_reference: str | None = None
    expected_version: int | None = None


@dataclass(frozen=True, slots=True)
class ShipOrder:
    """Record that an order left the warehouse."""

    order_id: UUID
    tracking_number: str | None = None
    expected_version: int | None = None


@dataclass(frozen=True, slots=True)
class CancelOrder:
    """Call an order off and put its stock back."""

    order_id: UUID
    reason: str | None = None
    expected_version: int | None = None


@dataclass(frozen=True, slots=True)
class TakePaymentNotification:
    """A payment gateway reports on the payment of an order."""

    order_id: UUID
    notification: PaymentNotification
