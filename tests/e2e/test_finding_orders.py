"""Finding orders over HTTP: `q` and `customer_email` reach the search, a cursor keeps them,
and a storefront's key sees only its own orders.

What each search finds is the contract suite's (tests/contract/test_finding_orders.py).
"""

from __future__ import annotations

from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Engine

from order_service.application.access import Role
from tests.api_keys import bearer, create_key_on
from tests.e2e.builders import (
    create_product,
    create_shipping_method,
    customer,
    get_json,
    line,
    order_body,
)

JsonObject = dict[str, Any]


class Counter:
    """A stocked product and a shipping method, and orders placed for chosen customers."""

    def __init__(self, client: TestClient) -> None:
        self.client = client
        self.sku = create_product(client, stock=1_000)["sku"]
        self.method = create_shipping_method(client)["code"]

    def order(self, name: str = "Ana García", email: str = "ana@example.com",
              key: str | None = None) -> JsonObject:
        """An order placed for this customer, with `key` (the merchant's if None)."""
        headers = bearer(key) if key else None
        body = order_body([line(self.sku)], self.method,
                          customer=customer(name=name, email=email))
        response = self.client.post("/v1/orders", headers=headers, json=body)
        assert response.status_code == 201, response.text
        placed: JsonObject = response.json()
        return placed


def _numbers(client: TestClient, key: str | None = None, **params: Any) -> list[int]:
    page = get_json(client, "/v1/orders", params={"limit": 200, **params},
                    headers=bearer(key) if key else None)
    return [order["number"] for order in page["items"]]


@pytest.fixture
def counter(client: TestClient) -> Counter:
    """A counter over the test's own empty database."""
    return Counter(client)


def test_found_orders_come_a_page_at_a_time_and_every_one_once(counter: Counter) -> None:
    found = [counter.order(name="Ana")["number"] for _ in range(5)]
    counter.order(name="Luis", email="luis@example.org")
    seen: list[int] = []
    cursor = None

    while True:
        params = {"q": "ana", "limit": 2, **({"cursor": cursor} if cursor else {})}
        page = get_json(counter.client, "/v1/orders", params=params)
        seen += [order["number"] for order in page["items"]]
        cursor = page["next_cursor"]
        if cursor is None:
            break

    assert seen == sorted(found, reverse=True)


def test_a_storefront_lists_the_orders_it_placed_and_no_other(
    counter: Counter, storefront_key: str, engine: Engine
) -> None:
    other_storefront = create_key_on(engine, Role.STOREFRONT)
    mine = [counter.order(key=storefront_key), counter.order(key=storefront_key)]
    counter.order()
    counter.order(key=other_storefront)

    listed = get_json(counter.client, "/v1/orders", headers=bearer(storefront_key))

    assert [order["id"] for order in listed["items"]] == [mine[1]["id"], mine[0]["id"]]
    assert listed["items"][0] == get_json(counter.client, f"/v1/orders/{mine[1]['id']}",
                                          headers=bearer(storefront_key))


def test_a_storefront_shows_a_customer_their_order_history(
    counter: Counter, storefront_key: str
) -> None:
    anas = [counter.order(email="ana@example.com", key=storefront_key) for _ in range(2)]
    counter.order(email="luis@example.com", key=storefront_key)
    counter.order(email="ana@example.com")  # by phone, through the merchant

    assert _numbers(counter.client, storefront_key, customer_email="ana@example.com") == [
        anas[1]["number"], anas[0]["number"]]
