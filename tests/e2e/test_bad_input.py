"""Bad requests: each is refused with a 4xx problem+json that says what is wrong, and
nothing stored changes.

Every row of the table is read-only by contract and checks that itself: it snapshots
the catalogue, the shipping methods and the orders (whose versions count their events)
right before its request and compares right after. That lets all rows share one shop
per backend (a module-scoped database), which keeps some 230 requests fast.
"""

from __future__ import annotations

import json
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Any

import pytest
from fastapi.testclient import TestClient

from order_service.settings import Settings
from tests.api_keys import app_client
from tests.e2e.builders import (
    JsonObject,
    address,
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

MISSING = object()
Body = Callable[[World], Any]


def _edit(body: JsonObject, path: tuple[str | int, ...], value: Any) -> JsonObject:
    """A copy of `body` with the value at `path` replaced (or removed when MISSING)."""
    if not path:
        return value  # type: ignore[no-any-return]
    head, *rest = path
    copy: Any = list(body) if isinstance(body, list) else dict(body)
    if rest:
        copy[head] = _edit(copy[head], tuple(rest), value)
    elif value is MISSING:
        del copy[head]
    else:
        copy[head] = value
    return copy  # type: ignore[no-any-return]


def order(*edits: tuple[tuple[str | int, ...], Any]) -> Body:
    """A valid order for the world's product and method, with `edits` applied."""

    def build(world: World) -> Any:
        body: Any = order_body([line(world.sku, 1)], world.code)
        for path, value in edits:
            body = _edit(body, path, value)
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
            body = _edit(body, (name,), value)
        return body

    return build


def shipping_method(**fields: Any) -> Body:
    """A valid new shipping method with `fields` replaced (MISSING drops one)."""

    def build(_world: World) -> Any:
        body = shipping_method_body()
        for name, value in fields.items():
            body = _edit(body, (name,), value)
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
LONG = "x" * 201
ORDERS = "/v1/orders"
PRODUCTS = "/v1/products"
RESTOCK = "/v1/products/{sku}/restock"
METHODS = "/v1/shipping-methods"
THE_ORDER = "/v1/orders/{order_id}"


def _post_order(body: Body, where: str | None = None, status: int = 422,
                mentions: str | None = None) -> Bad:
    return Bad("POST", ORDERS, status, json=body, where=where, mentions=mentions)


def _missing(*path: str | int) -> Any:
    return pytest.param(
        _post_order(order((path, MISSING)), "#/" + "/".join(str(p) for p in path)),
        id="order-missing-" + "-".join(str(p) for p in path),
    )


def _quantity(value: Any, name: str) -> Any:
    return pytest.param(
        _post_order(order((("lines", 0, "quantity"), value)), "#/lines/0/quantity"),
        id=f"order-quantity-{name}",
    )


CASES = [
    # an order missing what it needs
    *(_missing(name) for name in ("customer", "lines", "shipping_address", "billing_address",
                                  "payment_method", "shipping_method")),
    _missing("customer", "name"),
    _missing("customer", "email"),
    _missing("shipping_address", "country"),
    _missing("billing_address", "line1"),
    _missing("lines", 0, "sku"),
    _missing("lines", 0, "quantity"),
    # quantities that are not a positive whole number of a sane size
    _quantity(0, "zero"),
    _quantity(-1, "negative"),
    _quantity(10**30, "10e30"),
    _quantity(10**7, "10e7"),
    _quantity("2", "string"),
    _quantity(2.5, "fraction"),
    _quantity(2.0, "float"),
    _quantity(None, "null"),
    _quantity(True, "boolean"),
    # the wrong kind of value
    pytest.param(_post_order(order_with("customer", "Ana García"), "#/customer"),
                 id="order-customer-string"),
    pytest.param(_post_order(order_with("customer", None), "#/customer"),
                 id="order-customer-null"),
    pytest.param(_post_order(order_with("shipping_address", "Calle Mayor 1, Madrid"),
                             "#/shipping_address"), id="order-address-string"),
    pytest.param(_post_order(order_with("lines", "SANDAL-42"), "#/lines"),
                 id="order-lines-string"),
    pytest.param(_post_order(order_with("lines", None), "#/lines"), id="order-lines-null"),
    pytest.param(_post_order(order_with("lines", ["SANDAL-42"]), "#/lines/0"),
                 id="order-line-string"),
    pytest.param(_post_order(order_with("payment_method", 7), "#/payment_method"),
                 id="order-payment-method-number"),
    pytest.param(_post_order(fixed([]), "#"), id="order-body-array"),
    pytest.param(_post_order(fixed("an order"), "#"), id="order-body-string"),
    # lines
    pytest.param(_post_order(order_with("lines", []), "#/lines"), id="order-no-lines"),
    pytest.param(_post_order(
        lambda w: order_body([line(w.sku, 1)] * 101, w.code), "#/lines"), id="order-101-lines"),
    pytest.param(_post_order(order((("lines", 0, "sku"), "SANDAL 42!")), "#/lines/0/sku"),
                 id="order-sku-bad-characters"),
    pytest.param(_post_order(order((("lines", 0, "sku"), "-SANDAL")), "#/lines/0/sku"),
                 id="order-sku-leading-dash"),
    pytest.param(_post_order(order((("lines", 0, "sku"), "S" * 65)), "#/lines/0/sku"),
                 id="order-sku-too-long"),
    pytest.param(_post_order(order((("lines", 0, "sku"), "")), "#/lines/0/sku"),
                 id="order-sku-empty"),
    # names the shop does not know
    pytest.param(_post_order(order((("lines", 0, "sku"), "GHOST-SKU-1")),
                             mentions="GHOST-SKU-1"), id="order-unknown-sku"),
    pytest.param(_post_order(order_with("shipping_method", "teleport"), mentions="teleport"),
                 id="order-unknown-shipping-method"),
    pytest.param(_post_order(order_with("payment_method", "bitcoin"), mentions="bitcoin"),
                 id="order-unknown-payment-method"),
    pytest.param(_post_order(order_with("payment_method", "Credit Card"), "#/payment_method"),
                 id="order-payment-method-bad-characters"),
    pytest.param(_post_order(order_with("currency", "USD"), mentions="USD"),
                 id="order-other-currency"),
    pytest.param(_post_order(order_with("currency", "EURO"), "#/currency"),
                 id="order-bad-currency"),
    # addresses and customer
    pytest.param(_post_order(order((("shipping_address", "country"), "XX")),
                             "#/shipping_address/country"), id="order-country-unknown"),
    pytest.param(_post_order(order((("billing_address", "country"), "ESP")),
                             "#/billing_address/country"), id="order-country-alpha-3"),
    pytest.param(_post_order(order((("shipping_address", "country"), "")),
                             "#/shipping_address/country"), id="order-country-empty"),
    pytest.param(_post_order(order((("customer", "email"), "not-an-email")),
                             "#/customer/email"), id="order-bad-email"),
    pytest.param(_post_order(order((("customer", "email"), "ana@")), "#/customer/email"),
                 id="order-email-without-domain"),
    pytest.param(_post_order(order((("customer", "phone"), "call me")), "#/customer/phone"),
                 id="order-bad-phone"),
    pytest.param(_post_order(order((("customer", "name"), LONG)), "#/customer/name"),
                 id="order-name-too-long"),
    pytest.param(_post_order(order((("customer", "name"), "   ")), "#/customer/name"),
                 id="order-name-blank"),
    pytest.param(_post_order(order((("shipping_address", "line1"), LONG)),
                             "#/shipping_address/line1"), id="order-address-line-too-long"),
    pytest.param(_post_order(order((("billing_address", "postal_code"), "1" * 21)),
                             "#/billing_address/postal_code"), id="order-postal-code-too-long"),
    # fields the contract does not have
    pytest.param(_post_order(order_with("coupon", "FREE"), "#/coupon"), id="order-extra-field"),
    pytest.param(_post_order(order((("customer", "age"), 42)), "#/customer/age"),
                 id="order-customer-extra-field"),
    pytest.param(_post_order(order((("lines", 0, "discount"), 100)), "#/lines/0/discount"),
                 id="order-line-extra-field"),
    pytest.param(_post_order(
        lambda w: order_body([line(w.sku, 1)], w.code,
                             shipping_address=address(planet="Mars")),
        "#/shipping_address/planet"), id="order-address-extra-field"),
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
    # products
    *(pytest.param(Bad("POST", PRODUCTS, 422, json=product(**{name: MISSING}),
                       where=f"#/{name}"), id=f"product-missing-{name}")
      for name in ("sku", "name", "price", "stock")),
    pytest.param(Bad("POST", PRODUCTS, 422, json=product(price=-1), where="#/price"),
                 id="product-negative-price"),
    pytest.param(Bad("POST", PRODUCTS, 422, json=product(stock=-1), where="#/stock"),
                 id="product-negative-stock"),
    pytest.param(Bad("POST", PRODUCTS, 422, json=product(price=19.99), where="#/price"),
                 id="product-float-price"),
    pytest.param(Bad("POST", PRODUCTS, 422, json=product(price="4990"), where="#/price"),
                 id="product-string-price"),
    pytest.param(Bad("POST", PRODUCTS, 422, json=product(price=None), where="#/price"),
                 id="product-null-price"),
    pytest.param(Bad("POST", PRODUCTS, 422, json=product(price=10**30), where="#/price"),
                 id="product-huge-price"),
    pytest.param(Bad("POST", PRODUCTS, 422, json=product(stock=2.5), where="#/stock"),
                 id="product-fractional-stock"),
    pytest.param(Bad("POST", PRODUCTS, 422, json=product(sku="bad sku!"), where="#/sku"),
                 id="product-sku-bad-characters"),
    pytest.param(Bad("POST", PRODUCTS, 422, json=product(sku="S" * 65), where="#/sku"),
                 id="product-sku-too-long"),
    pytest.param(Bad("POST", PRODUCTS, 422, json=product(name=LONG), where="#/name"),
                 id="product-name-too-long"),
    pytest.param(Bad("POST", PRODUCTS, 422, json=product(name=""), where="#/name"),
                 id="product-name-empty"),
    pytest.param(Bad("POST", PRODUCTS, 422, json=product(colour="red"), where="#/colour"),
                 id="product-extra-field"),
    pytest.param(Bad("POST", PRODUCTS, 422, json=product(currency="USD"), mentions="USD"),
                 id="product-other-currency"),
    pytest.param(Bad("POST", PRODUCTS, 409, json=lambda w: product_body(sku=w.sku),
                     mentions="already"), id="product-existing-sku"),
    pytest.param(Bad("POST", PRODUCTS, 400, content=b'{"sku": "A",', headers=JSON),
                 id="product-malformed-json"),
    pytest.param(Bad("POST", PRODUCTS, 422, content=b"", headers=JSON, where="#"),
                 id="product-empty-body"),
    pytest.param(Bad("POST", PRODUCTS, 415, json=product(),
                     headers={"content-type": "text/plain"}), id="product-as-text-plain"),
    # restocks
    pytest.param(Bad("POST", RESTOCK, 422, json=fixed({"quantity": 0}), where="#/quantity"),
                 id="restock-zero"),
    pytest.param(Bad("POST", RESTOCK, 422, json=fixed({"quantity": -3}), where="#/quantity"),
                 id="restock-negative"),
    pytest.param(Bad("POST", RESTOCK, 422, json=fixed({"quantity": "3"}), where="#/quantity"),
                 id="restock-string"),
    pytest.param(Bad("POST", RESTOCK, 422, json=fixed({"quantity": 10**30}),
                     where="#/quantity"), id="restock-huge"),
    pytest.param(Bad("POST", RESTOCK, 422, json=fixed({}), where="#/quantity"),
                 id="restock-missing-quantity"),
    pytest.param(Bad("POST", RESTOCK, 422, json=fixed({"quantity": 1, "note": "x"}),
                     where="#/note"), id="restock-extra-field"),
    pytest.param(Bad("POST", "/v1/products/GHOST-SKU-2/restock", 404,
                     json=fixed({"quantity": 1}), mentions="GHOST-SKU-2"),
                 id="restock-unknown-sku"),
    # shipping methods
    pytest.param(Bad("POST", METHODS, 422, json=shipping_method(price=-1), where="#/price"),
                 id="shipping-method-negative-price"),
    pytest.param(Bad("POST", METHODS, 422, json=shipping_method(price=4.95), where="#/price"),
                 id="shipping-method-float-price"),
    pytest.param(Bad("POST", METHODS, 422, json=shipping_method(code="Next Day!"),
                     where="#/code"), id="shipping-method-bad-code"),
    pytest.param(Bad("POST", METHODS, 422, json=shipping_method(name=MISSING), where="#/name"),
                 id="shipping-method-missing-name"),
    pytest.param(Bad("POST", METHODS, 409, json=lambda w: shipping_method_body(code=w.code),
                     mentions="already"), id="shipping-method-existing-code"),
    # changes to an order
    pytest.param(Bad("POST", THE_ORDER + "/pay", 422, json=fixed({"payment_reference": LONG}),
                     where="#/payment_reference"), id="pay-reference-too-long"),
    pytest.param(Bad("POST", THE_ORDER + "/pay", 422, json=fixed({"amount": 6637}),
                     where="#/amount"), id="pay-extra-field"),
    pytest.param(Bad("POST", THE_ORDER + "/pay", 400, content=b"{", headers=JSON),
                 id="pay-malformed-json"),
    pytest.param(Bad("POST", THE_ORDER + "/pay", 422, json=fixed([]), where="#"),
                 id="pay-body-array"),
    pytest.param(Bad("POST", THE_ORDER + "/ship", 422, json=fixed({"tracking_number": 12345}),
                     where="#/tracking_number"), id="ship-tracking-number-not-text"),
    pytest.param(Bad("POST", THE_ORDER + "/cancel", 422, json=fixed({"reason": "x" * 501}),
                     where="#/reason"), id="cancel-reason-too-long"),
    pytest.param(Bad("POST", THE_ORDER + "/ship", 409, mentions="pending_payment"),
                 id="ship-a-pending-order"),
    pytest.param(Bad("POST", f"/v1/orders/{uuid.UUID(int=1)}/pay", 404), id="pay-unknown-order"),
    pytest.param(Bad("POST", "/v1/orders/12/cancel", 404), id="cancel-non-uuid-order"),
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
    pytest.param(Bad("GET", ORDERS + "?cursor=not-a-cursor", 400, where="query:cursor"),
                 id="list-cursor-garbage"),
    # A typo in a filter must not widen the answer to every order.
    pytest.param(Bad("GET", ORDERS + "?stauts=cancelled", 422, where="query:stauts",
                     mentions="status"), id="list-unknown-parameter"),
    pytest.param(Bad("GET", "/v1/events?after=0&from=3", 422, where="query:from"),
                 id="events-unknown-parameter"),
    pytest.param(Bad("GET", "/v1/products/{sku}?expand=all", 422, where="query:expand",
                     mentions="no query parameters"), id="product-takes-no-parameters"),
    pytest.param(Bad("POST", "/v1/orders/{order_id}/cancel?force=1", 422, where="query:force",
                     json=fixed({"reason": "typo"})), id="cancel-unknown-parameter"),
    pytest.param(Bad("GET", "/v1/orders/not-a-uuid", 404), id="get-order-non-uuid"),
    pytest.param(Bad("GET", f"/v1/orders/{uuid.UUID(int=2)}", 404), id="get-order-unknown"),
    pytest.param(Bad("GET", f"/v1/orders/{uuid.UUID(int=3)}/events", 404),
                 id="history-unknown-order"),
    pytest.param(Bad("GET", "/v1/products/GHOST-SKU-3", 404, mentions="GHOST-SKU-3"),
                 id="get-product-unknown"),
    pytest.param(Bad("GET", "/v1/nowhere", 404), id="unknown-path"),
    pytest.param(Bad("DELETE", THE_ORDER, 405, mentions="cancel"), id="delete-order"),
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


def _nul_request(client: TestClient, what: str) -> tuple[str, JsonObject]:
    """A request whose free text carries a NUL character, on a product and order of its own."""
    sku = create_product(client, stock=5)["sku"]
    code = create_shipping_method(client)["code"]
    order_id = place_order(client, [line(sku, 1)], code)["id"]
    requests: dict[str, tuple[str, JsonObject]] = {
        "product-name": (PRODUCTS, product_body(name="Sandals\x00")),
        "shipping-method-name": (METHODS, shipping_method_body(name="Std\x00")),
        "customer-name": (ORDERS, order_body([line(sku, 1)], code,
                                             customer=customer(name="Ana\x00"))),
        "address-line": (ORDERS, order_body([line(sku, 1)], code,
                                            shipping_address=address(line1="Mayor\x001"))),
        "payment-reference": (f"/v1/orders/{order_id}/pay", {"payment_reference": "TR\x00"}),
        "cancel-reason": (f"/v1/orders/{order_id}/cancel", {"reason": "why\x00"}),
    }
    return requests[what]


@pytest.mark.parametrize("what", ["product-name", "shipping-method-name", "customer-name",
                                  "address-line", "payment-reference", "cancel-reason"])
def test_text_with_a_nul_character_is_refused_with_422_and_changes_nothing(
    shop_client: TestClient, what: str
) -> None:
    path, body = _nul_request(shop_client, what)
    before = _snapshot(shop_client)

    response = shop_client.post(path, json=body)

    assert_problem(response, 422)
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


