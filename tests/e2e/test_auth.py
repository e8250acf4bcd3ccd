"""Who may do what, over the real app: every route, each role, each kind of missing key.

Every /v1 route needs `Authorization: Bearer <key>`, except the payment gateway's
notifications, which are signed instead. A merchant key may do everything; a storefront
key exactly seven things. The walk below enumerates the app's own routes (hidden ones
included, however routers are nested), so a route added without stating its permission
fails here: its request is answered without a key, and it is missing from ACCESS.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import os
import re
import subprocess
import time
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field, replace
from enum import Enum
from typing import Any

import httpx
import pytest
from fastapi import APIRouter, Depends, FastAPI
from fastapi.testclient import TestClient
from sqlalchemy import Engine

from order_service.adapters.sql.api_keys import SqlApiKeys
from order_service.adapters.sql.key_cache import REVOCATION_TAKES_EFFECT_WITHIN
from order_service.api.auth import allowed
from order_service.application.access import Permission, Role
from order_service.settings import Settings
from tests.api_keys import AUTHORIZATION, app_client, bearer, create_key_on, key_name, utc_now
from tests.e2e.builders import (
    JsonObject,
    address,
    create_product,
    create_shipping_method,
    get_json,
    line,
    order_body,
    place_order,
    product_body,
    shipping_method_body,
)
from tests.e2e.expectations import PROBLEM_JSON, assert_problem
from tests.e2e.live import SERVER_SETTINGS
from tests.servers import COMMAND, StartServer

GATEWAY_SECRET = "whsec-test-auth-0123456789"
SIGNATURE = "Signature"
UNAUTHENTICATED = "urn:order-service:problem:unauthenticated"
FORBIDDEN = "urn:order-service:problem:forbidden"
ORDER_NOT_FOUND = "urn:order-service:problem:order-not-found"
BEARER_CHALLENGE = 'Bearer realm="order-service"'
INVALID_TOKEN = 'error="invalid_token"'

# Open to anyone: health probes, the metrics scrape (unless ORDER_SERVICE_METRICS_TOKEN is
# set; tests/e2e/test_metrics.py) and the published description of the API.
OPEN_PATHS = frozenset({"/openapi.json", "/docs", "/redoc", "/metrics"})
OPEN_PREFIXES = ("/health/",)

Route = tuple[str, str]  # (METHOD, path template as the app declares it)


class Access(Enum):
    """Who may use a route."""

    MERCHANT = "a merchant key"
    STOREFRONT = "a merchant or storefront key"
    ANY_KEY = "any valid key"
    SIGNED = "the payment gateway's signature, no key"


# Every route that is not open: who may use it, and what it answers when allowed.
ACCESS: dict[Route, tuple[Access, int]] = {
    ("GET", "/v1/products"): (Access.STOREFRONT, 200),
    ("GET", "/v1/products/{sku}"): (Access.STOREFRONT, 200),
    ("GET", "/v1/shipping-methods"): (Access.STOREFRONT, 200),
    ("GET", "/v1/shipping-methods/{code}"): (Access.STOREFRONT, 200),
    ("POST", "/v1/orders"): (Access.STOREFRONT, 201),
    ("GET", "/v1/orders/{order_id}"): (Access.STOREFRONT, 200),
    # A storefront's list holds only the orders it placed.
    ("GET", "/v1/orders"): (Access.STOREFRONT, 200),
    ("POST", "/v1/products"): (Access.MERCHANT, 201),
    ("POST", "/v1/products/{sku}/restock"): (Access.MERCHANT, 200),
    ("POST", "/v1/shipping-methods"): (Access.MERCHANT, 201),
    ("GET", "/v1/orders/export"): (Access.MERCHANT, 200),
    ("GET", "/v1/orders/{order_id}/events"): (Access.MERCHANT, 200),
    ("POST", "/v1/orders/{order_id}/pay"): (Access.MERCHANT, 200),
    ("POST", "/v1/orders/{order_id}/ship"): (Access.MERCHANT, 200),
    ("POST", "/v1/orders/{order_id}/cancel"): (Access.MERCHANT, 200),
    ("PATCH", "/v1/orders/{order_id}"): (Access.MERCHANT, 200),
    ("POST", "/v1/orders/{order_id}/refunds"): (Access.MERCHANT, 201),
    ("POST", "/v1/orders/{order_id}/notes"): (Access.MERCHANT, 201),
    ("PATCH", "/v1/products/{sku}"): (Access.MERCHANT, 200),
    ("POST", "/v1/products/{sku}/retire"): (Access.MERCHANT, 200),
    ("GET", "/v1/events"): (Access.MERCHANT, 200),
    ("GET", "/v1/reports/sales"): (Access.MERCHANT, 200),
    # Orders are never deleted: any valid key learns that (405) and how to cancel.
    ("DELETE", "/v1/orders/{order_id}"): (Access.ANY_KEY, 405),
    ("POST", "/v1/payment-notifications"): (Access.SIGNED, 200),
}
STOREFRONT_OPERATIONS = {route for route, (access, _) in ACCESS.items()
                         if access is Access.STOREFRONT}


def is_open(path: str) -> bool:
    """Whether anyone may use `path` without a key."""
    return path in OPEN_PATHS or path.startswith(OPEN_PREFIXES)


# The back office signs in with a merchant key once, then sends a session cookie;
# tests/e2e/test_admin_sessions.py walks its routes without one.
SESSION_PREFIXES = ("/admin",)


def needs_key(path: str) -> bool:
    """Whether every request to `path` must carry an API key."""
    return not is_open(path) and not path.startswith(SESSION_PREFIXES)


# -- the routes of an app -------------------------------------------------------------------


def app_routes(app: FastAPI) -> set[Route]:
    """Every (method, path) the app routes, hidden ones and nested routers included."""
    return set(_walk(app.router.routes, ""))


def _walk(routes: list[Any], prefix: str) -> Iterator[Route]:
    for route in routes:
        included = getattr(route, "original_router", None)
        if included is not None:
            # FastAPI 0.16x keeps an included router as one node; its context holds the
            # prefix it was included under (its own routes carry the router's prefix).
            context = getattr(route, "include_context", None)
            yield from _walk(included.routes, prefix + getattr(context, "prefix", ""))
            continue
        path = prefix + str(getattr(route, "path", ""))
        methods = set(getattr(route, "methods", None) or ())
        if methods:
            for method in methods - {"HEAD"} or methods:
                yield method, path
        elif getattr(route, "routes", None) is not None:  # a Mount
            yield from _walk(route.routes, path)
        else:
            yield "*", path  # a websocket, or a kind this walk does not know: flag it


def documented_routes(app: FastAPI) -> set[Route]:
    """Every operation of the app's OpenAPI document."""
    methods = {"get", "put", "post", "delete", "patch", "head", "options", "trace"}
    return {(method.upper(), path) for path, operations in app.openapi()["paths"].items()
            for method in operations if method in methods}


