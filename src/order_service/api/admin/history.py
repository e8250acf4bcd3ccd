"""An order's events told as a timeline a merchant reads."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import asdict, dataclass
from datetime import datetime
from typing import Any

from order_service.api.admin import corrections
from order_service.api.admin.amounts import in_code
from order_service.api.admin.formatting import money, reason, words
from order_service.api.admin.refunds import goods
from order_service.application.views import OrderEventView
from order_service.domain.events import DomainEvent

Data = dict[str, Any]

# Why a gateway's notification did not pay the order (domain/payments.py), for people.
NOT_APPLIED = {
    "payment_failed": "the payment failed",
    "order_cancelled": "the order was already cancelled; refund the customer",
    "already_paid": "the order was already paid; this may be a double payment to refund",
    "currency_mismatch": "the currency is not the order's",
    "amount_mismatch": "the amount is not the order's total",
    "duplicate_notification_id": "the gateway sent this notification id for another order "
    "first; a notification pays one order only",
}


@dataclass(frozen=True, slots=True)
class Entry:
    """One step of the timeline: what happened, its details, when, who did it, its tone."""

    title: str
    details: tuple[str, ...]
    at: datetime
    by: str
    tone: str = "neutral"


# What a teller makes of an event's data: a title, details (empty ones are left out), a tone.
Told = tuple[str, list[str], str]


def timeline(history: list[OrderEventView]) -> list[Entry]:
    """The order's history, oldest first, in the merchant's words."""
    return [_entry(event) for event in history]


def _entry(event: OrderEventView) -> Entry:
    tell = TELLERS.get(event.type)
    if tell is None:
        # An event type this page does not know yet still shows, by name.
        return Entry(_spaced(event.type), (), event.recorded_at, event.by)
    return _told(event.data, tell, event.recorded_at, event.by)


def foreseen(event: DomainEvent, at: datetime, by: str) -> Entry:
    """How the timeline will tell `event` once it is stored, for a confirmation page."""
    # asdict gives the stored payload's names and shapes (the codec dumps the same
    # dataclass), so the page foretells exactly what the timeline will say.
    return _told(asdict(event), TELLERS[event.TYPE], at, by)


def _told(data: Data, tell: Callable[[Data], Told], at: datetime, by: str) -> Entry:
    title, details, tone = tell(data)
    return Entry(title, tuple(detail for detail in details if detail), at, by, tone)


def _placed(data: Data) -> Told:
    items = sum(int(line["quantity"]) for line in data.get("lines", []))
    return ("Order placed", [
        f"{items} item{'s' if items != 1 else ''}, total "
        f"{money(int(data['total']), data['currency'])}",
        f"Payment: {words(data.get('payment_method', ''))}; "
        f"shipping: {data.get('shipping_method_name', '')}",
    ], "neutral")


def _notified(data: Data) -> Told:
    outcome = "succeeded" if data.get("succeeded") else "failed"
    amount = money(int(data.get("amount", 0)), str(data.get("currency", "")))
    applied = data.get("applied")
    why = NOT_APPLIED.get(str(data.get("reason")), words(str(data.get("reason") or "")))
    return (f"Payment gateway: payment {outcome}", [
        f"{amount}, notification {data.get('notification_id', '')}",
        _reference("Reference", data.get("payment_reference")),
        "It paid the order." if applied else f"Recorded only: {why}.",
    ], "good" if applied else "warning")


def _paid(data: Data) -> Told:
    return "Paid", [_reference("Payment reference", data.get("payment_reference"))], \
        "good"


def _shipped(data: Data) -> Told:
    return "Shipped", [_reference("Tracking number", data.get("tracking_number"))], \
        "good"


def _cancelled(data: Data) -> Told:
    returned = ", ".join(f"{item['sku']} × {item['quantity']}"  # noqa: RUF001
                         for item in data.get("returned_stock", []))
    return "Cancelled", [
        _reference("Reason", reason(data.get("reason"))),
        f"Stock returned: {returned}" if returned else "",
    ], "bad"


def _corrected(data: Data) -> Told:
    title, details = corrections.told(data)
    return title, details, "neutral"


def _refunded(data: Data) -> Told:
    return f"Refunded {in_code(int(data['amount']), str(data['currency']))}", [
        _reference("Reason", data.get("reason")),
        _reference("For", goods(data.get("lines", []))),
        _reference("Stock back", goods(data.get("returned_stock", []))),
    ], "warning"


def _noted(data: Data) -> Told:
    return "Note", [str(data.get("text", ""))], "neutral"


def _reference(label: str, value: object) -> str:
    return f"{label}: {value}" if value else ""


def _spaced(type_name: str) -> str:
    spaced = "".join(f" {c.lower()}" if c.isupper() else c for c in type_name).strip()
    return spaced.capitalize()


TELLERS: dict[str, Callable[[Data], Told]] = {
    "OrderPlaced": _placed,
    "PaymentNotified": _notified,
    "OrderPaid": _paid,
    "OrderShipped": _shipped,
    "OrderCancelled": _cancelled,
    "OrderDetailsCorrected": _corrected,
    "OrderRefunded": _refunded,
    "OrderNoteAdded": _noted,
}
