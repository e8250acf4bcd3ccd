"""Faults production meets: workers killed mid-request, a database that goes away or hangs.

Real `order-service serve` processes (uvicorn, 2 workers) on PostgreSQL, over real TCP.
The shared PostgreSQL server is never stopped: outages go through tests/e2e/tcp_proxy.py,
which sits between the service and the database. Every request the load makes is
recorded (answer, or none); the store is then checked against what was acknowledged.
"""

from __future__ import annotations

import os
import random
import signal
import subprocess
import threading
import time
import uuid
from collections import Counter, defaultdict
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
import pytest
from sqlalchemy import select
from sqlalchemy.engine import make_url

from order_service.adapters.sql.engine import make_engine
from order_service.projections import tables
from tests.e2e.builders import (
    create_product,
    create_shipping_method,
    customer,
    get_json,
    line,
    order_body,
)
from tests.e2e.expectations import PROBLEM_JSON, assert_problem
from tests.e2e.tcp_proxy import TcpProxy
from tests.servers import COMMAND, Server, StartServer

POSTGRES_ONLY = pytest.mark.parametrize("backend", ["postgresql"])

# The outage tests' timeouts, and the bound they promise on any request: whatever the
# database does, no request goes unanswered past the request timeout, with a second to
# spare for the answer to travel.
CONNECT_TIMEOUT_SECONDS = 2  # libpq's least
POOL_TIMEOUT_SECONDS = 2
STATEMENT_TIMEOUT_MS = 3000
REQUEST_TIMEOUT_SECONDS = 4
FAIL_FAST_WITHIN_SECONDS = REQUEST_TIMEOUT_SECONDS + 1
OUTAGE_SETTINGS = {
    "db_connect_timeout_seconds": str(CONNECT_TIMEOUT_SECONDS),
    "db_pool_timeout_seconds": str(POOL_TIMEOUT_SECONDS),
    "db_statement_timeout_ms": str(STATEMENT_TIMEOUT_MS),
    "request_timeout_seconds": str(REQUEST_TIMEOUT_SECONDS),
    "db_pool_size": "5",
}
UNAVAILABLE = "urn:order-service:problem:unavailable"


# -- recording what the load did ----------------------------------------------------------


@dataclass(frozen=True)
class Call:
    """One request and what became of it; `status` None means no answer at all."""

    kind: str
    started: float
    ended: float
    status: int | None = None
    body: Any = None
    headers: dict[str, str] = field(default_factory=dict)
    error: str | None = None
    email: str | None = None
    order_id: str | None = None
    sent: Any = None

    @property
    def seconds(self) -> float:
        """How long the caller waited."""
        return self.ended - self.started

    def __str__(self) -> str:
        outcome = self.status if self.status is not None else self.error
        return f"{self.kind} -> {outcome} after {self.seconds:.2f} s: {str(self.body)[:300]}"


class Load:
    """Threads that repeat a step until stopped, and the record of every request made."""

    def __init__(self, client: httpx.Client) -> None:
        self.client = client
        self.calls: list[Call] = []
        self.failures: list[BaseException] = []
        self._stop = threading.Event()
        self._threads: list[threading.Thread] = []

    def call(self, kind: str, method: str, url: str, *, email: str | None = None,
             order_id: str | None = None, **kwargs: Any) -> Call:
        """Make one request and record it, whatever happens."""
        started = time.monotonic()
        try:
            response = self.client.request(method, url, **kwargs)
        except httpx.TransportError as error:
            made = Call(kind, started, time.monotonic(), error=f"{type(error).__name__}: {error}",
                        email=email, order_id=order_id, sent=kwargs.get("json"))
        else:
            ended = time.monotonic()
            try:
                body: Any = response.json()
            except ValueError:
                body = response.text
            if order_id is None and kind == "place" and response.status_code == 201:
                order_id = body["id"]
            made = Call(kind, started, ended, response.status_code, body,
                        dict(response.headers), email=email, order_id=order_id,
                        sent=kwargs.get("json"))
        self.calls.append(made)
        return made

    def repeat(self, step: Callable[[random.Random], None], copies: int = 1) -> None:
        """Run `step` in a loop on `copies` new threads until `stop`."""
        for _ in range(copies):
            seed = len(self._threads)

            def loop(seed: int = seed) -> None:
                rng = random.Random(seed)
                try:
                    while not self._stop.is_set():
                        step(rng)
                except BaseException as error:  # reported by stop(), not lost in a thread
                    self.failures.append(error)

            thread = threading.Thread(target=loop, daemon=True)
            self._threads.append(thread)
            thread.start()

    def stop(self) -> None:
        """Stop every thread and wait for it; a step that raised fails the test here."""
        self._halt()
        assert not any(t.is_alive() for t in self._threads), "a load thread did not stop"
        assert not self.failures, f"a load thread failed: {self.failures[0]!r}"

    def _halt(self) -> None:
        self._stop.set()
        for thread in self._threads:
            thread.join(timeout=30)

    def __enter__(self) -> Load:
        return self

    def __exit__(self, *_exc: object) -> None:
        # Even when the test fails midway, no thread outlives it.
        self._halt()
        self.client.close()

    def of(self, kind: str) -> list[Call]:
        """Every call of one kind."""
        return [c for c in self.calls if c.kind == kind]


