"""What the read side returns: plain data, shaped for the merchant and the storefront."""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import datetime
from typing import Any
from uuid import UUID, uuid5

from order_service.domain.values import (
    Address,
    Customer,
    OrderLine,
    OrderStatus,
    StockQuantity,
)


@dataclass(frozen=True, slots=True)
class PaymentNotificationView:
    """What a payment gateway said about an order, and whether it paid the order."""

    notification_id: str
    succeeded: bool
    amount: int
    currency: str
    payment_reference: str | None
    applied: bool
    reason: str | None
    received_at: datetime


@dataclass(frozen=True, slots=True)
class RefundView:
    """Money given back on an order: how much, why, for which goods, and when."""

    amount: int
    reason: str
    lines: tuple[StockQuantity, ...]
    returned_stock: tuple[StockQuantity, ...]
    refunded_at: datetime


@dataclass(frozen=True, slots=True)
class NoteView:
    """A note a merchant wrote on an order, and the order's version it made."""

    order_id: UUID
    text: str
    added_at: datetime
    version: int


@dataclass(frozen=True, slots=True)
class NotificationOutcome:
    """What the shop made of a payment notification, and the order afterwards."""

    notification: PaymentNotificationView
    order: OrderView


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
    placed_by: str | None = None
    payment_notifications: tuple[PaymentNotificationView, ...] = ()
    # Money given back so far (the sum of `refunds`), in minor units.
    refunded: int = 0
    refunds: tuple[RefundView, ...] = ()


@dataclass(frozen=True, slots=True)
class OrderDocument:
    """An order as the finished JSON the API sends, with what a read must check."""

    document: bytes
    version: int
    placed_by: str | None


@dataclass(frozen=True, slots=True)
class OrderDocumentPage:
    """One page of orders as finished JSON documents, newest first, and the receipt
    number the next page starts below (None on the last page)."""

    documents: tuple[bytes, ...]
    next_before: int | None


@dataclass(frozen=True, slots=True)
class OrderEventView:
    """One event of an order's history."""

    position: int
    version: int
    type: str
    recorded_at: datetime
    data: dict[str, Any]
    # Who did it, in people's words (actors.who_did_it).
    by: str = "unknown"


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
    # When the shop stopped selling it; None while it is for sale.
    retired_at: datetime | None = None

    @property
    def in_stock(self) -> bool:
        """Whether at least one can be bought now."""
        return self.available > 0 and self.retired_at is None


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
    # Of `data`: the type's current one, except for a type (or schema version) this
    # version of the service does not know, passed on as stored.
    schema_version: int

    @property
    def id(self) -> str:
        """The event's id: the same in the feed and on every publish, unique across stores."""
        name = f"{self.stream_id}/{self.version}/{self.recorded_at.isoformat()}"
        return str(uuid5(EVENT_ID_NAMESPACE, name))


# Never change: consumers deduplicate by event ids, and the relay recognises its own
# messages by them. Derived from what identifies an event for ever (its stream, its
# version there and when it was stored), so events of two stores never share an id.
EVENT_ID_NAMESPACE = UUID("bb81ecd0-7a3b-4926-b58b-425eb9193be5")


@dataclass(frozen=True, slots=True)
class EventPage:
    """Events after a position, and the position to ask after next time."""

    items: tuple[StoredEventView, ...]
    next_after: int


@dataclass(frozen=True, slots=True)
class OrderFilter:
    """Which orders an export or report covers; empty means every order."""

    statuses: frozenset[OrderStatus] = frozenset()
    placed_from: datetime | None = None
    placed_to: datetime | None = None
    updated_since: datetime | None = None
    # Part of the customer's email, in any case: how a merchant finds someone's orders.
    email_contains: str | None = None
    # What a merchant types in a search box: an order number (exact), or part of the
    # customer's email or name, in any case.
    search: str | None = None
    # The customer's whole email, in any case: one customer's order history.
    customer_email: str | None = None
    # The API key that placed the orders (a storefront lists only its own).
    placed_by: str | None = None

    @property
    def searched_number(self) -> int | None:
        """The order number `search` names, if it is one (`1042` or `#1042`)."""
        digits = (self.search or "").strip().removeprefix("#")
        # Longer than 18 digits is no receipt number (and would overflow a BIGINT).
        if digits.isascii() and digits.isdigit() and len(digits) <= 18:
            return int(digits)
        return None


@dataclass(frozen=True, slots=True)
class Amounts:
    """The four amounts of a set of orders, in minor units."""

    subtotal: int = 0
    shipping: int = 0
    tax: int = 0
    total: int = 0

    def __add__(self, other: Amounts) -> Amounts:
        return Amounts(self.subtotal + other.subtotal, self.shipping + other.shipping,
                      self.tax + other.tax, self.total + other.total)


@dataclass(frozen=True, slots=True)
class StatusFigures:
    """How many orders are in one status, the money they carry and what was refunded."""

    orders: int
    money: Amounts
    # Money given back on these orders so far (the sum of their `refunded`), in minor
    # units; `money` stays what they were sold for.
    refunded: int = 0

    def __add__(self, other: StatusFigures) -> StatusFigures:
        return StatusFigures(self.orders + other.orders, self.money + other.money,
                             self.refunded + other.refunded)


@dataclass(frozen=True, slots=True)
class SalesReport:
    """Sales by status, and what they mean for the till."""

    currency: str
    placed_from: datetime | None
    placed_to: datetime | None
    by_status: dict[OrderStatus, StatusFigures]

    @property
    def collected(self) -> StatusFigures:
        """Money in: orders paid or shipped, their total net of what was refunded on them."""
        sold = self.by_status[OrderStatus.PAID] + self.by_status[OrderStatus.SHIPPED]
        # Only the total is netted: a refund is one sum, never split into subtotal,
        # shipping and tax, which therefore stay as sold.
        return replace(sold, money=replace(sold.money, total=sold.money.total - sold.refunded))

    @property
    def refunded(self) -> int:
        """Money given back on the report's orders, whatever their status now."""
        return sum(figures.refunded for figures in self.by_status.values())

    @property
    def pending(self) -> StatusFigures:
        """Money expected: orders awaiting payment."""
        return self.by_status[OrderStatus.PENDING_PAYMENT]

    @property
    def cancelled(self) -> StatusFigures:
        """Money that will not come: cancelled orders."""
        return self.by_status[OrderStatus.CANCELLED]
