"""The real NATS server (JetStream) for the event relay's tests.

The server is ORDER_SERVICE_TEST_NATS_URL (default nats://127.0.0.1:4222). If it does
not answer, the tests that need it are skipped, or fail with ORDER_SERVICE_REQUIRE_NATS=1
(as in CI, whose script starts the server). Each test relays to a stream and subjects of
its own, deleted afterwards, and reads them back with an ordered consumer.
"""

from __future__ import annotations

import asyncio
import json
import os
import socket
import time
import uuid
from collections.abc import Awaitable, Callable, Coroutine, Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any, TypeVar
from urllib.parse import urlsplit

import nats
import pytest
from nats.js import JetStreamContext
from nats.js.api import StreamConfig
from nats.js.errors import NotFoundError
from sqlalchemy import Engine

from order_service.adapters.sql.relay_checkpoints import relay_lag
from order_service.application.relay import event_id
from order_service.application.views import StoredEventView
from order_service.projections.read_models import SqlReadModels

T = TypeVar("T")

NATS_URL_VARIABLE = "ORDER_SERVICE_TEST_NATS_URL"
REQUIRE_NATS_VARIABLE = "ORDER_SERVICE_REQUIRE_NATS"
DEFAULT_NATS_URL = "nats://127.0.0.1:4222"
TIMEOUT_S = 30.0


def run_async(main: Coroutine[Any, Any, T]) -> T:
    """asyncio.run on a thread of its own.

    A test worker that has run a browser test keeps Playwright's event loop running on
    its main thread for the rest of the session, and asyncio.run refuses to start there.
    """
    with ThreadPoolExecutor(max_workers=1) as thread:
        return thread.submit(asyncio.run, main).result()


def nats_url() -> str:
    """The test NATS server's URL; skips (or fails, if required) when it does not answer."""
    url = os.environ.get(NATS_URL_VARIABLE, DEFAULT_NATS_URL)
    address = urlsplit(url)
    try:
        socket.create_connection((address.hostname or "127.0.0.1", address.port or 4222),
                                 timeout=2).close()
    except OSError as error:
        message = (f"the relay tests need NATS with JetStream at {url} "
                   f"({NATS_URL_VARIABLE}): {error}")
        if os.environ.get(REQUIRE_NATS_VARIABLE, "") not in ("", "0"):
            pytest.fail(message)
        pytest.skip(message)
    return url


@dataclass(frozen=True)
class Received:
    """One message the consumer got from the stream."""

    sequence: int
    subject: str
    headers: dict[str, str]
    body: dict[str, Any]


@dataclass(frozen=True)
class RelayStream:
    """A JetStream stream and subject prefix of one test's own."""

    url: str
    name: str
    subject_prefix: str

    def settings(self) -> dict[str, str]:
        """The relay settings (without the ORDER_SERVICE_ prefix) aimed at this stream."""
        return {"nats_url": self.url, "nats_stream": self.name,
                "nats_subject_prefix": self.subject_prefix}

    def consume_all(self) -> list[Received]:
        """Every message in the stream, read by an ordered consumer from the start."""
        return run_async(self._consume())

    def delete(self) -> None:
        """Delete the stream, if it was made."""
        run_async(self._delete())

    def make(self, *, duplicate_window: float) -> None:
        """Make the stream before the relay does, as an operator may (for its settings)."""
        run_async(self._on_stream(lambda js: js.add_stream(StreamConfig(
            name=self.name, subjects=[f"{self.subject_prefix}.>"],
            duplicate_window=duplicate_window))))

    def purge(self) -> None:
        """Remove every message; the sequence numbers go on from where they were."""
        run_async(self._on_stream(lambda js: js.purge_stream(self.name)))

    def last_sequence(self) -> int:
        """The stream's last sequence number (0 when it is missing or never held one)."""
        async def last(js: JetStreamContext) -> int:
            try:
                return int((await js.stream_info(self.name)).state.last_seq)
            except NotFoundError:
                return 0
        return run_async(self._on_stream(last))

    async def _on_stream(self, act: Callable[[JetStreamContext], Awaitable[T]]) -> T:
        connection = await nats.connect(self.url)
        try:
            return await act(connection.jetstream())
        finally:
            await connection.close()

    async def _consume(self) -> list[Received]:
        connection = await nats.connect(self.url)
        try:
            js = connection.jetstream()
            total = (await js.stream_info(self.name)).state.messages
            subscription = await js.subscribe(f"{self.subject_prefix}.>", stream=self.name,
                                              ordered_consumer=True)
            received: list[Received] = []
            while len(received) < total:
                message = await subscription.next_msg(timeout=TIMEOUT_S)
                received.append(Received(message.metadata.sequence.stream, message.subject,
                                         dict(message.headers or {}), json.loads(message.data)))
            await subscription.unsubscribe()
            return received
        finally:
            await connection.close()

    async def _delete(self) -> None:
        connection = await nats.connect(self.url)
        try:
            await connection.jetstream().delete_stream(self.name)
        except NotFoundError:
            pass
        finally:
            await connection.close()


@contextmanager
def relay_stream() -> Iterator[RelayStream]:
    """A fresh stream name and subject prefix on the test NATS server; deleted afterwards."""
    tag = uuid.uuid4().hex[:10]
    stream = RelayStream(nats_url(), f"TEST_ORDERS_{tag.upper()}", f"test_{tag}")
    try:
        yield stream
    finally:
        stream.delete()


def stored_events(engine: Engine) -> list[StoredEventView]:
    """Every event of the store, in position order."""
    with engine.connect() as connection:
        return SqlReadModels(connection).events_after(0, 1_000_000)


def wait_until_the_stream_holds(stream: RelayStream, last_sequence: int) -> None:
    """Wait until the stream's last sequence number is `last_sequence`."""
    deadline = time.monotonic() + TIMEOUT_S
    while (held := stream.last_sequence()) != last_sequence:
        assert time.monotonic() < deadline, f"the stream holds {held}, not {last_sequence}"
        time.sleep(0.05)


def wait_until_published(engine: Engine, stream: str, *, last: int | None = None,
                         alive: Callable[[], bool] = lambda: True) -> None:
    """Wait until the relay's checkpoint reached the newest stored event (or `last`)."""
    deadline = time.monotonic() + TIMEOUT_S
    while time.monotonic() < deadline:
        assert alive(), "the relay stopped"
        lag = relay_lag(engine, stream)
        if lag.published >= (lag.last_stored if last is None else last) > 0:
            return
        time.sleep(0.05)
    raise AssertionError(f"the relay did not catch up within {TIMEOUT_S} s: {lag}")


def assert_each_event_once_in_order(stream: RelayStream, events: list[StoredEventView]
                                    ) -> list[Received]:
    """The stream holds exactly `events`, each once, in position order; returns it."""
    received = stream.consume_all()
    assert [message.body["id"] for message in received] == [event_id(e) for e in events]
    assert [message.body["position"] for message in received] == [e.position for e in events]
    assert [message.sequence for message in received] == list(range(1, len(events) + 1))
    return received