# -- requests -------------------------------------------------------------------------------


@dataclass(frozen=True)
class Call:
    """One request to make, ready to send with any key."""

    method: str
    url: str
    json: Any = None
    content: bytes | None = None
    headers: dict[str, str] = field(default_factory=dict)

    def unsigned(self) -> Call:
        """The same request without the gateway's signature."""
        return replace(self, headers={k: v for k, v in self.headers.items() if k != SIGNATURE})


def send(client: TestClient, call: Call, key: str | None) -> httpx.Response:
    """Send `call` with `key` as its only credential (None: no Authorization at all)."""
    request = client.build_request(call.method, call.url, json=call.json, content=call.content,
                                   headers=call.headers)
    if AUTHORIZATION in request.headers:
        del request.headers[AUTHORIZATION]
    if key is not None:
        request.headers.update(bearer(key))
    return client.send(request)


def signed_notification(order: JsonObject) -> Call:
    """The gateway's notification that `order` was paid in full, signed as it signs."""
    body = json.dumps({"id": f"evt_{uuid.uuid4().hex[:12]}", "order_id": order["id"],
                       "status": "succeeded", "amount": order["total"],
                       "currency": order["currency"]}).encode()
    timestamp = int(time.time())
    digest = hmac.new(GATEWAY_SECRET.encode(), f"{timestamp}.".encode() + body,
                      hashlib.sha256).hexdigest()
    return Call("POST", "/v1/payment-notifications", content=body,
                headers={"Content-Type": "application/json",
                         SIGNATURE: f"t={timestamp},v1={digest}"})


