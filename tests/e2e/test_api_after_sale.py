"""After the sale over HTTP, as a merchant uses it: correct an order, refund it, note on it,
rename, reprice and retire products; and who did each change.

The rules behind the answers are tested below HTTP (tests/unit/test_after_sale_rules.py,
test_after_sale_shop.py, test_product_changes.py); here, each route's status, body and
headers on both databases, and that a refusal stores nothing.
"""

from __future__ import annotations

from typing import Any

import pytest
from fastapi.testclient import TestClient

from order_service.application.access import Role
from order_service.settings import Settings
from tests.api_keys import bearer, create_key
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
)
from tests.e2e.expectations import assert_problem, field_errors


def _paid_order(client: TestClient, *, stock: int = 5, quantity: int = 2,
                price: int = 1_250) -> JsonObject:
    """A paid order of `quantity` of a fresh product that had `stock`."""
    product = create_product(client, stock=stock, price=price)
    method = create_shipping_method(client, price=500)
    order = place_order(client, [line(product["sku"], quantity)], method["code"])
    paid: JsonObject = _ok(client.post(f"/v1/orders/{order['id']}/pay"))
    return paid


def _ok(response: Any, status: int = 200) -> JsonObject:
    assert response.status_code == status, response.text
    body: JsonObject = response.json()
    return body


def _stock(client: TestClient, sku: str) -> int:
    available: int = get_json(client, f"/v1/products/{sku}")["available"]
    return available


# -- PATCH /v1/orders/{id} ----------------------------------------------------------------


def test_correcting_the_shipping_address_answers_the_order_with_its_new_etag(
        client: TestClient) -> None:
    order = _paid_order(client)
    moved = address(line1="Calle Mayor 10", line2=None)

    response = client.patch(f"/v1/orders/{order['id']}", json={"shipping_address": moved},
                            headers={"If-Match": f'"{order["version"]}"'})

    corrected = _ok(response)
    assert corrected["shipping_address"]["line1"] == "Calle Mayor 10"
    assert corrected["billing_address"] == order["billing_address"]
    assert corrected["version"] == order["version"] + 1
    assert response.headers["ETag"] == f'"{order["version"] + 1}"'
    assert get_json(client, f"/v1/orders/{order['id']}") == corrected


def test_a_correction_is_one_event_with_the_old_and_new_values(client: TestClient) -> None:
    order = _paid_order(client)
    new_contact = customer(email="ana.garcia@example.com", phone=None)

    _ok(client.patch(f"/v1/orders/{order['id']}", json={"customer": new_contact},
                     headers={"If-Match": f'"{order["version"]}"'}))

    last = get_json(client, f"/v1/orders/{order['id']}/events")[-1]
    assert last["type"] == "OrderDetailsCorrected"
    assert last["data"]["customer"] == {"old": order["customer"], "new": new_contact}
    assert last["data"]["shipping_address"] is None


def test_a_correction_without_if_match_is_428_and_changes_nothing(client: TestClient) -> None:
    order = _paid_order(client)

    problem = assert_problem(client.patch(f"/v1/orders/{order['id']}",
                                          json={"shipping_address": address(city="Sevilla")}),
                             428)

    assert "If-Match" in problem["detail"]
    assert get_json(client, f"/v1/orders/{order['id']}") == order


def test_a_correction_on_a_stale_version_is_412(client: TestClient) -> None:
    order = _paid_order(client)

    problem = assert_problem(client.patch(
        f"/v1/orders/{order['id']}", json={"shipping_address": address(city="Sevilla")},
        headers={"If-Match": '"1"'}), 412)

    assert problem["current_version"] == order["version"]


def test_a_shipped_order_cannot_be_corrected_and_the_409_names_its_status(
        client: TestClient) -> None:
    order = _ok(client.post(f"/v1/orders/{_paid_order(client)['id']}/ship"))

    problem = assert_problem(client.patch(
        f"/v1/orders/{order['id']}", json={"billing_address": address(city="Sevilla")},
        headers={"If-Match": f'"{order["version"]}"'}), 409)

    assert (problem["current_status"], problem["action"]) == ("shipped", "correct")
    assert "shipped" in problem["detail"]


@pytest.mark.parametrize(("body", "where"), [
    ({}, ""),
    ({"shipping_address": {"line1": "Calle Mayor 10"}}, "/shipping_address/name"),
    ({"customer": customer(email="not-an-email")}, "/customer/email"),
    ({"lines": [{"sku": "X", "quantity": 1}]}, "/lines"),
])
def test_a_bad_correction_is_a_422_that_points_at_the_field(
        client: TestClient, body: JsonObject, where: str) -> None:
    order = _paid_order(client)

    problem = assert_problem(client.patch(f"/v1/orders/{order['id']}", json=body,
                                          headers={"If-Match": f'"{order["version"]}"'}), 422)

    if where:
        assert f"/body{where}" in field_errors(problem) or where in str(problem)
    assert get_json(client, f"/v1/orders/{order['id']}") == order