@contextmanager
def diagnosed(*servers: Server, notes: Callable[[], str] = str) -> Iterator[None]:
    """On failure, add the servers' output and `notes()` to the assertion message."""
    try:
        yield
    except AssertionError as failure:
        logs = "\n".join(f"--- server output ---\n{s.output()[-6000:]}" for s in servers)
        raise AssertionError(f"{failure}\n{notes()}\n{logs}") from None


def summary(calls: list[Call]) -> str:
    """Counts of answers per kind, e.g. 'place: 201x80 409x12 nonex5'."""
    counts: dict[str, Counter[str]] = defaultdict(Counter)
    for c in calls:
        counts[c.kind][str(c.status) if c.status is not None else "none"] += 1
    return "; ".join(f"{kind}: " + " ".join(f"{status}x{n}" for status, n in sorted(seen.items()))
                     for kind, seen in sorted(counts.items()))


# -- reading everything back --------------------------------------------------------------


def all_events(client: httpx.Client) -> list[dict[str, Any]]:
    """The whole event feed, oldest first."""
    items: list[dict[str, Any]] = []
    after = 0
    while True:
        page = get_json(client, "/v1/events", params={"after": after, "limit": 1000})
        if not page["items"]:
            return items
        items += page["items"]
        after = page["next_after"]


def all_orders(client: httpx.Client) -> dict[str, dict[str, Any]]:
    """Every order in the read model, by id."""
    orders: dict[str, dict[str, Any]] = {}
    params: dict[str, Any] = {"limit": 200}
    while True:
        page = get_json(client, "/v1/orders", params=params)
        for order in page["items"]:
            assert order["id"] not in orders, f"order {order['id']} listed twice"
            orders[order["id"]] = order
        if page["next_cursor"] is None:
            return orders
        params = {"limit": 200, "cursor": page["next_cursor"]}


def read_model_snapshot(database_url: str) -> dict[str, list[tuple[Any, ...]]]:
    """Every row of every read-model table, in key order."""
    engine = make_engine(database_url, pool_size=1)
    try:
        with engine.connect() as connection:
            return {
                table.name: [tuple(row) for row in connection.execute(
                    select(table).order_by(*table.primary_key.columns))]
                for table in (tables.products, tables.shipping_methods, tables.orders,
                              tables.order_numbers)
            }
    finally:
        engine.dispose()


