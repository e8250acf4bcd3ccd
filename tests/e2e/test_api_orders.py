"""Orders over HTTP as a storefront and a merchant use them: place, pay, ship, cancel, read.

The rules behind the answers (pricing, tax, stock, transitions, paging, cursors) are
tested below HTTP: tests/unit (test_quote, test_order_transitions, test_shop,
test_cursors) and tests/contract. How each kind of refusal is answered is
tests/unit/test_problems.py's, and what the shop refuses test_shop_refusals.py's. Here,
each answer's status, body and headers, with one refusal of each status.
"""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

import pytest
from fastapi.testclient import TestClient

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
    unique_sku,
)
from tests.e2e.expectations import assert_problem


def _stock_of(client: TestClient, sku: str) -> int:
    available: int = get_json(client, f"/v1/products/{sku}")["available"]
    return available


def _order_of(client: TestClient, *, stock: int = 10, quantity: int = 1) -> JsonObject:
    """A pending order of `quantity` of a fresh product that had `stock`."""
    product = create_product(client, stock=stock)
    method = create_shipping_method(client)
    return place_order(client, [line(product["sku"], quantity)], method["code"])


def _act(client: TestClient, order_id: str, action: str, **body: Any) -> JsonObject:
    response = client.post(f"/v1/orders/{order_id}/{action}", json=body or None)
    assert response.status_code == 200, response.text
    changed: JsonObject = response.json()
    return changed


# -- placing ------------------------------------------------------------------------


def test_placing_an_order_answers_201_with_the_location_of_the_order(client: TestClient) -> None:
    product = create_product(client)
    method = create_shipping_method(client)

    response = client.post("/v1/orders", json=order_body([line(product["sku"])], method["code"]))

    assert response.status_code == 201, response.text
    order = response.json()
    assert response.headers["location"] == f"/v1/orders/{order['id']}"
    assert get_json(client, response.headers["location"]) == order


def test_a_placed_order_is_pending_payment_with_a_uuid_number_and_version_1(
    client: TestClient,
) -> None:
    order = _order_of(client)

    assert str(uuid.UUID(order["id"])) == order["id"]
    assert isinstance(order["number"], int)
    assert order["status"] == "pending_payment"
    assert order["currency"] == "EUR"
    assert order["version"] == 1
    datetime.fromisoformat(order["placed_at"])
    assert order["paid_at"] is None
    assert order["shipped_at"] is None
    assert order["cancelled_at"] is None


def test_the_order_page_shows_the_customer_addresses_and_methods(client: TestClient) -> None:
    product = create_product(client)
    method = create_shipping_method(client, name="Express (24 h)")
    body = order_body(
        [line(product["sku"])], method["code"],
        customer=customer(name="Jean Dupont", email="jean@example.fr", phone=None),
        shipping_address=address(name="Jean Dupont", city="Lyon", country="FR", region=None),
        billing_address=address(name="Dupont SARL", line1="1 rue de la Paix", line2=None,
                                city="Paris", region="Île-de-France", postal_code="75002",
                                country="FR"),
        payment_method="paypal",
    )

    order = client.post("/v1/orders", json=body).json()

    assert order["customer"] == body["customer"]
    assert order["shipping_address"] == body["shipping_address"]
    assert order["billing_address"] == body["billing_address"]
    assert order["payment_method"] == "paypal"
    assert order["shipping_method"] == method["code"]
    assert order["shipping_method_name"] == "Express (24 h)"
    assert get_json(client, f"/v1/orders/{order['id']}") == order


def test_an_unknown_sku_is_refused_with_422_naming_it(client: TestClient) -> None:
    product = create_product(client)
    method = create_shipping_method(client)
    missing = unique_sku("GHOST")

    response = client.post("/v1/orders", json=order_body(
        [line(product["sku"]), line(missing)], method["code"]))

    problem = assert_problem(response, 422)
    assert missing in problem["detail"]
    assert _stock_of(client, product["sku"]) == product["available"]


