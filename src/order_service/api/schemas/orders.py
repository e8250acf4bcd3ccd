"""Bodies of the order routes."""

from __future__ import annotations

from datetime import datetime
from typing import Any
from uuid import UUID

from pydantic import BaseModel, ConfigDict, EmailStr, Field, JsonValue

from order_service.api.schemas.fields import (
    AddressLine,
    Code,
    Country,
    Currency,
    Name,
    Note,
    Phone,
    PostalCode,
    Quantity,
    Reason,
    Sku,
)
from order_service.api.schemas.payment_instructions import (
    PaymentInstructionsOut,
    instructions_out,
)
from order_service.application.commands import CancelOrder, PayOrder, PlaceOrder, ShipOrder
from order_service.application.views import OrderEventView, OrderView
from order_service.domain.payment_instructions import PaymentInstructions
from order_service.domain.values import Address, Customer, OrderStatus, RequestedLine

ADDRESS_EXAMPLE: dict[str, JsonValue] = {
    "name": "Ana García", "line1": "Calle Mayor 1", "line2": "3º B", "city": "Madrid",
    "region": "Madrid", "postal_code": "28013", "country": "ES",
}


class AddressBody(BaseModel):
    """A postal address."""

    model_config = ConfigDict(extra="forbid", json_schema_extra={"examples": [ADDRESS_EXAMPLE]})

    name: Name
    line1: AddressLine
    line2: AddressLine | None = None
    city: AddressLine
    region: AddressLine | None = None
    postal_code: PostalCode
    country: Country = Field(description="ISO 3166-1 alpha-2")

    def to_domain(self) -> Address:
        """The domain's address value."""
        return Address(
            name=self.name, line1=self.line1, line2=self.line2, city=self.city,
            region=self.region, postal_code=self.postal_code, country=self.country,
        )

    @classmethod
    def from_domain(cls, address: Address) -> AddressBody:
        """Map the domain's address value."""
        return cls(
            name=address.name, line1=address.line1, line2=address.line2, city=address.city,
            region=address.region, postal_code=address.postal_code, country=address.country,
        )


class CustomerBody(BaseModel):
    """Who buys, and how to reach them."""

    model_config = ConfigDict(extra="forbid")

    name: Name
    email: EmailStr
    phone: Phone | None = None


class LineIn(BaseModel):
    """A product and how many; name and price always come from the catalogue."""

    model_config = ConfigDict(extra="forbid")

    sku: Sku
    quantity: Quantity
    # Storefronts often echo what they displayed. Accepted so they need not strip it,
    # and ignored: the catalogue's name and price are the ones sold.
    name: Any = Field(default=None, description="Ignored: the catalogue's name is used")
    unit_price: Any = Field(default=None, description="Ignored: the catalogue's price is used")


class PlaceOrderIn(BaseModel):
    """An order from the storefront."""

    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={"examples": [{
            "customer": {"name": "Ana García", "email": "ana@example.com",
                         "phone": "+34 600 000 000"},
            "lines": [{"sku": "SANDAL-42", "quantity": 1}],
            "shipping_address": ADDRESS_EXAMPLE,
            "billing_address": ADDRESS_EXAMPLE,
            "payment_method": "card",
            "shipping_method": "standard",
        }]},
    )

    customer: CustomerBody
    lines: list[LineIn] = Field(min_length=1, max_length=100)
    shipping_address: AddressBody
    billing_address: AddressBody
    payment_method: Code = Field(description="One of the shop's payment methods")
    shipping_method: Code = Field(description="A shipping method's code")
    currency: Currency | None = Field(
        default=None, description="Optional; if given it must be the shop currency"
    )

    def to_command(self) -> PlaceOrder:
        """The PlaceOrder command this body asks for."""
        return PlaceOrder(
            customer=Customer(self.customer.name, str(self.customer.email), self.customer.phone),
            lines=tuple(RequestedLine(line.sku, line.quantity) for line in self.lines),
            shipping_address=self.shipping_address.to_domain(),
            billing_address=self.billing_address.to_domain(),
            payment_method=self.payment_method,
            shipping_method=self.shipping_method,
            currency=self.currency,
        )


class PayIn(BaseModel):
    """Optional details of a payment."""

    model_config = ConfigDict(extra="forbid",
                              json_schema_extra={"examples": [{"payment_reference": "TR-88213"}]})

    payment_reference: Note | None = None

    def to_command(self, order_id: UUID, version: int | None) -> PayOrder:
        """The command this body asks for, of the order `order_id` at `version` if given."""
        return PayOrder(order_id, self.payment_reference, version)


class ShipIn(BaseModel):
    """Optional details of a shipment."""

    model_config = ConfigDict(extra="forbid",
                              json_schema_extra={"examples": [{"tracking_number": "1Z999AA1"}]})

    tracking_number: Note | None = None

    def to_command(self, order_id: UUID, version: int | None) -> ShipOrder:
        """The command this body asks for, of the order `order_id` at `version` if given."""
        return ShipOrder(order_id, self.tracking_number, version)


class CancelIn(BaseModel):
    """Optional reason for a cancellation."""

    model_config = ConfigDict(extra="forbid",
                              json_schema_extra={"examples": [{"reason": "customer request"}]})

    reason: Reason | None = None

    def to_command(self, order_id: UUID, version: int | None) -> CancelOrder:
        """The command this body asks for, of the order `order_id` at `version` if given."""
        return CancelOrder(order_id, self.reason, version)


