"""The SQL event store: append at a version, load in order, and never change the past."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from sqlalchemy import Engine, select, text
from sqlalchemy.exc import IntegrityError

from order_service.application.errors import ConcurrencyConflict
from order_service.application.ports import CommandContext
from order_service.domain.events import DomainEvent, ProductRestocked
from order_service.eventstore.store import SqlEventStore
from order_service.eventstore.tables import events
from tests.integration.builders import count_events, unique

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


def test_appended_events_load_back_oldest_first(engine: Engine, context: CommandContext) -> None:
    stream = unique("stream")

    append(engine, context, stream, [restocked(1), restocked(2)], expected_version=0)
    append(engine, context, stream, [restocked(3)], expected_version=2)

    assert load(engine, context, stream) == [restocked(1), restocked(2), restocked(3)]


def test_a_stream_never_written_loads_empty(engine: Engine, context: CommandContext) -> None:
    assert load(engine, context, unique("stream")) == []


@pytest.mark.parametrize("stale_version", [0, 1])
def test_appending_at_a_stale_version_conflicts_and_stores_nothing(
    engine: Engine, context: CommandContext, stale_version: int
) -> None:
    stream = unique("stream")
    append(engine, context, stream, [restocked(1), restocked(2)], expected_version=0)

    with pytest.raises(ConcurrencyConflict) as conflict:
        append(engine, context, stream, [restocked(8), restocked(9)],
               expected_version=stale_version)

    assert (conflict.value.stream_id, conflict.value.expected_version) == (stream, stale_version)
    assert load(engine, context, stream) == [restocked(1), restocked(2)]
    assert count_events(engine) == 2


def test_positions_increase_in_the_order_events_were_appended(
    engine: Engine, context: CommandContext
) -> None:
    first, second = unique("stream"), unique("stream")
    append(engine, context, first, [restocked(1)], expected_version=0)
    append(engine, context, second, [restocked(2), restocked(3)], expected_version=0)
    append(engine, context, first, [restocked(4)], expected_version=1)

    query = select(events.c.position, events.c.stream_id, events.c.version).order_by(
        events.c.position)
    with engine.connect() as connection:
        rows = list(connection.execute(query))

    assert [(row.stream_id, row.version) for row in rows] == [
        (first, 1), (second, 1), (second, 2), (first, 2)]
    positions = [row.position for row in rows]
    assert positions == sorted(set(positions))


def test_every_event_records_why_it_was_appended(engine: Engine) -> None:
    context = CommandContext(correlation_id=unique("corr"), caused_by="merchant:ada")
    stream = unique("stream")

    append(engine, context, stream, [restocked(1), restocked(2)], expected_version=0)

    query = select(events.c.metadata).where(events.c.stream_id == stream)
    with engine.connect() as connection:
        metadata = list(connection.scalars(query))
    assert metadata == [{"correlation_id": context.correlation_id,
                         "caused_by": "merchant:ada"}] * 2


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


def test_appending_no_events_stores_nothing_and_is_no_conflict(
    engine: Engine, context: CommandContext
) -> None:
    stream = unique("stream")

    append(engine, context, stream, [], expected_version=0)

    assert count_events(engine) == 0
