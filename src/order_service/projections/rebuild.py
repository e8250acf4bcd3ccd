"""Rebuild every read model from the event store, then swap the result in.

The replay runs into temporary twin tables while the service keeps serving. Only the
final step (replaying what arrived meanwhile and copying the twins over the live tables)
holds the write locks, so commands wait seconds at most, and readers never wait.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any
from uuid import UUID

from sqlalchemy import Connection, Engine, MetaData, Table, bindparam, func, insert, select, text
from sqlalchemy import delete as sql_delete
from sqlalchemy import update as sql_update

from order_service.eventstore.codec import upcast
from order_service.eventstore.engine import WRITE_OPTION
from order_service.eventstore.store import APPEND_LOCK_KEY
from order_service.eventstore.tables import events
from order_service.projections import tables
from order_service.projections.orders import (
    NOTIFIED,
    TRANSITIONS,
    notified_values,
    placed_row,
    transition_values,
)
from order_service.projections.products import (
    OCCURRED_AT,
    product_row,
    shipping_method_row,
    stock_changes,
)

BATCH_SIZE = 5_000
Progress = Callable[[int], None]


@dataclass
class _Replay:
    """Read models being rebuilt: catalogue in memory, orders streamed to a twin table."""

    orders: Table
    products: dict[str, dict[str, Any]] = field(default_factory=dict)
    shipping_methods: dict[str, dict[str, Any]] = field(default_factory=dict)
    last_number: int = 0
    events_applied: int = 0

    def apply_batch(self, connection: Connection, rows: list[Any]) -> None:
        new_orders: dict[UUID, dict[str, Any]] = {}
        changed: dict[UUID, dict[str, Any]] = {}
        for row in rows:
            data = upcast(row.type, row.schema_version, row.data)
            self._apply_catalogue(row.type, data)
            if row.type == "OrderPlaced":
                placed = placed_row(data, row.metadata)
                new_orders[placed["id"]] = placed
                self.last_number = max(self.last_number, placed["number"])
            elif row.type in TRANSITIONS:
                order_id = UUID(data["order_id"])
                target = new_orders.get(order_id) or changed.setdefault(order_id, {})
                target.update(transition_values(row.type, data, row.version))
            elif row.type == NOTIFIED:
                order_id = UUID(data["order_id"])
                target = new_orders.get(order_id) or changed.setdefault(order_id, {})
                earlier = target.get("payment_notifications")
                if earlier is None:
                    earlier = self._notifications_of(connection, order_id)
                target.update(notified_values(data, row.version, earlier))
        if new_orders:
            connection.execute(insert(self.orders), list(new_orders.values()))
        _update_orders(connection, self.orders, changed)
        self.events_applied += len(rows)

    def _notifications_of(self, connection: Connection, order_id: UUID) -> list[Any]:
        # Rare enough (a notification for an order placed in an earlier batch) to look
        # up one at a time.
        notifications = connection.execute(
            select(self.orders.c.payment_notifications).where(self.orders.c.id == order_id)
        ).scalar_one_or_none()
        return list(notifications or [])

    def _apply_catalogue(self, event_type: str, data: dict[str, Any]) -> None:
        if event_type == "ProductAdded":
            self.products[data["sku"]] = product_row(data)
        elif event_type == "ShippingMethodAdded":
            self.shipping_methods[data["code"]] = shipping_method_row(data)
        for sku, change in stock_changes(event_type, data):
            product = self.products[sku]
            product["available"] += change
            product["updated_at"] = _occurred_at(event_type, data)


def _occurred_at(event_type: str, data: dict[str, Any]) -> datetime:
    return datetime.fromisoformat(data[OCCURRED_AT[event_type]])


def _update_orders(connection: Connection, orders: Table, changed: dict[UUID, dict[str, Any]]
                   ) -> None:
    # executemany needs one statement per set of columns; group the changes by shape.
    by_shape: dict[tuple[str, ...], list[dict[str, Any]]] = {}
    for order_id, values in changed.items():
        shape = tuple(sorted(values))
        by_shape.setdefault(shape, []).append({"b_id": order_id, **{f"b_{k}": values[k]
                                                                     for k in shape}})
    for shape, params in by_shape.items():
        statement = (
            sql_update(orders)
            .where(orders.c.id == bindparam("b_id"))
            .values({column: bindparam(f"b_{column}") for column in shape})
        )
        connection.execute(statement, params)


def _event_batches(connection: Connection, after: int, upto: int | None) -> Iterator[list[Any]]:
    while True:
        query = (
            select(events.c.position, events.c.version, events.c.type, events.c.schema_version,
                   events.c.data, events.c.metadata)
            .where(events.c.position > after)
            .order_by(events.c.position)
            .limit(BATCH_SIZE)
        )
        if upto is not None:
            query = query.where(events.c.position <= upto)
        rows = list(connection.execute(query))
        if not rows:
            return
        yield rows
        after = rows[-1].position


@dataclass(frozen=True, slots=True)
class RebuildReport:
    """What a rebuild did."""

    events: int
    orders: int
    products: int


def count_events(engine: Engine) -> int:
    """How many events the store holds (for progress bars)."""
    with engine.connect() as connection:
        return int(connection.execute(select(func.count()).select_from(events)).scalar_one())


def rebuild_projections(engine: Engine, progress: Progress | None = None) -> RebuildReport:
    """Replay every event into fresh read models and swap them in atomically."""
    twins = MetaData()
    twin_orders = tables.define_orders(twins, "rebuild_orders", temporary=True)
    with engine.connect() as connection:
        with connection.begin():
            twins.create_all(connection)
        replay = _Replay(orders=twin_orders)
        high = _replay_into(connection, replay, after=0, upto=None, progress=progress,
                            final=False)
        connection.execution_options(**{WRITE_OPTION: True})
        with connection.begin():
            _lock_read_models(connection)
            _replay_into(connection, replay, after=high, upto=None, progress=progress,
                         final=True)
            _swap_in(connection, replay)
        with connection.begin():
            twins.drop_all(connection)
    return RebuildReport(events=replay.events_applied, orders=replay.last_number,
                         products=len(replay.products))


def _replay_into(connection: Connection, replay: _Replay, *, after: int, upto: int | None,
                 progress: Progress | None, final: bool) -> int:
    """Apply events after `after`; each batch commits unless inside the final transaction."""
    last = after
    batches = _event_batches(connection, after, upto)
    while True:
        if final:
            rows = next(batches, None)
        else:
            with connection.begin():
                rows = next(batches, None)
                if rows:
                    replay.apply_batch(connection, rows)
        if not rows:
            return last
        if final:
            replay.apply_batch(connection, rows)
        last = rows[-1].position
        if progress is not None:
            progress(len(rows))


def _lock_read_models(connection: Connection) -> None:
    # Same order as commands take them (stock rows, numbers, orders, then the append
    # lock), so the rebuild queues behind in-flight commands instead of deadlocking.
    if connection.dialect.name == "postgresql":
        connection.execute(text(
            "LOCK TABLE products, shipping_methods, order_numbers, orders IN EXCLUSIVE MODE"
        ))
        connection.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": APPEND_LOCK_KEY})


def _swap_in(connection: Connection, replay: _Replay) -> None:
    for table in (tables.orders, tables.products, tables.shipping_methods):
        connection.execute(sql_delete(table))
    columns = [column.name for column in tables.orders.columns]
    connection.execute(
        insert(tables.orders).from_select(
            columns, select(*[replay.orders.c[name] for name in columns])
        )
    )
    if replay.products:
        connection.execute(insert(tables.products), list(replay.products.values()))
    if replay.shipping_methods:
        connection.execute(insert(tables.shipping_methods),
                           list(replay.shipping_methods.values()))
    connection.execute(
        sql_update(tables.order_numbers).where(tables.order_numbers.c.id == 1)
        .values(last_number=replay.last_number)
    )
