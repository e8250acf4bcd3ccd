"""Races on PostgreSQL over real servers: requests from many connections at once.

Each race runs twice: against one server with two workers, and against two server
instances on the same database (more nodes means more stateless API processes on one
PostgreSQL). Each test releases its requests together (see `tests.e2e.live.race`) and
then checks that the answers, the read models and the event store all tell the same story.

The races' rules are tested on Shop with threads on both databases
(tests/integration/test_races.py); these keep what only servers show: the HTTP answers
(409 problems, 412 with the current version, ETag) of requests racing across processes.
"""

from __future__ import annotations

import time
from collections import Counter
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from typing import Any

import httpx
import pytest
from sqlalchemy import Engine, create_engine, text

from tests.e2e.builders import (
    JsonObject,
    create_product,
    create_shipping_method,
    line,
    order_body,
    place_order,
)
from tests.e2e.expectations import assert_problem
from tests.e2e.live import SERVER_SETTINGS, all_orders, available, events_after, post, race
from tests.servers import Server, StartServer

POSTGRES_ONLY = pytest.mark.parametrize("backend", ["postgresql"])
OUT_OF_STOCK = "urn:order-service:problem:out-of-stock"


@pytest.fixture(params=["two workers", "two instances"])
def servers(request: pytest.FixtureRequest, start_server: StartServer) -> list[Server]:
    """One server with two workers, or two one-worker servers on one database."""
    if request.param == "two workers":
        return [start_server(workers=2, settings=SERVER_SETTINGS)]
    return [start_server(workers=1, settings=SERVER_SETTINGS) for _ in range(2)]


def _placed_events(client: httpx.Client) -> list[JsonObject]:
    return [event for event in events_after(client) if event["type"] == "OrderPlaced"]


def _added_stock(client: httpx.Client, sku: str) -> int:
    """Opening stock plus restocks, as the event store records them."""
    total = 0
    for event in events_after(client):
        if event["stream_id"] == f"product-{sku}":
            total += event["data"].get("stock", 0) + event["data"].get("quantity", 0)
    return total


def _statuses(responses: list[httpx.Response]) -> Counter[int]:
    return Counter(response.status_code for response in responses)


def _server_errors(responses: list[httpx.Response]) -> list[str]:
    return [response.text for response in responses if response.status_code >= 500]


# -- the last items -----------------------------------------------------------------


@POSTGRES_ONLY
def test_twenty_buyers_per_item_left_get_exactly_the_stock_and_every_other_one_409(
    servers: list[Server],
) -> None:
    client = servers[0].client
    stock = 5
    sku = create_product(client, stock=stock)["sku"]
    method = create_shipping_method(client)["code"]

    responses = race(servers, [post("/v1/orders", order_body([line(sku, 1)], method))
                                for _ in range(20 * stock)])

    assert _statuses(responses) == {201: stock, 409: 19 * stock}, _server_errors(responses)
    for refused in (r for r in responses if r.status_code == 409):
        assert assert_problem(refused, 409)["type"] == OUT_OF_STOCK
    assert available(client, sku) == 0
    accepted = {r.json()["id"] for r in responses if r.status_code == 201}
    placed = _placed_events(client)
    assert {event["data"]["order_id"] for event in placed} == accepted
    assert {order["id"] for order in all_orders(client)} == accepted
    assert _added_stock(client, sku) - len(placed) == available(client, sku)


# -- transitions on one order -------------------------------------------------------


# Time for every raced request to read its order while the writes are held back.
READ_SECONDS = 1.0


@contextmanager
def _order_writes_held(engine: Engine) -> Iterator[None]:
    """Hold every write of the orders table (reads go on) until the block ends."""
    with engine.connect() as connection, connection.begin():
        connection.execute(text("LOCK TABLE orders IN EXCLUSIVE MODE"))
        yield


def _waiting_on_locks(engine: Engine) -> int:
    with engine.connect() as connection:
        return int(connection.execute(text(
            "SELECT count(*) FROM pg_stat_activity "
            "WHERE datname = current_database() AND wait_event_type = 'Lock'")).scalar_one())


def _wait_for(condition: Callable[[], bool], seconds: float = 20.0) -> None:
    deadline = time.monotonic() + seconds
    while not condition():
        assert time.monotonic() < deadline, "the condition never held"
        time.sleep(0.05)


