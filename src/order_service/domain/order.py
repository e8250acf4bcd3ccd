"""The order aggregate: an order rebuilt from its events, and the changes it allows."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, replace
from datetime import datetime
from uuid import UUID

from order_service.domain.errors import (
    IllegalTransition,
    InvalidRefund,
    NotOnOrder,
    OrderChangedMeanwhile,
    OrderNotFound,
    RefundExceedsSold,
    RefundExceedsTotal,
    StaleOrderVersion,
)
from order_service.domain.events import (
    AddressCorrection,
    CustomerCorrection,
    DomainEvent,
    OrderCancelled,
    OrderDetailsCorrected,
    OrderNoteAdded,
    OrderPaid,
    OrderPlaced,
    OrderRefunded,
    OrderShipped,
    PaymentNotified,
)
from order_service.domain.payment_hold import PAYMENT_TIMEOUT, PaymentHold
from order_service.domain.payments import PaymentNotification
from order_service.domain.values import (
    Address,
    Customer,
    OrderLine,
    OrderStatus,
    StockQuantity,
)

# The statuses in which an order's details may still be corrected: once it ships, the
# parcel has left with the address it had.
CORRECTABLE = (OrderStatus.PENDING_PAYMENT, OrderStatus.PAID)


@dataclass(frozen=True, slots=True)
class Order:
    """An order as its history says it is now, and the changes it allows."""

    order_id: UUID
    status: OrderStatus
    version: int
    lines: tuple[OrderLine, ...]
    total: int
    currency: str
    placed_at: datetime
    # Gateway notifications already taken in, by id, with what was made of each.
    notifications: tuple[PaymentNotified, ...] = ()
    # Who placed it and where it goes, as last corrected (None: not needed by the caller,
    # as when the back office only asks which status changes are legal).
    customer: Customer | None = None
    shipping_address: Address | None = None
    billing_address: Address | None = None
    refunds: tuple[OrderRefunded, ...] = ()

    @classmethod
    def from_history(cls, order_id: UUID, history: Sequence[DomainEvent]) -> Order:
        """Replay an order's events, oldest first; no events means no such order."""
        if not history or not isinstance(history[0], OrderPlaced):
            raise OrderNotFound(order_id)
        placed = history[0]
        order = cls(order_id, OrderStatus.PENDING_PAYMENT, 1, placed.lines, placed.total,
                    placed.currency, placed.placed_at, customer=placed.customer,
                    shipping_address=placed.shipping_address,
                    billing_address=placed.billing_address)
        for event in history[1:]:
            order = order._apply(event)
        return order

    def pay(self, *, payment_reference: str | None, now: datetime) -> list[DomainEvent]:
        """Record the payment; paying a paid order again changes nothing (gateways retry)."""
        match self.status:
            case OrderStatus.PENDING_PAYMENT:
                return [OrderPaid(order_id=self.order_id, payment_reference=payment_reference,
                                  paid_at=now)]
            case OrderStatus.PAID:
                return []
            case OrderStatus.SHIPPED:
                raise self._illegal("pay", "it was paid before it shipped")
            case OrderStatus.CANCELLED:
                raise self._illegal("pay", "a cancelled order cannot be paid")

    def ship(self, *, tracking_number: str | None, now: datetime) -> list[DomainEvent]:
        """Send a paid order; shipping a shipped order again changes nothing."""
        match self.status:
            case OrderStatus.PAID:
                return [OrderShipped(order_id=self.order_id, tracking_number=tracking_number,
                                     shipped_at=now)]
            case OrderStatus.SHIPPED:
                return []
            case OrderStatus.PENDING_PAYMENT:
                raise self._illegal("ship", "it must be paid before it ships")
            case OrderStatus.CANCELLED:
                raise self._illegal("ship", "a cancelled order cannot be shipped")

    def cancel(self, *, reason: str | None, now: datetime) -> list[DomainEvent]:
        """Call the order off and give its stock back; a cancelled order stays as it is."""
        match self.status:
            case OrderStatus.PENDING_PAYMENT | OrderStatus.PAID:
                returned = self._still_taken()
                return [OrderCancelled(order_id=self.order_id, reason=reason,
                                       returned_stock=returned, cancelled_at=now)]
            case OrderStatus.CANCELLED:
                return []
            case OrderStatus.SHIPPED:
                raise self._illegal("cancel", "it has already left the warehouse")

    def _still_taken(self) -> tuple[StockQuantity, ...]:
        """The stock the order holds: what it took, less what refunds put back."""
        back: dict[str, int] = {}
        for refund in self.refunds:
            for returned in refund.returned_stock:
                back[returned.sku] = back.get(returned.sku, 0) + returned.quantity
        held = (StockQuantity(line.sku, line.quantity - back.get(line.sku, 0))
                for line in self.lines)
        return tuple(quantity for quantity in held if quantity.quantity > 0)

    def expire_pending(self, hold: PaymentHold, *, now: datetime) -> list[DomainEvent]:
        """Cancel an order still unpaid after the payment hold, returning its stock.

        Any other order (paid, shipped, cancelled, or still within the hold) stays as it
        is: a payment that got in first wins, and expiring twice changes nothing.
        """
        expired = (self.status == OrderStatus.PENDING_PAYMENT
                   and hold.has_run_out(self.placed_at, now))
        return self.cancel(reason=PAYMENT_TIMEOUT, now=now) if expired else []

    def correct_details(self, *, customer: Customer | None = None,
                        shipping_address: Address | None = None,
                        billing_address: Address | None = None,
                        now: datetime) -> list[DomainEvent]:
        """Correct contact details or addresses before the order ships; what is given
        equal to what the order has already is no change, and nothing new is no event."""
        if self.status not in CORRECTABLE:
            why = ("it has left the warehouse with the address it had"
                   if self.status == OrderStatus.SHIPPED else "a cancelled order is closed")
            raise self._illegal("correct", why)
        corrected = OrderDetailsCorrected(
            order_id=self.order_id,
            customer=_corrected_customer(self.customer, customer),
            shipping_address=_corrected_address(self.shipping_address, shipping_address),
            billing_address=_corrected_address(self.billing_address, billing_address),
            corrected_at=now)
        if (corrected.customer, corrected.shipping_address,
                corrected.billing_address) == (None, None, None):
            return []
        return [corrected]

    def refund(self, *, amount: int, reason: str, lines: Sequence[StockQuantity] = (),
               restock: bool = False, now: datetime) -> list[DomainEvent]:
        """Give back some or all of a paid order's money, and the named goods to stock if
        asked; refunds together never exceed the total, nor a line what was sold."""
        if self.status not in (OrderStatus.PAID, OrderStatus.SHIPPED):
            why = ("nothing was paid to refund" if self.status == OrderStatus.PENDING_PAYMENT
                   else "a cancelled order was never paid, or its payment was returned "
                   "outside the shop")
            raise self._illegal("refund", why)
        if amount <= 0:
            raise InvalidRefund(f"a refund must be at least 1 minor unit, not {amount}")
        if restock and not lines:
            raise InvalidRefund("restock needs the lines whose goods go back to stock")
        if amount > self.refundable:
            raise RefundExceedsTotal(self.order_id, amount, self.refundable, self.currency)
        named = self._refundable_lines(lines)
        return [OrderRefunded(order_id=self.order_id, amount=amount, currency=self.currency,
                              reason=reason, lines=named,
                              returned_stock=named if restock else (), refunded_at=now)]

    @property
    def refunded(self) -> int:
        """The money refunded so far, in minor units."""
        return sum(refund.amount for refund in self.refunds)

    @property
    def refundable(self) -> int:
        """The money that may still be refunded, in minor units."""
        return self.total - self.refunded

    def _refundable_lines(self, lines: Sequence[StockQuantity]) -> tuple[StockQuantity, ...]:
        asked: dict[str, int] = {}
        for line in lines:
            if line.quantity <= 0:
                raise InvalidRefund(f"the quantity of {line.sku} to refund must be at least "
                                    f"1, not {line.quantity}")
            asked[line.sku] = asked.get(line.sku, 0) + line.quantity
        sold: dict[str, int] = {}
        for sold_line in self.lines:
            sold[sold_line.sku] = sold.get(sold_line.sku, 0) + sold_line.quantity
        unknown = [sku for sku in asked if sku not in sold]
        if unknown:
            raise NotOnOrder(self.order_id, unknown)
        for refund in self.refunds:
            for earlier in refund.lines:
                sold[earlier.sku] -= earlier.quantity
        for sku, quantity in asked.items():
            if quantity > sold[sku]:
                raise RefundExceedsSold(self.order_id, sku, quantity, sold[sku])
        return tuple(StockQuantity(sku, quantity) for sku, quantity in sorted(asked.items()))

    def add_note(self, text: str, *, now: datetime) -> OrderNoteAdded:
        """Write a note on the order for colleagues; any order, in any status, takes one."""
        return OrderNoteAdded(order_id=self.order_id, text=text, added_at=now)

    def require_version(self, expected: int | None) -> None:
        """Refuse to act on a copy of the order the caller no longer has (If-Match)."""
        if expected is not None and expected != self.version:
            raise StaleOrderVersion(self.order_id, expected, self.version)

    def require_unchanged_since(self, version: int, action: str) -> None:
        """Refuse a change first decided on an older version of this order.

        Repeating a decision on fresher history is only safe when it now changes nothing
        (a retried payment); a cancel first meant for a pending order must not quietly
        cancel the order a concurrent payment just paid.
        """
        if version != self.version:
            raise OrderChangedMeanwhile(self.order_id, self.status, action)

    def _corrected(self, event: OrderDetailsCorrected) -> Order:
        customer, shipping, billing = event.customer, event.shipping_address, \
            event.billing_address
        return replace(
            self, version=self.version + 1,
            customer=self.customer if customer is None else customer.new,
            shipping_address=self.shipping_address if shipping is None else shipping.new,
            billing_address=self.billing_address if billing is None else billing.new)

    def _illegal(self, action: str, why: str) -> IllegalTransition:
        return IllegalTransition(self.order_id, self.status, action, why)

    def take_payment_notification(
        self, notification: PaymentNotification, *, now: datetime,
        taken_for: UUID | None = None,
    ) -> list[DomainEvent]:
        """Pay the order if a gateway says it was paid in full; otherwise only record it.

        A notification seen before changes nothing (gateways retry). One that does not
        match the order (amount, currency), arrives for a cancelled or already paid
        order, or reports a failure is recorded in the history for the merchant. So is
        one whose id the shop first took for another order (`taken_for`): a gateway's
        notification id is unique across the store, so the same id for a second order is
        a replay or a forgery, never a second payment.
        """
        if self.notification(notification.notification_id) is not None:
            return []
        reason = ("duplicate_notification_id" if taken_for not in (None, self.order_id)
                  else self._why_not_applied(notification))
        recorded = notification.recorded(self.order_id, applied=reason is None, reason=reason,
                                          now=now)
        if reason is not None:
            return [recorded]
        return [recorded, OrderPaid(order_id=self.order_id,
                                    payment_reference=notification.payment_reference,
                                    paid_at=now)]

    def notification(self, notification_id: str) -> PaymentNotified | None:
        """What was made of an earlier notification with this id, if any."""
        for seen in self.notifications:
            if seen.notification_id == notification_id:
                return seen
        return None

    def _why_not_applied(self, notification: PaymentNotification) -> str | None:
        if not notification.succeeded:
            return "payment_failed"
        if self.status == OrderStatus.CANCELLED:
            return "order_cancelled"
        if self.status != OrderStatus.PENDING_PAYMENT:
            return "already_paid"  # a second payment: the merchant may have to refund it
        if notification.currency != self.currency:
            return "currency_mismatch"
        if notification.amount != self.total:
            return "amount_mismatch"
        return None

    def _apply(self, event: DomainEvent) -> Order:
        match event:
            case PaymentNotified():
                return replace(self, version=self.version + 1,
                               notifications=(*self.notifications, event))
            case OrderPaid():
                status = OrderStatus.PAID
            case OrderShipped():
                status = OrderStatus.SHIPPED
            case OrderCancelled():
                status = OrderStatus.CANCELLED
            case OrderDetailsCorrected():
                return self._corrected(event)
            case OrderRefunded():
                return replace(self, version=self.version + 1,
                               refunds=(*self.refunds, event))
            case OrderNoteAdded():
                return replace(self, version=self.version + 1)
            case _:
                raise TypeError(f"{event.TYPE} does not belong in an order's history")
        return replace(self, status=status, version=self.version + 1)



def _corrected_customer(old: Customer | None, new: Customer | None
                        ) -> CustomerCorrection | None:
    return None if new is None or old is None or new == old else CustomerCorrection(old, new)


def _corrected_address(old: Address | None, new: Address | None) -> AddressCorrection | None:
    return None if new is None or old is None or new == old else AddressCorrection(old, new)
