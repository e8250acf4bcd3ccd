"""Marking an order paid, shipped or cancelled from the back office.

Which buttons an order shows is asked of the order aggregate itself (the change must be
legal and must change something), so the page never restates the shop's rules.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from uuid import UUID

from pydantic import BaseModel, ValidationError

from order_service.api.admin.flash import Flash
from order_service.api.admin.formatting import status_label
from order_service.api.schemas.orders import CancelIn, PayIn, ShipIn
from order_service.application import queries
from order_service.application.commands import CancelOrder, PayOrder, ShipOrder
from order_service.application.handlers import Shop
from order_service.application.ports import CommandContext, IdempotentRequest
from order_service.application.views import OrderView, RefundView
from order_service.domain.errors import (
    IllegalTransition,
    OrderServiceError,
    StaleOrderVersion,
)
from order_service.domain.events import DomainEvent, OrderRefunded
from order_service.domain.order import Order


@dataclass(frozen=True, slots=True)
class Change:
    """What the merchant confirmed: a note, the version of the order they saw, and why."""

    note: str | None
    version: int
    context: CommandContext


Perform = Callable[[Shop, UUID, Change], OrderView]


@dataclass(frozen=True, slots=True)
class Action:
    """One change a merchant can make to an order, and how the page words it."""

    slug: str
    button: str
    done: str
    note_label: str
    note_field: str
    body: type[BaseModel]
    perform: Perform
    try_on: Callable[[Order, datetime], list[DomainEvent]]


def _pay(shop: Shop, order_id: UUID, change: Change) -> OrderView:
    return shop.pay_order(PayOrder(order_id, change.note, change.version), change.context)


def _ship(shop: Shop, order_id: UUID, change: Change) -> OrderView:
    return shop.ship_order(ShipOrder(order_id, change.note, change.version), change.context)


def _cancel(shop: Shop, order_id: UUID, change: Change) -> OrderView:
    return shop.cancel_order(CancelOrder(order_id, change.note, change.version), change.context)


ACTIONS = {action.slug: action for action in (
    Action("pay", "Mark as paid", "marked as paid", "Payment reference (optional)",
           "payment_reference", PayIn, _pay,
           lambda order, now: order.pay(payment_reference=None, now=now)),
    Action("ship", "Mark as shipped", "marked as shipped", "Tracking number (optional)",
           "tracking_number", ShipIn, _ship,
           lambda order, now: order.ship(tracking_number=None, now=now)),
    Action("cancel", "Mark as cancelled", "marked as cancelled", "Reason (optional)",
           "reason", CancelIn, _cancel,
           lambda order, now: order.cancel(reason=None, now=now)),
)}


def aggregate(order: OrderView) -> Order:
    """The order aggregate as the view shows it: what its rules need to say what it allows."""
    return Order(order_id=order.id, status=order.status, version=order.version,
                 lines=order.lines, total=order.total, currency=order.currency,
                 placed_at=order.placed_at, customer=order.customer,
                 shipping_address=order.shipping_address,
                 billing_address=order.billing_address,
                 refunds=tuple(_refunded(order, refund) for refund in order.refunds))


def _refunded(order: OrderView, refund: RefundView) -> OrderRefunded:
    return OrderRefunded(order_id=order.id, amount=refund.amount, currency=order.currency,
                         reason=refund.reason, lines=refund.lines,
                         returned_stock=refund.returned_stock, refunded_at=refund.refunded_at)


def legal_actions(order: OrderView, now: datetime) -> list[Action]:
    """The actions the order allows now and that would change it (a repeat would not)."""
    legal = []
    for action in ACTIONS.values():
        try:
            if action.try_on(aggregate(order), now):
                legal.append(action)
        except IllegalTransition:
            pass
    return legal


def checked_note(action: Action, note: str) -> str | None:
    """The optional note as the API would take it, or ValidationError."""
    text = note.strip() or None
    action.body.model_validate({action.note_field: text})
    return text


def note_problem(error: ValidationError) -> str:
    """What is wrong with a note, in a sentence."""
    first = error.errors()[0]
    return f"The note {str(first.get('msg', 'is not valid')).lower()}."


@dataclass(frozen=True, slots=True)
class Outcome:
    """How a command ended: done (the order after it) or refused (the domain's reason)."""

    done: bool
    refusal: str | None = None

    def recording(self) -> str:
        """What a repeat of the same form must be answered (see IdempotentRequest)."""
        return json.dumps({"done": self.done, "refusal": self.refusal})

    @classmethod
    def replayed(cls, recording: str) -> Outcome:
        """The outcome a recording holds."""
        data = json.loads(recording)
        return cls(bool(data["done"]), data.get("refusal"))


def idempotent(key_id: str, form_key: str, fingerprint: str) -> IdempotentRequest:
    """The same form sent twice (a double click) is carried out once, answered alike."""
    return IdempotentRequest(
        key=hashlib.sha256(f"{key_id}\nadmin\n{form_key}".encode()).hexdigest(),
        fingerprint=hashlib.sha256(fingerprint.encode()).hexdigest(),
        record_result=lambda _order: Outcome(done=True).recording(),
        record_refusal=lambda error: Outcome(False, str(error)).recording(),
    )


def refused(order: OrderView, action: Action, error: OrderServiceError | str) -> Flash:
    """The flash that says the order refused the change, in the domain's words."""
    return refusal(order, f"Order #{order.number} was not {action.done}", error)


def refusal(order: OrderView, title: str, error: OrderServiceError | str,
            opened: str = "the confirmation page") -> Flash:
    """The flash titled `title` that says why the order refused a change.

    `order` is the order as it is now. A change confirmed on an older view of it (the
    API's If-Match) is told in the page's terms rather than the API's: what changed
    since `opened` was opened.
    """
    return Flash.error(title, refusal_reason(order, error, opened))


def refusal_reason(order: OrderView, error: OrderServiceError | str,
                   opened: str = "the confirmation page") -> str:
    """Why the order refused a change, as a sentence about order #number (see refusal)."""
    if isinstance(error, StaleOrderVersion):
        error = (f"it changed since {opened} was opened and is now "
                 f"{status_label(order.status).lower()}; look at it again and repeat the "
                 f"change if you still mean it")
    reason = str(error).replace(f"order {order.id}", f"order #{order.number}")
    return reason[:1].upper() + reason[1:].rstrip(".") + "."


def done(shop: Shop, order: OrderView, action: Action) -> Flash:
    """The flash that says what changed: the new status, and for a cancel the stock back."""
    details = [f"Status: {status_label(order.status)}"]
    if action.slug == "cancel":
        details += _stock_back(shop, order)
    return Flash.success(f"Order #{order.number} {action.done}", *details)


def _stock_back(shop: Shop, order: OrderView) -> list[str]:
    history = queries.order_history(shop.storage, order.id)
    cancelled = [event for event in history if event.type == "OrderCancelled"]
    if not cancelled:
        return []
    lines = []
    for item in cancelled[-1].data.get("returned_stock", []):
        product = queries.get_product(shop.storage, item["sku"])
        lines.append(f"Stock back: {item['sku']} +{item['quantity']}, "
                     f"now {product.available} available")
    return lines