def _pending_orders(client: httpx.Client, count: int) -> tuple[str, list[JsonObject]]:
    sku = create_product(client, stock=count)["sku"]
    method = create_shipping_method(client)["code"]
    return sku, [place_order(client, [line(sku, 1)], method) for _ in range(count)]


def _history(client: httpx.Client, order_id: str) -> list[str]:
    response = client.get(f"/v1/orders/{order_id}/events")
    assert response.status_code == 200, response.text
    return [event["type"] for event in response.json()]


def _one_winner(winner: httpx.Response, loser: httpx.Response, winner_status: str) -> bool:
    return (winner.status_code == 200 and winner.json()["status"] == winner_status
            and loser.status_code == 409 and loser.json()["current_status"] == winner_status)


@POSTGRES_ONLY
def test_paying_and_cancelling_an_order_at_once_leaves_one_winner_or_a_legal_sequence(
    servers: list[Server], database_url_for_test: str
) -> None:
    client = servers[0].client
    sku, orders = _pending_orders(client, 20)
    requests = []
    for order in orders:
        requests += [post(f"/v1/orders/{order['id']}/pay", {"payment_reference": "TR-1"}),
                     post(f"/v1/orders/{order['id']}/cancel", {"reason": "changed mind"})]

    # Released together, the pays and the cancels may still not overlap: a worker writes
    # the changes that arrive together in one call, and one server's call can commit
    # every pay before the other server has read one order. So the orders' writes are
    # held back until every request has had time to read its order as it was.
    engine = create_engine(database_url_for_test)
    try:
        with ThreadPoolExecutor(1) as pool, _order_writes_held(engine):
            racing = pool.submit(race, servers, requests)
            _wait_for(lambda: _waiting_on_locks(engine) >= 1)
            time.sleep(READ_SECONDS)
        responses = racing.result()
    finally:
        engine.dispose()

    assert set(_statuses(responses)) <= {200, 409}, _server_errors(responses)
    single_winners = 0
    still_holding_stock = 0
    for index, order in enumerate(orders):
        pay, cancel = responses[2 * index], responses[2 * index + 1]
        history = _history(client, order["id"])
        if _one_winner(pay, cancel, "paid"):
            assert history == ["OrderPlaced", "OrderPaid"]
            single_winners += 1
            still_holding_stock += 1
        elif _one_winner(cancel, pay, "cancelled"):
            assert history == ["OrderPlaced", "OrderCancelled"]
            single_winners += 1
        else:
            assert (pay.status_code, cancel.status_code) == (200, 200), (pay.text, cancel.text)
            assert cancel.json()["status"] == "cancelled"
            assert history == ["OrderPlaced", "OrderPaid", "OrderCancelled"]
        for refused in (r for r in (pay, cancel) if r.status_code == 409):
            assert assert_problem(refused, 409)["type"] in {
                "urn:order-service:problem:changed-meanwhile",
                "urn:order-service:problem:illegal-transition",
            }
    assert single_winners >= 1
    assert available(client, sku) == 20 - still_holding_stock


@POSTGRES_ONLY
def test_two_changes_sent_with_the_same_if_match_get_one_200_and_one_412(
    servers: list[Server],
) -> None:
    client = servers[0].client
    sku, orders = _pending_orders(client, 10)
    requests = []
    for order in orders:
        etag = client.get(f"/v1/orders/{order['id']}").headers["etag"]
        requests += [post(f"/v1/orders/{order['id']}/pay", If_Match=etag),
                     post(f"/v1/orders/{order['id']}/cancel", If_Match=etag)]

    responses = race(servers, requests)

    cancelled = 0
    for index, order in enumerate(orders):
        pair = responses[2 * index: 2 * index + 2]
        assert sorted(r.status_code for r in pair) == [200, 412], [r.text for r in pair]
        won = next(r for r in pair if r.status_code == 200)
        stale: dict[str, Any] = assert_problem(next(r for r in pair if r.status_code == 412), 412)
        assert stale["current_version"] == 2
        assert stale["expected_version"] == 1
        assert won.json()["version"] == 2
        assert won.headers["etag"] == '"2"'
        history = _history(client, order["id"])
        assert history == ["OrderPlaced",
                           "OrderPaid" if won.json()["status"] == "paid" else "OrderCancelled"]
        cancelled += won.json()["status"] == "cancelled"
    assert available(client, sku) == cancelled