def test_an_order_wanting_more_than_the_stock_is_refused_with_409_listing_each_short_sku(
    client: TestClient,
) -> None:
    plenty = create_product(client, stock=10)
    few = create_product(client, stock=1)
    none = create_product(client, stock=0)
    method = create_shipping_method(client)

    response = client.post("/v1/orders", json=order_body(
        [line(plenty["sku"], 2), line(few["sku"], 3), line(none["sku"], 1)], method["code"]))

    problem = assert_problem(response, 409)
    shortages = sorted(problem["out_of_stock"], key=lambda item: item["sku"])
    assert shortages == sorted([
        {"sku": few["sku"], "requested": 3, "available": 1},
        {"sku": none["sku"], "requested": 1, "available": 0},
    ], key=lambda item: item["sku"])
    assert few["sku"] in problem["detail"]
    assert none["sku"] in problem["detail"]


# -- paying, shipping, cancelling ---------------------------------------------------


def test_paying_a_pending_order_makes_it_paid_with_its_payment_date_and_reference(
    client: TestClient,
) -> None:
    order = _order_of(client)

    paid = _act(client, order["id"], "pay", payment_reference="TR-88213")

    assert paid["status"] == "paid"
    assert paid["payment_reference"] == "TR-88213"
    assert datetime.fromisoformat(paid["paid_at"]) >= datetime.fromisoformat(order["placed_at"])
    assert paid["shipped_at"] is None
    assert paid["cancelled_at"] is None
    assert get_json(client, f"/v1/orders/{order['id']}") == paid


def test_paying_without_a_body_is_accepted(client: TestClient) -> None:
    order = _order_of(client)

    response = client.post(f"/v1/orders/{order['id']}/pay")

    assert response.status_code == 200, response.text
    assert response.json()["status"] == "paid"
    assert response.json()["payment_reference"] is None


def test_shipping_a_paid_order_makes_it_shipped_with_its_date_and_tracking_number(
    client: TestClient,
) -> None:
    order = _order_of(client)
    paid = _act(client, order["id"], "pay")

    shipped = _act(client, order["id"], "ship", tracking_number="1Z999AA1")

    assert shipped["status"] == "shipped"
    assert shipped["tracking_number"] == "1Z999AA1"
    assert shipped["paid_at"] == paid["paid_at"]
    assert datetime.fromisoformat(shipped["shipped_at"]) >= datetime.fromisoformat(
        paid["paid_at"])
    assert shipped["cancelled_at"] is None
    assert get_json(client, f"/v1/orders/{order['id']}") == shipped


def test_cancelling_a_pending_order_records_when_and_why(client: TestClient) -> None:
    order = _order_of(client)

    cancelled = _act(client, order["id"], "cancel", reason="customer request")

    assert cancelled["status"] == "cancelled"
    assert cancelled["cancel_reason"] == "customer request"
    datetime.fromisoformat(cancelled["cancelled_at"])
    assert cancelled["paid_at"] is None
    assert get_json(client, f"/v1/orders/{order['id']}") == cancelled


@pytest.mark.parametrize(
    ("steps", "action", "current_status"),
    [
        # Which change each status refuses is the domain's (tests/unit); here, the answer.
        ([], "ship", "pending_payment"),
        (["pay", "ship"], "cancel", "shipped"),
    ],
    ids=["ship-pending", "cancel-shipped"],
)
def test_a_change_the_order_does_not_allow_is_refused_with_409_naming_its_status(
    client: TestClient, steps: list[str], action: str, current_status: str
) -> None:
    current = _order_of(client)
    for step in steps:
        current = _act(client, current["id"], step)

    response = client.post(f"/v1/orders/{current['id']}/{action}")

    problem = assert_problem(response, 409)
    assert problem["current_status"] == current_status
    assert current_status in problem["detail"]
    assert get_json(client, f"/v1/orders/{current['id']}") == current


@pytest.mark.parametrize("action", ["pay", "ship", "cancel"])
def test_changing_an_unknown_order_is_a_404_problem(client: TestClient, action: str) -> None:
    missing = uuid.uuid4()

    problem = assert_problem(client.post(f"/v1/orders/{missing}/{action}"), 404)

    assert str(missing) in problem["detail"]


@pytest.mark.parametrize("action", ["pay", "ship", "cancel"])
def test_changing_an_order_by_an_id_that_is_not_a_uuid_is_a_404_problem(
    client: TestClient, action: str
) -> None:
    assert_problem(client.post(f"/v1/orders/not-a-uuid/{action}"), 404)


