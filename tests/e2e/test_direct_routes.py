"""The hottest routes' short cut (api/direct_routes.py) answers as the declared routes do.

Each case is asked twice with a key of its own: first over HTTP while the key is not yet
in the worker's memory, so the declared route answers (and the key is remembered); then
straight to the short cut, which must either answer the same itself or pass the request
on to the route untouched.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, replace
from typing import Any
from uuid import uuid4

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Engine

from order_service.api.direct_routes import DirectRoutesMiddleware
from order_service.application.access import Role
from order_service.settings import Settings
from tests.api_keys import app_client, bearer, create_key_on
from tests.e2e.builders import create_product, create_shipping_method, line, order_body

JSON = {"Content-Type": "application/json"}


@dataclass(frozen=True)
class Answer:
    """What a client can see of an answer, less the headers outer layers add."""

    status: int
    body: bytes
    headers: dict[str, str]

    def without(self, *volatile: str) -> Answer:
        """The answer with the body's `volatile` fields (ids, times, numbers) left out."""
        body = {k: v for k, v in json.loads(self.body).items() if k not in volatile}
        kept = {k: v for k, v in self.headers.items() if k not in ("location", "etag")}
        return replace(self, body=json.dumps(body).encode(), headers=kept)


def _answer(status: int, body: bytes, headers: dict[str, str]) -> Answer:
    kept = ("content-type", "etag", "location", "idempotent-replayed", "retry-after")
    return Answer(status, body, {k: v for k, v in headers.items() if k in kept})


class Shop:
    """Three orders placed by the merchant, one paid, and one placed by a storefront."""

    def __init__(self, client: TestClient, engine: Engine) -> None:
        self.client, self.engine = client, engine
        self.sku = create_product(client, stock=100)["sku"]
        self.sold_out = create_product(client, stock=0)["sku"]
        self.method = create_shipping_method(client)["code"]
        self.body = order_body([line(self.sku)], self.method)
        self.merchant_orders = [client.post("/v1/orders", json=self.body).json()["id"]
                                for _ in range(3)]
        client.post(f"/v1/orders/{self.merchant_orders[0]}/pay", json={})
        self.storefront = create_key_on(engine, Role.STOREFRONT)
        self.storefront_order = client.post("/v1/orders", json=self.body,
                                            headers=bearer(self.storefront)).json()["id"]

    def declared(self, method: str, path: str, role: Role = Role.MERCHANT,
                 body: bytes = b"", headers: dict[str, str] | None = None
                 ) -> tuple[str, Answer]:
        """A fresh key of `role`, and the declared route's answer to its first request."""
        key = create_key_on(self.engine, role)
        response = self.client.request(method, path, content=body,
                                       headers={**bearer(key), **(headers or {})})
        return key, _answer(response.status_code, response.content, dict(response.headers))

    def direct(self, method: str, path: str, key: str, body: bytes = b"",
               headers: dict[str, str] | None = None) -> Answer | None:
        """The short cut's own answer, or None if it passed the request on."""
        sent = [(b"authorization", f"Bearer {key}".encode())] + [
            (name.lower().encode(), value.encode()) for name, value in (headers or {}).items()]
        if body:
            sent.append((b"content-length", str(len(body)).encode()))
        return self.client.portal.call(_ask_directly, self.client.app, method, path, sent, body)


async def _ask_directly(app: Any, method: str, path: str, headers: list[tuple[bytes, bytes]],
                        body: bytes) -> Answer | None:
    passed_on: list[bytes] = []

    async def route(scope: Any, receive: Any, send: Any) -> None:
        passed_on.append((await receive())["body"])  # the route reads the body as sent

    raw_path, _, query = path.partition("?")
    scope = {"type": "http", "method": method, "path": raw_path,
             "query_string": query.encode(), "headers": headers}
    sent: list[dict[str, Any]] = []

    async def receive() -> dict[str, Any]:
        return {"type": "http.request", "body": body, "more_body": False}

    async def send(message: dict[str, Any]) -> None:
        sent.append(message)

    await DirectRoutesMiddleware(route, fastapi=app)(scope, receive, send)
    if passed_on:
        assert passed_on == [body]
        return None
    headers_sent = {name.decode(): value.decode() for name, value in sent[0]["headers"]}
    return _answer(sent[0]["status"], b"".join(m.get("body", b"") for m in sent[1:]),
                   headers_sent)


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
        key, declared = shop.declared("GET", path, role)
        assert declared.status == 200, path
        assert shop.direct("GET", path, key) == declared, path


def test_unusual_reads_are_passed_on_to_the_route(shop: Shop) -> None:
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
        key, _ = shop.declared("GET", path)  # the key is learnt by the route
        assert shop.direct("GET", path, key) is None, path
    # Another storefront's order is none of this storefront's business (404).
    key, declared = shop.declared("GET", f"/v1/orders/{shop.storefront_order}", Role.STOREFRONT)
    assert declared.status == 404
    assert shop.direct("GET", f"/v1/orders/{shop.storefront_order}", key) is None


def test_a_key_not_yet_verified_by_this_worker_goes_the_declared_way(shop: Shop) -> None:
    path = f"/v1/orders/{shop.merchant_orders[0]}"
    assert shop.direct("GET", path, create_key_on(shop.engine, Role.MERCHANT)) is None
    assert shop.direct("GET", path, "os_live_not-a-key") is None


