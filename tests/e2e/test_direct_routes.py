"""The hottest routes' short cut (api/direct_routes.py) answers as the declared routes do.

Each case is asked twice with a key of its own: first over HTTP while the key is not yet
in the worker's memory, so the declared route answers (and the key is remembered); then
straight to the short cut, which must either answer the same itself or pass the request
on to the route with its body as sent. `{pending}`, `{paid}` and `{storefronts}` in a
path stand for orders of the test's shop; `{new}` for an order placed just before.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
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
TEXT = {"Content-Type": "text/plain"}
# What differs between two orders placed or changed alike.
VOLATILE = ("id", "number", "placed_at", "updated_at", "paid_at", "cancelled_at")


@dataclass(frozen=True)
class Answer:
    """What a client can see of an answer, less the headers outer layers add."""

    status: int
    body: bytes
    headers: dict[str, str]

    @classmethod
    def of(cls, status: int, body: bytes, headers: dict[str, str]) -> Answer:
        """The answer, keeping the headers the routes set."""
        kept = ("content-type", "etag", "location", "idempotent-replayed", "retry-after")
        return cls(status, body, {k: v for k, v in headers.items() if k in kept})

    def alike(self) -> tuple[int, dict[str, Any], str | None, str | None]:
        """What two orders placed or changed alike share: all but ids, numbers and times."""
        body = json.loads(self.body)
        return (self.status, {k: v for k, v in body.items() if k not in VOLATILE},
                self.headers.get("content-type"), self.headers.get("etag"))


class Shop:
    """Orders to read and change: pending, paid, and one placed by a storefront."""

    def __init__(self, client: TestClient, engine: Engine) -> None:
        self.client, self.engine = client, engine
        self.sold_out = create_product(client, stock=0)["sku"]
        self.method = create_shipping_method(client)["code"]
        self.body = order_body([line(create_product(client, stock=100)["sku"])], self.method)
        storefront = create_key_on(engine, Role.STOREFRONT)
        self.ids = {"pending": self.place(), "paid": self.place(),
                    "storefronts": self.place(bearer(storefront))}
        client.post(f"/v1/orders/{self.ids['paid']}/pay", json={})

    def place(self, headers: dict[str, str] | None = None) -> str:
        """A new pending order's id."""
        return str(self.client.post("/v1/orders", json=self.body, headers=headers).json()["id"])

    def path(self, template: str) -> str:
        """`template` with its orders filled in."""
        return template.format(new=self.place() if "{new}" in template else "", **self.ids)

    def declared(self, method: str, path: str, body: bytes = b"",
                 headers: dict[str, str] | None = None, role: Role = Role.MERCHANT
                 ) -> tuple[str, Answer]:
        """A fresh key of `role`, and the declared route's answer to its first request."""
        key = create_key_on(self.engine, role)
        response = self.client.request(method, path, content=body,
                                       headers={**bearer(key), **(headers or {})})
        return key, Answer.of(response.status_code, response.content, dict(response.headers))

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
    sent: list[dict[str, Any]] = []

    async def route(scope: Any, receive: Any, send: Any) -> None:
        passed_on.append((await receive())["body"])

    async def receive() -> dict[str, Any]:
        return {"type": "http.request", "body": body, "more_body": False}

    async def send(message: dict[str, Any]) -> None:
        sent.append(message)

    raw_path, _, query = path.partition("?")
    scope = {"type": "http", "method": method, "path": raw_path,
             "query_string": query.encode(), "headers": headers}
    await DirectRoutesMiddleware(route, fastapi=app)(scope, receive, send)
    if passed_on:
        assert passed_on == [body], "the route must get the body as it was sent"
        return None
    return Answer.of(sent[0]["status"], b"".join(m.get("body", b"") for m in sent[1:]),
                     {k.decode(): v.decode() for k, v in sent[0]["headers"]})


@pytest.fixture
def shop(client: TestClient, engine: Engine) -> Shop:
    """Orders to read and change, over this test's own database."""
    return Shop(client, engine)


def _json(value: object) -> bytes:
    return json.dumps(value).encode()


READS = ["/v1/orders/{paid}", "/v1/orders/{storefronts}", "/v1/orders", "/v1/orders?limit=2",
         "/v1/orders?status=paid&status=cancelled", "/v1/orders?status=pending_payment&limit=200"]


def test_plain_reads_are_answered_directly_as_the_routes_answer_them(shop: Shop) -> None:
    cursor = shop.client.get("/v1/orders?limit=2").json()["next_cursor"]
    for path, role in [*((p, Role.MERCHANT) for p in READS), ("/v1/orders", Role.STOREFRONT),
                       (f"/v1/orders?limit=2&cursor={cursor}", Role.MERCHANT)]:
        key, declared = shop.declared("GET", shop.path(path), role=role)
        assert declared.status == 200, path
        assert shop.direct("GET", shop.path(path), key) == declared, path


