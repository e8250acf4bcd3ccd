"""The event feed over a real two-worker server: GET /v1/events?after=&limit=.

Followers (billing, search, analytics) poll it with the `next_after` of the last page;
they must see every event exactly once, in order, even while many requests write. How
`after` and `next_after` page through the store is tests/contract/test_event_store.py's.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from datetime import datetime

import httpx
import pytest
from sqlalchemy import Engine, select

from order_service.adapters.sql.engine import make_engine
from order_service.eventstore.tables import events
from tests.e2e.builders import (
    JsonObject,
    create_product,
    create_shipping_method,
    line,
    place_order,
)
from tests.e2e.live import SERVER_SETTINGS, TIMEOUT_S, events_after, feed_end, serving
from tests.newer_events import NEWER_TYPE, store_newer_event
from tests.scrapes import value
from tests.servers import Server, StartServer

EVENT_FIELDS = {"id", "position", "stream_id", "version", "type", "schema_version",
                "recorded_at", "data", "metadata"}
# As a newer version might store it: nested values, text beyond ASCII, a null.
NEWER_DATA = {"message": "¡Feliz cumpleaños!", "paper": {"colour": "red", "ribbon": None},
              "charge": 250}


@pytest.fixture(scope="module")
def server(module_database_url: str, tmp_path_factory: pytest.TempPathFactory
           ) -> Iterator[Server]:
    """One two-worker server per backend for this module's self-contained tests."""
    with serving(module_database_url, tmp_path_factory.mktemp("server")) as running:
        yield running


def _page(client: httpx.Client, after: int, limit: int) -> JsonObject:
    response = client.get("/v1/events", params={"after": after, "limit": limit})
    assert response.status_code == 200, response.text
    page: JsonObject = response.json()
    return page


def _an_order_paid(client: httpx.Client) -> JsonObject:
    sku = create_product(client, stock=5)["sku"]
    order = place_order(client, [line(sku, 2)], create_shipping_method(client)["code"])
    assert client.post(f"/v1/orders/{order['id']}/pay").status_code == 200
    return order


# -- the shape of a page ------------------------------------------------------------------


def test_the_feed_lists_new_events_in_the_order_they_happened_with_all_their_fields(
    server: Server,
) -> None:
    client = server.client
    start = feed_end(client)

    order = _an_order_paid(client)

    page = _page(client, start, 100)
    items = page["items"]
    assert [item["type"] for item in items] == [
        "ProductAdded", "ShippingMethodAdded", "OrderPlaced", "OrderPaid"]
    assert all(set(item) == EVENT_FIELDS for item in items)
    positions = [item["position"] for item in items]
    assert positions == sorted(set(positions))
    assert positions[0] > start
    assert page["next_after"] == positions[-1]
    assert [(i["stream_id"], i["version"]) for i in items[2:]] == [
        (f"order-{order['id']}", 1), (f"order-{order['id']}", 2)]
    ids = [item["id"] for item in items]
    assert len(set(ids)) == len(ids)
    assert _page(client, start, 100)["items"][2]["id"] == ids[2]  # the same every time
    assert items[2]["data"]["order_id"] == order["id"]
    assert items[2]["data"]["number"] == order["number"]
    assert datetime.fromisoformat(items[3]["recorded_at"]) >= datetime.fromisoformat(
        items[2]["recorded_at"])
    assert items[3]["metadata"]["caused_by"] == (
        f"api-key {server.api_key_name}: POST /v1/orders/{{order_id}}/pay")


# -- an event type this version does not know -----------------------------------------------


