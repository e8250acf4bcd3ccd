"""The catalogue over HTTP: products, their stock, restocks and shipping methods.

What the shop refuses (a SKU or code it has, a restock of an unknown SKU) is
tests/unit/test_shop_refusals.py's, and each refusal's status and type test_problems.py's.
"""

from __future__ import annotations

from datetime import datetime

from fastapi.testclient import TestClient

from tests.e2e.builders import (
    create_product,
    create_shipping_method,
    get_json,
    product_body,
    shipping_method_body,
    unique_code,
    unique_sku,
)
from tests.e2e.expectations import assert_problem

# -- products -----------------------------------------------------------------------


def test_adding_a_product_answers_201_with_the_product_its_stock_and_its_location(
    client: TestClient,
) -> None:
    body = product_body(price=4990, stock=2)

    response = client.post("/v1/products", json=body)

    assert response.status_code == 201, response.text
    product = response.json()
    assert product["sku"] == body["sku"]
    assert product["name"] == body["name"]
    assert product["price"] == 4990
    assert product["currency"] == "EUR"
    assert product["available"] == 2
    assert product["in_stock"] is True
    datetime.fromisoformat(product["added_at"])
    datetime.fromisoformat(product["updated_at"])
    assert response.headers["location"] == f"/v1/products/{body['sku']}"


def test_adding_a_product_whose_sku_exists_is_refused_with_409(client: TestClient) -> None:
    first = create_product(client, name="Original", price=1000, stock=3)

    response = client.post(
        "/v1/products", json=product_body(sku=first["sku"], name="Impostor", price=1, stock=99)
    )

    problem = assert_problem(response, 409)
    assert first["sku"] in problem["detail"]


# When a product is in stock is tests/unit/test_shop.py's.
def test_a_product_reads_back_at_its_location_as_it_was_answered(client: TestClient) -> None:
    created = create_product(client, stock=0)

    product = get_json(client, f"/v1/products/{created['sku']}")

    assert product == created
    assert (product["available"], product["in_stock"]) == (0, False)


def test_the_catalogue_lists_every_product_added(client: TestClient) -> None:
    added = [create_product(client, stock=n) for n in (0, 1, 5)]

    listed = get_json(client, "/v1/products")

    by_sku = {p["sku"]: p for p in listed}
    assert len(listed) == 3
    for product in added:
        assert by_sku[product["sku"]] == product
        assert {"available", "in_stock"} <= by_sku[product["sku"]].keys()


def test_an_unknown_sku_is_a_404_problem(client: TestClient) -> None:
    sku = unique_sku()

    problem = assert_problem(client.get(f"/v1/products/{sku}"), 404)

    assert sku in problem["detail"]


def test_restocking_adds_the_quantity_to_the_available_stock(client: TestClient) -> None:
    product = create_product(client, stock=2)

    response = client.post(f"/v1/products/{product['sku']}/restock", json={"quantity": 5})

    assert response.status_code == 200, response.text
    assert response.json()["available"] == 7
    assert get_json(client, f"/v1/products/{product['sku']}")["available"] == 7


# -- shipping methods ---------------------------------------------------------------


def test_adding_a_shipping_method_answers_201_with_it(client: TestClient) -> None:
    body = shipping_method_body(price=495)

    response = client.post("/v1/shipping-methods", json=body)

    assert response.status_code == 201, response.text
    assert response.json() == {**body, "currency": "EUR"}


def test_the_shipping_methods_are_listed_with_their_prices(client: TestClient) -> None:
    added = [create_shipping_method(client, price=price) for price in (0, 495, 1290)]

    listed = get_json(client, "/v1/shipping-methods")

    assert sorted(listed, key=lambda m: m["code"]) == sorted(added, key=lambda m: m["code"])


def test_a_shipping_method_reads_back_by_its_code(client: TestClient) -> None:
    added = create_shipping_method(client, price=1290)

    assert get_json(client, f"/v1/shipping-methods/{added['code']}") == added


def test_an_unknown_shipping_method_code_is_a_404_problem(client: TestClient) -> None:
    code = unique_code()

    problem = assert_problem(client.get(f"/v1/shipping-methods/{code}"), 404)

    assert problem["type"] == "urn:order-service:problem:shipping-method-not-found"
    assert code in problem["detail"]


def test_a_path_that_cannot_be_a_shipping_method_code_is_a_404_not_a_form_error(
    client: TestClient,
) -> None:
    problem = assert_problem(client.get("/v1/shipping-methods/Not%20A%20Code"), 404)

    assert problem["type"] == "urn:order-service:problem:shipping-method-not-found"