# -- POST /v1/orders/{id}/refunds ---------------------------------------------------------


def test_a_partial_refund_with_restock_answers_201_and_puts_the_stock_back(
        client: TestClient) -> None:
    order = _paid_order(client, stock=5, quantity=2)
    sku = order["lines"][0]["sku"]

    response = client.post(f"/v1/orders/{order['id']}/refunds", json={
        "amount": 1_250, "reason": "one arrived torn", "lines": [line(sku, 1)],
        "restock": True})

    refunded = _ok(response, 201)
    assert (refunded["status"], refunded["refunded"]) == ("paid", 1_250)
    [refund] = refunded["refunds"]
    assert refund["reason"] == "one arrived torn"
    assert refund["lines"] == refund["returned_stock"] == [{"sku": sku, "quantity": 1}]
    assert response.headers["ETag"] == f'"{refunded["version"]}"'
    assert _stock(client, sku) == 4  # 5, less 2 sold, 1 back
    assert get_json(client, f"/v1/orders/{order['id']}") == refunded


def test_refunds_add_up_to_the_total_and_the_409_past_it_names_what_is_left(
        client: TestClient) -> None:
    order = _paid_order(client)
    total = order["total"]
    _ok(client.post(f"/v1/orders/{order['id']}/refunds",
                    json={"amount": total - 100, "reason": "most"}), 201)

    problem = assert_problem(client.post(f"/v1/orders/{order['id']}/refunds",
                                         json={"amount": 101, "reason": "too much"}), 409)
    full = _ok(client.post(f"/v1/orders/{order['id']}/refunds",
                           json={"amount": 100, "reason": "the rest"}), 201)

    assert problem["type"].endswith("refund-exceeds-total")
    assert (problem["refundable"], problem["requested"]) == (100, 101)
    assert "100" in problem["detail"]
    assert (full["refunded"], full["status"]) == (total, "paid")


def test_restocked_goods_never_exceed_what_the_order_sold(client: TestClient) -> None:
    order = _paid_order(client, stock=5, quantity=2)
    sku = order["lines"][0]["sku"]
    _ok(client.post(f"/v1/orders/{order['id']}/refunds", json={
        "amount": 1_250, "reason": "one", "lines": [line(sku, 1)], "restock": True}), 201)

    problem = assert_problem(client.post(f"/v1/orders/{order['id']}/refunds", json={
        "amount": 1_250, "reason": "two more", "lines": [line(sku, 2)], "restock": True}), 409)

    assert (problem["sku"], problem["refundable"]) == (sku, 1)
    assert _stock(client, sku) == 4


def test_a_pending_order_cannot_be_refunded(client: TestClient) -> None:
    product = create_product(client)
    order = place_order(client, [line(product["sku"])], create_shipping_method(client)["code"])

    problem = assert_problem(client.post(f"/v1/orders/{order['id']}/refunds",
                                         json={"amount": 100, "reason": "?"}), 409)

    assert (problem["current_status"], problem["action"]) == ("pending_payment", "refund")


@pytest.mark.parametrize(("body", "status"), [
    ({"amount": 0, "reason": "nothing"}, 422),
    ({"amount": -5, "reason": "negative"}, 422),
    ({"amount": 12.5, "reason": "a float"}, 422),
    ({"amount": 100}, 422),
    ({"amount": 100, "reason": "restock what?", "restock": True}, 422),
    ({"amount": 100, "reason": "?", "lines": [{"sku": "NOT-ON-IT", "quantity": 1}]}, 422),
])
def test_a_bad_refund_is_refused_and_stores_nothing(client: TestClient, body: JsonObject,
                                                    status: int) -> None:
    order = _paid_order(client)

    assert_problem(client.post(f"/v1/orders/{order['id']}/refunds", json=body), status)

    assert get_json(client, f"/v1/orders/{order['id']}") == order


def test_a_retried_refund_with_its_idempotency_key_refunds_once(client: TestClient) -> None:
    order = _paid_order(client)
    refund = {"amount": 500, "reason": "late"}
    key = {"Idempotency-Key": f"refund-{order['id']}"}

    first = client.post(f"/v1/orders/{order['id']}/refunds", json=refund, headers=key)
    again = client.post(f"/v1/orders/{order['id']}/refunds", json=refund, headers=key)

    assert (first.status_code, again.status_code) == (201, 201)
    assert again.json() == first.json()
    assert get_json(client, f"/v1/orders/{order['id']}")["refunded"] == 500


# -- POST /v1/orders/{id}/notes and who did what ------------------------------------------


