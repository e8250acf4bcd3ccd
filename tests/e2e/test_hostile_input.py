"""Input that once made a 500: each is now a 4xx that says what is wrong and where.

Non-ASCII signatures, times at the ends of the calendar and NUL characters in an address
(which PostgreSQL refuses in any text) are tried on both databases, against the API
(problem+json) and the back office (its own HTML error page). Every test checks that
nothing stored changed: the events, the stock and the orders are read straight from the
database before and after.
"""

from __future__ import annotations

import os
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from fastapi.dependencies.models import Dependant
from fastapi.routing import APIRoute
from fastapi.testclient import TestClient
from sqlalchemy import Engine, func, select

from order_service.adapters.sql.engine import make_engine
from order_service.eventstore.tables import events
from order_service.projections.tables import orders, products
from order_service.settings import Settings
from tests.api_keys import app_client
from tests.e2e.back_office import get, sign_in
from tests.e2e.builders import create_product, create_shipping_method, line, place_order
from tests.e2e.expectations import assert_problem, field_errors

SECRET = "whsec_hostile_input_1"
NOTIFICATIONS = "/v1/payment-notifications"
HTML = "text/html"
COMMAND = Path(sys.executable).with_name("order-service")


@pytest.fixture(scope="module")
def shop_client(module_database_url: str, module_merchant_key: str) -> Iterator[TestClient]:
    """A merchant's client on the real app (gateway secret set), signed in to /admin too."""
    settings = Settings(database_url=module_database_url, payment_gateway_secret=SECRET)
    with app_client(settings, module_merchant_key) as client:
        sign_in(client, module_merchant_key)
        yield client


@pytest.fixture(scope="module")
def store(module_database_url: str) -> Iterator[Engine]:
    """An engine on the module's database, to read what is stored."""
    engine = make_engine(module_database_url, pool_size=1)
    yield engine
    engine.dispose()


@dataclass(frozen=True)
class World:
    """What the shop holds before any hostile request: a product and two orders."""

    sku: str
    order_ids: tuple[str, ...]


@pytest.fixture(scope="module")
def world(shop_client: TestClient) -> World:
    """Stock the module's shop once."""
    sku = create_product(shop_client, stock=50)["sku"]
    method = create_shipping_method(shop_client)["code"]
    placed = [place_order(shop_client, [line(sku, 1)], method)["id"] for _ in range(2)]
    return World(sku=sku, order_ids=tuple(placed))


def stored(engine: Engine) -> tuple[Any, ...]:
    """Everything a request could have changed: the events, the stock, the orders."""
    with engine.connect() as connection:
        return (
            tuple(connection.execute(select(func.count(), func.max(events.c.position))).one()),
            connection.execute(select(products.c.sku, products.c.available)
                               .order_by(products.c.sku)).all(),
            connection.execute(select(orders.c.id, orders.c.status, orders.c.version)
                               .order_by(orders.c.number)).all(),
        )


def assert_html_error(response: Any, status: int) -> str:
    """Check that `response` is the back office's error page with `status`; its text."""
    assert response.status_code == status, response.text
    assert response.headers["content-type"].startswith(HTML)
    assert "Traceback" not in response.text
    text: str = response.text
    return text


# -- signatures -------------------------------------------------------------------------


def _signature(v1: bytes) -> bytes:
    """A Signature header of now whose v1 value is `v1`, bytes as sent."""
    return f"t={int(time.time())},v1=".encode() + v1


def _notify(client: TestClient, order_id: str, signature: bytes) -> Any:
    body = (f'{{"id": "evt_hostile", "order_id": "{order_id}", "status": "succeeded", '
            f'"amount": 1, "currency": "EUR"}}').encode()
    return client.post(NOTIFICATIONS, content=body, headers={
        "Content-Type": "application/json", "Authorization": "", "Signature": signature})


# Which v1 values are no hex digest (not hex, too long, non-ASCII) is
# tests/unit/test_signatures.py's; here, raw non-ASCII bytes in the header as sent.
def test_a_signature_of_non_ascii_bytes_is_refused_401_and_changes_nothing(
    shop_client: TestClient, store: Engine, world: World,
) -> None:
    before = stored(store)

    response = _notify(shop_client, world.order_ids[0], _signature(b"\xe9\xe9"))

    problem = assert_problem(response, 401)
    assert "Signature header" in problem["detail"]
    assert stored(store) == before


