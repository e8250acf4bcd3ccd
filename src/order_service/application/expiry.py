"""Expiring unpaid orders: cancel those past the payment hold, a batch per transaction.

Each batch takes its locks in the order every command takes them: first the stock rows
of the orders it found (as a cancel or a placement does), then the order rows, skipping
those another transaction holds, then the append lock. So the sweeper never deadlocks
with placements, cancels or payments, and two sweepers never work on the same order.
Under its row lock an order is decided again from its history, so a payment that got in
first wins and an order is expired once at most.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from uuid import uuid4

from order_service.application.actors import PAYMENT_HOLD_SWEEPER, caused_by
from order_service.application.ports import CommandContext, PendingOrder, Transaction
from order_service.domain.events import order_stream
from order_service.domain.order import Order
from order_service.domain.payment_hold import PaymentHold

# The `caused_by` of the sweeper's events starts with this.
SWEEPER = PAYMENT_HOLD_SWEEPER
# Orders per transaction: a backlog is worked through in short transactions, so stock
# rows are held for a moment at a time.
BATCH_SIZE = 100


def sweep_context(where: str) -> CommandContext:
    """Metadata for one sweep's events: a correlation id of its own, the sweeper as cause."""
    return CommandContext(correlation_id=f"sweep-{uuid4()}", caused_by=caused_by(SWEEPER, where))


@dataclass(frozen=True, slots=True)
class ExpiredBatch:
    """What one batch did, and where the next one starts (None: nothing is left)."""

    expired: int
    last_seen: PendingOrder | None


def expire_batch(tx: Transaction, hold: PaymentHold, now: datetime,
                 after: PendingOrder | None, limit: int) -> ExpiredBatch:
    """Cancel the orders past the hold among the next `limit` unpaid ones after `after`."""
    cutoff = hold.cutoff(now)
    found = tx.pending_orders.placed_before(cutoff, after, limit)
    if not found:
        return ExpiredBatch(0, None)
    tx.catalogue.lock_products({sku for order in found for sku in order.skus})
    expired = 0
    for order_id in tx.pending_orders.claim([order.order_id for order in found], cutoff):
        stream = order_stream(order_id)
        order = Order.from_history(order_id, tx.events.load(stream))
        cancelled = order.expire_pending(hold, now=now)
        tx.events.append(stream, cancelled, expected_version=order.version)
        expired += bool(cancelled)
    return ExpiredBatch(expired, found[-1])
