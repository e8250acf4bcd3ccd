"""The events of the shop: the stored contract from which everything else is rebuilt.

Each event is a frozen dataclass with a stable short `TYPE` name and a
`SCHEMA_VERSION`. A stored type is never renamed; a changed payload gets a new schema
version and an upcaster (see `order_service.eventstore.codec`).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import ClassVar
from uuid import UUID

from order_service.domain.values import Address, Customer, OrderLine, StockQuantity


@dataclass(frozen=True, kw_only=True)
class DomainEvent:
    """Something that happened in the shop, in the past tense."""

    TYPE: ClassVar[str]
    SCHEMA_VERSION: ClassVar[int] = 1


# -- catalogue ----------------------------------------------------------------------


@dataclass(frozen=True, kw_only=True)
class ProductAdded(DomainEvent):
    """A product joined the catalogue with its price and opening stock."""

    TYPE: ClassVar[str] = "ProductAdded"

    sku: str
    name: str
    unit_price: int
    currency: str
    stock: int
    added_at: datetime


@dataclass(frozen=True, kw_only=True)
class ProductRestocked(DomainEvent):
    """Stock of a product was received and can be sold."""

    TYPE: ClassVar[str] = "ProductRestocked"

    sku: str
    quantity: int
    restocked_at: datetime


@dataclass(frozen=True, kw_only=True)
class ProductRenamed(DomainEvent):
    """A product is sold under a new name; orders already placed keep the old one."""

    TYPE: ClassVar[str] = "ProductRenamed"

    sku: str
    name: str
    renamed_at: datetime


@dataclass(frozen=True, kw_only=True)
class ProductRepriced(DomainEvent):
    """A product is sold at a new price; orders already placed keep the old one."""

    TYPE: ClassVar[str] = "ProductRepriced"

    sku: str
    unit_price: int
    currency: str
    repriced_at: datetime


@dataclass(frozen=True, kw_only=True)
class ProductRetired(DomainEvent):
    """A product is no longer sold; it stays in the catalogue for the orders that have it."""

    TYPE: ClassVar[str] = "ProductRetired"

    sku: str
    retired_at: datetime


@dataclass(frozen=True, kw_only=True)
class ShippingMethodAdded(DomainEvent):
    """The shop offers a new way to ship, at a price."""

    TYPE: ClassVar[str] = "ShippingMethodAdded"

    code: str
    name: str
    price: int
    currency: str
    added_at: datetime


# -- orders -------------------------------------------------------------------------


@dataclass(frozen=True, kw_only=True)
class OrderPlaced(DomainEvent):
    """An order was accepted and its stock taken; everything the receipt shows."""

    TYPE: ClassVar[str] = "OrderPlaced"

    order_id: UUID
    number: int
    customer: Customer
    lines: tuple[OrderLine, ...]
    shipping_address: Address
    billing_address: Address
    payment_method: str
    shipping_method: str
    shipping_method_name: str
    currency: str
    subtotal: int
    shipping: int
    tax_rate: str
    tax: int
    total: int
    placed_at: datetime


@dataclass(frozen=True, kw_only=True)
class OrderPaid(DomainEvent):
    """The money for an order arrived."""

    TYPE: ClassVar[str] = "OrderPaid"

    order_id: UUID
    payment_reference: str | None
    paid_at: datetime


@dataclass(frozen=True, kw_only=True)
class OrderShipped(DomainEvent):
    """An order left the warehouse; its stock stays taken."""

    TYPE: ClassVar[str] = "OrderShipped"

    order_id: UUID
    tracking_number: str | None
    shipped_at: datetime


@dataclass(frozen=True, kw_only=True)
class OrderCancelled(DomainEvent):
    """An order was called off and the stock it held went back on the shelf."""

    TYPE: ClassVar[str] = "OrderCancelled"

    order_id: UUID
    reason: str | None
    returned_stock: tuple[StockQuantity, ...]
    cancelled_at: datetime


@dataclass(frozen=True, kw_only=True)
class PaymentNotified(DomainEvent):
    """A payment gateway reported on an order's payment, and what the shop made of it.

    `applied` is true when the notification paid the order (an OrderPaid follows);
    otherwise `reason` says why it was only recorded, for the merchant to look into.
    """

    TYPE: ClassVar[str] = "PaymentNotified"

    order_id: UUID
    notification_id: str
    succeeded: bool
    amount: int
    currency: str
    payment_reference: str | None
    applied: bool
    reason: str | None
    received_at: datetime


@dataclass(frozen=True, slots=True)
class CustomerCorrection:
    """The customer's contact details before and after a correction."""

    old: Customer
    new: Customer


