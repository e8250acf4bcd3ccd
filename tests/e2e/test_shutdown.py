"""Graceful shutdown: on SIGTERM requests in flight finish, and nothing is half-written.

The requests are held in flight by the test itself: it locks the orders table, so every
placement and the export wait inside the database (PostgreSQL shows them waiting) while
the server is told to stop; then it lets go. PostgreSQL only: SQLite cannot show who
waits on a lock.
"""

from __future__ import annotations

import signal
import time
from collections.abc import Callable, Iterator
from concurrent.futures import Future, ThreadPoolExecutor
from contextlib import contextmanager
from typing import Any
from uuid import UUID

import httpx
import pytest
from sqlalchemy import Connection, Engine, create_engine, text

from order_service.domain.events import order_stream
from tests.e2e.builders import create_product, create_shipping_method, line, order_body
from tests.e2e.expectations import assert_problem
from tests.e2e.exports import ndjson_page_records
from tests.servers import Server, StartServer

POSTGRES_ONLY = pytest.mark.parametrize("backend", ["postgresql"])
GRACE_SECONDS = 15
PLACED_BEFORE = 5
IN_FLIGHT = 8
STOCK = 100
# Time for requests sent to be read by their worker before the server is told to stop.
SETTLE_SECONDS = 1.0
# Each worker may run all the requests at once, however they are spread over the two.
SERVER_SETTINGS = {"shutdown_grace_seconds": str(GRACE_SECONDS), "db_pool_size": "10"}


def wait_for(condition: Callable[[], bool], what: str, seconds: float = 20.0) -> None:
    """Poll `condition` until it holds; fail naming `what` if it never does."""
    deadline = time.monotonic() + seconds
    while not condition():
        assert time.monotonic() < deadline, f"never happened: {what}"
        time.sleep(0.05)


@contextmanager
def orders_table_locked(engine: Engine) -> Iterator[Connection]:
    """Hold every reader and writer of the orders table until the block ends."""
    with engine.connect() as connection, connection.begin():
        connection.execute(text("LOCK TABLE orders IN ACCESS EXCLUSIVE MODE"))
        yield connection


def waiting_on_locks(engine: Engine) -> int:
    """How many sessions of this database wait for a lock."""
    with engine.connect() as connection:
        return int(connection.execute(text(
            "SELECT count(*) FROM pg_stat_activity "
            "WHERE datname = current_database() AND wait_event_type = 'Lock'")).scalar_one())


def _answered(request: Callable[[httpx.Client], httpx.Response], server: Server,
              sent: list[None] | None = None) -> httpx.Response | str:
    with server.new_client(timeout=60) as client:
        # Connected (and accepted by a worker) before the shutdown, as a busy client is.
        client.get("/health/live").raise_for_status()
        if sent is not None:
            sent.append(None)  # the request goes now (list.append is atomic)
        try:
            return request(client)
        except httpx.TransportError as error:
            return type(error).__name__


def _store(engine: Engine, sku: str) -> dict[str, Any]:
    with engine.connect() as connection:
        placed = {row.stream_id for row in connection.execute(text(
            "SELECT stream_id FROM events WHERE type = 'OrderPlaced'"))}
        orders = {str(row.id): row.number for row in connection.execute(text(
            "SELECT id, number FROM orders"))}
        available = connection.execute(
            text("SELECT available FROM products WHERE sku = :sku"), {"sku": sku}).scalar_one()
    return {"placed": placed, "orders": orders, "available": available}