@pytest.mark.parametrize(("template", "body", "headers"), [
    ("/v1/orders", "order", JSON),
    ("/v1/orders/{new}/pay", {"payment_reference": "TR-1"}, {**JSON, "If-Match": '"1"'}),
    ("/v1/orders/{new}/pay", None, {}),
    ("/v1/orders/{new}/cancel", {"reason": "changed mind"}, JSON),
])
def test_plain_commands_are_carried_out_directly_as_the_routes_carry_them_out(
        shop: Shop, template: str, body: object, headers: dict[str, str]) -> None:
    sent = b"" if body is None else _json(shop.body if body == "order" else body)
    key, declared = shop.declared("POST", shop.path(template), sent, headers)
    direct = shop.direct("POST", shop.path(template), key, sent, headers)
    assert declared.status in {200, 201}
    assert direct is not None
    assert direct.alike() == declared.alike()
    done = json.loads(direct.body)
    assert shop.client.get(f"/v1/orders/{done['id']}").json() == done


def test_refusals_on_the_way_are_answered_by_the_apps_own_handlers(shop: Shop) -> None:
    cases = [
        ("/v1/orders", _json(order_body([line(shop.sold_out)], shop.method)), JSON, 409),
        ("/v1/orders", _json(order_body([line("NO-SUCH-SKU")], shop.method)), JSON, 422),
        ("/v1/orders/{pending}/ship", b"", {}, 409),
        ("/v1/orders/{pending}/pay", b"", {"If-Match": '"7"'}, 412),
        (f"/v1/orders/{uuid4()}/cancel", b"", {}, 404),
    ]
    for path, body, headers, status in cases:
        key, declared = shop.declared("POST", shop.path(path), body, headers)
        assert declared.status == status, path
        assert shop.direct("POST", shop.path(path), key, body, headers) == declared, path


def test_a_repeated_idempotency_key_gets_the_first_answer_on_either_path(shop: Shop) -> None:
    headers = {**JSON, "Idempotency-Key": f"order-{uuid4()}"}
    key, first = shop.declared("POST", "/v1/orders", _json(shop.body), headers)
    repeated = shop.direct("POST", "/v1/orders", key, _json(shop.body), headers)
    assert repeated == Answer(first.status, first.body,
                              {**first.headers, "idempotent-replayed": "true"})
    reused = shop.direct("POST", "/v1/orders", key,
                         _json({**shop.body, "payment_method": "paypal"}), headers)
    assert reused is not None
    assert reused.status == 422
    assert headers["Idempotency-Key"] in json.loads(reused.body)["detail"]


PASSED_ON = [
    ("GET", f"/v1/orders/{uuid4()}", b"", {}),                     # no such order: 404
    ("GET", "/v1/orders/{PENDING}", b"", {}),                      # another spelling of the id
    ("GET", "/v1/orders/{pending}?limit=1", b"", {}),              # a parameter GET takes not
    ("GET", "/v1/orders?limit=0", b"", {}), ("GET", "/v1/orders?limit=201", b"", {}),
    ("GET", "/v1/orders?limit=", b"", {}), ("GET", "/v1/orders?limit=5&limit=6", b"", {}),
    ("GET", "/v1/orders?status=lost", b"", {}), ("GET", "/v1/orders?cursor=junk", b"", {}),
    ("GET", "/v1/orders?q=ana", b"", {}), ("GET", "/v1/orders?status=paid%00", b"", {}),
    ("GET", "/v1/orders?customer_email=ana@example.com", b"", {}),
    ("POST", "/v1/orders", b'{"lines": []}', JSON),                 # the route's 422
    ("POST", "/v1/orders", b"{not json", JSON),
    ("POST", "/v1/orders", b'{"customer": {}}', TEXT),
    ("POST", "/v1/orders?dry_run=1", b"{}", JSON),
    ("POST", "/v1/orders/{pending}/pay", b'{"payment_reference": 7}', JSON),
    ("POST", "/v1/orders/{pending}/pay", b'{"reference": "x"}', JSON),
    ("POST", "/v1/orders/{pending}/pay", b'{"payment_reference": "x"}', TEXT),
    ("POST", "/v1/orders/{pending}/cancel?now=1", b"", {}),
]


def test_anything_unusual_is_passed_on_to_the_route(shop: Shop) -> None:
    for method, template, body, headers in PASSED_ON:
        path = template.replace("{PENDING}", shop.ids["pending"].upper())
        key, _ = shop.declared(method, shop.path(path), body, headers)  # the key is learnt
        assert shop.direct(method, shop.path(path), key, body, headers) is None, template
    storefront, _ = shop.declared("GET", "/v1/orders", role=Role.STOREFRONT)
    assert shop.direct("GET", shop.path("/v1/orders/{paid}"), storefront) is None  # not its
    assert shop.direct("POST", shop.path("/v1/orders/{pending}/pay"), storefront) is None
    new_key = create_key_on(shop.engine, Role.MERCHANT)
    for key in (new_key, "os_live_not-a-key"):  # not verified by this worker yet
        assert shop.direct("GET", shop.path("/v1/orders/{paid}"), key) is None


def test_a_request_passed_on_after_admission_is_charged_to_the_rate_limit_once(
        settings: Settings, engine: Engine) -> None:
    limited = settings.model_copy(update={"rate_limit_per_minute": 2})
    with app_client(limited, create_key_on(engine, Role.MERCHANT)) as client:
        assert client.get("/v1/orders").status_code == 200    # declared: the key is learnt
        assert client.get(f"/v1/orders/{uuid4()}").status_code == 404  # admitted, passed on
        refused = client.get("/v1/orders")
    assert refused.status_code == 429
    assert refused.headers["content-type"] == "application/problem+json"