def test_a_non_ascii_signature_without_a_configured_secret_is_the_503_of_every_notification(
    module_database_url: str, module_merchant_key: str, store: Engine, world: World,
) -> None:
    before = stored(store)
    with app_client(Settings(database_url=module_database_url), module_merchant_key) as client:
        response = _notify(client, world.order_ids[0], _signature(b"\xe9\xe9"))

    problem = assert_problem(response, 503)
    assert "ORDER_SERVICE_PAYMENT_GATEWAY_SECRET" in problem["detail"]
    assert stored(store) == before


# -- the ends of the calendar -----------------------------------------------------------

EARLIEST_PLUS_14 = "0001-01-01T00:00:00%2B14:00"  # still year 0 in UTC
LATEST_MINUS_14 = "9999-12-31T23:00:00-14:00"  # already year 10000 in UTC


# Which times fall outside the calendar in UTC, and that those near its ends which fit
# are taken, is tests/unit/test_query_moments.py's; that such a filter selects every order
# on each storage is tests/contract/test_order_filters.py's. Here, each parameter's 422.
@pytest.mark.parametrize(("path", "parameter"), [
    (f"/v1/reports/sales?to={EARLIEST_PLUS_14}", "to"),
    (f"/v1/reports/sales?from={LATEST_MINUS_14}", "from"),
    (f"/v1/orders/export?placed_from={EARLIEST_PLUS_14}", "placed_from"),
    (f"/v1/orders/export?placed_to={LATEST_MINUS_14}", "placed_to"),
    (f"/v1/orders/export?updated_since={EARLIEST_PLUS_14}", "updated_since"),
    (f"/v1/orders/export?format=csv&updated_since={LATEST_MINUS_14}", "updated_since"),
])
def test_a_time_outside_the_calendar_in_utc_is_a_422_naming_the_parameter(
    shop_client: TestClient, store: Engine, world: World, path: str, parameter: str,
) -> None:
    before = stored(store)

    response = shop_client.get(path)

    problem = assert_problem(response, 422)
    assert f"query:{parameter}" in field_errors(problem)
    assert f"parameter {parameter} must fall between the years 1 and 9999" in problem["detail"]
    assert stored(store) == before


def test_the_sales_report_up_to_the_last_day_of_the_calendar_counts_every_order(
    shop_client: TestClient, world: World,
) -> None:
    everything = shop_client.get("/v1/reports/sales").json()

    page = shop_client.get("/admin/sales?from=0001-01-01&to=9999-12-31")

    assert page.status_code == 200, page.text
    assert page.headers["content-type"].startswith(HTML)
    pending = everything["by_status"]["pending_payment"]["orders"]
    assert pending >= len(world.order_ids)
    assert f'data-field="orders">{pending}<' in page.text


def test_the_back_office_sales_up_to_the_last_day_changes_nothing(
    shop_client: TestClient, store: Engine, world: World,
) -> None:
    before = stored(store)

    page = shop_client.get("/admin/sales?to=9999-12-31")

    assert page.status_code == 200, page.text
    assert stored(store) == before


@pytest.mark.parametrize("option", ["--placed-from", "--placed-to", "--updated-since"])
def test_the_cli_export_refuses_a_time_outside_the_calendar_in_utc_naming_the_option(
    tmp_path: Path, option: str,
) -> None:
    out = tmp_path / "orders.csv"
    env = {k: v for k, v in os.environ.items() if not k.startswith("ORDER_SERVICE_")}

    result = subprocess.run(
        [str(COMMAND), "export", "--format", "csv", "--out", str(out), option,
         "0001-01-01T00:00:00+14:00"], cwd=tmp_path, capture_output=True, text=True,
        env={**env, "ORDER_SERVICE_DATABASE_URL": f"sqlite:///{tmp_path / 'shop.db'}"},
        timeout=60, check=False)

    assert result.returncode == 2
    assert f"{option}: '0001-01-01T00:00:00+14:00' must fall between the years 1 and 9999" \
        in result.stderr
    assert "Traceback" not in result.stderr
    assert list(tmp_path.iterdir()) == []


