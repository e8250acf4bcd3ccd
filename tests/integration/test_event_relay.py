"""The event relay against the real NATS server (JetStream) and a real database.

The relay runs in a thread of its own, as in a server worker; an ordered consumer on the
test's own stream reads back what reached JetStream.
"""

from __future__ import annotations

import asyncio
import logging
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager, suppress

import pytest
from sqlalchemy import Engine

from order_service.adapters.nats.jetstream import JetStreamPublisher, event_document
from order_service.adapters.sql.relay_checkpoints import SqlRelayCheckpoints, relay_lag
from order_service.application.errors import PublishFailed
from order_service.application.handlers import Shop
from order_service.application.leases import RelayState
from order_service.application.ports import CommandContext
from order_service.application.relay import (
    EventRelay,
    PublishedEvent,
    StreamState,
    event_id,
)
from order_service.bootstrap import build_relay
from order_service.domain.events import ALL_EVENT_TYPES
from order_service.observability.metrics import Metrics
from order_service.settings import Settings
from tests.api_keys import app_client
from tests.integration.builders import add_product, add_shipping_method, place
from tests.integration.test_rebuild import every_kind_of_event
from tests.jetstream import (
    RelayStream,
    assert_each_event_once_in_order,
    relay_stream,
    run_async,
    stored_events,
    wait_until_published,
    wait_until_the_stream_holds,
)
from tests.newer_events import NEWER_TYPE, store_newer_event
from tests.scrapes import value
from tests.servers import free_port

STOP_WITHIN_S = 10.0


class RelayThread:
    """One relay running on an event loop in a thread of its own, until stopped."""

    def __init__(self, relay: EventRelay) -> None:
        self._relay = relay
        self._started = threading.Event()
        self._thread = threading.Thread(target=asyncio.run, args=(self._main(),), daemon=True)

    def start(self) -> RelayThread:
        self._thread.start()
        assert self._started.wait(STOP_WITHIN_S)
        return self

    def alive(self) -> bool:
        return self._thread.is_alive()

    def stop(self) -> None:
        if not self._thread.is_alive():
            return
        self._loop.call_soon_threadsafe(self._task.cancel)
        self._thread.join(STOP_WITHIN_S)
        assert not self._thread.is_alive(), "the relay did not stop when cancelled"

    async def _main(self) -> None:
        self._loop = asyncio.get_running_loop()
        task = asyncio.current_task()
        assert task is not None
        self._task = task
        self._started.set()
        with suppress(asyncio.CancelledError):
            await self._relay.run()


@contextmanager
def relaying(engine: Engine, stream: RelayStream, metrics: Metrics | None = None
             ) -> Iterator[RelayThread]:
    """A relay to `stream`, in small batches, running while the block runs."""
    settings = Settings.model_validate(
        {**stream.settings(), "relay_batch_size": 4, "relay_lease_seconds": 1.0})
    observer = None if metrics is None else metrics.relay_observer()
    running = RelayThread(build_relay(settings, engine, observer)).start()
    try:
        yield running
    finally:
        running.stop()


@pytest.fixture
def stream() -> Iterator[RelayStream]:
    """A JetStream stream of this test's own."""
    with relay_stream() as made:
        yield made


def place_orders(shop: Shop, context: CommandContext, count: int) -> None:
    sku = add_product(shop, context, stock=count)
    shipping = add_shipping_method(shop, context)
    for _ in range(count):
        place(shop, context, [(sku, 1)], shipping)


def test_every_stored_event_reaches_jetstream_once_in_position_order(
    shop: Shop, context: CommandContext, engine: Engine, stream: RelayStream
) -> None:
    place_orders(shop, context, 5)
    with relaying(engine, stream) as relay:
        wait_until_published(engine, stream.name, alive=relay.alive)
        place_orders(shop, context, 5)  # while it runs: found by polling
        wait_until_published(engine, stream.name, alive=relay.alive)

    events = stored_events(engine)
    received = assert_each_event_once_in_order(stream, events)
    for message, event in zip(received, events, strict=True):
        assert message.subject == f"{stream.subject_prefix}.{event.type}"
        assert message.body == event_document(event)
        assert message.headers["Nats-Msg-Id"] == event_id(event)
        assert message.headers["Order-Service-Position"] == str(event.position)


def test_every_event_type_flows_through_the_relay_with_its_type_as_subject(
    shop: Shop, context: CommandContext, engine: Engine, stream: RelayStream
) -> None:
    every_kind_of_event(shop, context)

    with relaying(engine, stream) as relay:
        wait_until_published(engine, stream.name, alive=relay.alive)

    events = stored_events(engine)
    received = assert_each_event_once_in_order(stream, events)
    assert {event.type for event in events} == {cls.TYPE for cls in ALL_EVENT_TYPES}
    assert [message.subject for message in received] == [
        f"{stream.subject_prefix}.{event.type}" for event in events]
    assert [message.body for message in received] == [event_document(e) for e in events]