@POSTGRES_ONLY
def test_sigterm_lets_requests_in_flight_finish_then_exits_0_leaving_nothing_half_written(
    start_server: StartServer, database_url_for_test: str
) -> None:
    server = start_server(workers=2, settings=SERVER_SETTINGS)
    sku = create_product(server.client, stock=STOCK)["sku"]
    body = order_body([line(sku, 2)], create_shipping_method(server.client)["code"])
    for _ in range(PLACED_BEFORE):
        assert server.client.post("/v1/orders", json=body).status_code == 201
    engine = create_engine(database_url_for_test)
    assert server.process is not None
    try:
        with ThreadPoolExecutor(IN_FLIGHT + 1) as pool:
            with orders_table_locked(engine):
                sent: list[None] = []
                placing: list[Future[httpx.Response | str]] = [
                    pool.submit(_answered, lambda c: c.post("/v1/orders", json=body), server,
                                sent)
                    for _ in range(IN_FLIGHT)]
                exporting = pool.submit(_answered, lambda c: c.get(
                    "/v1/orders/export", params={"format": "ndjson", "limit": 1000}), server,
                    sent)
                # A worker writes the placements that arrive together in one call (and
                # one session), so fewer sessions wait than requests: at least the export
                # and one placement call. The others wait behind that call in a worker.
                wait_for(lambda: len(sent) == IN_FLIGHT + 1 and waiting_on_locks(engine) >= 2,
                         "every request sent, and the export and a placement call waiting")
                time.sleep(SETTLE_SECONDS)
                server.process.send_signal(signal.SIGTERM)
                stopped_at = time.monotonic()
                wait_for(lambda: server.output().count("Shutting down") >= 2,
                         "both workers shutting down")
                assert server.process.poll() is None, "the server did not wait for its requests"
            answers = [future.result() for future in placing]
            export = exporting.result()
        exit_status = server.process.wait(timeout=GRACE_SECONDS)
        took = time.monotonic() - stopped_at
        store = _store(engine, sku)
    finally:
        engine.dispose()

    assert exit_status == 0
    assert took < GRACE_SECONDS
    assert "timeout graceful shutdown exceeded" not in server.output()
    for answer in answers:
        assert isinstance(answer, httpx.Response), answer
        assert answer.status_code == 201, answer.text
        assert answer.json()["status"] == "pending_payment"
    assert isinstance(export, httpx.Response), export
    assert export.status_code == 200, export.text
    exported = [record["number"] for record in ndjson_page_records(export.text)]
    assert exported == list(range(1, len(exported) + 1))
    assert len(exported) >= PLACED_BEFORE
    # Nothing half-written: each placement is whole (event, order row, stock) or absent.
    total = PLACED_BEFORE + IN_FLIGHT
    assert store["placed"] == {order_stream(UUID(order_id)) for order_id in store["orders"]}
    assert sorted(store["orders"].values()) == list(range(1, total + 1))
    assert {answer.json()["id"] for answer in answers} <= set(store["orders"])
    assert store["available"] == STOCK - 2 * total


@POSTGRES_ONLY
def test_a_request_still_stuck_when_the_grace_ends_is_cut_off_and_stores_nothing(
    start_server: StartServer, database_url_for_test: str
) -> None:
    statement_timeout_s = 3
    server = start_server(settings={"shutdown_grace_seconds": "1",
                                    "db_statement_timeout_ms": str(statement_timeout_s * 1000)})
    sku = create_product(server.client, stock=STOCK)["sku"]
    body = order_body([line(sku, 2)], create_shipping_method(server.client)["code"])
    assert server.client.post("/v1/orders", json=body).status_code == 201
    engine = create_engine(database_url_for_test)
    assert server.process is not None
    try:
        with ThreadPoolExecutor(1) as pool:
            with orders_table_locked(engine):
                stuck = pool.submit(_answered, lambda c: c.post("/v1/orders", json=body), server)
                wait_for(lambda: waiting_on_locks(engine) >= 1, "the order waiting")
                server.process.send_signal(signal.SIGTERM)
                stopped_at = time.monotonic()
                # Held past the grace: the server must give up on the request by itself.
                exit_status = server.process.wait(timeout=statement_timeout_s + 10)
                took = time.monotonic() - stopped_at
            answer = stuck.result()
        store = _store(engine, sku)
    finally:
        engine.dispose()

    assert exit_status == 0
    # The stuck thread outlives the grace only until the database gives up on it.
    assert took < 1 + statement_timeout_s + 5
    assert "timeout graceful shutdown exceeded" in server.output()
    # Cut off: told so whole, and no trace of it in the store.
    assert isinstance(answer, httpx.Response), answer
    assert_problem(answer, 503)
    assert answer.headers["Retry-After"]
    assert sorted(store["orders"].values()) == [1]
    assert store["placed"] == {order_stream(UUID(order_id)) for order_id in store["orders"]}
    assert store["available"] == STOCK - 2
