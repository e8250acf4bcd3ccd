"""Writing the row that a stream's first event creates."""

from __future__ import annotations

from typing import Any

from sqlalchemy import Connection, Table, insert
from sqlalchemy.exc import IntegrityError

from order_service.adapters.sql.errors import is_unique_violation
from order_service.application.errors import ConcurrencyConflict
from order_service.eventstore.store import PendingEvent


def insert_first_row(
    connection: Connection, table: Table, row: dict[str, Any], event: PendingEvent
) -> None:
    """Insert the row `event` creates; if it exists, another writer started the stream first."""
    try:
        connection.execute(insert(table), row)
    except IntegrityError as error:
        if is_unique_violation(error):
            raise ConcurrencyConflict(event.stream_id, event.version - 1) from error
        raise
