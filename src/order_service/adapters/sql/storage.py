"""SqlStorage: the Storage port over one SQL database.

Wires the event store to the projections that must change with it, so that each
command's events, read-model rows and idempotency key commit together or not at all.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import timedelta

from sqlalchemy import Connection, Engine

from order_service.adapters.sql.engine import WRITE_OPTION, statement_at_a_time
from order_service.adapters.sql.errors import translated_failures
from order_service.adapters.sql.idempotency import SqlIdempotencyKeys
from order_service.adapters.sql.notification_ids import SqlNotificationIds
from order_service.adapters.sql.pending_orders import SqlPendingOrders
from order_service.adapters.sql.two_step import SqlTwoStepCommands
from order_service.application.ports import Clock, CommandContext
from order_service.eventstore.store import Projector, SqlEventStore
from order_service.projections.orders import project_orders
from order_service.projections.products import (
    SqlCatalogue,
    project_products,
    project_shipping_methods,
)
from order_service.projections.read_models import SqlReadModels

LIVE_PROJECTORS: tuple[Projector, ...] = (
    project_products,
    project_shipping_methods,
    project_orders,
)


@dataclass(frozen=True)
class SqlTransaction:
    """The ports of one open transaction."""

    events: SqlEventStore
    catalogue: SqlCatalogue
    read_models: SqlReadModels
    idempotency_keys: SqlIdempotencyKeys
    pending_orders: SqlPendingOrders
    notification_ids: SqlNotificationIds


class SqlStorage:
    """Transactions and reads over one engine."""

    def __init__(
        self,
        engine: Engine,
        clock: Clock,
        *,
        idempotency_ttl: timedelta = timedelta(hours=24),
    ) -> None:
        self.engine = engine
        self._clock = clock
        self._idempotency_ttl = idempotency_ttl
        two_step = SqlTwoStepCommands(engine, clock, idempotency_ttl)
        # The hot commands (place, pay, ship, cancel) read once and write once.
        self.read_for_placement = two_step.read_for_placement
        self.read_order = two_step.read_order
        self.write = two_step.write

    @contextmanager
    def transaction(self, context: CommandContext) -> Iterator[SqlTransaction]:
        """Commit everything done with the yielded ports, or roll all of it back."""
        with translated_failures(), self.engine.connect() as connection:
            connection.execution_options(**{WRITE_OPTION: True})
            with connection.begin():
                ports = self._ports(connection, context)
                yield ports
                ports.events.flush()

    @contextmanager
    def reading(self) -> Iterator[SqlReadModels]:
        """Read models for reads of one statement each (the hot path: no BEGIN/COMMIT)."""
        with translated_failures(), self.engine.connect() as connection:
            yield SqlReadModels(statement_at_a_time(connection))

    @contextmanager
    def streaming(self) -> Iterator[SqlReadModels]:
        """Read models over one read transaction, for results streamed from a cursor."""
        with translated_failures(), self.engine.connect() as connection, connection.begin():
            yield SqlReadModels(connection)

    def _ports(self, connection: Connection, context: CommandContext) -> SqlTransaction:
        return SqlTransaction(
            events=SqlEventStore(connection, context, LIVE_PROJECTORS, self._clock),
            catalogue=SqlCatalogue(connection),
            read_models=SqlReadModels(connection),
            idempotency_keys=SqlIdempotencyKeys(connection, self._clock, self._idempotency_ttl),
            pending_orders=SqlPendingOrders(connection),
            notification_ids=SqlNotificationIds(connection, self._clock),
        )
