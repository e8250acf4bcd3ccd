"""Bodies of the payment-gateway notification."""

from __future__ import annotations

from typing import Literal
from uuid import UUID

from pydantic import BaseModel, ConfigDict, Field

from order_service.api.schemas.fields import Currency, MinorUnits, Note
from order_service.application.commands import TakePaymentNotification
from order_service.application.views import NotificationOutcome
from order_service.domain.payments import PaymentNotification


class PaymentNotificationIn(BaseModel):
    """A gateway's report on one payment of one order."""

    model_config = ConfigDict(extra="forbid", json_schema_extra={"examples": [{
        "id": "evt_1QpX2a", "order_id": "7d3f1e1a-2b9c-4c55-9a43-2f8c1d5e8a10",
        "status": "succeeded", "amount": 6637, "currency": "EUR",
        "payment_reference": "pi_3QpX2a",
    }]})

    id: Note = Field(description="The gateway's id of this notification; retries repeat it")
    order_id: UUID
    status: Literal["succeeded", "failed"]
    amount: MinorUnits
    currency: Currency
    payment_reference: Note | None = None

    def to_command(self) -> TakePaymentNotification:
        """The command this notification asks for."""
        return TakePaymentNotification(
            order_id=self.order_id,
            notification=PaymentNotification(
                notification_id=self.id, succeeded=self.status == "succeeded",
                amount=self.amount, currency=self.currency,
                payment_reference=self.payment_reference,
            ),
        )


class NotificationOutcomeOut(BaseModel):
    """What the shop made of the notification: `applied` when it paid the order.

    The same for every retry of one notification id (the order itself may have moved
    on since; read it with GET /v1/orders/{id}).
    """

    notification_id: str
    order_id: UUID
    applied: bool
    reason: str | None = Field(description="Why it was only recorded: amount_mismatch, "
                               "currency_mismatch, order_cancelled, already_paid, "
                               "payment_failed, duplicate_notification_id (the id was "
                               "first sent for another order)")

    @classmethod
    def from_outcome(cls, outcome: NotificationOutcome) -> NotificationOutcomeOut:
        """Map a notification outcome."""
        return cls(notification_id=outcome.notification.notification_id,
                   order_id=outcome.order.id, applied=outcome.notification.applied,
                   reason=outcome.notification.reason)
