"""Bodies of the changes made to an order after it was placed: corrections, refunds and
notes."""

from __future__ import annotations

from datetime import datetime
from uuid import UUID

from pydantic import BaseModel, ConfigDict, Field, model_validator

from order_service.api.schemas.fields import MinorUnits, NoteText, Quantity, Reason, Sku
from order_service.api.schemas.orders import ADDRESS_EXAMPLE, AddressBody, CustomerBody
from order_service.application.commands import (
    AddOrderNote,
    CorrectOrderDetails,
    RefundOrder,
)
from order_service.application.views import NoteView
from order_service.domain.values import Customer, StockQuantity


class CorrectionIn(BaseModel):
    """The parts of an order to correct; each part sent replaces that part whole."""

    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={"examples": [{"shipping_address": ADDRESS_EXAMPLE}]},
    )

    customer: CustomerBody | None = Field(
        default=None, description="The customer's contact details: name, email, phone")
    shipping_address: AddressBody | None = None
    billing_address: AddressBody | None = None

    @model_validator(mode="after")
    def _something_to_correct(self) -> CorrectionIn:
        if self.customer is None and self.shipping_address is None \
                and self.billing_address is None:
            raise ValueError("send at least one of customer, shipping_address, "
                             "billing_address")
        return self

    def to_command(self, order_id: UUID, version: int | None) -> CorrectOrderDetails:
        """The command this body asks for, of the order `order_id` at `version` (None:
        whatever version it is at)."""
        customer = self.customer
        return CorrectOrderDetails(
            order_id, version,
            customer=None if customer is None else Customer(
                customer.name, str(customer.email), customer.phone),
            shipping_address=None if self.shipping_address is None
            else self.shipping_address.to_domain(),
            billing_address=None if self.billing_address is None
            else self.billing_address.to_domain(),
        )


class RefundLineIn(BaseModel):
    """How many of one product of the order the refund is for."""

    model_config = ConfigDict(extra="forbid")

    sku: Sku
    quantity: Quantity


class RefundIn(BaseModel):
    """Money to give back on a paid or shipped order, and the goods it is for."""

    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={"examples": [{
            "amount": 1250, "reason": "Straw hat arrived crushed",
            "lines": [{"sku": "HAT-STRAW", "quantity": 1}], "restock": True}]},
    )

    amount: MinorUnits = Field(description="Integer minor units of the order's currency; "
                               "refunds of an order add up to at most its total")
    reason: Reason
    lines: list[RefundLineIn] = Field(
        default_factory=list, max_length=100,
        description="The goods refunded, if the refund is for some (at most what the order "
        "sold of each, across all its refunds)")
    restock: bool = Field(default=False,
                          description="Put the goods of `lines` back in stock")

    def to_command(self, order_id: UUID, version: int | None) -> RefundOrder:
        """The command this body asks for, of the order `order_id` at `version` if given."""
        return RefundOrder(order_id, self.amount, self.reason,
                           tuple(StockQuantity(line.sku, line.quantity) for line in self.lines),
                           self.restock, version)


class NoteIn(BaseModel):
    """A note on an order, for colleagues (the buyer never sees it)."""

    model_config = ConfigDict(extra="forbid", json_schema_extra={"examples": [
        {"text": "Customer called: leave the parcel with the neighbour"}]})

    text: NoteText

    def to_command(self, order_id: UUID) -> AddOrderNote:
        """The command this body asks for, of the order `order_id`."""
        return AddOrderNote(order_id, self.text)


class NoteOut(BaseModel):
    """A note written on an order."""

    order_id: UUID
    text: str
    added_at: datetime
    version: int = Field(description="The order's version after the note (its new ETag)")

    @classmethod
    def from_view(cls, view: NoteView) -> NoteOut:
        """Map the application's note view."""
        return cls(order_id=view.order_id, text=view.text, added_at=view.added_at,
                   version=view.version)