class Shop:
    """A stocked shop, and for each route a fresh request that its caller may make."""

    def __init__(self, merchant: TestClient, storefront: TestClient) -> None:
        self.merchant, self.storefront = merchant, storefront
        self.sku = create_product(merchant, stock=100_000)["sku"]
        self.method = create_shipping_method(merchant)["code"]

    def order(self, by: TestClient | None = None) -> JsonObject:
        """A fresh pending order, placed by the storefront unless `by` says otherwise."""
        return place_order(by or self.storefront, [line(self.sku)], self.method)

    def paid_order(self) -> JsonObject:
        """A fresh paid order."""
        order = self.order()
        assert self.merchant.post(f"/v1/orders/{order['id']}/pay").status_code == 200
        return order

    def call(self, route: Route) -> Call:
        """A request for `route` that succeeds for whoever may use it."""
        builder = self._builders().get(route)
        if builder is None:  # a route this test does not know: any concrete path
            return Call(route[0], re.sub(r"\{[^}]+\}", "x", route[1]))
        return builder()

    def _builders(self) -> dict[Route, Callable[[], Call]]:
        orders = "/v1/orders/{order_id}"
        return {
            ("GET", "/v1/products"): lambda: Call("GET", "/v1/products"),
            ("GET", "/v1/products/{sku}"): lambda: Call("GET", f"/v1/products/{self.sku}"),
            ("GET", "/v1/shipping-methods"): lambda: Call("GET", "/v1/shipping-methods"),
            ("GET", "/v1/shipping-methods/{code}"): lambda: Call(
                "GET", f"/v1/shipping-methods/{self.method}"),
            ("POST", "/v1/orders"): lambda: Call(
                "POST", "/v1/orders", order_body([line(self.sku)], self.method)),
            ("GET", orders): lambda: Call("GET", f"/v1/orders/{self.order()['id']}"),
            ("POST", "/v1/products"): lambda: Call("POST", "/v1/products", product_body()),
            ("POST", "/v1/products/{sku}/restock"): lambda: Call(
                "POST", f"/v1/products/{self.sku}/restock", {"quantity": 1}),
            ("POST", "/v1/shipping-methods"): lambda: Call(
                "POST", "/v1/shipping-methods", shipping_method_body()),
            ("GET", "/v1/orders"): lambda: Call("GET", "/v1/orders"),
            ("GET", "/v1/orders/export"): lambda: Call("GET", "/v1/orders/export"),
            ("GET", orders + "/events"): lambda: Call(
                "GET", f"/v1/orders/{self.order()['id']}/events"),
            ("POST", orders + "/pay"): lambda: Call(
                "POST", f"/v1/orders/{self.order()['id']}/pay"),
            ("POST", orders + "/ship"): lambda: Call(
                "POST", f"/v1/orders/{self.paid_order()['id']}/ship"),
            ("POST", orders + "/cancel"): lambda: Call(
                "POST", f"/v1/orders/{self.order()['id']}/cancel"),
            ("PATCH", orders): lambda: Call(
                "PATCH", f"/v1/orders/{self.order()['id']}",
                {"shipping_address": address(city="Sevilla")}, headers={"If-Match": '"1"'}),
            ("POST", orders + "/refunds"): lambda: Call(
                "POST", f"/v1/orders/{self.paid_order()['id']}/refunds",
                {"amount": 1, "reason": "goodwill"}),
            ("POST", orders + "/notes"): lambda: Call(
                "POST", f"/v1/orders/{self.order()['id']}/notes", {"text": "call first"}),
            ("PATCH", "/v1/products/{sku}"): lambda: Call(
                "PATCH", f"/v1/products/{create_product(self.merchant)['sku']}",
                {"price": 1}),
            ("POST", "/v1/products/{sku}/retire"): lambda: Call(
                "POST", f"/v1/products/{create_product(self.merchant)['sku']}/retire"),
            ("GET", "/v1/events"): lambda: Call("GET", "/v1/events"),
            ("GET", "/v1/reports/sales"): lambda: Call("GET", "/v1/reports/sales"),
            ("DELETE", orders): lambda: Call("DELETE", f"/v1/orders/{self.order()['id']}"),
            ("POST", "/v1/payment-notifications"): lambda: signed_notification(self.order()),
        }


def refusal(response: httpx.Response, *, key_given: bool, signed: bool) -> str | None:
    """What is wrong with `response` as a 401 for a request without valid credentials."""
    if response.status_code != 401:
        return f"answered {response.status_code}: {response.text[:160]}"
    media_type = response.headers.get("content-type", "").split(";")[0]
    challenge = response.headers.get("www-authenticate", "")
    wrong = []
    if media_type != PROBLEM_JSON:
        wrong.append(f"401 as {media_type}")
    if signed:
        if not challenge.startswith(SIGNATURE):
            wrong.append(f"WWW-Authenticate {challenge!r}")
    else:
        expected = BEARER_CHALLENGE + (f", {INVALID_TOKEN}" if key_given else "")
        if challenge != expected:
            wrong.append(f"WWW-Authenticate {challenge!r}, not {expected!r}")
        if media_type == PROBLEM_JSON and response.json().get("type") != UNAUTHENTICATED:
            wrong.append(f"401 of type {response.json().get('type')}")
    return "; ".join(wrong) or None