def rebuild_projections(database_url: str, workdir: Path) -> subprocess.CompletedProcess[str]:
    """Run `order-service rebuild-projections` as an operator would."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("ORDER_SERVICE_")}
    env["ORDER_SERVICE_DATABASE_URL"] = database_url
    workdir.mkdir(parents=True, exist_ok=True)
    return subprocess.run([str(COMMAND), "rebuild-projections"], cwd=workdir, env=env,
                          capture_output=True, text=True, timeout=120, check=False)


def wait_for(condition: Callable[[], bool], seconds: float) -> bool:
    """Poll `condition` until it holds or `seconds` pass; whether it held."""
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if condition():
            return True
        time.sleep(0.1)
    return condition()


# -- 1. processes killed under load -------------------------------------------------------


@POSTGRES_ONLY
def test_a_worker_killed_with_sigkill_is_replaced_by_the_supervisor(
    start_server: StartServer,
) -> None:
    server = start_server(workers=2)
    before = server.worker_pids()
    assert len(before) == 2, f"expected 2 workers, found {before}\n{server.output()}"

    os.kill(before[0], signal.SIGKILL)

    replaced = wait_for(lambda: len(server.worker_pids()) == 2
                        and before[0] not in server.worker_pids(), seconds=15)
    assert replaced, f"workers after the kill: {server.worker_pids()}\n{server.output()}"
    # Fresh connections land on either worker; every one of them must be served.
    with server.new_client(timeout=10, headers={"Connection": "close"}) as fresh:
        statuses = [fresh.get("/health/ready").status_code for _ in range(20)]
    assert statuses == [200] * 20, server.output()


@POSTGRES_ONLY
def test_killing_workers_under_load_loses_no_acknowledged_write_and_leaves_nothing_half_written(
    start_server: StartServer, database_url_for_test: str, tmp_path: Path
) -> None:
    server = start_server(workers=2)
    method = create_shipping_method(server.client)["code"]
    # Two SKUs that never run out, one scarce (refusals) that a restocker tops up.
    stock = {create_product(server.client, stock=stock)["sku"]: stock
             for stock in (100_000, 100_000, 12)}
    skus = sorted(stock)
    scarce = min(stock, key=stock.__getitem__)
    # A fresh connection per request spreads the load over both workers.
    load = Load(server.new_client(timeout=10, headers={"Connection": "close"}))

    def shop(rng: random.Random) -> None:
        email = f"crash-{uuid.uuid4().hex[:12]}@example.com"
        lines = [line(sku, rng.randint(1, 3)) for sku in rng.sample(skus, rng.randint(1, 2))]
        placed = load.call("place", "POST", "/v1/orders", email=email,
                           json=order_body(lines, method, customer=customer(email=email)))
        if placed.status == 201:
            action = rng.choice(["cancel", "pay", None, None])
            if action:
                load.call(action, "POST", f"/v1/orders/{placed.order_id}/{action}",
                          order_id=placed.order_id)
        elif placed.status is None:
            time.sleep(0.05)  # the server is down or restarting: do not spin

    def restock(_rng: random.Random) -> None:
        load.call("restock", "POST", f"/v1/products/{scarce}/restock", json={"quantity": 2})
        time.sleep(0.2)

    timeline: list[str] = []

    def notes() -> str:
        return f"timeline: {timeline}\ncalls: {summary(load.calls)}"

    with load, diagnosed(server, notes=notes):
        load.repeat(shop, copies=6)
        load.repeat(restock)
        time.sleep(1.0)
        victim = server.worker_pids()[0]
        os.kill(victim, signal.SIGKILL)
        timeline.append(f"killed worker {victim}")
        replaced = wait_for(lambda: victim not in server.worker_pids()
                            and len(server.worker_pids()) == 2, seconds=10)
        timeline.append(f"replaced: {replaced}, workers {server.worker_pids()}")
        time.sleep(0.5)
        server.kill()
        timeline.append("killed the whole server")
        time.sleep(0.3)
        server.start()
        timeline.append("restarted")
        time.sleep(1.0)
        load.stop()
        print(notes())

        check_answers(load)
        events = all_events(server.client)
        orders = all_orders(server.client)
        check_every_acknowledged_write_is_stored(server.client, load, orders)
        check_every_order_is_whole(events, orders)
        check_nothing_unacknowledged_is_half_written(load, orders)
        check_stock_adds_up(server.client, events, orders)

        before = read_model_snapshot(database_url_for_test)
        rebuilt = rebuild_projections(database_url_for_test, tmp_path / "rebuild")
        assert rebuilt.returncode == 0, rebuilt.stderr
        after = read_model_snapshot(database_url_for_test)
        for table, rows in before.items():
            assert after[table] == rows, (
                f"rebuild-projections changed {table}: "
                f"{[r for r in rows if r not in after[table]][:3]} became "
                f"{[r for r in after[table] if r not in rows][:3]}")


def problem_of(c: Call, status: int) -> dict[str, Any]:
    """The RFC 9457 problem a recorded answer must be (as expectations.assert_problem)."""
    assert c.status == status, str(c)
    assert c.headers.get("content-type", "").split(";")[0].strip() == PROBLEM_JSON, str(c)
    assert isinstance(c.body, dict), str(c)
    assert c.body["status"] == status, str(c)
    for member in ("type", "title", "detail"):
        assert isinstance(c.body.get(member), str), str(c)
        assert c.body[member], str(c)
    return c.body


def check_answers(load: Load) -> None:
    """Every answer was one the contract allows, and the crashes were really felt."""
    allowed = {"place": {201, 409, None}, "pay": {200, None}, "cancel": {200, None},
               "restock": {200, None}}
    for c in load.calls:
        assert c.status in allowed[c.kind], str(c)
        if c.status == 409:
            problem_of(c, 409)
    placed = [c for c in load.of("place") if c.status == 201]
    unanswered = [c for c in load.of("place") if c.status is None]
    assert placed, "no placement succeeded"
    assert unanswered, "no placement went unanswered: the crashes were not felt"


def check_every_acknowledged_write_is_stored(
    client: httpx.Client, load: Load, orders: dict[str, dict[str, Any]]
) -> None:
    """Each 201 order is readable with its lines; each acknowledged change took effect."""
    placed = [c for c in load.of("place") if c.status == 201]

    def read(c: Call) -> tuple[Call, httpx.Response]:
        return c, client.get(f"/v1/orders/{c.order_id}")

    with ThreadPoolExecutor(max_workers=8) as pool:
        for c, response in pool.map(read, placed):
            assert response.status_code == 200, f"acknowledged {c} but now {response.text}"
            stored = response.json()
            for key in ("number", "lines", "subtotal", "shipping", "tax", "total"):
                assert stored[key] == c.body[key], f"order {c.order_id} {key} changed"
            assert stored["customer"]["email"] == c.email
    for kind, status in (("cancel", "cancelled"), ("pay", "paid")):
        for c in load.of(kind):
            if c.status == 200:
                assert orders[str(c.order_id)]["status"] == status, str(c)


def check_every_order_is_whole(events: list[dict[str, Any]],
                               orders: dict[str, dict[str, Any]]) -> None:
    """Events and read model agree order by order, and the numbers have no gap."""
    streams: dict[str, list[dict[str, Any]]] = defaultdict(list)
    for event in events:
        if event["stream_id"].startswith("order-"):
            streams[event["stream_id"].removeprefix("order-")].append(event)
    assert set(streams) == set(orders), (
        f"events without a read-model row: {sorted(set(streams) - set(orders))[:5]}; "
        f"read-model rows without events: {sorted(set(orders) - set(streams))[:5]}")
    last_status = {"OrderPlaced": "pending_payment", "OrderPaid": "paid",
                   "OrderShipped": "shipped", "OrderCancelled": "cancelled"}
    for order_id, history in streams.items():
        order = orders[order_id]
        assert [e["version"] for e in history] == list(range(1, len(history) + 1)), order_id
        placed = history[0]
        assert placed["type"] == "OrderPlaced", order_id
        data = placed["data"]
        assert order["number"] == data["number"]
        assert order["lines"] == data["lines"]
        assert order["customer"]["email"] == data["customer"]["email"]
        for key in ("subtotal", "shipping", "tax", "total", "tax_rate", "currency"):
            assert order[key] == data[key], f"order {order_id} {key}"
        assert data["subtotal"] == sum(item["line_total"] for item in data["lines"])
        assert order["version"] == len(history)
        assert order["status"] == last_status[history[-1]["type"]]
    numbers = sorted(order["number"] for order in orders.values())
    assert numbers == list(range(1, len(numbers) + 1)), "receipt numbers have gaps or repeats"


def check_nothing_unacknowledged_is_half_written(
    load: Load, orders: dict[str, dict[str, Any]]
) -> None:
    """A 201 is stored once, a 409 never, a placement without an answer at most once."""
    stored = Counter(order["customer"]["email"] for order in orders.values())
    for c in load.of("place"):
        expected = {201: {1}, 409: {0}, None: {0, 1}}[c.status]
        assert stored[c.email] in expected, f"{c} is stored {stored[c.email]} times"
    asked = {c.email for c in load.of("place")}
    assert set(stored) <= asked, "orders nobody placed"


def check_stock_adds_up(client: httpx.Client, events: list[dict[str, Any]],
                        orders: dict[str, dict[str, Any]]) -> None:
    """available = opening stock + restocks - what the non-cancelled orders hold."""
    expected: Counter[str] = Counter()
    for event in events:
        if event["type"] == "ProductAdded":
            expected[event["data"]["sku"]] += event["data"]["stock"]
        elif event["type"] == "ProductRestocked":
            expected[event["data"]["sku"]] += event["data"]["quantity"]
    for order in orders.values():
        if order["status"] != "cancelled":
            for item in order["lines"]:
                expected[item["sku"]] -= item["quantity"]
    available = {p["sku"]: p["available"] for p in get_json(client, "/v1/products")}
    assert available == dict(expected)


# -- 2. the database goes away ------------------------------------------------------------


@contextmanager
def proxied_database(database_url: str) -> Iterator[tuple[TcpProxy, str]]:
    """A proxy in front of the test's PostgreSQL, and the database URL through it."""
    url = make_url(database_url)
    with TcpProxy(url.host or "127.0.0.1", url.port or 5432) as proxy:
        yield proxy, url.set(host="127.0.0.1", port=proxy.port).render_as_string(
            hide_password=False)