class CustomerOut(BaseModel):
    """The customer as recorded on the order."""

    name: str
    email: str
    phone: str | None


class LineOut(BaseModel):
    """A line as sold."""

    sku: str
    name: str
    quantity: int
    unit_price: int
    line_total: int


class PaymentNotificationOut(BaseModel):
    """What a payment gateway said about the order; `applied` false means the merchant
    should look (see `reason`): amount_mismatch, currency_mismatch, order_cancelled,
    already_paid (a second payment: maybe refund it), payment_failed or
    duplicate_notification_id (the gateway sent this id for another order first)."""

    notification_id: str
    succeeded: bool
    amount: int
    currency: str
    payment_reference: str | None
    applied: bool
    reason: str | None
    received_at: datetime


class StockQuantityOut(BaseModel):
    """A quantity of one product."""

    sku: str
    quantity: int


class RefundOut(BaseModel):
    """Money given back on the order: how much, why, for which goods, and when."""

    amount: int = Field(description="Integer minor units of the order's currency")
    reason: str
    lines: list[StockQuantityOut] = Field(description="The goods refunded, if named")
    returned_stock: list[StockQuantityOut] = Field(
        description="Those of `lines` put back in stock (empty unless restocked)")
    refunded_at: datetime


class OrderOut(BaseModel):
    """An order, with everything the merchant's order page shows."""

    id: UUID
    number: int = Field(description="Sequential, gap-free receipt number")
    status: OrderStatus
    currency: str
    customer: CustomerOut
    lines: list[LineOut]
    subtotal: int
    shipping: int
    tax_rate: str
    tax: int
    total: int
    shipping_address: AddressBody
    billing_address: AddressBody
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
    payment_notifications: list[PaymentNotificationOut] = Field(
        description="Every gateway notification about this order, oldest first")
    refunded: int = Field(description="Money given back so far, in minor units (the sum of "
                          "`refunds`); `total - refunded` is what the shop keeps")
    refunds: list[RefundOut] = Field(description="Every refund of this order, oldest first")
    payment_instructions: PaymentInstructionsOut | None = Field(
        description="What the customer must do to pay: for `bank_transfer` the shop's "
        "account, the amount and the reference to quote; for `cash_on_delivery` the amount "
        "to have ready; null for methods paid online (card, paypal, ...). Given whatever "
        "the status: show it while the order is `pending_payment`")

    @classmethod
    def from_view(cls, view: OrderView, instructions: PaymentInstructions | None) -> OrderOut:
        """Map the application's order view and its payment instructions."""
        return cls(
            id=view.id, number=view.number, status=view.status, currency=view.currency,
            customer=CustomerOut(name=view.customer.name, email=view.customer.email,
                                 phone=view.customer.phone),
            lines=[LineOut(sku=line.sku, name=line.name, quantity=line.quantity,
                           unit_price=line.unit_price, line_total=line.line_total)
                   for line in view.lines],
            subtotal=view.subtotal, shipping=view.shipping, tax_rate=view.tax_rate,
            tax=view.tax, total=view.total,
            shipping_address=AddressBody.from_domain(view.shipping_address),
            billing_address=AddressBody.from_domain(view.billing_address),
            payment_method=view.payment_method, shipping_method=view.shipping_method,
            shipping_method_name=view.shipping_method_name,
            placed_at=view.placed_at, paid_at=view.paid_at, shipped_at=view.shipped_at,
            cancelled_at=view.cancelled_at, updated_at=view.updated_at,
            payment_reference=view.payment_reference, tracking_number=view.tracking_number,
            cancel_reason=view.cancel_reason, version=view.version,
            payment_notifications=[
                PaymentNotificationOut(
                    notification_id=n.notification_id, succeeded=n.succeeded, amount=n.amount,
                    currency=n.currency, payment_reference=n.payment_reference,
                    applied=n.applied, reason=n.reason, received_at=n.received_at)
                for n in view.payment_notifications
            ],
            refunded=view.refunded,
            refunds=[RefundOut(
                amount=r.amount, reason=r.reason,
                lines=[StockQuantityOut(sku=q.sku, quantity=q.quantity) for q in r.lines],
                returned_stock=[StockQuantityOut(sku=q.sku, quantity=q.quantity)
                                for q in r.returned_stock],
                refunded_at=r.refunded_at) for r in view.refunds],
            payment_instructions=instructions_out(instructions),
        )


class OrderPageOut(BaseModel):
    """A page of orders, newest first."""

    items: list[OrderOut]
    next_cursor: str | None = Field(
        description="Pass as `cursor` for the next page; null on the last page"
    )


class OrderEventOut(BaseModel):
    """One event of an order's history."""

    position: int = Field(description="Global position in the event store")
    version: int = Field(description="Position within the order's own history")
    type: str
    recorded_at: datetime
    by: str = Field(description="Who did it: the API key's name, `payment gateway` or "
                    "`payment hold expiry`", examples=["back-office"])
    data: dict[str, Any]

    @classmethod
    def from_view(cls, view: OrderEventView) -> OrderEventOut:
        """Map an order event view."""
        return cls(position=view.position, version=view.version, type=view.type,
                   recorded_at=view.recorded_at, by=view.by, data=view.data)
