"""Limits over HTTP: a body too big is a 413 problem+json after which nothing stored has
changed.

Each field's own limits (lengths, quantities, prices, emails, unknown fields) and what is
just within them are the bodies' (tests/unit/test_order_bodies.py, test_catalogue_bodies.py);
that the shop keeps text and prices at their limits whole is
tests/contract/test_longest_texts.py's; the orders at the limits of lines and quantity are
tests/unit/test_shop_refusals.py's, as are an order whose total passes the maximum and one in
another currency; their 422s are tests/unit/test_problems.py's. How a field refusal reaches
the client is test_bad_input.py's.

The refusals share one shop per backend (a module-scoped database, as in
test_bad_input.py); each test snapshots what is stored right before its request and
compares right after. Bodies go to an app on that database whose
ORDER_SERVICE_MAX_BODY_BYTES is 2048, and once to a real server, where a chunked body
really arrives in pieces.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from typing import Any

import httpx
import pytest
from fastapi.testclient import TestClient

from order_service.settings import Settings
from tests.api_keys import app_client
from tests.e2e.builders import (
    JsonObject,
    get_json,
    product_body,
)
from tests.e2e.expectations import assert_problem
from tests.servers import StartServer

SMALL_LIMIT = 2048
JSON = {"content-type": "application/json"}


# -- one shop per backend for the whole module ---------------------------------------


@pytest.fixture(scope="module")
def small_api(module_database_url: str, module_merchant_key: str) -> Iterator[TestClient]:
    """The real app over the same database, refusing bodies over 2048 bytes."""
    settings = Settings(database_url=module_database_url, max_body_bytes=SMALL_LIMIT)
    with app_client(settings, module_merchant_key) as test_client:
        yield test_client


def stored(client: httpx.Client) -> dict[str, Any]:
    """Everything the shop holds that a request could change: read models and events."""
    events: list[Any] = []
    after = 0
    while True:
        page = get_json(client, "/v1/events", params={"after": after, "limit": 1000})
        if not page["items"]:
            break
        events.extend(page["items"])
        after = page["next_after"]
    return {
        "products": get_json(client, "/v1/products"),
        "shipping_methods": get_json(client, "/v1/shipping-methods"),
        "orders": get_json(client, "/v1/orders", params={"limit": 200}),
        "events": [event["position"] for event in events],
    }


def assert_refused(client: httpx.Client, send: Callable[[], httpx.Response], status: int,
                   slug: str) -> JsonObject:
    """Send, check the problem and its kind, and that nothing stored changed."""
    before = stored(client)
    problem = assert_problem(send(), status)
    assert problem["type"] == f"urn:order-service:problem:{slug}", problem
    assert stored(client) == before
    return problem


# -- body size ----------------------------------------------------------------------


def _padded(body: JsonObject, size: int) -> bytes:
    """`body` as JSON text padded with trailing spaces (still valid JSON) to `size` bytes."""
    text = json.dumps(body).encode()
    assert len(text) <= size
    return text + b" " * (size - len(text))


def _in_pieces(content: bytes, piece: int = 512) -> Iterator[bytes]:
    # A generator makes httpx send Transfer-Encoding: chunked, with no Content-Length.
    for start in range(0, len(content), piece):
        yield content[start:start + piece]


@pytest.mark.parametrize("transfer", ["content-length", "chunked"])
def test_a_body_over_the_size_limit_is_refused_with_413_and_changes_nothing(
    small_api: TestClient, transfer: str
) -> None:
    content = _padded(product_body(), SMALL_LIMIT + 1)
    body: bytes | Iterator[bytes] = content if transfer == "content-length" else _in_pieces(
        content)

    problem = assert_refused(
        small_api, lambda: small_api.post("/v1/products", content=body, headers=JSON), 413,
        slug="body-too-large")

    assert str(SMALL_LIMIT) in problem["detail"]


def test_a_body_of_exactly_the_size_limit_is_accepted(small_api: TestClient) -> None:
    body = product_body()

    response = small_api.post("/v1/products", content=_padded(body, SMALL_LIMIT), headers=JSON)

    assert response.status_code == 201, response.text
    assert get_json(small_api, f"/v1/products/{body['sku']}")["name"] == body["name"]


def test_a_chunked_body_over_the_limit_is_refused_by_a_real_server_with_413(
    start_server: StartServer,
) -> None:
    server = start_server(settings={"max_body_bytes": str(SMALL_LIMIT)})
    content = _padded(product_body(), 4 * SMALL_LIMIT)

    problem = assert_refused(
        server.client,
        lambda: server.client.post("/v1/products", content=_in_pieces(content), headers=JSON),
        413, slug="body-too-large")

    assert str(SMALL_LIMIT) in problem["detail"]