def test_a_note_answers_201_and_shows_in_the_history_with_the_keys_name(
        client: TestClient, settings: Settings) -> None:
    order = _paid_order(client)
    marta = bearer(create_key(settings.database_url, Role.MERCHANT, "Marta (back office)"))

    note = _ok(client.post(f"/v1/orders/{order['id']}/notes", headers=marta,
                           json={"text": "Leave with the neighbour\nat 3º A"}), 201)

    assert note["text"] == "Leave with the neighbour\nat 3º A"
    history = get_json(client, f"/v1/orders/{order['id']}/events")
    assert [(event["type"], event["by"]) for event in history][-1] == (
        "OrderNoteAdded", "Marta (back office)")
    assert history[-1]["data"]["text"] == note["text"]
    # The note is for colleagues: the order shows no note, only its new version.
    shown = get_json(client, f"/v1/orders/{order['id']}")
    assert shown["version"] == note["version"] == order["version"] + 1
    assert "Leave with the neighbour" not in str(shown)

def test_a_storefront_key_may_not_write_notes_refund_or_correct(
        client: TestClient, storefront_key: str) -> None:
    order = _paid_order(client)
    as_storefront = {"Authorization": f"Bearer {storefront_key}"}

    for method, path, body in [
        ("POST", "notes", {"text": "hi"}),
        ("POST", "refunds", {"amount": 1, "reason": "?"}),
        ("PATCH", "", {"shipping_address": address()}),
    ]:
        url = f"/v1/orders/{order['id']}/{path}".rstrip("/")
        assert_problem(client.request(method, url, json=body, headers={
            **as_storefront, "If-Match": "*"}), 403)


def test_a_note_of_nothing_is_422(client: TestClient) -> None:
    order = _paid_order(client)

    assert_problem(client.post(f"/v1/orders/{order['id']}/notes", json={"text": "  "}), 422)


# -- PATCH /v1/products/{sku} and POST /v1/products/{sku}/retire --------------------------


def test_a_renamed_and_repriced_product_sells_so_and_old_orders_keep_their_lines(
        client: TestClient) -> None:
    order = _paid_order(client)
    sku = order["lines"][0]["sku"]

    changed = _ok(client.patch(f"/v1/products/{sku}",
                               json={"name": "Straw hat, wide brim", "price": 1_490}))
    method = create_shipping_method(client)
    new_order = place_order(client, [line(sku)], method["code"])

    assert (changed["name"], changed["price"]) == ("Straw hat, wide brim", 1_490)
    assert (new_order["lines"][0]["name"], new_order["lines"][0]["unit_price"]) == (
        "Straw hat, wide brim", 1_490)
    assert get_json(client, f"/v1/orders/{order['id']}")["lines"] == order["lines"]


def test_a_retired_product_is_refused_with_409_product_retired(client: TestClient) -> None:
    product = create_product(client, stock=3)
    method = create_shipping_method(client)

    retired = _ok(client.post(f"/v1/products/{product['sku']}/retire"))
    problem = assert_problem(client.post("/v1/orders", json=order_body(
        [line(product["sku"])], method["code"])), 409)

    assert (retired["retired"], retired["in_stock"], retired["available"]) == (True, False, 3)
    assert problem["type"].endswith(":product-retired")
    assert problem["skus"] == [product["sku"]]
    assert _stock(client, product["sku"]) == 3


def test_an_order_placed_before_retiring_still_shows_the_product(client: TestClient) -> None:
    order = _paid_order(client)
    sku = order["lines"][0]["sku"]

    _ok(client.post(f"/v1/products/{sku}/retire"))

    assert get_json(client, f"/v1/orders/{order['id']}")["lines"] == order["lines"]
    assert get_json(client, f"/v1/products/{sku}")["retired"] is True


@pytest.mark.parametrize("body", [{}, {"price": -1}, {"name": ""}, {"price": 10, "stock": 3},
                                  {"price": 100, "currency": "USD"}])
def test_a_bad_product_change_is_422_and_changes_nothing(client: TestClient,
                                                          body: JsonObject) -> None:
    product = create_product(client)

    assert_problem(client.patch(f"/v1/products/{product['sku']}", json=body), 422)

    assert get_json(client, f"/v1/products/{product['sku']}") == product


def test_changing_an_unknown_product_is_404(client: TestClient) -> None:
    assert_problem(client.patch("/v1/products/GHOST-404", json={"price": 1}), 404)
    assert_problem(client.post("/v1/products/GHOST-404/retire"), 404)


def test_an_order_refunded_and_corrected_keeps_both_when_it_ships_and_in_the_export(
        client: TestClient) -> None:
    order = _paid_order(client)
    corrected = _ok(client.patch(f"/v1/orders/{order['id']}", headers={"If-Match": "*"},
                                 json={"shipping_address": address(city="Sevilla")}))
    _ok(client.post(f"/v1/orders/{order['id']}/refunds",
                    json={"amount": 300, "reason": "late"}), 201)

    shipped = _ok(client.post(f"/v1/orders/{order['id']}/ship"))

    assert (shipped["status"], shipped["refunded"]) == ("shipped", 300)
    assert shipped["shipping_address"] == corrected["shipping_address"]
    assert [refund["reason"] for refund in shipped["refunds"]] == ["late"]
    exported = get_json(client, "/v1/orders/export", params={"format": "json"})["items"]
    assert [item for item in exported if item["id"] == order["id"]] == [shipped]
