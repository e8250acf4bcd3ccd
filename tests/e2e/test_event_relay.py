"""Real `order-service serve` processes relaying to the real NATS server, killed with SIGKILL.

An ordered consumer on the test's own JetStream stream must find every stored event,
each once, in position order: across a server killed mid-way through publishing and
started again, and with two servers on one database, of which one publishes and the
other takes over once the first is killed.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from sqlalchemy import Engine, select

from order_service.adapters.sql.engine import make_engine
from order_service.adapters.sql.relay_checkpoints import relay_lag
from order_service.adapters.sql.storage import SqlStorage
from order_service.adapters.sql.tables import event_relay
from order_service.application.handlers import Shop
from order_service.application.ports import CommandContext
from order_service.application.relay import event_id
from order_service.settings import Settings
from tests.conftest import utc_now
from tests.e2e.builders import create_product, create_shipping_method, line, place_order
from tests.e2e.live import SERVER_SETTINGS, TIMEOUT_S
from tests.integration.builders import add_product, add_shipping_method, place
from tests.jetstream import (
    RelayStream,
    assert_each_event_once_in_order,
    relay_stream,
    stored_events,
    wait_until_published,
)
from tests.scrapes import value
from tests.servers import COMMAND, Server


@pytest.fixture
def stream() -> Iterator[RelayStream]:
    """A JetStream stream of this test's own."""
    with relay_stream() as made:
        yield made


@pytest.fixture
def engine(database_url_for_test: str) -> Iterator[Engine]:
    """An engine on the servers' database, to read the events and the relay's row."""
    made = make_engine(database_url_for_test, pool_size=2)
    yield made
    made.dispose()


def relaying_server(database_url: str, workdir: Path, stream: RelayStream) -> Server:
    """A one-worker server that relays to `stream` in batches of 2, with a 1 s lease."""
    settings = {**SERVER_SETTINGS, **stream.settings(), "relay_batch_size": "2",
                "relay_lease_seconds": "1"}
    return Server(database_url, workdir, settings=settings)


class OrderFlow:
    """Orders placed one after another in a thread, until stopped or the server dies."""

    def __init__(self, server: Server) -> None:
        self._client = server.new_client(timeout=TIMEOUT_S)
        self._sku = create_product(self._client, stock=10_000)["sku"]
        self._shipping = create_shipping_method(self._client)["code"]
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._place, daemon=True)
        self._thread.start()

    def stop(self) -> None:
        self._stop.set()
        self._thread.join(TIMEOUT_S)
        self._client.close()

    def _place(self) -> None:
        while not self._stop.is_set():
            try:
                place_order(self._client, [line(self._sku)], self._shipping)
            except httpx.TransportError:
                return  # the server was killed


def place_orders(server: Server, count: int) -> None:
    sku = create_product(server.client, stock=count)["sku"]
    shipping = create_shipping_method(server.client)["code"]
    for _ in range(count):
        place_order(server.client, [line(sku)], shipping)


def wait_until_mid_way(engine: Engine, stream: str) -> tuple[int, int]:
    """Wait until the relay published some events but not every stored one yet."""
    deadline = time.monotonic() + TIMEOUT_S
    while time.monotonic() < deadline:
        lag = relay_lag(engine, stream)
        if 3 <= lag.published < lag.last_stored:
            return lag.published, lag.last_stored
        time.sleep(0.005)
    raise AssertionError(f"the relay never lagged behind the orders: {lag}")


def wait_until_the_lag_metric_reads_zero(server: Server) -> None:
    """Every worker reports the relay's lag from the database every few seconds."""
    deadline = time.monotonic() + 15
    while time.monotonic() < deadline:
        scrape = server.client.get("/metrics").text
        lag = "order_service_relay_lag_events"
        if lag in scrape and value(scrape, lag) == 0:
            return
        time.sleep(0.2)
    raise AssertionError(f"the relay lag never read 0: {scrape}")


def holder_pid(engine: Engine, stream: str) -> int:
    """The process id of the relay that holds the lease (holders are host:pid:tag)."""
    with engine.connect() as connection:
        holder = connection.execute(
            select(event_relay.c.holder).where(event_relay.c.stream == stream)).scalar_one()
    return int(holder.split(":")[-2])


@pytest.mark.parametrize("backend", ["postgresql"])  # SQLite: tests/integration
def test_every_event_reaches_jetstream_once_in_order_across_a_server_killed_mid_publishing(
    database_url_for_test: str, tmp_path: Path, engine: Engine, stream: RelayStream
) -> None:
    server = relaying_server(database_url_for_test, tmp_path / "server", stream)
    try:
        server.start()
        flow = OrderFlow(server)
        published, stored = wait_until_mid_way(engine, stream.name)
        server.kill()
        flow.stop()
        assert published < stored

        server.start()
        place_orders(server, 5)
        wait_until_published(engine, stream.name)
        wait_until_the_lag_metric_reads_zero(server)
        feed = server.client.get("/v1/events", params={"limit": 1000}).json()["items"]
    finally:
        server.close()

    received = assert_each_event_once_in_order(stream, stored_events(engine))
    # A consumer of the feed and one of the stream know each event by the same id.
    assert [message.headers["Nats-Msg-Id"] for message in received] == [
        item["id"] for item in feed]


