"""SqlStorage: the Storage port over one SQL database.

Wires the event store to the projections that must change with it, so that each
command's events and read-model rows commit together or not at all.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass

from sqlalchemy import Connection, Engine
from sqlalchemy.exc import DBAPIError

from order_service.application.ports import Clock, CommandContext, ConcurrencyConflict
from order_service.eventstore.engine import WRITE_OPTION, is_retryable
from order_service.eventstore.store import Projector, SqlEventStore
from order_service.projections.order_numbers import SqlOrderNumbers
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
    order_numbers: SqlOrderNumbers
    read_models: SqlReadModels


class SqlStorage:
    """Transactions and reads over one engine."""

    def __init__(self, engine: Engine, clock: Clock) -> None:
        self.engine = engine
        self._clock = clock

    @contextmanager
    def transaction(self, context: CommandContext) -> Iterator[SqlTransaction]:
        """Commit everything done with the yielded ports, or roll all of it back."""
        try:
            with self.engine.connect() as connection:
                connection.execution_options(**{WRITE_OPTION: True})
                with connection.begin():
                    yield _ports(connection, context, self._clock)
        except DBAPIError as error:
            if is_retryable(error):
                raise ConcurrencyConflict.aborted(str(error.orig)) from error
            raise

    @contextmanager
    def reading(self) -> Iterator[SqlReadModels]:
        """Read models over one short read transaction."""
        with self.engine.connect() as connection, connection.begin():
            yield SqlReadModels(connection)


def _ports(connection: Connection, context: CommandContext, clock: Clock) -> SqlTransaction:
    return SqlTransaction(
        events=SqlEventStore(connection, context, LIVE_PROJECTORS, clock),
        catalogue=SqlCatalogue(connection),
        order_numbers=SqlOrderNumbers(connection),
        read_models=SqlReadModels(connection),
    )
