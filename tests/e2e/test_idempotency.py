"""Retries over a real two-worker server: Idempotency-Key on every command, and If-Match.

Most tests share one server per backend (the `server` fixture) and look only at what
they did themselves: their own products and orders, and the events after their start.
Tests that need their own settings or a quiet database start their own server.

What a key means to the shop (a no-op answered alike, a refusal repeated even after a
restock) is tested on Shop itself: tests/unit/test_shop.py, tests/contract/. Which requests
are the same under a key (JSON spacing, id spellings, another route or order, each API
key's own keys) and which keys are usable is tests/unit/test_command_requests.py's.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
import uuid
from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import httpx
import pytest
from sqlalchemy import Engine, func, select, update

from order_service.adapters.sql.tables import idempotency_keys
from order_service.settings import Settings
from tests.api_keys import app_client
from tests.e2e.builders import (
    JsonObject,
    create_product,
    create_shipping_method,
    line,
    order_body,
    place_order,
    product_body,
    shipping_method_body,
)
from tests.e2e.expectations import assert_problem
from tests.e2e.live import (
    IDEMPOTENCY_KEY,
    REPLAYED,
    SERVER_SETTINGS,
    all_orders,
    available,
    events_after,
    feed_end,
    post,
    race,
    raw_post,
    serving,
)
from tests.servers import Server, StartServer

POSTGRES_ONLY = pytest.mark.parametrize("backend", ["postgresql"])
COMMAND = Path(sys.executable).with_name("order-service")


@pytest.fixture(scope="module")
def server(module_database_url: str, tmp_path_factory: pytest.TempPathFactory
           ) -> Iterator[Server]:
    """One two-worker server per backend for this module's self-contained tests."""
    with serving(module_database_url, tmp_path_factory.mktemp("server")) as running:
        yield running


def _key() -> dict[str, str]:
    return {IDEMPOTENCY_KEY: str(uuid.uuid4())}


def _pending_order(client: httpx.Client, stock: int = 10) -> JsonObject:
    sku = create_product(client, stock=stock)["sku"]
    return place_order(client, [line(sku, 1)], create_shipping_method(client)["code"])


def _paid_order(client: httpx.Client) -> JsonObject:
    order = _pending_order(client)
    assert client.post(f"/v1/orders/{order['id']}/pay").status_code == 200
    return order


# Each command route, as (path, body) of a request that will succeed.
COMMANDS: dict[str, Callable[[httpx.Client], tuple[str, JsonObject]]] = {
    "place an order": lambda client: ("/v1/orders", order_body(
        [line(create_product(client)["sku"], 2)], create_shipping_method(client)["code"])),
    "pay": lambda client: (f"/v1/orders/{_pending_order(client)['id']}/pay",
                           {"payment_reference": "TR-88213"}),
    "ship": lambda client: (f"/v1/orders/{_paid_order(client)['id']}/ship",
                            {"tracking_number": "1Z999AA1"}),
    "cancel": lambda client: (f"/v1/orders/{_pending_order(client)['id']}/cancel",
                              {"reason": "customer request"}),
    "restock": lambda client: (f"/v1/products/{create_product(client)['sku']}/restock",
                               {"quantity": 3}),
    "add a product": lambda _client: ("/v1/products", product_body()),
    "add a shipping method": lambda _client: ("/v1/shipping-methods", shipping_method_body()),
}


# -- the same request again -----------------------------------------------------------


@pytest.mark.parametrize("command", list(COMMANDS))
def test_repeating_a_command_with_its_key_replays_the_answer_and_stores_nothing_new(
    server: Server, command: str
) -> None:
    client = server.client
    path, body = COMMANDS[command](client)
    key = _key()
    first = client.post(path, json=body, headers=key)
    assert first.status_code in (200, 201), first.text
    assert REPLAYED not in first.headers
    end = feed_end(client)

    repeat = client.post(path, json=body, headers=key)

    assert repeat.status_code == first.status_code
    assert repeat.json() == first.json()
    assert repeat.headers[REPLAYED] == "true"
    for header in ("content-type", "location", "etag"):
        assert repeat.headers.get(header) == first.headers.get(header), header
    assert events_after(client, end) == []