def unguarded(client: TestClient, shop: Shop, keys: dict[str, str | None]) -> list[str]:
    """Every way a route of the client's app fails to demand a valid key; [] if none.

    `keys` names credentials that must all be refused (None: no Authorization at all).
    """
    problems = []
    for route in sorted(app_routes(client.app)):
        method, path = route
        if not needs_key(path):
            continue
        access, _ = ACCESS.get(route, (None, 0))
        if access is None:
            problems.append(f"{method} {path}: not in the access table; state the "
                            "permission it needs (api.auth.allowed) and add it to ACCESS")
        call = shop.call(route).unsigned()
        for what, key in keys.items():
            wrong = refusal(send(client, call, key), key_given=key is not None,
                            signed=access is Access.SIGNED)
            if wrong is not None:
                problems.append(f"{method} {path} {what}: {wrong}")
    return problems


# -- fixtures -------------------------------------------------------------------------------


@pytest.fixture
def gateway_settings(settings: Settings) -> Settings:
    """This test's settings with a payment gateway secret, so notifications can be signed."""
    return Settings(database_url=settings.database_url, payment_gateway_secret=GATEWAY_SECRET)


@pytest.fixture
def merchant(gateway_settings: Settings, merchant_key: str) -> Iterator[TestClient]:
    """The real app, called with a merchant key."""
    with app_client(gateway_settings, merchant_key) as client:
        yield client


@pytest.fixture
def storefront(gateway_settings: Settings, storefront_key: str) -> Iterator[TestClient]:
    """The real app over the same database, called with a storefront key."""
    with app_client(gateway_settings, storefront_key) as client:
        yield client


@pytest.fixture
def shop(merchant: TestClient, storefront: TestClient) -> Shop:
    """A stocked shop and the requests each route takes."""
    return Shop(merchant, storefront)


@pytest.fixture
def revoked_key(engine: Engine, merchant: TestClient) -> str:
    """A merchant key that worked, then was revoked."""
    name = key_name(Role.MERCHANT)
    token = create_key_on(engine, Role.MERCHANT, name)
    assert send(merchant, Call("GET", "/v1/orders"), token).status_code == 200
    SqlApiKeys(engine, utc_now).revoke(name)
    # The app caches verified keys; a revocation reaches it within this documented bound.
    time.sleep(REVOCATION_TAKES_EFFECT_WITHIN)
    return token


@pytest.fixture
def refused_keys(revoked_key: str) -> dict[str, str | None]:
    """Credentials every keyed route must refuse with 401."""
    return {"without a key": None,
            "with an unknown key": "os_live_" + uuid.uuid4().hex + uuid.uuid4().hex[:11],
            "with a revoked key": revoked_key,
            "with a malformed key": "not-a-key"}


# -- every route ----------------------------------------------------------------------------


def test_the_route_walk_finds_every_documented_operation_and_the_hidden_ones(
    merchant: TestClient,
) -> None:
    walked = app_routes(merchant.app)

    assert documented_routes(merchant.app) <= walked
    assert ("DELETE", "/v1/orders/{order_id}") in walked  # hidden from the document
    assert {route for route in walked if needs_key(route[1])} == set(ACCESS)


def test_every_route_but_the_open_ones_answers_401_without_a_valid_key(
    merchant: TestClient, shop: Shop, refused_keys: dict[str, str | None],
) -> None:
    assert unguarded(merchant, shop, refused_keys) == []


def test_the_open_routes_answer_without_a_key(merchant: TestClient, shop: Shop) -> None:
    opened = sorted(route for route in app_routes(merchant.app) if is_open(route[1]))
    assert {path for _, path in opened} >= {"/health/live", "/health/ready", "/openapi.json",
                                            "/docs", "/redoc"}

    answers = {route: send(merchant, shop.call(route), None).status_code for route in opened}

    assert answers == dict.fromkeys(opened, 200)


