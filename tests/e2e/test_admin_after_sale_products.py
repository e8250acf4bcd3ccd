"""Changing what the shop sells from the back office's products page: a product's name and
price (typed in major units), and retiring it, confirmed first and shown as retired."""

from __future__ import annotations

import pytest
from fastapi.testclient import TestClient

from tests.e2e.back_office import get, sign_in, submit
from tests.e2e.builders import create_product, create_shipping_method, get_json, line, order_body

ON_SQLITE = pytest.mark.parametrize("backend", ["sqlite"], indirect=True)


@pytest.fixture
def admin(client: TestClient, merchant_key: str) -> TestClient:
    """The app's client, signed in to the back office (it still sends the key to /v1)."""
    sign_in(client, merchant_key)
    return client


def test_a_product_is_renamed_and_repriced_in_major_units(admin: TestClient) -> None:
    sku = create_product(admin, name="Leather sandals", price=4990)["sku"]
    products = get(admin, "/admin/products")
    form = products.form(f"/admin/products/{sku}/change")
    assert (form.fields["name"], form.fields["price"]) == ("Leather sandals", "49.90")

    done = submit(admin, products, f"/admin/products/{sku}/change",
                  name="Leather sandals, tan", price="54,90")

    assert done.flash() == (f"{sku} now sells as 'Leather sandals, tan' at 54.90 EUR Orders "
                            "already placed keep the name and price they were sold at.")
    changed = get_json(admin, f"/v1/products/{sku}")
    assert (changed["name"], changed["price"]) == ("Leather sandals, tan", 5490)


@ON_SQLITE
def test_a_change_to_the_same_name_and_price_changes_nothing(admin: TestClient) -> None:
    sku = create_product(admin, name="Leather sandals", price=4990)["sku"]

    same = submit(admin, get(admin, "/admin/products"), f"/admin/products/{sku}/change")

    assert same.flash() == f"{sku} unchanged: it already sells as 'Leather sandals' at 49.90 EUR"


@ON_SQLITE
@pytest.mark.parametrize(("name", "price", "problem"), [
    ("Sandals", "49.999", "'49.999' is not an amount of EUR: type it like 12.50."),
    ("Sandals", "", "'' is not an amount of EUR: type it like 12.50."),
    ("", "49.90", "Name should have at least 1 character."),
])
def test_a_product_change_that_is_no_name_or_price_is_refused(
    admin: TestClient, name: str, price: str, problem: str,
) -> None:
    sku = create_product(admin, name="Leather sandals", price=4990)["sku"]

    refused = submit(admin, get(admin, "/admin/products"), f"/admin/products/{sku}/change",
                     name=name, price=price)

    assert refused.flash() == f"{sku} was not changed {problem}"
    assert get_json(admin, f"/v1/products/{sku}")["price"] == 4990


def test_retiring_a_product_is_confirmed_and_it_then_shows_as_retired(admin: TestClient
                                                                     ) -> None:
    sku = create_product(admin, stock=0)["sku"]
    confirm = get(admin, f"/admin/products/{sku}/retire")
    assert confirm.response.status_code == 200

    done = submit(admin, confirm, f"/admin/products/{sku}/retire")

    assert done.flash() == (f"{sku} retired: no longer sold New orders for it are refused; "
                            "orders that have it still show it.")
    (row,) = done.texts("is-retired")
    assert row.startswith(f"{sku} ")
    assert "Retired" in row
    assert (done.texts("is-out"), "out of stock" in done.html.lower()) == ([], False)
    assert f"/admin/products/{sku}/change" not in done.html
    order = admin.post("/v1/orders", json=order_body([line(sku)],
                                                     create_shipping_method(admin)["code"]))
    assert (order.status_code, order.json()["type"].rsplit(":", 1)[-1]) == (
        409, "product-retired")


@ON_SQLITE
def test_a_retired_product_cannot_be_retired_again(admin: TestClient) -> None:
    sku = create_product(admin)["sku"]
    admin.post(f"/v1/products/{sku}/retire")

    again = get(admin, f"/admin/products/{sku}/retire")

    assert again.response.status_code == 409
    assert f"{sku} is retired already" in again.html
    assert f'action="/admin/products/{sku}/retire"' not in again.html
