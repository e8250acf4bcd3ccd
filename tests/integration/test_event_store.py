"""The SQL event store never changes the past (the rest of its contract: tests/contract)."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from sqlalchemy import Engine, select, text
from sqlalchemy.exc import IntegrityError

from order_service.application.ports import CommandContext
from order_service.domain.events import DomainEvent, ProductRestocked
from order_service.eventstore.store import SqlEventStore
from order_service.eventstore.tables import events
from tests.integration.builders import unique

NOW = datetime(2026, 5, 1, 12, 0, tzinfo=UTC)


def restocked(quantity: int) -> ProductRestocked:
    return ProductRestocked(sku="SANDAL-42", quantity=quantity, restocked_at=NOW)


def append(engine: Engine, context: CommandContext, stream_id: str,
           new_events: list[DomainEvent], *, expected_version: int) -> None:
    """Append in a transaction of its own, with no projections."""
    with engine.begin() as connection:
        store = SqlEventStore(connection, context, (), lambda: NOW)
        store.append(stream_id, new_events, expected_version=expected_version)
        store.flush()


def load(engine: Engine, context: CommandContext, stream_id: str) -> list[DomainEvent]:
    with engine.begin() as connection:
        return SqlEventStore(connection, context, (), lambda: NOW).load(stream_id)


def stored_rows(engine: Engine, stream_id: str) -> list[tuple[object, ...]]:
    query = select(events).where(events.c.stream_id == stream_id).order_by(events.c.position)
    with engine.connect() as connection:
        return [tuple(row) for row in connection.execute(query)]


@pytest.mark.parametrize(
    "statement",
    [
        "UPDATE events SET type = 'Tampered' WHERE stream_id = :stream",
        "UPDATE events SET data = '{}'",
        "DELETE FROM events WHERE stream_id = :stream",
        "DELETE FROM events",
    ],
    ids=["update-one", "update-all", "delete-one", "delete-all"],
)
def test_the_database_refuses_to_change_stored_events(
    engine: Engine, context: CommandContext, statement: str
) -> None:
    stream = unique("stream")
    append(engine, context, stream, [restocked(1)], expected_version=0)
    before = stored_rows(engine, stream)

    with pytest.raises(IntegrityError, match="append-only"), engine.begin() as connection:
        connection.execute(text(statement), {"stream": stream})

    assert stored_rows(engine, stream) == before


@pytest.mark.parametrize("backend", ["postgresql"])  # SQLite has no TRUNCATE
def test_postgresql_refuses_to_truncate_the_events(
    engine: Engine, context: CommandContext, backend: str
) -> None:
    stream = unique("stream")
    append(engine, context, stream, [restocked(1)], expected_version=0)

    with pytest.raises(IntegrityError, match="append-only"), engine.begin() as connection:
        connection.execute(text("TRUNCATE events"))

    assert len(stored_rows(engine, stream)) == 1
