"""The order page's payment instructions and the receipt page, over the real app.

That the receipt, like every back-office page, sends a browser without a session to sign
in and back is tests/e2e/test_admin_sessions.py's route walk.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import pytest
from fastapi.testclient import TestClient

from order_service.settings import Settings
from tests.api_keys import app_client
from tests.e2e.back_office import Page, get, sign_in
from tests.e2e.builders import create_product, create_shipping_method, line, place_order

Json = dict[str, Any]
SHOP = {"shop_name": "Zapatería Ana S.L.", "shop_address": "Calle Mayor 1 | 28013 Madrid",
        "bank_account_holder": "Zapatería Ana S.L.", "bank_iban": "ES9121000418450200051332",
        "bank_bic": "CAIXESBBXXX", "bank_name": "CaixaBank", "bank_reference": "Pedido {number}"}


@contextmanager
def _back_office(settings: Settings, key: str, **changes: Any) -> Iterator[TestClient]:
    """A signed-in client of an app on this test's database, configured with `changes`."""
    with app_client(Settings(**{**settings.model_dump(), **changes}), key) as client:
        sign_in(client, key)
        yield client


@pytest.fixture
def admin(settings: Settings, merchant_key: str) -> Iterator[TestClient]:
    """Signed in to the back office of a shop with its name, address and bank details set."""
    with _back_office(settings, merchant_key, **SHOP) as client:
        yield client


def _order(client: TestClient, method: str = "bank_transfer") -> Json:
    sku = create_product(client, name="Alpargatas, talla 40", price=2995, stock=9)["sku"]
    return place_order(client, [line(sku, 2)], create_shipping_method(client)["code"],
                       payment_method=method)


def _text(page: Page, css_class: str) -> str:
    return " | ".join(page.texts(css_class))


# -- the order page ---------------------------------------------------------------------


def test_the_order_page_shows_the_bank_details_and_reference_the_customer_was_given(
    admin: TestClient,
) -> None:
    order = _order(admin)

    page = get(admin, f"/admin/orders/{order['id']}")

    assert _text(page, "account-holder") == "Zapatería Ana S.L."
    assert _text(page, "iban") == "ES91 2100 0418 4502 0005 1332"
    assert _text(page, "bic") == "CAIXESBBXXX"
    assert _text(page, "bank-name") == "CaixaBank"
    assert _text(page, "instructed-amount") == "€78.47"
    assert order["total"] == 7847
    assert _text(page, "transfer-reference") == f"Pedido {order['number']}"
    assert page.texts("instructions-missing") == []


def test_the_order_page_says_when_the_shops_bank_details_are_missing(
    settings: Settings, merchant_key: str,
) -> None:
    with _back_office(settings, merchant_key) as admin:
        order = _order(admin)

        page = get(admin, f"/admin/orders/{order['id']}")

    assert "The shop's bank details are missing." in _text(page, "instructions-missing")
    assert "ORDER_SERVICE_BANK_IBAN" in _text(page, "instructions-missing")
    assert _text(page, "transfer-reference") == str(order["number"])
    assert page.texts("iban") == []


def test_the_order_page_shows_the_amount_to_collect_on_delivery(admin: TestClient) -> None:
    order = _order(admin, "cash_on_delivery")

    page = get(admin, f"/admin/orders/{order['id']}")

    assert _text(page, "cash-on-delivery") == "Cash on delivery The courier collects €78.47 " \
                                              "on delivery."


def test_an_order_paid_by_card_shows_no_payment_instructions(admin: TestClient) -> None:
    order = _order(admin, "card")

    page = get(admin, f"/admin/orders/{order['id']}")

    assert page.texts("payment-instructions") == []


def test_the_order_page_links_to_its_receipt(admin: TestClient) -> None:
    order = _order(admin)

    page = get(admin, f"/admin/orders/{order['id']}")

    assert f'href="/admin/orders/{order["id"]}/receipt">Receipt</a>' in page.html


# -- the receipt ------------------------------------------------------------------------


def test_the_receipt_names_the_shop_the_number_the_customer_the_lines_and_the_money(
    admin: TestClient,
) -> None:
    order = _order(admin)

    page = get(admin, f"/admin/orders/{order['id']}/receipt")

    assert page.response.status_code == 200
    assert page.response.headers["content-security-policy"].startswith("default-src 'none'")
    assert page.texts("shop-name") == ["Zapatería Ana S.L."]
    assert page.texts("shop-address") == ["Calle Mayor 1", "28013 Madrid"]
    assert page.texts("receipt-number") == [str(order["number"])]
    for expected in ("Ana García", "ana@example.com", "Gran Vía 2", "Calle Mayor 1",
                     order["lines"][0]["sku"], "Alpargatas, talla 40"):
        assert expected in page.html
    assert [_text(page, part) for part in ("subtotal", "shipping", "tax", "total")] == [
        "€59.90", "€4.95", "€13.62", "€78.47"]
    assert _text(page, "payment-status") == "Awaiting payment"
    assert _text(page, "transfer-reference") == f"Pedido {order['number']}"
    assert page.texts("setup-note") == []


def test_the_receipt_of_a_paid_order_says_when_and_gives_no_instructions(
    admin: TestClient,
) -> None:
    order = _order(admin)
    paid = admin.post(f"/v1/orders/{order['id']}/pay", json={"payment_reference": "TR-88213"})
    assert paid.status_code == 200, paid.text

    page = get(admin, f"/admin/orders/{order['id']}/receipt")

    assert _text(page, "payment-status").startswith("Paid ")
    assert _text(page, "payment-status").endswith("(reference TR-88213)")
    assert page.texts("payment-instructions") == []


def test_the_receipt_asks_for_the_shops_name_and_address_until_they_are_set(
    settings: Settings, merchant_key: str,
) -> None:
    with _back_office(settings, merchant_key) as admin:
        order = _order(admin)

        page = get(admin, f"/admin/orders/{order['id']}/receipt")

    assert "ORDER_SERVICE_SHOP_NAME" in _text(page, "setup-note")
    assert page.texts("shop-name") == []


def test_the_receipt_of_an_unknown_order_is_a_not_found_page(admin: TestClient) -> None:
    answer = admin.get("/admin/orders/7d3f1e1a-2b9c-4c55-9a43-2f8c1d5e8a10/receipt")

    assert answer.status_code == 404
    assert "Not found" in answer.text