@dataclass(frozen=True, slots=True)
class AddressCorrection:
    """An address before and after a correction."""

    old: Address
    new: Address


@dataclass(frozen=True, kw_only=True)
class OrderDetailsCorrected(DomainEvent):
    """The merchant corrected an order's contact details or addresses before it shipped.

    Only the parts that changed are set, each with its old and new value; lines and
    prices never change after an order is placed.
    """

    TYPE: ClassVar[str] = "OrderDetailsCorrected"

    order_id: UUID
    customer: CustomerCorrection | None = None
    shipping_address: AddressCorrection | None = None
    billing_address: AddressCorrection | None = None
    corrected_at: datetime

    def new_details(self) -> dict[str, Customer | Address]:
        """The corrected parts by name, at their new value."""
        parts = {"customer": self.customer, "shipping_address": self.shipping_address,
                 "billing_address": self.billing_address}
        return {name: part.new for name, part in parts.items() if part is not None}


@dataclass(frozen=True, kw_only=True)
class OrderRefunded(DomainEvent):
    """Money of a paid order went back to the customer, in part or in full.

    `lines` are the goods the refund is for, if it names any; `returned_stock` those of
    them that went back on the shelf (empty unless the merchant restocked them). A full
    refund does not change the order's status.
    """

    TYPE: ClassVar[str] = "OrderRefunded"

    order_id: UUID
    amount: int
    currency: str
    reason: str
    lines: tuple[StockQuantity, ...] = ()
    returned_stock: tuple[StockQuantity, ...] = ()
    refunded_at: datetime


@dataclass(frozen=True, kw_only=True)
class OrderNoteAdded(DomainEvent):
    """The merchant wrote a note on an order, for colleagues (never shown to the buyer)."""

    TYPE: ClassVar[str] = "OrderNoteAdded"

    order_id: UUID
    text: str
    added_at: datetime


ALL_EVENT_TYPES: tuple[type[DomainEvent], ...] = (
    ProductAdded,
    ProductRestocked,
    ProductRenamed,
    ProductRepriced,
    ProductRetired,
    ShippingMethodAdded,
    OrderPlaced,
    OrderPaid,
    OrderShipped,
    OrderCancelled,
    PaymentNotified,
    OrderDetailsCorrected,
    OrderRefunded,
    OrderNoteAdded,
)


def order_stream(order_id: UUID) -> str:
    """The stream that holds one order's history."""
    return f"order-{order_id}"


def product_stream(sku: str) -> str:
    """The stream that holds one product's catalogue history."""
    return f"product-{sku}"


def shipping_method_stream(code: str) -> str:
    """The stream that holds one shipping method's history."""
    return f"shipping-method-{code}"


def known_to_this_version(event_type: str, schema_version: int) -> bool:
    """Whether this version of the service can read events of this type and schema version.

    A newer version may already store types (or schema versions) this one has never heard
    of, during a rolling upgrade: followers pass those on untouched, rebuilds refuse them.
    """
    return any(event_type == cls.TYPE and schema_version <= cls.SCHEMA_VERSION
               for cls in ALL_EVENT_TYPES)