def assert_unavailable(c: Call) -> None:
    """A 503 problem+json a client can act on: it says when to come back."""
    assert problem_of(c, 503)["type"] == UNAVAILABLE, str(c)
    assert c.headers.get("retry-after", "").isdigit(), f"no Retry-After: {c} {c.headers}"


@POSTGRES_ONLY
def test_a_database_outage_under_load_fails_fast_with_503_and_heals_without_a_restart(
    start_server: StartServer, database_url_for_test: str
) -> None:
    with proxied_database(database_url_for_test) as (proxy, through_proxy):
        server = start_server(
            workers=2, settings={**OUTAGE_SETTINGS, "database_url": through_proxy})
        method = create_shipping_method(server.client)["code"]
        sku = create_product(server.client, stock=100_000)["sku"]
        # Longer than any fail-fast bound, so a hang shows as a slow answer, not a timeout.
        load = Load(server.new_client(timeout=3 * FAIL_FAST_WITHIN_SECONDS))

        def place(_rng: random.Random) -> None:
            email = f"outage-{uuid.uuid4().hex[:12]}@example.com"
            load.call("place", "POST", "/v1/orders", email=email,
                      json=order_body([line(sku)], method, customer=customer(email=email)))
            time.sleep(0.05)

        def browse(_rng: random.Random) -> None:
            load.call("products", "GET", "/v1/products")
            time.sleep(0.05)

        def probe(_rng: random.Random) -> None:
            load.call("live", "GET", "/health/live")
            load.call("ready", "GET", "/health/ready")
            time.sleep(0.05)

        moments: dict[str, float] = {}

        def notes() -> str:
            start = min((c.started for c in load.calls), default=0.0)
            up = moments.get("up", float("inf"))
            recovered = {kind: round(min((c.started - up for c in load.of(kind)
                                          if c.started >= up and c.status in (200, 201)),
                                         default=float("nan")), 2)
                         for kind in ("place", "products", "ready")}
            return (f"moments: { {k: round(v - start, 2) for k, v in moments.items()} }\n"
                    f"first success after up (s): {recovered}\n"
                    f"calls: {summary(load.calls)}\nslowest: "
                    f"{[str(c) for c in sorted(load.calls, key=lambda c: -c.seconds)[:3]]}")

        with load, diagnosed(server, notes=notes):
            load.repeat(place, copies=2)
            load.repeat(browse)
            load.repeat(probe)
            time.sleep(1.0)
            moments["going down"] = time.monotonic()
            proxy.down()
            moments["down"] = time.monotonic()
            time.sleep(3.0)
            moments["up"] = time.monotonic()
            proxy.up()
            time.sleep(4.0)
            load.stop()
            print(notes())

            outage = [c for c in load.calls
                      if c.started >= moments["down"] and c.ended <= moments["up"]]
            healed = [c for c in load.calls if c.started >= moments["up"] + 3.0]

            # Never a hang, never a 500, never silence: a normal answer or a 503 problem.
            for c in load.calls:
                assert c.seconds < FAIL_FAST_WITHIN_SECONDS, f"too slow: {c}"
                normal = {"place": 201, "products": 200, "live": 200, "ready": 200}[c.kind]
                if c.status != normal:
                    if c.kind == "ready":
                        problem_of(c, 503)
                    else:
                        assert_unavailable(c)
            # While the database was away, nothing that needs it could succeed.
            for kind in ("place", "products", "ready"):
                during = [c for c in outage if c.kind == kind]
                assert during, f"no {kind} request fell inside the outage"
                assert all(c.status == 503 for c in during), [str(c) for c in during]
            assert [c.status for c in outage if c.kind == "live"], "no liveness probe"
            # And without any restart, everything works again within a few seconds.
            for kind in ("place", "products", "ready"):
                after = [c for c in healed if c.kind == kind]
                assert after, f"no {kind} request after the outage"
                assert all(c.status in (200, 201) for c in after), [str(c) for c in after]

            check_refused_placements_were_not_stored(server.client, load)


