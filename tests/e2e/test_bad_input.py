"""Bad requests: each is refused with a 4xx problem+json that says what is wrong, and
nothing stored changes.

Here, how each kind of bad request is answered over HTTP: bodies that are no JSON object,
wrong content types, bad paths, queries and methods, and how a body's field errors
appear. Which fields a body refuses is tests/unit/test_order_bodies.py's and
test_catalogue_bodies.py's; what the shop refuses (unknown SKU or method, another
currency, a SKU it has, a change the order's status forbids), and that it then stores
nothing, is tests/unit/test_shop_refusals.py's, and each kind's status is
test_api_orders.py's, test_api_catalogue.py's and test_limits.py's.

Every row of the table is read-only by contract and checks that itself: it snapshots
the catalogue, the shipping methods and the orders (whose versions count their events)
right before its request and compares right after. That lets all rows share one shop
per backend (a module-scoped database), which keeps the requests fast.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Any

import pytest
from fastapi.testclient import TestClient

from order_service.settings import Settings
from tests.api_keys import app_client
from tests.e2e.builders import (
    create_product,
    create_shipping_method,
    customer,
    get_json,
    line,
    order_body,
    place_order,
    product_body,
)
from tests.e2e.expectations import assert_problem, field_errors
from tests.unit.request_bodies import MISSING, edited

# -- one shop per backend for the whole module ---------------------------------------


@pytest.fixture(scope="module")
def shop_client(module_database_url: str, module_merchant_key: str) -> Iterator[TestClient]:
    """An HTTP client (a merchant's) on the real app over this module's database."""
    with app_client(Settings(database_url=module_database_url), module_merchant_key
                    ) as test_client:
        yield test_client


@dataclass(frozen=True)
class World:
    """What the shop holds before any bad request: a product, a method, a pending order."""

    sku: str
    code: str
    order_id: str


@pytest.fixture(scope="module")
def world(shop_client: TestClient) -> World:
    """Stock the module's shop once."""
    product = create_product(shop_client, stock=5)
    method = create_shipping_method(shop_client)
    order = place_order(shop_client, [line(product["sku"], 1)], method["code"])
    return World(sku=product["sku"], code=method["code"], order_id=order["id"])


def _snapshot(client: TestClient) -> dict[str, Any]:
    orders = get_json(client, "/v1/orders", params={"limit": 200})
    return {
        "products": get_json(client, "/v1/products"),
        "shipping_methods": get_json(client, "/v1/shipping-methods"),
        "orders": orders,
        "order_events": sum(order["version"] for order in orders["items"]),
    }


# -- the table ----------------------------------------------------------------------

Body = Callable[[World], Any]


def order(*edits: tuple[tuple[str | int, ...], Any]) -> Body:
    """A valid order for the world's product and method, with `edits` applied."""

    def build(world: World) -> Any:
        body: Any = order_body([line(world.sku, 1)], world.code)
        for path, value in edits:
            body = edited(body, path, value)
        return body

    return build


def order_with(field_name: str, value: Any) -> Body:
    """A valid order whose top-level `field_name` is `value` (MISSING drops it)."""
    return order(((field_name,), value))


def product(**fields: Any) -> Body:
    """A valid new product with `fields` replaced (MISSING drops one)."""

    def build(_world: World) -> Any:
        body = product_body()
        for name, value in fields.items():
            body = edited(body, (name,), value)
        return body

    return build


def fixed(value: Any) -> Body:
    """This exact JSON body."""
    return lambda _world: value


@dataclass(frozen=True)
class Bad:
    """One bad request and how it must be refused."""

    method: str
    path: str  # may name {sku}, {code} and {order_id} of the world
    status: int
    json: Body | None = None
    content: bytes | None = None
    headers: dict[str, str] = field(default_factory=dict)
    where: str | None = None  # "#/json/pointer" or "query:parameter" of a field error
    mentions: str | None = None  # text the detail must contain


JSON = {"content-type": "application/json"}
ORDERS = "/v1/orders"
PRODUCTS = "/v1/products"
THE_ORDER = "/v1/orders/{order_id}"


def _post_order(body: Body, where: str) -> Bad:
    return Bad("POST", ORDERS, 422, json=body, where=where)


def _missing(*path: str | int) -> Any:
    return pytest.param(
        _post_order(order((path, MISSING)), "#/" + "/".join(str(p) for p in path)),
        id="order-missing-" + "-".join(str(p) for p in path),
    )


CASES = [
    # How a body's field errors reach the client: a 422 whose errors point at the field,
    # nested or the whole body, and whose detail names it. Every rule of the bodies is
    # tests/unit/test_order_bodies.py's and test_catalogue_bodies.py's.
    _missing("lines", 0, "quantity"),
    pytest.param(_post_order(order_with("coupon", "FREE"), "#/coupon"), id="order-extra-field"),
    pytest.param(_post_order(fixed([]), "#"), id="order-body-array"),
    # bodies that are not a JSON object
    pytest.param(Bad("POST", ORDERS, 400, content=b'{"customer": ', headers=JSON),
                 id="order-malformed-json"),
    pytest.param(Bad("POST", ORDERS, 400, content=b"{'lines': []}", headers=JSON),
                 id="order-single-quoted-json"),
    pytest.param(Bad("POST", ORDERS, 422, content=b"", headers=JSON, where="#"),
                 id="order-empty-body"),
    pytest.param(Bad("POST", ORDERS, 422, content=b"null", headers=JSON, where="#"),
                 id="order-null-body"),
    pytest.param(Bad("POST", ORDERS, 415, json=order(),
                     headers={"content-type": "text/plain"}), id="order-as-text-plain"),
    pytest.param(Bad("POST", ORDERS, 415, content=b"sku=SANDAL-42&quantity=1",
                     headers={"content-type": "application/x-www-form-urlencoded"}),
                 id="order-as-form"),
    pytest.param(Bad("POST", ORDERS, 400, content=b"[" * 100_000, headers=JSON),
                 id="order-deeply-nested-json"),
    pytest.param(Bad("POST", ORDERS, 400, content=b'{"customer": "\xff\xfe"}', headers=JSON),
                 id="order-not-utf8"),
    # the catalogue's and the changes' bodies that are not JSON objects
    pytest.param(Bad("POST", PRODUCTS, 400, content=b'{"sku": "A",', headers=JSON),
                 id="product-malformed-json"),
    pytest.param(Bad("POST", PRODUCTS, 422, content=b"", headers=JSON, where="#"),
                 id="product-empty-body"),
    pytest.param(Bad("POST", PRODUCTS, 415, json=product(),
                     headers={"content-type": "text/plain"}), id="product-as-text-plain"),
    pytest.param(Bad("POST", THE_ORDER + "/pay", 400, content=b"{", headers=JSON),
                 id="pay-malformed-json"),
    # paths and queries
    pytest.param(Bad("GET", ORDERS + "?limit=0", 422, where="query:limit"), id="list-limit-0"),
    pytest.param(Bad("GET", ORDERS + "?limit=-1", 422, where="query:limit"),
                 id="list-limit-negative"),
    pytest.param(Bad("GET", ORDERS + "?limit=abc", 422, where="query:limit"),
                 id="list-limit-abc"),
    pytest.param(Bad("GET", ORDERS + "?limit=100000", 422, where="query:limit"),
                 id="list-limit-huge"),
    pytest.param(Bad("GET", ORDERS + "?status=nonsense", 422, where="query:status"),
                 id="list-status-nonsense"),
    pytest.param(Bad("GET", ORDERS + "?status=paid&status=nonsense", 422, where="query:status"),
                 id="list-second-status-nonsense"),
    # A typo in a filter must not widen the answer to every order.
    pytest.param(Bad("GET", ORDERS + "?stauts=cancelled", 422, where="query:stauts",
                     mentions="status"), id="list-unknown-parameter"),
    pytest.param(Bad("GET", "/v1/events?after=0&from=3", 422, where="query:from"),
                 id="events-unknown-parameter"),
    pytest.param(Bad("GET", "/v1/products/{sku}?expand=all", 422, where="query:expand",
                     mentions="no query parameters"), id="product-takes-no-parameters"),
    pytest.param(Bad("POST", "/v1/orders/{order_id}/cancel?force=1", 422, where="query:force",
                     json=fixed({"reason": "typo"})), id="cancel-unknown-parameter"),
    # (A junk cursor's 400 is test_altered_cursors.py's, an unknown SKU's 404
    # test_api_catalogue.py's, DELETE of an order's 405 test_api_orders.py's.)
    pytest.param(Bad("GET", "/v1/nowhere", 404), id="unknown-path"),
    pytest.param(Bad("DELETE", "/v1/products/{sku}", 405), id="delete-product"),
    pytest.param(Bad("PUT", PRODUCTS, 405, json=product()), id="put-products"),
]


def _send(client: TestClient, bad: Bad, world: World) -> Any:
    path = bad.path.format(sku=world.sku, code=world.code, order_id=world.order_id)
    kwargs: dict[str, Any] = {"headers": bad.headers}
    if bad.json is not None and "json" not in bad.headers.get("content-type", "json"):
        # Valid JSON text under a content type that does not say so.
        kwargs["content"] = json.dumps(bad.json(world)).encode()
    elif bad.json is not None:
        kwargs["json"] = bad.json(world)
    elif bad.content is not None:
        kwargs["content"] = bad.content
    return client.request(bad.method, path, **kwargs)


@pytest.mark.parametrize("bad", CASES)
def test_a_bad_request_is_refused_with_a_problem_and_changes_nothing(
    shop_client: TestClient, world: World, bad: Bad
) -> None:
    before = _snapshot(shop_client)

    response = _send(shop_client, bad, world)

    problem = assert_problem(response, bad.status)
    if bad.where is not None:
        assert bad.where in field_errors(problem), problem
        named = bad.where.rsplit("/", 1)[-1].split(":")[-1]
        if named != "#":
            assert named in problem["detail"], problem
    if bad.mentions is not None:
        assert bad.mentions in problem["detail"], problem
    assert _snapshot(shop_client) == before


# -- refusals the table cannot hold ---------------------------------------------------


def test_text_with_a_nul_character_is_refused_with_422_and_changes_nothing(
    shop_client: TestClient, world: World
) -> None:
    # PostgreSQL cannot store a NUL; the bodies refuse it in every text field
    # (tests/unit/test_order_bodies.py, test_catalogue_bodies.py) before it gets there.
    body = order_body([line(world.sku, 1)], world.code, customer=customer(name="Ana\x00"))
    before = _snapshot(shop_client)

    problem = assert_problem(shop_client.post(ORDERS, json=body), 422)

    assert "#/customer/name" in field_errors(problem), problem
    assert _snapshot(shop_client) == before


@pytest.mark.parametrize("path", ["/v1/products/A%00B", "/v1/products/A%00B/restock"])
def test_a_sku_with_a_nul_character_in_the_path_is_a_404(
    shop_client: TestClient, path: str
) -> None:
    before = _snapshot(shop_client)

    method = "POST" if path.endswith("restock") else "GET"
    response = shop_client.request(method, path, json={"quantity": 1})

    assert_problem(response, 404)
    assert _snapshot(shop_client) == before