@pytest.mark.parametrize("backend", ["postgresql"])
def test_of_two_servers_on_one_database_one_publishes_and_the_other_takes_over_when_killed(
    database_url_for_test: str, tmp_path: Path, engine: Engine, stream: RelayStream
) -> None:
    servers = [relaying_server(database_url_for_test, tmp_path / f"server-{n}", stream)
               for n in (1, 2)]
    try:
        for server in servers:
            server.start()
        flows = [OrderFlow(server) for server in servers]
        wait_until_mid_way(engine, stream.name)
        publishing = next(s for s in servers
                          if s.process is not None
                          and s.process.pid == holder_pid(engine, stream.name))
        standby = next(s for s in servers if s is not publishing)
        publishing.kill()
        for flow in flows:
            flow.stop()

        place_orders(standby, 5)
        wait_until_published(engine, stream.name)
        assert standby.process is not None
        assert holder_pid(engine, stream.name) == standby.process.pid
    finally:
        for server in servers:
            server.close()

    assert_each_event_once_in_order(stream, stored_events(engine))


# Starts a command with SIGINT as given, whatever this process has: a shell starts `cmd &`
# with SIGINT ignored, exec keeps it so, and CI or a supervisor may run everything so.
WITH_SIGINT = ("import os, signal, sys; signal.signal(signal.SIGINT, getattr(signal, "
               "sys.argv[1])); os.execv(sys.argv[2], sys.argv[2:])")


def a_few_orders(engine: Engine) -> int:
    """Place an order (with its product and shipping method); the last position."""
    shop = Shop(SqlStorage(engine, utc_now), Settings().shop_terms(), utc_now)
    context = CommandContext(correlation_id="relay-events-test", caused_by="test")
    sku = add_product(shop, context, stock=3)
    place(shop, context, [(sku, 2)], add_shipping_method(shop, context))
    return stored_events(engine)[-1].position


def relay_events_until_published(database_url: str, stream: RelayStream, last: int,
                                 *options: str, sigint: str = "SIG_DFL"
                                 ) -> subprocess.CompletedProcess[str]:
    """Run `relay-events` until it published up to position `last`, then press Ctrl-C."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("ORDER_SERVICE_")}
    env.update({f"ORDER_SERVICE_{k.upper()}": v for k, v in stream.settings().items()},
               ORDER_SERVICE_DATABASE_URL=database_url)
    argv = [sys.executable, "-c", WITH_SIGINT, sigint, str(COMMAND), "relay-events", *options]
    relay = subprocess.Popen(argv, env=env, text=True, stderr=subprocess.PIPE)
    try:
        assert relay.stderr is not None
        seen = []
        while f"up to position {last} " not in (seen or [""])[-1]:
            seen.append(relay.stderr.readline())
            assert seen[-1], f"relay-events ended before publishing: {''.join(seen)}"
        relay.send_signal(signal.SIGINT)
        rest = relay.communicate(timeout=TIMEOUT_S)[1]
    finally:
        relay.kill()
    return subprocess.CompletedProcess(argv, relay.wait(), "", "".join(seen) + rest)


@pytest.mark.parametrize("backend", ["sqlite"])
@pytest.mark.parametrize("sigint", ["SIG_DFL", "SIG_IGN"], ids=["sigint-default",
                                                                "sigint-ignored-by-parent"])
def test_relay_events_publishes_in_the_foreground_and_stops_cleanly_on_ctrl_c(
    database_url_for_test: str, engine: Engine, stream: RelayStream, sigint: str
) -> None:
    last = a_few_orders(engine)

    relay = relay_events_until_published(database_url_for_test, stream, last, sigint=sigint)

    assert relay.returncode == 0, relay.stderr
    assert "relay stopped" in relay.stderr
    assert_each_event_once_in_order(stream, stored_events(engine))
    with engine.connect() as connection:  # the lease was given up: a standby goes on at once
        assert connection.execute(select(event_relay.c.holder)).scalar_one() is None


@pytest.mark.parametrize("backend", ["sqlite"])
def test_relay_events_from_start_refills_a_purged_stream_with_every_event_once_in_order(
    database_url_for_test: str, engine: Engine, stream: RelayStream
) -> None:
    # A short duplicate window: JetStream drops a message it saw within the window.
    stream.make(duplicate_window=0.5)
    last = a_few_orders(engine)
    assert relay_events_until_published(database_url_for_test, stream, last).returncode == 0
    stream.purge()
    time.sleep(1.0)

    relay = relay_events_until_published(database_url_for_test, stream, last, "--from-start")

    assert relay.returncode == 0, relay.stderr
    assert "publishing every event again from position 1" in relay.stderr
    events = stored_events(engine)
    received = stream.consume_all()
    assert [message.body["id"] for message in received] == [event_id(e) for e in events]
    assert [message.sequence for message in received] == list(
        range(len(events) + 1, 2 * len(events) + 1))