def test_a_route_added_without_a_permission_is_caught_by_the_walk(
    merchant: TestClient, shop: Shop, refused_keys: dict[str, str | None],
) -> None:
    app: FastAPI = merchant.app
    app.add_api_route("/v1/unprotected", lambda: {"leaked": True}, methods=["GET"])
    outer, inner = APIRouter(prefix="/v1/outer"), APIRouter(prefix="/inner")
    inner.add_api_route("/hidden/{thing}", lambda thing: {"leaked": thing}, methods=["POST"],
                        include_in_schema=False)
    outer.include_router(inner, prefix="/nested")
    app.include_router(outer)
    app.add_api_route("/v1/guarded-but-unlisted", lambda: {"ok": True}, methods=["GET"],
                      dependencies=[Depends(allowed(Permission.READ_REPORTS))])

    problems = unguarded(merchant, shop, refused_keys)

    flagged = {problem.split(":")[0] for problem in problems}
    assert flagged == {
        "GET /v1/unprotected",
        "GET /v1/unprotected without a key",
        "GET /v1/unprotected with an unknown key",
        "GET /v1/unprotected with a revoked key",
        "GET /v1/unprotected with a malformed key",
        "POST /v1/outer/nested/inner/hidden/{thing}",
        "POST /v1/outer/nested/inner/hidden/{thing} without a key",
        "POST /v1/outer/nested/inner/hidden/{thing} with an unknown key",
        "POST /v1/outer/nested/inner/hidden/{thing} with a revoked key",
        "POST /v1/outer/nested/inner/hidden/{thing} with a malformed key",
        "GET /v1/guarded-but-unlisted",  # refuses keyless requests, but nobody decided
    }, problems


# -- each role ------------------------------------------------------------------------------


def test_a_merchant_key_may_use_every_route(shop: Shop, merchant_key: str) -> None:
    answers = {route: send(shop.merchant, shop.call(route), merchant_key).status_code
               for route in ACCESS}

    assert answers == {route: status for route, (_, status) in ACCESS.items()}


def test_a_storefront_key_may_use_exactly_its_seven_operations(
    shop: Shop, storefront_key: str,
) -> None:
    allowed_routes = {
        route for route in ACCESS
        if 200 <= send(shop.storefront, shop.call(route), storefront_key).status_code < 300
    }

    assert allowed_routes == STOREFRONT_OPERATIONS | {("POST", "/v1/payment-notifications")}
    assert len(STOREFRONT_OPERATIONS) == 7


def test_a_storefront_key_gets_403_naming_the_merchant_role_on_every_merchant_route(
    shop: Shop, storefront_key: str,
) -> None:
    merchant_routes = [route for route, (access, _) in ACCESS.items()
                       if access is Access.MERCHANT]
    assert merchant_routes

    for route in merchant_routes:
        response = send(shop.storefront, shop.call(route), storefront_key)
        problem = assert_problem(response, 403)
        assert problem["type"] == FORBIDDEN, route
        assert problem["roles_needed"] == ["merchant"], route
        assert "merchant" in problem["detail"], route


def test_a_refused_request_changes_nothing(
    shop: Shop, storefront_key: str, refused_keys: dict[str, str | None],
) -> None:
    calls = [(shop.call(route).unsigned(), key) for route in ACCESS
             for key in refused_keys.values()]
    calls += [(shop.call(route), storefront_key) for route, (access, _) in ACCESS.items()
              if access is Access.MERCHANT]
    before = get_json(shop.merchant, "/v1/events", params={"limit": 1000})["items"]

    statuses = {send(shop.merchant, call, key).status_code for call, key in calls}

    assert statuses == {401, 403}
    assert get_json(shop.merchant, "/v1/events", params={"limit": 1000})["items"] == before


def test_a_request_without_a_key_is_refused_401_whatever_its_body(shop: Shop) -> None:
    malformed = Call("POST", "/v1/products", content=b'{"sku": ',
                     headers={"Content-Type": "application/json"})

    response = send(shop.merchant, malformed, None)

    assert refusal(response, key_given=False, signed=False) is None


# -- whose orders a storefront sees ----------------------------------------------------------
# Which orders each key sees is tests/contract/test_order_visibility.py's; here, the answers
# (a storefront reading its own order back is test_locations.py's).