@POSTGRES_ONLY
def test_many_copies_of_one_keyed_order_sent_at_once_to_two_workers_place_one_order(
    start_server: StartServer,
) -> None:
    running = start_server(workers=2, settings=SERVER_SETTINGS)
    client = running.client
    sku = create_product(client, stock=100)["sku"]
    body = order_body([line(sku, 3)], create_shipping_method(client)["code"])
    key = str(uuid.uuid4())

    responses = race(running, [post("/v1/orders", body, Idempotency_Key=key)] * 24)

    assert {r.status_code for r in responses} <= {201, 409}, [r.text for r in responses]
    created = [r for r in responses if r.status_code == 201]
    assert created
    assert len({r.content for r in created}) == 1
    assert [REPLAYED in r.headers for r in responses].count(False) == 1
    assert [order["id"] for order in all_orders(client)] == [created[0].json()["id"]]
    assert [e["type"] for e in events_after(client)].count("OrderPlaced") == 1
    assert available(client, sku) == 97


# -- a key with another request ---------------------------------------------------------


def test_a_key_sent_again_with_another_body_is_refused_422_and_changes_nothing(
    server: Server,
) -> None:
    client = server.client
    sku = create_product(client, stock=10)["sku"]
    method = create_shipping_method(client)["code"]
    key = _key()
    assert client.post("/v1/orders", json=order_body([line(sku, 1)], method),
                       headers=key).status_code == 201
    end = feed_end(client)

    other = client.post("/v1/orders", json=order_body([line(sku, 2)], method), headers=key)

    problem = assert_problem(other, 422)
    assert problem["type"] == "urn:order-service:problem:idempotency-key-reused"
    assert "already used for a different request" in problem["detail"]
    assert events_after(client, end) == []
    assert available(client, sku) == 9


def test_a_key_reused_with_another_body_is_quoted_as_the_caller_sent_it(
    server: Server,
) -> None:
    client = server.client
    sku = create_product(client, stock=10)["sku"]
    sent = f"order-{uuid.uuid4()}"
    body = {"quantity": 1}
    assert client.post(f"/v1/products/{sku}/restock", json=body,
                       headers={IDEMPOTENCY_KEY: sent}).status_code == 200

    other = client.post(f"/v1/products/{sku}/restock", json={"quantity": 2},
                        headers={IDEMPOTENCY_KEY: sent})

    problem = assert_problem(other, 422)
    assert problem["detail"] == (f"The Idempotency-Key {sent!r} was already used for a "
                                 "different request; use a new key for a new request.")
    assert problem["idempotency_key"] == sent
    # Nothing of the stored form (a SHA-256 of the API key and the key) leaks out.
    assert not any(len(word) == 64 for word in other.text.replace("'", " ").split())


# -- keys expire --------------------------------------------------------------------------


# What a key past its time to live means on every storage is
# tests/contract/test_idempotency_keys.py's; here, that the setting is that time.
def test_a_key_older_than_the_configured_ttl_is_taken_as_a_new_request(
    settings: Settings, merchant_key: str
) -> None:
    with app_client(settings.model_copy(update={"idempotency_key_ttl_seconds": 1}),
                    merchant_key) as client:
        sku = create_product(client, stock=0)["sku"]
        key = _key()
        assert client.post(f"/v1/products/{sku}/restock", json={"quantity": 1},
                           headers=key).status_code == 200
        time.sleep(1.2)

        later = client.post(f"/v1/products/{sku}/restock", json={"quantity": 2}, headers=key)

    assert later.status_code == 200, later.text
    assert REPLAYED not in later.headers
    assert later.json()["available"] == 3


def _stored_keys(engine: Engine) -> int:
    with engine.connect() as connection:
        return int(connection.execute(
            select(func.count()).select_from(idempotency_keys)).scalar_one())


# Which keys a purge forgets is tests/integration/test_idempotency_purge.py's; here, that
# the command purges with the configured time to live and says how many went.
def test_purge_idempotency_keys_removes_the_expired_keys_and_keeps_the_fresh_one(
    start_server: StartServer, engine: Engine, database_url_for_test: str
) -> None:
    client = start_server(workers=2, settings={**SERVER_SETTINGS,
                                               "idempotency_key_ttl_seconds": "1"}).client
    for _ in range(3):
        assert client.post("/v1/shipping-methods", json=shipping_method_body(),
                           headers=_key()).status_code == 201
    # Aged in the database rather than by sleeping: a slow start of the purge command
    # must not age the fresh key past the TTL too.
    ttl_seconds = 600
    with engine.begin() as connection:
        connection.execute(update(idempotency_keys).values(
            created_at=datetime.now(UTC) - timedelta(seconds=ttl_seconds + 60)))
    assert client.post("/v1/shipping-methods", json=shipping_method_body(),
                       headers=_key()).status_code == 201
    assert _stored_keys(engine) == 4
    env = {k: v for k, v in os.environ.items() if not k.startswith("ORDER_SERVICE_")}
    env["ORDER_SERVICE_DATABASE_URL"] = database_url_for_test
    env["ORDER_SERVICE_IDEMPOTENCY_KEY_TTL_SECONDS"] = str(ttl_seconds)

    purge = subprocess.run([str(COMMAND), "purge-idempotency-keys"], env=env,
                           capture_output=True, text=True, timeout=60, check=False)

    assert purge.returncode == 0, purge.stderr
    assert "purged 3 idempotency keys" in purge.stderr
    assert _stored_keys(engine) == 1


