"""The in-memory read models, kept current from decoded events as each is stored.

`project` is the one place the memory storage turns events into read-model rows: when
the projectors become plain Python over decoded events (issue 15, point 4), they replace
this module's body and the memory storage keeps calling `project`.
"""

from __future__ import annotations

from dataclasses import replace
from datetime import datetime
from typing import Any

from order_service.adapters.memory.state import ReadModelRows, StoredEvent
from order_service.application.errors import ConcurrencyConflict
from order_service.application.views import (
    OrderView,
    PaymentNotificationView,
    ProductView,
    ShippingMethodView,
)
from order_service.domain.events import (
    OrderCancelled,
    OrderPaid,
    OrderPlaced,
    OrderShipped,
    PaymentNotified,
    ProductAdded,
    ProductRestocked,
    ShippingMethodAdded,
)
from order_service.domain.values import OrderStatus


def project(rows: ReadModelRows, stored: StoredEvent) -> None:
    """Apply one stored event to the read models.

    Raises ConcurrencyConflict where the SQL tables' constraints would refuse the row:
    stock below zero, or an order row that is not at the version before the event's.
    """
    match stored.event:
        case ProductAdded() as added:
            rows.products[added.sku] = ProductView(
                sku=added.sku, name=added.name, price=added.unit_price, currency=added.currency,
                available=added.stock, added_at=added.added_at, updated_at=added.added_at)
        case ProductRestocked() as restocked:
            _change_stock(rows, stored, {restocked.sku: restocked.quantity},
                          restocked.restocked_at)
        case ShippingMethodAdded() as method:
            rows.shipping_methods[method.code] = ShippingMethodView(
                code=method.code, name=method.name, price=method.price, currency=method.currency)
        case OrderPlaced() as placed:
            _change_stock(rows, stored, {line.sku: -line.quantity for line in placed.lines},
                          placed.placed_at)
            rows.orders[placed.order_id] = _placed_view(placed, stored)
            rows.numbers[placed.number] = placed.order_id
        case OrderPaid() as paid:
            _change_order(rows, stored, status=OrderStatus.PAID, paid_at=paid.paid_at,
                          payment_reference=paid.payment_reference, updated_at=paid.paid_at)
        case OrderShipped() as shipped:
            _change_order(rows, stored, status=OrderStatus.SHIPPED, shipped_at=shipped.shipped_at,
                          tracking_number=shipped.tracking_number, updated_at=shipped.shipped_at)
        case OrderCancelled() as cancelled:
            _change_stock(rows, stored, {s.sku: s.quantity for s in cancelled.returned_stock},
                          cancelled.cancelled_at)
            _change_order(rows, stored, status=OrderStatus.CANCELLED,
                          cancelled_at=cancelled.cancelled_at, cancel_reason=cancelled.reason,
                          updated_at=cancelled.cancelled_at)
        case PaymentNotified() as notified:
            earlier = rows.orders[notified.order_id].payment_notifications
            _change_order(rows, stored, updated_at=notified.received_at,
                          payment_notifications=(*earlier, _notification_view(notified)))


def _change_stock(rows: ReadModelRows, stored: StoredEvent, changes: dict[str, int],
                  at: datetime) -> None:
    for sku, change in sorted(changes.items()):
        product = rows.products.get(sku)
        if product is None:
            continue  # as an UPDATE of no row: the SQL read model ignores it alike
        if product.available + change < 0:
            # The stock column's CHECK (available >= 0): someone took it meanwhile.
            raise ConcurrencyConflict(stored.stream_id, stored.version - 1)
        rows.products[sku] = replace(product, available=product.available + change,
                                     updated_at=at)


def _change_order(rows: ReadModelRows, stored: StoredEvent, **changes: Any) -> None:
    order_id = getattr(stored.event, "order_id")  # noqa: B009 (every order event has one)
    current = rows.orders.get(order_id)
    if current is None or current.version != stored.version - 1:
        raise ConcurrencyConflict(stored.stream_id, stored.version - 1)
    rows.orders[order_id] = replace(current, version=stored.version, **changes)


def _placed_view(placed: OrderPlaced, stored: StoredEvent) -> OrderView:
    return OrderView(
        id=placed.order_id, number=placed.number, status=OrderStatus.PENDING_PAYMENT,
        currency=placed.currency, customer=placed.customer, lines=placed.lines,
        subtotal=placed.subtotal, shipping=placed.shipping, tax_rate=placed.tax_rate,
        tax=placed.tax, total=placed.total, shipping_address=placed.shipping_address,
        billing_address=placed.billing_address, payment_method=placed.payment_method,
        shipping_method=placed.shipping_method,
        shipping_method_name=placed.shipping_method_name, placed_at=placed.placed_at,
        paid_at=None, shipped_at=None, cancelled_at=None, updated_at=placed.placed_at,
        payment_reference=None, tracking_number=None, cancel_reason=None,
        version=stored.version, placed_by=stored.metadata.get("api_key_id"),
    )


def _notification_view(notified: PaymentNotified) -> PaymentNotificationView:
    return PaymentNotificationView(
        notification_id=notified.notification_id, succeeded=notified.succeeded,
        amount=notified.amount, currency=notified.currency,
        payment_reference=notified.payment_reference, applied=notified.applied,
        reason=notified.reason, received_at=notified.received_at)