def test_a_relay_that_died_between_the_ack_and_its_checkpoint_publishes_nothing_twice(
    shop: Shop, context: CommandContext, engine: Engine, stream: RelayStream,
    caplog: pytest.LogCaptureFixture
) -> None:
    place_orders(shop, context, 4)
    early = stored_events(engine)[:6]

    async def publish_without_checkpoint() -> None:
        publisher = JetStreamPublisher(stream.url, stream.name, stream.subject_prefix)
        await publisher.open()
        await publisher.publish(early)
        await publisher.close()

    run_async(publish_without_checkpoint())
    assert relay_lag(engine, stream.name).published == 0

    with caplog.at_level(logging.INFO), relaying(engine, stream) as relay:
        wait_until_published(engine, stream.name, alive=relay.alive)

    assert_each_event_once_in_order(stream, stored_events(engine))
    # Not left to the duplicate window: the relay saw which event the stream holds last.
    assert (f"the broker already holds the events up to position {early[-1].position}"
            in caplog.text)


def test_a_publisher_with_a_stale_view_of_the_stream_is_refused_rather_than_reordering(
    shop: Shop, context: CommandContext, engine: Engine, stream: RelayStream
) -> None:
    place_orders(shop, context, 2)
    events = stored_events(engine)

    async def race() -> None:
        stale = JetStreamPublisher(stream.url, stream.name, stream.subject_prefix)
        fresh = JetStreamPublisher(stream.url, stream.name, stream.subject_prefix)
        try:
            assert (await stale.open()).last_event is None
            await fresh.open()
            await fresh.publish(events[:2])
            with pytest.raises(PublishFailed, match="wrong last sequence"):
                await stale.publish(events[2:])
            assert await stale.open() == StreamState(
                2, PublishedEvent(events[1].position, event_id(events[1])))
            await stale.publish(events[2:])
        finally:
            await stale.close()
            await fresh.close()

    run_async(race())

    assert_each_event_once_in_order(stream, events)


def test_a_standby_relay_takes_over_when_the_publishing_one_stops(
    shop: Shop, context: CommandContext, engine: Engine, stream: RelayStream
) -> None:
    place_orders(shop, context, 2)
    with relaying(engine, stream) as first:
        wait_until_published(engine, stream.name, alive=first.alive)
        with relaying(engine, stream) as second:
            place_orders(shop, context, 2)
            wait_until_published(engine, stream.name, alive=first.alive)
            first.stop()
            place_orders(shop, context, 2)
            wait_until_published(engine, stream.name, alive=second.alive)

    assert_each_event_once_in_order(stream, stored_events(engine))


def test_events_the_stream_already_holds_are_skipped_and_the_rest_of_the_batch_lands(
    shop: Shop, context: CommandContext, engine: Engine, stream: RelayStream
) -> None:
    place_orders(shop, context, 3)
    events = stored_events(engine)

    async def publish_overlapping_batches() -> None:
        publisher = JetStreamPublisher(stream.url, stream.name, stream.subject_prefix)
        try:
            await publisher.open()
            await publisher.publish(events[:4])
            await publisher.publish(events[2:])  # its first two are duplicates
        finally:
            await publisher.close()

    run_async(publish_overlapping_batches())

    assert_each_event_once_in_order(stream, events)


# -- a stream that lost events ------------------------------------------------------------


def test_a_stream_deleted_mid_run_ends_holding_every_event_once_in_order(
    shop: Shop, context: CommandContext, engine: Engine, stream: RelayStream,
    caplog: pytest.LogCaptureFixture
) -> None:
    metrics = Metrics()
    place_orders(shop, context, 5)
    with caplog.at_level(logging.INFO), relaying(engine, stream, metrics) as relay:
        wait_until_published(engine, stream.name, alive=relay.alive)
        stream.delete()
        place_orders(shop, context, 5)
        wait_until_published(engine, stream.name, alive=relay.alive)

    assert_each_event_once_in_order(stream, stored_events(engine))
    assert f"JetStream stream {stream.name} lacks events the relay published" in caplog.text
    assert value(metrics.exposition().decode(), "order_service_relay_rewinds_total") >= 1


def test_a_stream_deleted_while_the_relay_is_idle_is_refilled_without_waiting_for_an_event(
    shop: Shop, context: CommandContext, engine: Engine, stream: RelayStream
) -> None:
    place_orders(shop, context, 3)
    events = stored_events(engine)
    with relaying(engine, stream) as relay:
        wait_until_published(engine, stream.name, alive=relay.alive)
        stream.delete()
        wait_until_the_stream_holds(stream, len(events))

    assert_each_event_once_in_order(stream, events)