def check_refused_placements_were_not_stored(client: httpx.Client, load: Load) -> None:
    """A placement answered 503 left nothing behind; one answered 201 is stored once."""
    placements = load.of("place")
    stored = Counter(order["customer"]["email"] for order in all_orders(client).values())
    for c in placements:
        assert stored[c.email] == (1 if c.status == 201 else 0), f"{c}: {stored[c.email]}"
    assert sum(stored.values()) == sum(1 for c in placements if c.status == 201)


@POSTGRES_ONLY
def test_a_placement_refused_with_503_is_placed_once_when_retried_with_its_key(
    start_server: StartServer, database_url_for_test: str
) -> None:
    with proxied_database(database_url_for_test) as (proxy, through_proxy):
        server = start_server(settings={**OUTAGE_SETTINGS, "database_url": through_proxy})
        method = create_shipping_method(server.client)["code"]
        sku = create_product(server.client, stock=5)["sku"]
        email = f"retry-{uuid.uuid4().hex[:12]}@example.com"
        body = order_body([line(sku, 2)], method, customer=customer(email=email))
        key = {"Idempotency-Key": str(uuid.uuid4())}

        with diagnosed(server):
            proxy.down()
            refused = server.client.post("/v1/orders", json=body, headers=key)
            assert_problem(refused, 503)
            assert refused.headers["Retry-After"].isdigit()
            proxy.up()
            assert wait_for(lambda: server.client.get("/health/ready").status_code == 200, 10)

            # The 503 was not remembered as the key's answer: the retry places the order...
            retried = server.client.post("/v1/orders", json=body, headers=key)
            assert retried.status_code == 201, retried.text
            assert "Idempotent-Replayed" not in retried.headers
            # ...and from then on the key answers with that order, placing nothing more.
            repeated = server.client.post("/v1/orders", json=body, headers=key)
            assert repeated.status_code == 201, repeated.text
            assert repeated.headers.get("Idempotent-Replayed") == "true"
            assert repeated.json()["id"] == retried.json()["id"]
            orders = all_orders(server.client)
            assert [o["customer"]["email"] for o in orders.values()] == [email]
            assert get_json(server.client, f"/v1/products/{sku}")["available"] == 3


