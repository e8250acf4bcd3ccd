"""Finding orders from the API: `q` for the merchant, and a storefront's own order history."""

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


def test_q_finds_an_order_by_its_number_and_no_other_holding_those_digits(
    counter: Counter,
) -> None:
    placed = [counter.order(name="Ana", email=f"ana.{letter}@example.com")
              for letter in "abcdefghijkl"]
    # A fresh store: numbers 1 to 12, of which 1, 10, 11 and 12 hold the digit 1.
    assert [order["number"] for order in placed] == list(range(1, 13))

    assert _numbers(counter.client, q="1") == [1]
    assert _numbers(counter.client, q="#1") == [1]
    assert _numbers(counter.client, q="11") == [11]


def test_q_finds_orders_by_part_of_the_email_in_any_case(counter: Counter) -> None:
    ana = counter.order(email="ana.garcia@Example.com")
    counter.order(email="luis@example.org")

    assert _numbers(counter.client, q="GARCIA@example") == [ana["number"]]


def test_q_finds_orders_by_part_of_the_customer_name_in_any_case(counter: Counter) -> None:
    ana = [counter.order(name="Ana García"), counter.order(name="ANA MARÍA GARCÍA")]
    counter.order(name="Luis Pérez", email="luis@example.org")

    assert _numbers(counter.client, q="ana ") == [ana[1]["number"], ana[0]["number"]]
    assert _numbers(counter.client, q="garcía") == [ana[1]["number"], ana[0]["number"]]


def test_q_takes_like_wildcards_as_plain_characters(counter: Counter) -> None:
    percent = counter.order(name="100% Cotton Ltd")
    counter.order(name="Cotton 100 Ltd")

    assert _numbers(counter.client, q="100%") == [percent["number"]]
    assert _numbers(counter.client, q="_") == []


def test_q_combines_with_the_status_filter(counter: Counter) -> None:
    pending, paid = counter.order(name="Ana"), counter.order(name="Ana")
    assert counter.client.post(f"/v1/orders/{paid['id']}/pay").status_code == 200

    assert _numbers(counter.client, q="ana", status="paid") == [paid["number"]]
    assert _numbers(counter.client, q="ana", status="pending_payment") == [pending["number"]]


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


def test_customer_email_lists_one_customers_whole_history_in_any_case(
    counter: Counter,
) -> None:
    history = [counter.order(email="Ana@Example.com"), counter.order(email="ana@example.com")]
    counter.order(email="ana@example.com.mx")

    assert _numbers(counter.client, customer_email="ANA@example.COM") == [
        history[1]["number"], history[0]["number"]]
    assert _numbers(counter.client, customer_email="ana@example.co") == []


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


def test_a_storefront_searching_finds_only_among_its_own_orders(
    counter: Counter, storefront_key: str
) -> None:
    merchants = counter.order(name="Ana")

    assert _numbers(counter.client, storefront_key, q="ana") == []
    assert _numbers(counter.client, storefront_key, q=str(merchants["number"])) == []


def test_a_blank_q_lists_every_order(counter: Counter) -> None:
    placed = [counter.order()["number"] for _ in range(2)]

    assert _numbers(counter.client, q="  ") == sorted(placed, reverse=True)


def test_the_openapi_document_describes_q_and_customer_email(client: TestClient) -> None:
    operation = get_json(client, "/openapi.json")["paths"]["/v1/orders"]["get"]
    parameters = {p["name"]: p for p in operation["parameters"]}

    assert {"q", "customer_email"} <= parameters.keys()
    assert all(parameters[name]["description"] and parameters[name]["schema"]["type"] ==
               "string" for name in ("q", "customer_email"))