def test_a_stream_restored_from_an_older_copy_gets_the_events_it_lacks_after_its_last_one(
    shop: Shop, context: CommandContext, engine: Engine, stream: RelayStream,
    caplog: pytest.LogCaptureFixture
) -> None:
    place_orders(shop, context, 4)
    events = stored_events(engine)
    with relaying(engine, stream) as relay:
        wait_until_published(engine, stream.name, alive=relay.alive)

    async def restore_the_first_three() -> None:
        publisher = JetStreamPublisher(stream.url, stream.name, stream.subject_prefix)
        await publisher.open()
        await publisher.publish(events[:3])
        await publisher.close()

    stream.delete()
    run_async(restore_the_first_three())
    with caplog.at_level(logging.WARNING), relaying(engine, stream) as relay:
        wait_until_the_stream_holds(stream, len(events))

    assert_each_event_once_in_order(stream, events)
    assert f"publishing again after position {events[2].position}" in caplog.text


def test_a_purged_stream_stays_purged_and_the_relay_goes_on_after_its_last_sequence(
    shop: Shop, context: CommandContext, engine: Engine, stream: RelayStream
) -> None:
    place_orders(shop, context, 2)
    before = stored_events(engine)
    with relaying(engine, stream) as relay:
        wait_until_published(engine, stream.name, alive=relay.alive)
        stream.purge()
        place_orders(shop, context, 2)
        wait_until_published(engine, stream.name, alive=relay.alive)

    received = stream.consume_all()
    after = stored_events(engine)[len(before):]
    assert [message.body["position"] for message in received] == [e.position for e in after]
    assert [message.sequence for message in received] == list(
        range(len(before) + 1, len(before) + len(after) + 1))


# -- events of a type this version does not know ------------------------------------------


def test_an_event_of_a_type_this_version_does_not_know_is_published_as_stored(
    shop: Shop, context: CommandContext, engine: Engine, stream: RelayStream
) -> None:
    metrics = Metrics()
    place_orders(shop, context, 1)
    order_stream = next(e.stream_id for e in stored_events(engine) if e.type == "OrderPlaced")
    data = {"message": "¡Feliz cumpleaños!", "paper": {"colour": "red"}}
    newer = store_newer_event(engine, order_stream, data=data)
    odd = store_newer_event(engine, "gift-card-GC-1", event_type="gift card.issued v2")
    place_orders(shop, context, 1)

    with relaying(engine, stream, metrics) as relay:
        wait_until_published(engine, stream.name, alive=relay.alive)

    received = {message.body["position"]: message
                for message in assert_each_event_once_in_order(stream, stored_events(engine))}
    assert received[newer].body["type"] == NEWER_TYPE
    assert received[newer].body["data"] == data
    assert received[newer].subject == f"{stream.subject_prefix}.{NEWER_TYPE}"
    assert received[odd].subject == f"{stream.subject_prefix}.gift_card_issued_v2"
    assert received[odd].headers["Order-Service-Event-Type"] == "gift card.issued v2"
    scrape = metrics.exposition().decode()
    assert value(scrape, "order_service_unknown_events_total", reader="relay",
                 type=NEWER_TYPE) == 1


def test_only_the_holder_of_the_lease_moves_the_checkpoint(engine: Engine) -> None:
    first = SqlRelayCheckpoints(engine, "LEASE", "first")
    second = SqlRelayCheckpoints(engine, "LEASE", "second")
    unheld = first.observe()
    assert unheld == RelayState(position=0, holder=None, beat=0)

    assert first.take_over(unheld)
    assert not second.take_over(unheld)  # the row changed since `second` saw it
    assert not second.advance(7)
    assert first.advance(7)
    silent = second.observe()
    assert second.take_over(silent)  # as a standby does once `first` stopped beating
    assert not first.advance(9)
    assert not first.renew()
    assert first.observe() == RelayState(position=7, holder="second", beat=silent.beat + 1)


def test_the_relay_lag_is_the_newest_stored_position_and_the_checkpoint(
    shop: Shop, context: CommandContext, engine: Engine
) -> None:
    place_orders(shop, context, 2)
    newest = stored_events(engine)[-1].position
    assert relay_lag(engine, "LAG").published == 0
    checkpoints = SqlRelayCheckpoints(engine, "LAG", "relay")
    assert checkpoints.take_over(checkpoints.observe())
    assert checkpoints.advance(newest - 1)

    lag = relay_lag(engine, "LAG")

    assert (lag.last_stored, lag.published, lag.events_behind) == (newest, newest - 1, 1)


@pytest.mark.parametrize("backend", ["sqlite"])
def test_the_api_serves_while_nats_is_unreachable(
    settings: Settings, merchant_key: str, caplog: pytest.LogCaptureFixture
) -> None:
    unreachable = settings.model_copy(update={"nats_url": f"nats://127.0.0.1:{free_port()}"})

    def relay_paused() -> bool:
        return any("event relay paused" in record.getMessage() for record in caplog.records)

    with caplog.at_level(logging.WARNING), app_client(unreachable, merchant_key) as client:
        response = client.post("/v1/products", json={"sku": "SANDAL-42", "name": "Sandal",
                                                     "price": 4990, "stock": 3})
        assert response.status_code == 201, response.text
        assert client.get("/health/ready").status_code == 200
        deadline = time.monotonic() + STOP_WITHIN_S
        while not relay_paused() and time.monotonic() < deadline:
            time.sleep(0.05)

    assert relay_paused()
