"""Each read model defined once: the rows it holds, folded from decoded domain events.

Plain Python, no SQL: the live paths (the two-step write, the transaction's projectors),
the rebuild and any other storage all run these functions and only differ in how they
write the rows out. An event reaches them decoded and upcast, so a new schema version
of an event changes its upcaster, never a read model.

An order's row keeps its JSON document, the body GET /v1/orders/{id} and the export
send, minus `payment_instructions`: those come from the current bank settings and are
added as the document is read (see projections/read_models.py).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace
from datetime import UTC, datetime
from typing import Any, NamedTuple

from pydantic_core import to_json

from order_service.application.views import OrderView, PaymentNotificationView
from order_service.domain.events import (
    DomainEvent,
    OrderCancelled,
    OrderPaid,
    OrderPlaced,
    OrderShipped,
    PaymentNotified,
    ProductAdded,
    ProductRestocked,
    ShippingMethodAdded,
)
from order_service.domain.values import Address, OrderLine, OrderStatus

Row = dict[str, Any]

# The events of an order's stream, each naming the order it belongs to.
ORDER_EVENTS = (OrderPlaced, OrderPaid, OrderShipped, OrderCancelled, PaymentNotified)
OrderEvent = OrderPlaced | OrderPaid | OrderShipped | OrderCancelled | PaymentNotified

# Columns of an orders row that never change after the order is placed.
PLACED_ONLY = frozenset({"id", "number", "placed_by"})
_NOT_COMPARED = PLACED_ONLY | {"document"}


class Recorded(NamedTuple):
    """A decoded event as its stream holds it: its version and the API key that sent it."""

    event: DomainEvent
    version: int
    api_key_id: str | None = None


# -- orders ---------------------------------------------------------------------------


def project_order(order: OrderView | None, recorded: Recorded) -> OrderView:
    """The order after `recorded`; `order` is None until its OrderPlaced."""
    event = recorded.event
    if isinstance(event, OrderPlaced):
        return OrderView(**_placed(event, recorded.api_key_id))
    if order is None:
        raise ValueError(f"{event.TYPE} at version {recorded.version} comes before its "
                         "OrderPlaced")
    return replace(order, **_changes(order.payment_notifications, recorded))


def project_stream(stream: Sequence[Recorded]) -> OrderView:
    """The order after its whole stream, oldest first: `project_order` over every event,
    with one view built at the end instead of one per event (the rebuild's path)."""
    first = stream[0]
    if not isinstance(first.event, OrderPlaced):
        raise ValueError(f"{first.event.TYPE} at version {first.version} comes before its "
                         "OrderPlaced")
    fields = _placed(first.event, first.api_key_id)
    for recorded in stream[1:]:
        fields.update(_changes(fields["payment_notifications"], recorded))
    return OrderView(**fields)


def _placed(event: OrderPlaced, placed_by: str | None) -> dict[str, Any]:
    return {
        "id": event.order_id, "number": event.number, "status": OrderStatus.PENDING_PAYMENT,
        "currency": event.currency, "customer": event.customer, "lines": event.lines,
        "subtotal": event.subtotal, "shipping": event.shipping, "tax_rate": event.tax_rate,
        "tax": event.tax, "total": event.total, "shipping_address": event.shipping_address,
        "billing_address": event.billing_address, "payment_method": event.payment_method,
        "shipping_method": event.shipping_method,
        "shipping_method_name": event.shipping_method_name, "placed_at": event.placed_at,
        "paid_at": None, "shipped_at": None, "cancelled_at": None,
        "updated_at": event.placed_at, "payment_reference": None, "tracking_number": None,
        "cancel_reason": None, "version": 1, "placed_by": placed_by,
        "payment_notifications": ()}


def _changes(notifications: tuple[PaymentNotificationView, ...], recorded: Recorded
             ) -> dict[str, Any]:
    """The fields of an order that `recorded` (not an OrderPlaced) changes."""
    event, version = recorded.event, recorded.version
    match event:
        case OrderPaid(paid_at=at):
            return {"status": OrderStatus.PAID, "paid_at": at, "updated_at": at,
                    "payment_reference": event.payment_reference, "version": version}
        case OrderShipped(shipped_at=at):
            return {"status": OrderStatus.SHIPPED, "shipped_at": at, "updated_at": at,
                    "tracking_number": event.tracking_number, "version": version}
        case OrderCancelled(cancelled_at=at):
            return {"status": OrderStatus.CANCELLED, "cancelled_at": at, "updated_at": at,
                    "cancel_reason": event.reason, "version": version}
        case PaymentNotified():
            return {"updated_at": event.received_at, "version": version,
                    "payment_notifications": (*notifications, _notification(event))}
    raise ValueError(f"{event.TYPE} does not change an order")


def _notification(event: PaymentNotified) -> PaymentNotificationView:
    return PaymentNotificationView(
        notification_id=event.notification_id, succeeded=event.succeeded,
        amount=event.amount, currency=event.currency,
        payment_reference=event.payment_reference, applied=event.applied,
        reason=event.reason, received_at=event.received_at)


def order_row(order: OrderView) -> Row:
    """The orders table row of `order`, its stored JSON document (`document`) included."""
    row = order_columns(order)
    row["document"] = order_document(row)
    return row


def order_columns(order: OrderView) -> Row:
    """The orders row of `order` but its document; the JSON columns as Python values."""
    customer = order.customer
    return {
        "id": order.id, "number": order.number, "status": order.status.value,
        "currency": order.currency, "customer_name": customer.name,
        "customer_email": customer.email, "customer_phone": customer.phone,
        "lines": [_line(line) for line in order.lines],
        "shipping_address": _address(order.shipping_address),
        "billing_address": _address(order.billing_address),
        "payment_method": order.payment_method, "shipping_method": order.shipping_method,
        "shipping_method_name": order.shipping_method_name, "subtotal": order.subtotal,
        "shipping": order.shipping, "tax_rate": order.tax_rate, "tax": order.tax,
        "total": order.total, "placed_at": order.placed_at, "paid_at": order.paid_at,
        "shipped_at": order.shipped_at, "cancelled_at": order.cancelled_at,
        "updated_at": order.updated_at, "payment_reference": order.payment_reference,
        "tracking_number": order.tracking_number, "cancel_reason": order.cancel_reason,
        "version": order.version, "placed_by": order.placed_by,
        "payment_notifications": [_notification_entry(entry)
                                  for entry in order.payment_notifications],
    }


def order_document(columns: Row) -> str:
    """The stored document of the order whose row (but document) is `columns`.

    Compact UTF-8 JSON, encoded once; the API's body is this text with the payment
    instructions added. pydantic's encoder writes what json.dumps(ensure_ascii=False,
    separators=(",", ":")) does, several times faster.
    """
    return to_json({
        "id": str(columns["id"]), "number": columns["number"], "status": columns["status"],
        "currency": columns["currency"],
        "customer": {"name": columns["customer_name"], "email": columns["customer_email"],
                     "phone": columns["customer_phone"]},
        "lines": columns["lines"], "subtotal": columns["subtotal"],
        "shipping": columns["shipping"], "tax_rate": columns["tax_rate"],
        "tax": columns["tax"], "total": columns["total"],
        "shipping_address": columns["shipping_address"],
        "billing_address": columns["billing_address"],
        "payment_method": columns["payment_method"],
        "shipping_method": columns["shipping_method"],
        "shipping_method_name": columns["shipping_method_name"],
        "placed_at": iso(columns["placed_at"]), "paid_at": iso(columns["paid_at"]),
        "shipped_at": iso(columns["shipped_at"]),
        "cancelled_at": iso(columns["cancelled_at"]),
        "updated_at": iso(columns["updated_at"]),
        "payment_reference": columns["payment_reference"],
        "tracking_number": columns["tracking_number"],
        "cancel_reason": columns["cancel_reason"], "version": columns["version"],
        "payment_notifications": columns["payment_notifications"],
    }).decode()


def changed_columns(before: Row, after: Row) -> Row:
    """What an UPDATE must set: the columns of `after` (a whole row) that differ from
    `before` (the `order_columns` of the order before), and always the document, since
    every change moves the version. The old document is never encoded just to compare."""
    changes = {name: value for name, value in after.items()
               if name not in _NOT_COMPARED and before[name] != value}
    changes["document"] = after["document"]
    return changes


def iso(moment: datetime | None) -> str | None:
    """A timestamp as the API and the stored payloads write it: ISO 8601, UTC, `Z`."""
    if moment is None:
        return None
    return moment.astimezone(UTC).isoformat().replace("+00:00", "Z")


def _line(line: OrderLine) -> dict[str, Any]:
    return {"sku": line.sku, "name": line.name, "quantity": line.quantity,
            "unit_price": line.unit_price, "line_total": line.line_total}


def _address(address: Address) -> dict[str, Any]:
    return {"name": address.name, "line1": address.line1, "city": address.city,
            "postal_code": address.postal_code, "country": address.country,
            "line2": address.line2, "region": address.region}


def _notification_entry(entry: PaymentNotificationView) -> dict[str, Any]:
    return {"notification_id": entry.notification_id, "succeeded": entry.succeeded,
            "amount": entry.amount, "currency": entry.currency,
            "payment_reference": entry.payment_reference, "applied": entry.applied,
            "reason": entry.reason, "received_at": iso(entry.received_at)}


# -- catalogue --------------------------------------------------------------------------


def product_row(event: ProductAdded) -> Row:
    """The products row a ProductAdded event creates."""
    return {"sku": event.sku, "name": event.name, "price": event.unit_price,
            "currency": event.currency, "available": event.stock,
            "added_at": event.added_at, "updated_at": event.added_at}


def shipping_method_row(event: ShippingMethodAdded) -> Row:
    """The shipping_methods row a ShippingMethodAdded event creates."""
    return {"code": event.code, "name": event.name, "price": event.price,
            "currency": event.currency, "added_at": event.added_at}


class StockChange(NamedTuple):
    """A change in one product's available stock, and when it happened."""

    sku: str
    change: int
    at: datetime


def stock_changes(event: DomainEvent) -> list[StockChange]:
    """Every change an event makes to available stock, by SKU.

    SKU order is the order placements lock stock rows in; updating rows in any other
    order could deadlock a cancel against a placement of the same products.
    """
    match event:
        case ProductRestocked(sku=sku, quantity=quantity, restocked_at=at):
            return [StockChange(sku, quantity, at)]
        case OrderPlaced(lines=lines, placed_at=at):
            changes = [StockChange(line.sku, -line.quantity, at) for line in lines]
            if len(changes) > 1:
                changes.sort(key=_by_sku)
            return changes
        case OrderCancelled(returned_stock=returned, cancelled_at=at):
            return sorted((StockChange(line.sku, line.quantity, at) for line in returned),
                          key=_by_sku)
    return []


def _by_sku(change: StockChange) -> str:
    return change.sku