# -- NUL characters -----------------------------------------------------------------------


@pytest.mark.parametrize("path", ["/admin/orders?q=%00", "/admin/orders?q=ana%00@example.com",
                                  "/admin/orders?status=paid&q=%00"])
def test_a_nul_in_the_back_office_search_is_a_400_page_naming_the_parameter(
    shop_client: TestClient, store: Engine, world: World, path: str,
) -> None:
    before = stored(store)

    text = assert_html_error(shop_client.get(path), 400)

    assert "Bad request" in text
    assert "q must not contain a NUL character (%00)" in text
    assert stored(store) == before


def test_restocking_a_sku_with_a_nul_in_the_back_office_is_a_404_page(
    shop_client: TestClient, store: Engine, world: World,
) -> None:
    form = get(shop_client, "/admin/products").form(f"/admin/products/{world.sku}/restock")
    before = stored(store)

    response = shop_client.post("/admin/products/%00/restock",
                                data={**form.fields, "quantity": "5"})

    text = assert_html_error(response, 404)
    assert "Not found" in text
    assert stored(store) == before


@pytest.mark.parametrize(("path", "parameter"), [
    ("/v1/orders?cursor=%00", "cursor"),
    ("/v1/orders/export?status=paid%00", "status"),
    ("/v1/events?after=1%00", "after"),
    ("/v1/reports/sales?currency=EUR%00", "currency"),
])
def test_a_nul_in_an_api_query_parameter_is_a_422_naming_it(
    shop_client: TestClient, store: Engine, world: World, path: str, parameter: str,
) -> None:
    before = stored(store)

    problem = assert_problem(shop_client.get(path), 422)

    assert f"query:{parameter}" in field_errors(problem)
    assert f"parameter {parameter} must not contain a NUL character" in problem["detail"]
    assert stored(store) == before


def _api_routes(routes: list[Any], prefix: str = "") -> Iterator[tuple[str, APIRoute]]:
    """(full path template, route) of every API route, in nested routers too."""
    for route in routes:
        included = getattr(route, "original_router", None)
        if included is not None:
            # FastAPI 0.16x keeps an included router as one node (see test_auth.app_routes).
            context = getattr(route, "include_context", None)
            yield from _api_routes(included.routes, prefix + getattr(context, "prefix", ""))
        elif isinstance(route, APIRoute):
            yield prefix + route.path_format, route


def _nul_requests(template: str, route: APIRoute) -> Iterator[tuple[str, str, str]]:
    """(method, url, what) for each place of the route's address a NUL can go."""
    method = sorted(route.methods)[0]
    names = list(route.param_convertors)
    fill = dict.fromkeys(names, "A")
    for name in names:
        yield method, template.format_map({**fill, name: "A%00B"}), f"path {name}"
    plain = template.format_map(fill)
    for name in dict.fromkeys(_query_parameters(route.dependant)):
        yield method, f"{plain}?{name}=%00", f"query {name}"


def _query_parameters(dependant: Dependant) -> Iterator[str]:
    yield from (parameter.alias for parameter in dependant.query_params)
    for dependency in dependant.dependencies:
        yield from _query_parameters(dependency)


def test_a_nul_anywhere_in_any_routes_address_is_a_4xx_that_changes_nothing(
    shop_client: TestClient, store: Engine, world: World,
) -> None:
    # Every route the app has, the API's and the back office's, routes added later too:
    # each parameter of its address in turn gets a NUL.
    before = stored(store)
    tried = []

    for template, route in _api_routes(shop_client.app.router.routes):  # type: ignore[attr-defined]
        for method, url, what in _nul_requests(template, route):
            response = shop_client.request(method, url)
            tried.append(f"{method} {url}")
            assert 400 <= response.status_code < 500, (what, url, response.text)
            if url.startswith("/admin"):
                assert response.headers["content-type"].startswith(HTML), (url, response.text)
            else:
                assert_problem(response, response.status_code)

    assert stored(store) == before
    assert len(tried) > 20, tried
    assert "GET /admin/orders?q=%00" in tried
    assert "POST /admin/products/A%00B/restock" in tried
