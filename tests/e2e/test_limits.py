"""Limits: what is too big, too long, too many or not in the contract is refused with a
clear 4xx problem+json, nothing stored changes, and what is just within a limit passes.

The refusals share one shop per backend (a module-scoped database, as in
test_bad_input.py); each test snapshots what is stored right before its request and
compares right after. Bodies over the size limit go to a second app on the same
database whose ORDER_SERVICE_MAX_BODY_BYTES is 2048, and once to a real server, where
a chunked body really arrives in pieces.
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
    create_product,
    create_shipping_method,
    customer,
    get_json,
    line,
    order_body,
    place_order,
    product_body,
    shipping_method_body,
)
from tests.e2e.expectations import assert_problem, field_errors
from tests.servers import StartServer

SMALL_LIMIT = 2048
MAX_PRICE = 100_000_000_000  # the documented maximum of a price, in minor units
MAX_QUANTITY = 1_000_000
JSON = {"content-type": "application/json"}


# -- one shop per backend for the whole module ---------------------------------------


@pytest.fixture(scope="module")
def api(module_database_url: str, module_merchant_key: str) -> Iterator[TestClient]:
    """The real app with its default limits over this module's database (a merchant's)."""
    with app_client(Settings(database_url=module_database_url), module_merchant_key
                    ) as test_client:
        yield test_client


@pytest.fixture(scope="module")
def small_api(module_database_url: str, module_merchant_key: str) -> Iterator[TestClient]:
    """The real app over the same database, refusing bodies over 2048 bytes."""
    settings = Settings(database_url=module_database_url, max_body_bytes=SMALL_LIMIT)
    with app_client(settings, module_merchant_key) as test_client:
        yield test_client


@pytest.fixture(scope="module")
def method_code(api: TestClient) -> str:
    """A shipping method every order of the module may use."""
    code: str = create_shipping_method(api)["code"]
    return code


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
                   where: str | None = None, slug: str | None = None) -> JsonObject:
    """Send, check the problem (and where it points), and that nothing stored changed."""
    before = stored(client)
    problem = assert_problem(send(), status)
    if where is not None:
        assert where in field_errors(problem), problem
        assert where.rsplit("/", 1)[-1] in problem["detail"], problem
    if slug is not None:
        assert problem["type"] == f"urn:order-service:problem:{slug}", problem
    assert stored(client) == before
    return problem


def pending_order(client: httpx.Client, code: str) -> str:
    """A new pending order of one item of a new product."""
    sku = create_product(client, stock=5)["sku"]
    order_id: str = place_order(client, [line(sku, 1)], code)["id"]
    return order_id


def paid_order(client: httpx.Client, code: str) -> str:
    """A new paid order of one item of a new product."""
    order_id = pending_order(client, code)
    assert client.post(f"/v1/orders/{order_id}/pay").status_code == 200
    return order_id


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


# -- how many, how much ---------------------------------------------------------------


def test_an_order_of_101_lines_is_refused_with_422_naming_lines(
    api: TestClient, method_code: str
) -> None:
    sku = create_product(api, stock=500)["sku"]
    body = order_body([line(sku, 1)] * 101, method_code)

    problem = assert_refused(api, lambda: api.post("/v1/orders", json=body), 422,
                             where="#/lines")

    assert "100" in problem["detail"]


def test_an_order_of_100_lines_is_accepted(api: TestClient, method_code: str) -> None:
    sku = create_product(api, stock=500)["sku"]

    order = place_order(api, [line(sku, 1)] * 100, method_code)

    assert [(item["sku"], item["quantity"]) for item in order["lines"]] == [(sku, 100)]
    assert get_json(api, f"/v1/products/{sku}")["available"] == 400


@pytest.mark.parametrize("quantity", [0, -1, MAX_QUANTITY + 1])
def test_an_order_line_quantity_out_of_range_is_refused_with_422(
    api: TestClient, method_code: str, quantity: int
) -> None:
    sku = create_product(api, stock=2 * MAX_QUANTITY)["sku"]
    body = order_body([line(sku, quantity)], method_code)

    assert_refused(api, lambda: api.post("/v1/orders", json=body), 422,
                   where="#/lines/0/quantity")


def test_an_order_line_of_the_largest_quantity_is_accepted(
    api: TestClient, method_code: str
) -> None:
    sku = create_product(api, price=1, stock=MAX_QUANTITY)["sku"]

    order = place_order(api, [line(sku, MAX_QUANTITY)], method_code)

    assert order["lines"][0]["quantity"] == MAX_QUANTITY
    assert get_json(api, f"/v1/products/{sku}")["available"] == 0


@pytest.mark.parametrize("quantity", [0, -1, MAX_QUANTITY + 1])
def test_a_restock_quantity_out_of_range_is_refused_with_422(
    api: TestClient, quantity: int
) -> None:
    sku = create_product(api)["sku"]

    assert_refused(api, lambda: api.post(f"/v1/products/{sku}/restock",
                                         json={"quantity": quantity}), 422, where="#/quantity")


@pytest.mark.parametrize("stock", [-1, 1_000_000_001])
def test_an_opening_stock_out_of_range_is_refused_with_422(api: TestClient, stock: int) -> None:
    assert_refused(api, lambda: api.post("/v1/products", json=product_body(stock=stock)), 422,
                   where="#/stock")


@pytest.mark.parametrize("path", ["/v1/products", "/v1/shipping-methods"])
def test_a_price_over_the_maximum_is_refused_with_422(api: TestClient, path: str) -> None:
    body = product_body(price=10**12) if "products" in path else shipping_method_body(
        price=10**12)

    assert_refused(api, lambda: api.post(path, json=body), 422, where="#/price")


@pytest.mark.parametrize("path", ["/v1/products", "/v1/shipping-methods"])
def test_a_price_of_the_maximum_is_accepted(api: TestClient, path: str) -> None:
    body = product_body(price=MAX_PRICE) if "products" in path else shipping_method_body(
        price=MAX_PRICE)

    response = api.post(path, json=body)

    assert response.status_code == 201, response.text
    assert response.json()["price"] == MAX_PRICE


def _costly_order(api: TestClient, method_code: str, quantity: int) -> JsonObject:
    sku = create_product(api, price=MAX_PRICE, stock=quantity)["sku"]
    return order_body([line(sku, quantity)], method_code)


def test_an_order_whose_total_would_pass_the_maximum_is_refused_with_422(
    api: TestClient, method_code: str
) -> None:
    # 8,265 items at the highest price, plus 21 % tax, come to just over 10**15 minor
    # units, the most an order may total; every field is within its own bounds.
    body = _costly_order(api, method_code, 8_265)

    problem = assert_refused(api, lambda: api.post("/v1/orders", json=body), 422,
                             slug="order-too-large")

    assert str(10**15) in problem["detail"]


# -- text ---------------------------------------------------------------------------

# (what, the body's path to the text, its longest allowed length)
TEXTS = [
    ("product", ("name",), 200),
    ("shipping-method", ("name",), 200),
    ("order", ("customer", "name"), 200),
    ("order", ("shipping_address", "line1"), 200),
    ("order", ("billing_address", "city"), 200),
    ("order", ("shipping_address", "postal_code"), 20),
    ("pay", ("payment_reference",), 200),
    ("ship", ("tracking_number",), 200),
    ("cancel", ("reason",), 500),
]


def _with_text(api: TestClient, method_code: str, what: str, path: tuple[str, ...],
               text: str) -> tuple[str, JsonObject]:
    """A request of kind `what` whose field at `path` is `text`, valid otherwise."""
    bodies: dict[str, Callable[[], tuple[str, JsonObject]]] = {
        "product": lambda: ("/v1/products", product_body()),
        "shipping-method": lambda: ("/v1/shipping-methods", shipping_method_body()),
        "order": lambda: ("/v1/orders", order_body(
            [line(create_product(api)["sku"], 1)], method_code)),
        "pay": lambda: (f"/v1/orders/{pending_order(api, method_code)}/pay", {}),
        "ship": lambda: (f"/v1/orders/{paid_order(api, method_code)}/ship", {}),
        "cancel": lambda: (f"/v1/orders/{pending_order(api, method_code)}/cancel", {}),
    }
    url, body = bodies[what]()
    target = body
    for part in path[:-1]:
        target[part] = dict(target[part])
        target = target[part]
    target[path[-1]] = text
    return url, body


@pytest.mark.parametrize(("what", "path", "longest"), TEXTS,
                         ids=[f"{w}-{'.'.join(p)}" for w, p, _ in TEXTS])
def test_text_one_character_over_its_limit_is_refused_with_422(
    api: TestClient, method_code: str, what: str, path: tuple[str, ...], longest: int
) -> None:
    url, body = _with_text(api, method_code, what, path, "x" * (longest + 1))

    problem = assert_refused(api, lambda: api.post(url, json=body), 422,
                             where="#/" + "/".join(path))

    assert str(longest) in problem["detail"]


@pytest.mark.parametrize(("what", "path", "longest"), TEXTS,
                         ids=[f"{w}-{'.'.join(p)}" for w, p, _ in TEXTS])
def test_text_of_exactly_its_limit_is_accepted_and_kept_whole(
    api: TestClient, method_code: str, what: str, path: tuple[str, ...], longest: int
) -> None:
    text = "x" * longest
    url, body = _with_text(api, method_code, what, path, text)

    response = api.post(url, json=body)

    assert response.status_code in (200, 201), response.text
    answer = response.json()
    kept = {"reason": "cancel_reason"}.get(path[-1], path[-1])
    for part in path[:-1]:
        answer = answer[part]
    assert answer[kept] == text


# -- email and currency -------------------------------------------------------------


@pytest.mark.parametrize("email", [
    "not-an-email", "ana@", "@example.com", "ana@@example.com", "ana garcia@example.com",
    "ana@example", "ana@-example.com", f"{'a' * 250}@example.com", "",
])
def test_an_order_with_an_invalid_email_is_refused_with_422(
    api: TestClient, method_code: str, email: str
) -> None:
    sku = create_product(api)["sku"]
    body = order_body([line(sku, 1)], method_code, customer=customer(email=email))

    assert_refused(api, lambda: api.post("/v1/orders", json=body), 422,
                   where="#/customer/email")


def test_an_order_with_a_plus_address_on_a_subdomain_is_accepted(
    api: TestClient, method_code: str
) -> None:
    sku = create_product(api)["sku"]

    order = place_order(api, [line(sku, 1)], method_code,
                        customer=customer(email="ana.garcia+shop@mail.example.co.uk"))

    assert order["customer"]["email"] == "ana.garcia+shop@mail.example.co.uk"


@pytest.mark.parametrize("what", ["product", "shipping-method", "order"])
def test_a_currency_other_than_the_shops_is_refused_with_422(
    api: TestClient, method_code: str, what: str
) -> None:
    url, body = {
        "product": lambda: ("/v1/products", product_body(currency="USD")),
        "shipping-method": lambda: ("/v1/shipping-methods", shipping_method_body(
            currency="USD")),
        "order": lambda: ("/v1/orders", order_body(
            [line(create_product(api)["sku"], 1)], method_code, currency="USD")),
    }[what]()

    problem = assert_refused(api, lambda: api.post(url, json=body), 422,
                             slug="currency-mismatch")

    assert "USD" in problem["detail"]
    assert "EUR" in problem["detail"]


@pytest.mark.parametrize("currency", ["EUR", "eur"])
def test_the_shops_own_currency_may_be_given_in_either_case(
    api: TestClient, method_code: str, currency: str
) -> None:
    product = create_product(api, currency=currency)
    order = place_order(api, [line(product["sku"], 1)], method_code, currency=currency)

    assert (product["currency"], order["currency"]) == ("EUR", "EUR")


# -- fields the contract does not have ------------------------------------------------

# (what, where the unknown field goes inside the body)
EXTRAS = [
    ("product", ()),
    ("restock", ()),
    ("shipping-method", ()),
    ("order", ()),
    ("order", ("lines", 0)),
    ("order", ("customer",)),
    ("order", ("shipping_address",)),
    ("order", ("billing_address",)),
    ("pay", ()),
    ("ship", ()),
    ("cancel", ()),
]


def _with_extra(api: TestClient, method_code: str, what: str, path: tuple[str | int, ...]
                ) -> tuple[str, JsonObject]:
    """A valid request of kind `what` with an unknown field `colour` at `path`."""
    if what in ("product", "restock", "shipping-method"):
        url, body = {
            "product": ("/v1/products", product_body()),
            "restock": (f"/v1/products/{create_product(api)['sku']}/restock", {"quantity": 1}),
            "shipping-method": ("/v1/shipping-methods", shipping_method_body()),
        }[what]
    elif what == "order":
        url, body = "/v1/orders", order_body([line(create_product(api)["sku"], 1)], method_code)
    else:
        order_id = paid_order(api, method_code) if what == "ship" else pending_order(
            api, method_code)
        url, body = f"/v1/orders/{order_id}/{what}", {}
    target: Any = body
    for part in path:
        target[part] = dict(target[part]) if isinstance(target[part], dict) else target[part]
        target = target[part]
    target["colour"] = "red"
    return url, body


@pytest.mark.parametrize(("what", "path"), EXTRAS,
                         ids=[f"{w}{''.join(f'-{p}' for p in path)}" for w, path in EXTRAS])
def test_an_unknown_field_is_refused_with_422_on_every_body(
    api: TestClient, method_code: str, what: str, path: tuple[str | int, ...]
) -> None:
    url, body = _with_extra(api, method_code, what, path)

    assert_refused(api, lambda: api.post(url, json=body), 422,
                   where="#/" + "".join(f"{p}/" for p in path) + "colour")


@pytest.mark.parametrize("unit_price", [1, "0.01", None, {"amount": 1, "currency": "EUR"}])
def test_an_order_line_may_echo_a_name_and_price_which_are_ignored(
    api: TestClient, method_code: str, unit_price: Any
) -> None:
    product = create_product(api, name="Leather sandals, size 42", price=4990)

    order = place_order(api, [line(product["sku"], 2, name="Cheap sandals",
                                   unit_price=unit_price)], method_code)

    assert order["lines"] == [{"sku": product["sku"], "name": "Leather sandals, size 42",
                               "quantity": 2, "unit_price": 4990, "line_total": 9980}]
    assert order["subtotal"] == 9980