def test_a_placement_is_answered_directly_as_the_route_answers_it(shop: Shop) -> None:
    body = json.dumps(shop.body).encode()
    key, declared = shop.declared("POST", "/v1/orders", body=body, headers=JSON)
    direct = shop.direct("POST", "/v1/orders", key, body, JSON)
    assert declared.status == 201
    assert direct is not None
    volatile = ("id", "number", "placed_at", "updated_at")
    assert direct.without(*volatile) == declared.without(*volatile)
    placed = json.loads(direct.body)
    assert direct.headers["location"] == f"/v1/orders/{placed['id']}"
    assert shop.client.get(direct.headers["location"]).json() == placed
    assert placed["number"] == json.loads(declared.body)["number"] + 1


def test_a_refused_placement_is_answered_by_the_apps_own_handlers(shop: Shop) -> None:
    sold_out = json.dumps(order_body([line(shop.sold_out)], shop.method)).encode()
    unknown = json.dumps(order_body([line("NO-SUCH-SKU")], shop.method)).encode()
    for body, status in ((sold_out, 409), (unknown, 422)):
        key, declared = shop.declared("POST", "/v1/orders", body=body, headers=JSON)
        assert declared.status == status
        assert shop.direct("POST", "/v1/orders", key, body, JSON) == declared


def test_a_repeated_idempotency_key_gets_the_first_answer_on_either_path(shop: Shop) -> None:
    body = json.dumps(shop.body).encode()
    headers = {**JSON, "Idempotency-Key": f"order-{uuid4()}"}
    key, first = shop.declared("POST", "/v1/orders", body=body, headers=headers)
    repeated = shop.direct("POST", "/v1/orders", key, body, headers)
    assert repeated == replace(first, headers={**first.headers, "idempotent-replayed": "true"})
    other_body = json.dumps({**shop.body, "payment_method": "paypal"}).encode()
    reused = shop.direct("POST", "/v1/orders", key, other_body, headers)
    assert reused is not None
    assert reused.status == 422
    assert headers["Idempotency-Key"] in json.loads(reused.body)["detail"]


def test_unusual_placements_are_passed_on_with_their_body(shop: Shop) -> None:
    valid = json.dumps(shop.body).encode()
    cases = [
        (json.dumps({**shop.body, "lines": []}).encode(), JSON),   # invalid: the route's 422
        (b"{not json", JSON),
        (valid, {"Content-Type": "text/plain"}),
        (valid, {}),
    ]
    for body, headers in cases:
        key, _ = shop.declared("POST", "/v1/orders", body=body, headers=headers)
        assert shop.direct("POST", "/v1/orders", key, body, headers) is None, body[:40]
    key, _ = shop.declared("POST", "/v1/orders?dry_run=1", body=valid, headers=JSON)
    assert shop.direct("POST", "/v1/orders?dry_run=1", key, valid, JSON) is None


def _placed(shop: Shop) -> str:
    return str(shop.client.post("/v1/orders", json=shop.body).json()["id"])


@pytest.mark.parametrize(("action", "body"), [
    ("pay", {"payment_reference": "TR-1"}), ("pay", None), ("cancel", {"reason": "changed mind"}),
])
def test_a_change_is_answered_directly_as_the_route_answers_it(
        shop: Shop, action: str, body: dict[str, str] | None) -> None:
    sent = b"" if body is None else json.dumps(body).encode()
    headers = {**JSON, "If-Match": '"1"'} if body is not None else {"If-Match": '"1"'}
    key, declared = shop.declared("POST", f"/v1/orders/{_placed(shop)}/{action}", body=sent,
                                  headers=headers)
    direct = shop.direct("POST", f"/v1/orders/{_placed(shop)}/{action}", key, sent, headers)
    assert declared.status == 200
    assert direct is not None
    volatile = ("id", "number", "placed_at", "updated_at", "paid_at", "cancelled_at")
    assert direct.without(*volatile) == declared.without(*volatile)
    assert direct.headers["etag"] == declared.headers["etag"] == '"2"'


def test_a_refused_change_is_answered_by_the_apps_own_handlers(shop: Shop) -> None:
    pending = shop.merchant_orders[1]
    for action, headers in (("ship", {}), ("pay", {"If-Match": '"7"'})):
        path = f"/v1/orders/{pending}/{action}"
        key, declared = shop.declared("POST", path, headers=headers)
        assert declared.status in {409, 412}
        assert shop.direct("POST", path, key, headers=headers) == declared, action


def test_unusual_changes_are_passed_on_to_the_route(shop: Shop) -> None:
    pending = shop.merchant_orders[2]
    text = {"Content-Type": "text/plain"}
    cases = [
        (f"/v1/orders/{pending}/pay", b'{"payment_reference": 7}', JSON),  # the route's 422
        (f"/v1/orders/{pending}/pay", b'{"reference": "x"}', JSON),
        (f"/v1/orders/{pending}/pay", b'{"payment_reference": "x"}', text),
        (f"/v1/orders/{pending}/cancel?now=1", b"", {}),
        (f"/v1/orders/{pending.upper()}/cancel", b"", {}),  # another spelling: cancelled
    ]
    for path, body, headers in cases:
        key, _ = shop.declared("POST", path, body=body, headers=headers)
        assert shop.direct("POST", path, key, body, headers) is None, path
    storefront = create_key_on(shop.engine, Role.STOREFRONT)
    shop.client.get("/v1/orders", headers=bearer(storefront))  # learnt, but may not pay
    assert shop.direct("POST", f"/v1/orders/{pending}/pay", storefront) is None


def test_a_change_of_an_unknown_order_is_the_routes_404(shop: Shop) -> None:
    path = f"/v1/orders/{uuid4()}/ship"
    key, declared = shop.declared("POST", path)
    assert declared.status == 404
    assert shop.direct("POST", path, key) == declared


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