# -- reading ------------------------------------------------------------------------


def test_an_unknown_order_is_a_404_problem(client: TestClient) -> None:
    missing = uuid.uuid4()

    problem = assert_problem(client.get(f"/v1/orders/{missing}"), 404)

    assert str(missing) in problem["detail"]


# Which path ids name an order is tests/unit/test_order_ids_in_paths.py's.
def test_an_order_id_that_is_not_a_uuid_is_a_404_problem(client: TestClient) -> None:
    assert_problem(client.get("/v1/orders/not-a-uuid"), 404)


def test_an_orders_history_lists_its_events_oldest_first(client: TestClient) -> None:
    order = _order_of(client)
    _act(client, order["id"], "pay", payment_reference="TR-1")
    _act(client, order["id"], "ship", tracking_number="TRACK-1")

    history = get_json(client, f"/v1/orders/{order['id']}/events")

    assert [event["type"] for event in history] == ["OrderPlaced", "OrderPaid", "OrderShipped"]
    assert [event["version"] for event in history] == [1, 2, 3]
    positions = [event["position"] for event in history]
    assert positions == sorted(positions)
    assert len(set(positions)) == 3
    recorded = [datetime.fromisoformat(event["recorded_at"]) for event in history]
    assert recorded == sorted(recorded)
    assert all(set(event) == {"position", "version", "type", "recorded_at", "by", "data"}
               for event in history)
    # Every step was the test's merchant key's: the history names it.
    assert len({event["by"] for event in history}) == 1
    assert history[0]["by"].startswith("test-merchant-")


def test_the_history_of_an_unknown_order_is_a_404_problem(client: TestClient) -> None:
    assert_problem(client.get(f"/v1/orders/{uuid.uuid4()}/events"), 404)
    assert_problem(client.get("/v1/orders/not-a-uuid/events"), 404)


# -- listing ------------------------------------------------------------------------


def _place_several(client: TestClient, count: int) -> list[JsonObject]:
    product = create_product(client, stock=count)
    method = create_shipping_method(client)
    return [place_order(client, [line(product["sku"])], method["code"]) for _ in range(count)]


def test_listing_by_several_statuses_shows_orders_in_any_of_them(client: TestClient) -> None:
    pending, to_pay, to_cancel = _place_several(client, 3)
    _act(client, to_pay["id"], "pay")
    _act(client, to_cancel["id"], "cancel")

    page = get_json(client, "/v1/orders", params=[("status", "paid"), ("status", "cancelled")])

    assert [o["id"] for o in page["items"]] == [to_cancel["id"], to_pay["id"]]
    assert pending["id"] not in [o["id"] for o in page["items"]]


def _walk(client: TestClient, **params: Any) -> list[list[JsonObject]]:
    pages: list[list[JsonObject]] = []
    cursor = None
    while True:
        query = {**params, **({"cursor": cursor} if cursor else {})}
        page = get_json(client, "/v1/orders", params=query)
        pages.append(page["items"])
        cursor = page["next_cursor"]
        if cursor is None:
            return pages
        assert len(pages) < 20, "the pages never end"


def test_paging_with_a_small_limit_walks_every_order_exactly_once_newest_first(
    client: TestClient,
) -> None:
    placed = _place_several(client, 7)

    pages = _walk(client, limit=3)

    assert [len(page) for page in pages] == [3, 3, 1]
    walked = [o["id"] for page in pages for o in page]
    assert walked == [o["id"] for o in reversed(placed)]


# -- deleting -----------------------------------------------------------------------


def test_deleting_an_order_is_refused_with_405_saying_orders_are_cancelled(
    client: TestClient,
) -> None:
    order = _order_of(client)

    response = client.delete(f"/v1/orders/{order['id']}")

    problem = assert_problem(response, 405)
    assert "GET" in response.headers["allow"]
    assert "DELETE" not in response.headers["allow"]
    assert "cancel" in problem["detail"].lower()
    assert "never deleted" in problem["detail"].lower()
    assert get_json(client, f"/v1/orders/{order['id']}") == order
