"""The orders read model kept in step inside the append's transaction (the store's path).

The rows come from the projector (projections/projectors.py); this only writes them.
"""

from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy import Connection, bindparam, select, update

from order_service.application.ports import ConcurrencyConflict
from order_service.application.views import OrderView
from order_service.domain.events import OrderPlaced
from order_service.eventstore.store import PendingEvent
from order_service.projections.projectors import (
    ORDER_EVENTS,
    OrderEvent,
    Recorded,
    changed_columns,
    order_columns,
    order_row,
    project_order,
)
from order_service.projections.read_models import order_view
from order_service.projections.rows import insert_first_row
from order_service.projections.tables import orders

_ORDER = select(orders).where(orders.c.id == bindparam("order_id"))


def project_orders(connection: Connection, pending: Sequence[PendingEvent]) -> None:
    """Apply order events to the orders table inside the append's transaction."""
    for event in pending:
        if not isinstance(event.event, ORDER_EVENTS):
            continue
        recorded = Recorded(event.event, event.version, event.metadata.get("api_key_id"))
        if isinstance(event.event, OrderPlaced):
            insert_first_row(connection, orders, order_row(project_order(None, recorded)),
                             event)
            continue
        before = _current(connection, event, event.event)
        after = order_row(project_order(before, recorded))
        # Guarding on the previous version detects a concurrent change before the event
        # insert does, and keeps the row from ever skipping a version.
        result = connection.execute(
            update(orders)
            .where(orders.c.id == before.id, orders.c.version == event.version - 1)
            .values(changed_columns(order_columns(before), after))
        )
        if result.rowcount != 1:
            raise ConcurrencyConflict(event.stream_id, event.version - 1)


def _current(connection: Connection, event: PendingEvent, order_event: OrderEvent
             ) -> OrderView:
    row = connection.execute(_ORDER, {"order_id": order_event.order_id}).first()
    if row is None or row.version != event.version - 1:
        raise ConcurrencyConflict(event.stream_id, event.version - 1)
    return order_view(row._mapping)