@POSTGRES_ONLY
def test_a_keyed_request_while_the_database_is_down_gets_503_with_retry_after(
    start_server: StartServer, database_url_for_test: str
) -> None:
    with proxied_database(database_url_for_test) as (proxy, through_proxy):
        server = start_server(settings={**OUTAGE_SETTINGS, "database_url": through_proxy})
        assert server.client.get("/v1/products").status_code == 200
        with diagnosed(server):
            proxy.down()
            try:
                refused = server.client.get("/v1/products")
            finally:
                proxy.up()

            assert_problem(refused, 503)
            assert refused.json()["type"] == UNAVAILABLE
            assert refused.headers.get("Retry-After", "").isdigit()


@POSTGRES_ONLY
def test_requests_fail_fast_with_503_when_the_database_stops_answering(
    start_server: StartServer, database_url_for_test: str
) -> None:
    with proxied_database(database_url_for_test) as (proxy, through_proxy):
        server = start_server(settings={**OUTAGE_SETTINGS, "database_url": through_proxy})
        method = create_shipping_method(server.client)["code"]
        sku = create_product(server.client, stock=100)["sku"]
        # A patient client: a request that hangs past the bound shows how long it hung.
        load = Load(server.new_client(timeout=FAIL_FAST_WITHIN_SECONDS + 1))
        requests = [("products", "GET", "/v1/products", {}),
                    ("place", "POST", "/v1/orders", {"json": order_body([line(sku)], method)}),
                    ("ready", "GET", "/health/ready", {}),
                    ("live", "GET", "/health/live", {})]

        def all_at_once() -> list[Call]:
            with ThreadPoolExecutor(max_workers=len(requests)) as pool:
                return list(pool.map(lambda r: load.call(r[0], r[1], r[2], **r[3]), requests))

        with load, diagnosed(server, notes=lambda: "\n".join(map(str, load.calls))):
            # Warm: the pool now holds open connections, as it does in production.
            assert [c.status for c in all_at_once()] == [200, 201, 200, 200]
            load.calls.clear()
            proxy.freeze()
            try:
                hung = all_at_once()
            finally:
                proxy.up()
            for c in hung:
                assert c.seconds < FAIL_FAST_WITHIN_SECONDS, f"hung: {c}"
            assert hung[3].status == 200
            assert_unavailable(hung[0])
            assert_unavailable(hung[1])
            problem_of(hung[2], 503)
            assert wait_for(lambda: status_of(load.client, "/health/ready") == 200, 10)


