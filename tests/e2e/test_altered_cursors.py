"""A page cursor with anything appended is refused like any other altered cursor: a 400.

Which alterations the codec refuses (padding, letters, ...) is tests/unit/test_cursors.py's.
"""

from __future__ import annotations

import pytest
from fastapi.testclient import TestClient

from tests.e2e.back_office import Page, get, sign_in
from tests.e2e.builders import create_product, create_shipping_method, line, place_order
from tests.e2e.expectations import assert_problem

JUNK = ["=", "%3D"]  # "=" as typed, and percent-encoded


@pytest.fixture
def three_orders(client: TestClient) -> None:
    """Enough orders for a second page at limit=1."""
    sku = create_product(client, stock=10)["sku"]
    method = create_shipping_method(client)["code"]
    for _ in range(3):
        place_order(client, [line(sku, 1)], method)


@pytest.mark.usefixtures("three_orders")
@pytest.mark.parametrize("listing", ["/v1/orders", "/v1/orders/export"])
@pytest.mark.parametrize("junk", JUNK)
def test_an_api_cursor_with_junk_appended_is_a_400_bad_cursor(
    client: TestClient, listing: str, junk: str,
) -> None:
    cursor = client.get(listing, params={"limit": 1}).json()["next_cursor"]
    assert client.get(f"{listing}?limit=1&cursor={cursor}").status_code == 200

    response = client.get(f"{listing}?limit=1&cursor={cursor}{junk}")

    problem = assert_problem(response, 400)
    assert problem["type"] == "urn:order-service:problem:bad-cursor"
    assert problem["errors"][0]["parameter"] == "cursor"


def test_a_back_office_cursor_with_junk_appended_is_a_400_page(
    client: TestClient, merchant_key: str,
) -> None:
    sku = create_product(client, stock=30)["sku"]
    method = create_shipping_method(client)["code"]
    for _ in range(26):  # one more than a page of the orders list
        place_order(client, [line(sku, 1)], method)
    sign_in(client, merchant_key)
    next_page = _next_page_link(get(client, "/admin/orders"))
    assert get(client, next_page).response.status_code == 200

    response = client.get(next_page + "=")

    assert response.status_code == 400
    assert response.headers["content-type"].startswith("text/html")
    assert "cursor is not one this service handed out" in response.text


def _next_page_link(page: Page) -> str:
    start = page.html.index('rel="next" href="') + len('rel="next" href="')
    return page.html[start:page.html.index('"', start)].replace("&amp;", "&")