def test_a_storefront_key_gets_404_for_another_storefronts_order_as_for_no_order(
    shop: Shop, engine: Engine, gateway_settings: Settings,
) -> None:
    other_key = create_key_on(engine, Role.STOREFRONT)
    with app_client(gateway_settings, other_key) as other_storefront:
        theirs = shop.order(by=other_storefront)
        assert get_json(other_storefront, f"/v1/orders/{theirs['id']}")["id"] == theirs["id"]

    hidden = shop.storefront.get(f"/v1/orders/{theirs['id']}")
    missing = shop.storefront.get(f"/v1/orders/{uuid.uuid4()}")

    assert assert_problem(hidden, 404)["type"] == ORDER_NOT_FOUND
    assert assert_problem(missing, 404)["type"] == ORDER_NOT_FOUND
    assert "etag" not in hidden.headers


# -- what a key leaves behind -----------------------------------------------------------------


def test_each_event_records_the_key_that_caused_it(shop: Shop, engine: Engine) -> None:
    order = shop.order(by=shop.storefront)
    assert shop.merchant.post(f"/v1/orders/{order['id']}/pay").status_code == 200
    keys = {info.role: info for info in SqlApiKeys(engine, utc_now).list()}
    storefront, merchant = keys[Role.STOREFRONT], keys[Role.MERCHANT]

    feed = get_json(shop.merchant, "/v1/events", params={"limit": 1000})["items"]

    placed, paid = [event["metadata"] for event in feed
                    if event["stream_id"] == f"order-{order['id']}"]
    assert placed["api_key_id"] == storefront.key_id
    assert placed["caused_by"] == f"api-key {storefront.name}: POST /v1/orders"
    assert paid["api_key_id"] == merchant.key_id
    assert paid["caused_by"] == f"api-key {merchant.name}: POST /v1/orders/{{order_id}}/pay"


# -- revocation on a real server --------------------------------------------------------------


def _cli(database_url: str, *args: str) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("ORDER_SERVICE_")}
    env["ORDER_SERVICE_DATABASE_URL"] = database_url
    return subprocess.run([str(COMMAND), *args], env=env, capture_output=True, text=True,
                          timeout=60, check=False)


def _fresh_statuses(base_url: str, key: str, count: int) -> list[int]:
    """GET /v1/orders `count` times, each on a new connection (so on either worker)."""
    statuses = []
    for _ in range(count):
        with httpx.Client(base_url=base_url, timeout=30,
                          headers={**bearer(key), "Connection": "close"}) as fresh:
            statuses.append(fresh.get("/v1/orders").status_code)
    return statuses


def test_a_key_revoked_with_the_cli_is_refused_at_once_by_every_worker(
    start_server: StartServer, database_url_for_test: str,
) -> None:
    server = start_server(workers=2, settings=SERVER_SETTINGS)
    name = f"till-{uuid.uuid4().hex[:8]}"
    created = _cli(database_url_for_test, "api-key", "create", "--role", "merchant",
                   "--name", name)
    assert created.returncode == 0, created.stderr
    key = created.stdout.strip()
    assert _fresh_statuses(server.base_url, key, 12) == [200] * 12

    revoked = _cli(database_url_for_test, "api-key", "revoke", name)
    assert revoked.returncode == 0, revoked.stderr
    statuses = _fresh_statuses(server.base_url, key, 12)

    assert statuses == [401] * 12, server.output()
    assert server.client.get("/v1/orders").status_code == 200  # other keys still work


def test_a_revoked_key_is_refused_within_a_second_by_every_worker_of_every_instance(
    start_server: StartServer, engine: Engine,
) -> None:
    servers = [start_server(workers=2, settings=SERVER_SETTINGS),
               start_server(workers=1, settings=SERVER_SETTINGS)]
    name = key_name(Role.MERCHANT)
    key = create_key_on(engine, Role.MERCHANT, name)
    # Many fresh connections reach every worker, so each has the key in its cache.
    for server in servers:
        assert _fresh_statuses(server.base_url, key, 12) == [200] * 12

    SqlApiKeys(engine, utc_now).revoke(name)
    revoked_at = time.monotonic()
    late: dict[str, list[int]] = {server.base_url: [] for server in servers}
    while min(len(statuses) for statuses in late.values()) < 6:
        for server in servers:
            sent_after = time.monotonic() - revoked_at
            status = _fresh_statuses(server.base_url, key, 1)[0]
            if sent_after > REVOCATION_TAKES_EFFECT_WITHIN:
                late[server.base_url].append(status)

    # Every request sent once the bound had passed, to any worker of either instance.
    assert {url: set(statuses) for url, statuses in late.items()} == {
        server.base_url: {401} for server in servers}
    assert all(server.client.get("/v1/orders").status_code == 200 for server in servers)

