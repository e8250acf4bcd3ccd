"""Append to and read from the events table inside a caller's transaction."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import Connection, bindparam, insert, select, text
from sqlalchemy.exc import IntegrityError

from order_service.adapters.sql.errors import is_unique_violation
from order_service.application.errors import ConcurrencyConflict
from order_service.application.ports import Clock, CommandContext
from order_service.domain.events import DomainEvent
from order_service.eventstore.codec import JsonObject, decode, encode
from order_service.eventstore.tables import events

# Any constant works; it only has to be the same in every process that appends.
APPEND_LOCK_KEY = 0x6F726465  # "orde"


@dataclass(frozen=True, slots=True)
class PendingEvent:
    """An event about to be stored: the domain event the projectors read, and the
    stored (JSON) form the insert writes."""

    event: DomainEvent
    stream_id: str
    version: int
    type: str
    schema_version: int
    data: JsonObject
    metadata: JsonObject
    recorded_at: datetime


Projector = Callable[[Connection, Sequence[PendingEvent]], None]

# Every command sends these: built once, only the bound values change.
_LOAD_STREAM = (
    select(events.c.type, events.c.schema_version, events.c.data)
    .where(events.c.stream_id == bindparam("stream"))
    .order_by(events.c.version)
)
_INSERT_EVENTS = insert(events)


class SqlEventStore:
    """The EventStore port over one open transaction.

    Projectors run in the same transaction as the insert, so a read model never shows
    an event that is not stored, nor misses one that is.
    """

    def __init__(
        self,
        connection: Connection,
        context: CommandContext,
        projectors: Sequence[Projector],
        clock: Clock,
    ) -> None:
        self._connection = connection
        self._context = context
        self._projectors = projectors
        self._clock = clock
        self._deferred: list[tuple[str, int, list[PendingEvent]]] = []

    def load(self, stream_id: str) -> list[DomainEvent]:
        """All events of a stream, oldest first."""
        rows = self._connection.execute(_LOAD_STREAM, {"stream": stream_id})
        return [decode(row.type, row.schema_version, row.data) for row in rows]

    def append(
        self, stream_id: str, new_events: Sequence[DomainEvent], *, expected_version: int
    ) -> None:
        """Store `new_events` after `expected_version` at the next flush (which raises
        ConcurrencyConflict if the stream moved on meanwhile)."""
        if not new_events:
            return
        recorded_at = self._clock()
        metadata: dict[str, Any] = {
            "correlation_id": self._context.correlation_id,
            "caused_by": self._context.caused_by,
        }
        if self._context.api_key_id is not None:
            metadata["api_key_id"] = self._context.api_key_id
        pending = [
            PendingEvent(
                event=event,
                stream_id=stream_id,
                version=expected_version + offset,
                type=event.TYPE,
                schema_version=event.SCHEMA_VERSION,
                data=encode(event),
                metadata=metadata,
                recorded_at=recorded_at,
            )
            for offset, event in enumerate(new_events, start=1)
        ]
        for project in self._projectors:
            project(self._connection, pending)
        self._deferred.append((stream_id, expected_version, pending))

    def flush(self) -> None:
        """Insert the events appended so far; the caller commits right after.

        Inserts wait for this, the unit of work's last statement before COMMIT:
        the append lock below is then held for one INSERT and the COMMIT, not for the
        rest of the command (reading the result back, remembering the idempotent answer).
        """
        if not self._deferred:
            return
        self._serialise_appends()
        while self._deferred:
            stream_id, expected_version, pending = self._deferred.pop(0)
            try:
                self._connection.execute(_INSERT_EVENTS, [_row(event) for event in pending])
            except IntegrityError as error:
                if is_unique_violation(error):
                    raise ConcurrencyConflict(stream_id, expected_version) from error
                raise

    def _serialise_appends(self) -> None:
        # On PostgreSQL a sequence hands out positions at INSERT but rows become visible
        # at COMMIT, so a reader following positions could skip a slow transaction's
        # event. Holding this lock from insert to commit makes positions commit in order.
        # It is taken last, after every row lock, so it is held only for the insert and
        # the commit. SQLite already allows a single writer at a time.
        if self._connection.dialect.name == "postgresql":
            self._connection.execute(
                text("SELECT pg_advisory_xact_lock(:key)"), {"key": APPEND_LOCK_KEY}
            )


def _row(event: PendingEvent) -> dict[str, Any]:
    return {
        "stream_id": event.stream_id,
        "version": event.version,
        "type": event.type,
        "schema_version": event.schema_version,
        "data": event.data,
        "metadata": event.metadata,
        "recorded_at": event.recorded_at,
    }