# -- unusable keys ------------------------------------------------------------------------


def _assert_bad_key(status: int, content_type: str, body: bytes) -> None:
    assert status == 400, body
    assert content_type == "application/problem+json"
    problem = json.loads(body)
    assert problem["type"] == "urn:order-service:problem:bad-idempotency-key"
    assert problem["errors"][0]["parameter"] == IDEMPOTENCY_KEY


@pytest.mark.parametrize("suffix", ["\u00e9".encode()], ids=["non-ASCII"])
def test_a_key_that_is_not_visible_ascii_is_refused_400_and_nothing_is_added(
    server: Server, suffix: bytes
) -> None:
    body = product_body()
    key = uuid.uuid4().hex.encode() + suffix

    status, headers, answer = raw_post(server, "/v1/products", json.dumps(body).encode(),
                                       [(IDEMPOTENCY_KEY.encode(), key)])

    _assert_bad_key(status, headers["content-type"], answer)
    assert server.client.get(f"/v1/products/{body['sku']}").status_code == 404


@pytest.mark.parametrize(("before", "after"), [(b"  ", b""), (b"", b" ")],
                         ids=["leading", "trailing"])
def test_surrounding_spaces_are_http_whitespace_so_the_key_is_the_one_without_them(
    server: Server, before: bytes, after: bytes,
) -> None:
    # RFC 9110 5.5: a field value excludes leading and trailing whitespace, and the
    # server's HTTP parser drops it before the service sees the header.
    client = server.client
    body = product_body()
    key = uuid.uuid4().hex
    first = client.post("/v1/products", json=body, headers={IDEMPOTENCY_KEY: key})
    assert first.status_code == 201

    status, headers, answer = raw_post(server, "/v1/products", json.dumps(body).encode(),
                                       [(IDEMPOTENCY_KEY.encode(), before + key.encode() + after)])

    assert (status, headers.get(REPLAYED.lower())) == (201, "true")
    assert json.loads(answer) == first.json()


# -- If-Match -----------------------------------------------------------------------------


CHANGES = {"pay": "paid", "ship": "shipped", "cancel": "cancelled"}


@pytest.mark.parametrize("action", list(CHANGES))
def test_a_change_sent_with_the_current_etag_as_if_match_is_made(
    server: Server, action: str
) -> None:
    client = server.client
    order = _paid_order(client) if action == "ship" else _pending_order(client)
    current = client.get(f"/v1/orders/{order['id']}")
    etag = current.headers["etag"]
    assert etag == f'"{current.json()["version"]}"'  # an order's ETag is its version

    changed = client.post(f"/v1/orders/{order['id']}/{action}", headers={"If-Match": etag})

    assert changed.status_code == 200, changed.text
    assert changed.json()["status"] == CHANGES[action]
    assert changed.headers["etag"] == f'"{int(etag.strip(chr(34))) + 1}"'


@pytest.mark.parametrize("action", list(CHANGES))
def test_a_change_sent_with_a_stale_if_match_gets_412_with_the_current_version(
    server: Server, action: str
) -> None:
    client = server.client
    order = _pending_order(client)
    stale = client.get(f"/v1/orders/{order['id']}").headers["etag"]
    assert client.post(f"/v1/orders/{order['id']}/pay").status_code == 200
    before = client.get(f"/v1/orders/{order['id']}").json()
    end = feed_end(client)

    refused = client.post(f"/v1/orders/{order['id']}/{action}", headers={"If-Match": stale})

    problem = assert_problem(refused, 412)
    assert problem["current_version"] == 2
    assert problem["expected_version"] == 1
    assert refused.headers["etag"] == '"2"'
    assert client.get(f"/v1/orders/{order['id']}").json() == before
    assert events_after(client, end) == []
