"""What the shop is asked to do, as plain data checked at the edge."""

from __future__ import annotations

from dataclasses import dataclass, field
from uuid import UUID, uuid4

from order_service.domain.payments import PaymentNotification
from order_service.domain.values import Address, Customer, RequestedLine, StockQuantity


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


@dataclass(frozen=True, slots=True)
class CorrectOrderDetails:
    """Correct an order's contact details or addresses before it ships (None: as is)."""

    order_id: UUID
    expected_version: int | None
    customer: Customer | None = None
    shipping_address: Address | None = None
    billing_address: Address | None = None


@dataclass(frozen=True, slots=True)
class RefundOrder:
    """Give money of a paid order back, and optionally its goods back to stock."""

    order_id: UUID
    amount: int
    reason: str
    lines: tuple[StockQuantity, ...] = ()
    restock: bool = False
    expected_version: int | None = None


@dataclass(frozen=True, slots=True)
class AddOrderNote:
    """Write a note on an order for colleagues."""

    order_id: UUID
    text: str


@dataclass(frozen=True, slots=True)
class ChangeProduct:
    """Sell a product under a new name or at a new price from now on (None: as is)."""

    sku: str
    name: str | None = None
    price: int | None = None
    currency: str | None = None


@dataclass(frozen=True, slots=True)
class RetireProduct:
    """Stop selling a product."""

    sku: str
