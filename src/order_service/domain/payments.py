"""What a payment gateway tells the shop about an order's payment."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from uuid import UUID

from order_service.domain.events import PaymentNotified


@dataclass(frozen=True, slots=True)
class PaymentNotification:
    """A gateway's report: this payment of this order succeeded or failed."""

    notification_id: str
    succeeded: bool
    amount: int
    currency: str
    payment_reference: str | None

    def recorded(self, order_id: UUID, *, applied: bool, reason: str | None,
                 now: datetime) -> PaymentNotified:
        """The event that records this notification in the order's history."""
        return PaymentNotified(
            order_id=order_id, notification_id=self.notification_id, succeeded=self.succeeded,
            amount=self.amount, currency=self.currency,
            payment_reference=self.payment_reference, applied=applied, reason=reason,
            received_at=now,
        )