@POSTGRES_ONLY
def test_a_worker_that_dies_during_a_database_outage_is_replaced_and_the_service_heals(
    start_server: StartServer, database_url_for_test: str
) -> None:
    with proxied_database(database_url_for_test) as (proxy, through_proxy):
        server = start_server(
            workers=2, settings={**OUTAGE_SETTINGS, "database_url": through_proxy})
        supervisor = server.process
        assert supervisor is not None
        victim = server.worker_pids()[0]

        def replacement_tried() -> bool:
            _, _, since = server.output().partition(f"Child process [{victim}] died")
            return supervisor.poll() is not None or "Application startup" in since

        with diagnosed(server), server.new_client(timeout=2,
                                                  headers={"Connection": "close"}) as fresh:
            proxy.down()
            os.kill(victim, signal.SIGKILL)
            # Keep the database away until the supervisor has tried to start a replacement.
            wait_for(replacement_tried, seconds=10)
            # For the next two seconds the server keeps answering what needs no database.
            lives = []
            while len(lives) < 10 and lives.count(200) == len(lives):
                lives.append(status_of(fresh, "/health/live"))
                time.sleep(0.2)
            assert lives == [200] * 10, "the whole server stopped"
            assert status_of(fresh, "/health/ready") == 503
            proxy.up()
            assert wait_for(lambda: status_of(fresh, "/health/ready") == 200, 10)
            assert wait_for(lambda: len(server.worker_pids()) == 2, 10), server.worker_pids()


def status_of(client: httpx.Client, url: str) -> int | str:
    """The status of GET `url`, or the name of the transport error if none came."""
    try:
        return client.get(url).status_code
    except httpx.TransportError as error:
        return type(error).__name__
