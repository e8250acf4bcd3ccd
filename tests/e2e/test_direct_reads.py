"""The hot reads' short cut (api/direct_reads.py) answers what the declared routes answer.

Each case is asked twice with a key of its own: first over HTTP while the key is not yet
in the worker's memory, so the declared route answers (and the key is remembered); then
straight to the short cut, which must either answer the same status, body and ETag itself
or pass the request on to the route.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any
from uuid import uuid4

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Engine

from order_service.api.direct_reads import DirectReadsMiddleware
from order_service.application.access import Role
from order_service.settings import Settings
from tests.api_keys import app_client, bearer, create_key_on
from tests.e2e.builders import create_product, create_shipping_method, line, order_body


@dataclass(frozen=True)
class Answer:
    """What a client can see of an answer, less the headers outer layers add."""

    status: int
    body: bytes
    etag: str | None
    content_type: str | None


class Shop:
    """Three orders placed by the merchant, one paid, and one placed by a storefront."""

    def __init__(self, client: TestClient, engine: Engine) -> None:
        self.client, self.engine = client, engine
        sku = create_product(client, stock=100)["sku"]
        method = create_shipping_method(client)["code"]
        body = order_body([line(sku)], method)
        self.merchant_orders = [client.post("/v1/orders", json=body).json()["id"]
                                for _ in range(3)]
        client.post(f"/v1/orders/{self.merchant_orders[0]}/pay", json={})
        self.storefront = create_key_on(engine, Role.STOREFRONT)
        self.storefront_order = client.post("/v1/orders", json=body,
                                            headers=bearer(self.storefront)).json()["id"]

    def declared(self, path: str, role: Role) -> tuple[str, Answer]:
        """A fresh key of `role`, and the declared route's answer to its first request."""
        key = create_key_on(self.engine, role)
        response = self.client.get(path, headers=bearer(key))
        return key, Answer(response.status_code, response.content, response.headers.get("etag"),
                           response.headers.get("content-type"))

    def direct(self, path: str, key: str) -> Answer | None:
        """The short cut's own answer, or None if it passed the request on."""
        return self.client.portal.call(_ask_directly, self.client.app, path, key)


async def _ask_directly(app: Any, path: str, key: str) -> Answer | None:
    passed_on: list[bool] = []

    async def route(scope: Any, receive: Any, send: Any) -> None:
        passed_on.append(True)

    middleware = DirectReadsMiddleware(route, fastapi=app)
    raw_path, _, query = path.partition("?")
    scope = {"type": "http", "method": "GET", "path": raw_path, "query_string": query.encode(),
             "headers": [(b"authorization", f"Bearer {key}".encode())]}
    sent: list[dict[str, Any]] = []

    async def receive() -> dict[str, Any]:
        return {"type": "http.request", "body": b""}

    async def send(message: dict[str, Any]) -> None:
        sent.append(message)

    await middleware(scope, receive, send)
    if passed_on:
        return None
    headers = {name.decode(): value.decode() for name, value in sent[0]["headers"]}
    return Answer(sent[0]["status"], b"".join(m.get("body", b"") for m in sent[1:]),
                  headers.get("etag"), headers.get("content-type"))


@pytest.fixture
def shop(client: TestClient, engine: Engine) -> Shop:
    """Orders to read, over this test's own database."""
    return Shop(client, engine)


def test_plain_reads_are_answered_directly_as_the_routes_answer_them(shop: Shop) -> None:
    first_page = shop.client.get("/v1/orders?limit=2").json()
    cases = [
        (f"/v1/orders/{shop.merchant_orders[0]}", Role.MERCHANT),
        (f"/v1/orders/{shop.storefront_order}", Role.MERCHANT),
        ("/v1/orders", Role.MERCHANT),
        ("/v1/orders?limit=2", Role.MERCHANT),
        (f"/v1/orders?limit=2&cursor={first_page['next_cursor']}", Role.MERCHANT),
        ("/v1/orders?status=paid&status=cancelled", Role.MERCHANT),
        ("/v1/orders?status=pending_payment&limit=200", Role.MERCHANT),
        ("/v1/orders", Role.STOREFRONT),
    ]
    for path, role in cases:
        key, declared = shop.declared(path, role)
        assert declared.status == 200, path
        assert shop.direct(path, key) == declared, path


def test_anything_unusual_is_passed_on_to_the_route(shop: Shop) -> None:
    cases = [
        f"/v1/orders/{uuid4()}",                              # no such order: 404
        f"/v1/orders/{shop.merchant_orders[1].upper()}",      # another spelling of the id
        f"/v1/orders/{shop.merchant_orders[1]}?limit=1",      # a parameter GET takes not
        "/v1/orders?limit=0", "/v1/orders?limit=201", "/v1/orders?limit=",
        "/v1/orders?limit=5&limit=6", "/v1/orders?status=lost", "/v1/orders?cursor=junk",
        "/v1/orders?q=ana", "/v1/orders?customer_email=ana@example.com",
        "/v1/orders?sort=number", "/v1/orders?status=paid%00",
    ]
    for path in cases:
        key, _ = shop.declared(path, Role.MERCHANT)  # the key is learnt by the route
        assert shop.direct(path, key) is None, path
    # Another storefront's order is none of this storefront's business (404).
    key, declared = shop.declared(f"/v1/orders/{shop.storefront_order}", Role.STOREFRONT)
    assert declared.status == 404
    assert shop.direct(f"/v1/orders/{shop.storefront_order}", key) is None


def test_a_key_not_yet_verified_by_this_worker_goes_the_declared_way(shop: Shop) -> None:
    path = f"/v1/orders/{shop.merchant_orders[0]}"
    assert shop.direct(path, create_key_on(shop.engine, Role.MERCHANT)) is None
    assert shop.direct(path, "os_live_not-a-key") is None


def test_a_request_passed_on_after_admission_is_charged_to_the_rate_limit_once(
        settings: Settings, engine: Engine) -> None:
    limited = settings.model_copy(update={"rate_limit_per_minute": 2})
    key = create_key_on(engine, Role.MERCHANT)
    with app_client(limited, key) as client:
        assert client.get("/v1/orders").status_code == 200    # declared: the key is learnt
        assert client.get(f"/v1/orders/{uuid4()}").status_code == 404  # admitted, passed on
        refused = client.get("/v1/orders")
    assert refused.status_code == 429
    assert refused.headers["content-type"] == "application/problem+json"
