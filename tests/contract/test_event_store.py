"""Every storage's event store: append at a version, load in order, record why."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from order_service.application.errors import ConcurrencyConflict
from order_service.application.ports import CommandContext, Storage
from order_service.application.queries import follow_events
from order_service.application.views import EventPage, StoredEventView
from order_service.domain.events import DomainEvent, ProductRestocked
from tests.conftest import STORAGES
from tests.integration.builders import stored_events, unique

pytestmark = pytest.mark.parametrize("backend", STORAGES)

NOW = datetime(2026, 5, 1, 12, 0, tzinfo=UTC)


def restocked(quantity: int) -> ProductRestocked:
    return ProductRestocked(sku="SANDAL-42", quantity=quantity, restocked_at=NOW)


def append(storage: Storage, context: CommandContext, stream_id: str,
           new_events: list[DomainEvent], *, expected_version: int) -> None:
    """Append in a transaction of its own."""
    with storage.transaction(context) as tx:
        tx.events.append(stream_id, new_events, expected_version=expected_version)


def load(storage: Storage, context: CommandContext, stream_id: str) -> list[DomainEvent]:
    with storage.transaction(context) as tx:
        return tx.events.load(stream_id)


def test_appended_events_load_back_oldest_first(storage: Storage, context: CommandContext
                                                ) -> None:
    stream = unique("stream")

    append(storage, context, stream, [restocked(1), restocked(2)], expected_version=0)
    append(storage, context, stream, [restocked(3)], expected_version=2)

    assert load(storage, context, stream) == [restocked(1), restocked(2), restocked(3)]


def test_a_stream_never_written_loads_empty(storage: Storage, context: CommandContext) -> None:
    assert load(storage, context, unique("stream")) == []


@pytest.mark.parametrize("stale_version", [0, 1])
def test_appending_at_a_stale_version_conflicts_and_stores_nothing(
    storage: Storage, context: CommandContext, stale_version: int
) -> None:
    stream = unique("stream")
    append(storage, context, stream, [restocked(1), restocked(2)], expected_version=0)

    with pytest.raises(ConcurrencyConflict) as conflict:
        append(storage, context, stream, [restocked(8), restocked(9)],
               expected_version=stale_version)

    assert (conflict.value.stream_id, conflict.value.expected_version) == (stream, stale_version)
    assert load(storage, context, stream) == [restocked(1), restocked(2)]
    assert len(stored_events(storage)) == 2


def test_positions_increase_in_the_order_events_were_appended(
    storage: Storage, context: CommandContext
) -> None:
    first, second = unique("stream"), unique("stream")
    append(storage, context, first, [restocked(1)], expected_version=0)
    append(storage, context, second, [restocked(2), restocked(3)], expected_version=0)
    append(storage, context, first, [restocked(4)], expected_version=1)

    stored = stored_events(storage)

    assert [(event.stream_id, event.version) for event in stored] == [
        (first, 1), (second, 1), (second, 2), (first, 2)]
    positions = [event.position for event in stored]
    assert positions == sorted(set(positions))


def test_a_follower_pages_through_the_events_after_a_position(
    storage: Storage, context: CommandContext
) -> None:
    stream = unique("stream")
    append(storage, context, stream, [restocked(n) for n in range(1, 6)], expected_version=0)
    with storage.reading() as read_models:
        first_page = read_models.events_after(0, 2)
        rest = read_models.events_after(first_page[-1].position, 10)

    assert [event.data["quantity"] for event in [*first_page, *rest]] == [1, 2, 3, 4, 5]
    assert rest[-1].type == "ProductRestocked"
    assert rest[-1].schema_version == ProductRestocked.SCHEMA_VERSION


def test_following_next_after_a_few_at_a_time_visits_the_same_events_as_one_big_page(
    storage: Storage, context: CommandContext
) -> None:
    append(storage, context, unique("stream"), [restocked(n) for n in range(1, 8)],
           expected_version=0)
    whole = follow_events(storage, after=0, limit=1000).items

    followed: list[StoredEventView] = []
    page = follow_events(storage, after=0, limit=3)
    while page.items:
        followed.extend(page.items)
        page = follow_events(storage, after=page.next_after, limit=3)

    assert followed == list(whole)
    assert [event.data["quantity"] for event in followed] == [1, 2, 3, 4, 5, 6, 7]


def test_a_page_past_the_newest_event_is_empty_and_keeps_next_after(
    storage: Storage, context: CommandContext
) -> None:
    append(storage, context, unique("stream"), [restocked(1)], expected_version=0)
    end = follow_events(storage, after=0, limit=10).next_after

    assert follow_events(storage, after=end, limit=10) == EventPage(items=(), next_after=end)


def test_every_event_records_why_it_was_appended(storage: Storage) -> None:
    context = CommandContext(correlation_id=unique("corr"), caused_by="merchant:ada",
                             api_key_id="key-1")
    stream = unique("stream")

    append(storage, context, stream, [restocked(1), restocked(2)], expected_version=0)

    assert [event.metadata for event in stored_events(storage, stream_id=stream)] == [
        {"correlation_id": context.correlation_id, "caused_by": "merchant:ada",
         "api_key_id": "key-1"}] * 2


def test_appending_no_events_stores_nothing_and_is_no_conflict(
    storage: Storage, context: CommandContext
) -> None:
    stream = unique("stream")

    append(storage, context, stream, [], expected_version=0)

    assert stored_events(storage) == []


def test_a_transaction_that_fails_stores_nothing_it_appended(
    storage: Storage, context: CommandContext
) -> None:
    stream = unique("stream")

    def change_of_mind() -> None:
        with storage.transaction(context) as tx:
            tx.events.append(stream, [restocked(1)], expected_version=0)
            raise RuntimeError("changed my mind")

    with pytest.raises(RuntimeError, match="changed my mind"):
        change_of_mind()

    assert load(storage, context, stream) == []
    assert stored_events(storage) == []