def test_a_follower_pages_past_an_event_of_a_type_this_version_does_not_know_as_stored(
    server: Server,
) -> None:
    client = server.client
    order = _an_order_paid(client)
    engine = make_engine(server.database_url, pool_size=1)
    try:
        position = store_newer_event(engine, f"order-{order['id']}", data=NEWER_DATA)
    finally:
        engine.dispose()
    later = _an_order_paid(client)

    followed: list[JsonObject] = []
    after = position - 1
    while items := (page := _page(client, after, 1))["items"]:
        followed.extend(items)
        after = page["next_after"]

    newer = followed[0]
    assert (newer["position"], newer["type"], newer["stream_id"], newer["version"],
            newer["schema_version"]) == (position, NEWER_TYPE, f"order-{order['id']}", 3, 1)
    assert newer["data"] == NEWER_DATA
    assert set(newer) == EVENT_FIELDS
    assert [item["type"] for item in followed[1:]] == [
        "ProductAdded", "ShippingMethodAdded", "OrderPlaced", "OrderPaid"]
    assert followed[3]["data"]["order_id"] == later["id"]
    scrape = client.get("/metrics").text
    assert value(scrape, "order_service_unknown_events_total", reader="feed",
                 type=NEWER_TYPE) >= 1


# -- a follower while many write ----------------------------------------------------------


@pytest.mark.parametrize("backend", ["postgresql"])
def test_a_follower_polling_while_eight_writers_append_sees_every_event_exactly_once(
    start_server: StartServer, engine: Engine
) -> None:
    running = start_server(workers=2, settings=SERVER_SETTINGS)
    client = running.client
    writers, rounds = 8, 6
    # Orders share two products; each writer restocks one of its own.
    skus = [create_product(client, stock=1000)["sku"] for _ in range(2 + writers)]
    method = create_shipping_method(client)["code"]
    writing = threading.Barrier(writers + 1)
    done = threading.Event()

    def write(writer: int) -> int:
        sku, own_sku = skus[writer % 2], skus[2 + writer]
        appended = 0
        with running.new_client(timeout=TIMEOUT_S) as own:
            writing.wait(timeout=TIMEOUT_S)
            for turn in range(rounds):
                order = place_order(own, [line(sku, 1)], method)
                steps = [f"/v1/orders/{order['id']}/pay"]
                if turn % 2:
                    steps.append(f"/v1/orders/{order['id']}/cancel")
                for path in steps:
                    changed = own.post(path)
                    assert changed.status_code == 200, changed.text
                restock = own.post(f"/v1/products/{own_sku}/restock", json={"quantity": 1})
                assert restock.status_code == 200, restock.text
                appended += 2 + len(steps)
        return appended

    def follow() -> list[int]:
        seen: list[int] = []
        after = 0
        deadline = time.monotonic() + TIMEOUT_S
        with running.new_client(timeout=TIMEOUT_S) as own:
            writing.wait(timeout=TIMEOUT_S)
            while time.monotonic() < deadline:
                finished = done.is_set()
                page = _page(own, after, 5)
                seen.extend(item["position"] for item in page["items"])
                after = page["next_after"]
                if finished and not page["items"]:
                    return seen
        raise AssertionError("the writers never finished")

    with ThreadPoolExecutor(max_workers=writers + 1) as pool:
        follower = pool.submit(follow)
        appended = [pool.submit(write, writer) for writer in range(writers)]
        try:
            written = sum(future.result(timeout=TIMEOUT_S) for future in appended)
        finally:
            done.set()
        seen = follower.result(timeout=TIMEOUT_S)

    with engine.connect() as connection:
        stored = connection.execute(select(events.c.position)).scalars().all()
    assert len(seen) == len(set(seen))
    assert seen == sorted(seen)
    assert set(seen) == set(stored)
    assert len(stored) == written + len(skus) + 1
    assert len(events_after(client)) == len(stored)


def test_an_orders_history_shows_an_event_of_a_type_this_version_does_not_know_as_stored(
    server: Server,
) -> None:
    client = server.client
    order = _an_order_paid(client)
    engine = make_engine(server.database_url, pool_size=1)
    try:
        store_newer_event(engine, f"order-{order['id']}", data=NEWER_DATA)
    finally:
        engine.dispose()

    history = client.get(f"/v1/orders/{order['id']}/events")

    assert history.status_code == 200, history.text
    assert [(event["type"], event["data"]) for event in history.json()][2] == (
        NEWER_TYPE, NEWER_DATA)
