"""Orders awaiting payment, for the payment-hold sweeper: found by age, held by row."""

from __future__ import annotations

from collections.abc import Collection
from datetime import datetime
from uuid import UUID

from sqlalchemy import Connection, and_, or_, select

from order_service.application.ports import PendingOrder
from order_service.domain.values import OrderStatus
from order_service.projections.tables import orders

_PENDING = OrderStatus.PENDING_PAYMENT.value


class SqlPendingOrders:
    """The PendingOrders port over one open transaction."""

    def __init__(self, connection: Connection) -> None:
        self._connection = connection

    def placed_before(self, cutoff: datetime, after: PendingOrder | None, limit: int
                      ) -> list[PendingOrder]:
        """Up to `limit` orders awaiting payment placed before `cutoff`, oldest first."""
        # Walks ix_orders_status_placed_at from the oldest; keyed on (placed_at, id) so a
        # batch whose orders were all skipped does not come back as the next batch.
        query = (
            select(orders.c.id, orders.c.placed_at, orders.c.lines)
            .where(orders.c.status == _PENDING, orders.c.placed_at < cutoff)
            .order_by(orders.c.placed_at, orders.c.id)
            .limit(limit)
        )
        if after is not None:
            query = query.where(or_(
                orders.c.placed_at > after.placed_at,
                and_(orders.c.placed_at == after.placed_at, orders.c.id > after.order_id),
            ))
        return [
            PendingOrder(row.id, row.placed_at, tuple(line["sku"] for line in row.lines))
            for row in self._connection.execute(query)
        ]

    def claim(self, order_ids: Collection[UUID], cutoff: datetime) -> list[UUID]:
        """The orders still awaiting payment, row-locked; rows locked elsewhere are skipped."""
        # SKIP LOCKED: an order a payment (or another sweeper) is changing right now is
        # left to it instead of waited for; if it is still unpaid, a later sweep comes
        # back to it. SQLite ignores the clause: its writers already run one at a time.
        query = (
            select(orders.c.id)
            .where(orders.c.id.in_(list(order_ids)), orders.c.status == _PENDING,
                   orders.c.placed_at < cutoff)
            .order_by(orders.c.placed_at, orders.c.id)
            .with_for_update(skip_locked=True)
        )
        return list(self._connection.scalars(query))
