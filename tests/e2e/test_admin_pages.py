"""The back office's pages over the real app: orders, changing them, products, sales."""

from __future__ import annotations

import uuid
from typing import Any

import pytest
from fastapi.testclient import TestClient

from order_service.api.admin.formatting import money
from tests.e2e.back_office import Page, get, sign_in, submit
from tests.e2e.builders import (
    address,
    create_product,
    create_shipping_method,
    customer,
    get_json,
    line,
    place_order,
)

ON_SQLITE = pytest.mark.parametrize("backend", ["sqlite"], indirect=True)
Json = dict[str, Any]


@pytest.fixture
def admin(client: TestClient, merchant_key: str) -> TestClient:
    """The app's client, signed in to the back office (it still sends the key to /v1)."""
    sign_in(client, merchant_key)
    return client


def _order(client: TestClient, quantity: int = 2, stock: int = 5, **fields: Any) -> Json:
    sku = create_product(client, stock=stock, name="Linen shirt, blue, M", price=3990)["sku"]
    return place_order(client, [line(sku, quantity)], create_shipping_method(client)["code"],
                       **fields)


def _buttons(page: Page) -> list[str]:
    return [text for text in page.texts("button") if text.startswith("Mark as")]


@ON_SQLITE
def test_the_order_page_shows_every_section_a_merchant_expects(admin: TestClient) -> None:
    order = _order(admin, customer=customer(name="Lena Fischer", email="lena@example.de",
                                            phone="+49 30 5550147"),
                   shipping_address=address(name="Lena Fischer", line1="Torstraße 109",
                                            line2=None, region=None, postal_code="10119",
                                            city="Berlin", country="DE"))

    page = get(admin, f"/admin/orders/{order['id']}")

    assert page.response.status_code == 200
    html = page.html
    for expected in (f"Order #{order['number']}", "Pending payment", order["lines"][0]["sku"],
                     "Linen shirt, blue, M", "€39.90", "€79.80", "Subtotal", "Shipping",
                     "Tax", "21 %", money(order["total"], "EUR"), "Lena Fischer",
                     "lena@example.de", "+49 30 5550147", "Order information",
                     "Card", "Standard (3-5 days)", "Torstraße 109", "10119 Berlin",
                     "Billing address", "Gran Vía 2", "Payment", "Not yet", "History",
                     "Order placed"):
        assert expected in html, expected
    assert ('href="https://www.openstreetmap.org/search?query='
            'Torstra%C3%9Fe+109%2C+10119+Berlin%2C+DE"') in html


# Which changes each status allows is tests/unit/test_admin_actions.py's; here, that the
# page offers those and only those.
@ON_SQLITE
def test_only_the_changes_the_order_allows_are_offered(admin: TestClient) -> None:
    order = _order(admin)
    path = f"/admin/orders/{order['id']}"
    pending = _buttons(get(admin, path))
    admin.post(f"/v1/orders/{order['id']}/pay")
    admin.post(f"/v1/orders/{order['id']}/ship")

    assert (pending, _buttons(get(admin, path))) == (["Mark as paid", "Mark as cancelled"], [])


def test_cancelling_shows_the_new_status_and_puts_the_stock_back(admin: TestClient) -> None:
    order = _order(admin, quantity=2, stock=5)
    sku = order["lines"][0]["sku"]
    confirm = get(admin, f"/admin/orders/{order['id']}/cancel")
    assert "Linen shirt, blue, M × 2" in " ".join(confirm.texts("plain"))  # noqa: RUF001

    done = submit(admin, confirm, f"/admin/orders/{order['id']}/cancel", note="Changed mind")

    assert done.response.url.path == f"/admin/orders/{order['id']}"
    assert done.flash() == (f"Order #{order['number']} marked as cancelled Status: Cancelled "
                            f"Stock back: {sku} +2, now 5 available")
    assert get_json(admin, f"/v1/products/{sku}")["available"] == 5
    assert get_json(admin, f"/v1/orders/{order['id']}")["cancel_reason"] == "Changed mind"
    assert _buttons(done) == []
    assert get(admin, f"/admin/orders/{order['id']}").flash() == ""  # shown once


def test_a_change_from_the_back_office_records_the_signed_in_key(admin: TestClient) -> None:
    order = _order(admin)
    confirm = get(admin, f"/admin/orders/{order['id']}/pay")

    submit(admin, confirm, f"/admin/orders/{order['id']}/pay", note="TR-88213")

    feed = get_json(admin, "/v1/events", params={"limit": 1000})["items"]
    paid = [event for event in feed if event["type"] == "OrderPaid"]
    assert len(paid) == 1
    assert paid[0]["data"]["payment_reference"] == "TR-88213"
    assert paid[0]["metadata"]["caused_by"].endswith(": POST /admin/orders/{order_id}/{slug}")
    assert paid[0]["metadata"]["api_key_id"]


@ON_SQLITE
def test_a_refused_change_shows_the_reason_as_a_message(admin: TestClient) -> None:
    order = _order(admin)
    admin.post(f"/v1/orders/{order['id']}/pay")
    shipped = admin.post(f"/v1/orders/{order['id']}/ship").json()
    page = get(admin, f"/admin/orders/{order['id']}")
    form = {"csrf_token": page.form("/admin/sign-out").fields["csrf_token"],
            "version": str(shipped["version"]), "form_key": uuid.uuid4().hex}

    refused = Page(admin.post(f"/admin/orders/{order['id']}/cancel", data=form))

    assert refused.response.status_code == 200
    assert refused.flash() == (f"Order #{order['number']} was not marked as cancelled "
                                f"Order #{order['number']} is shipped: cannot cancel it; it "
                                "has already left the warehouse.")
    assert get_json(admin, f"/v1/orders/{order['id']}")["status"] == "shipped"


@ON_SQLITE
def test_a_change_confirmed_on_an_outdated_page_is_refused(admin: TestClient) -> None:
    order = _order(admin)
    confirm = get(admin, f"/admin/orders/{order['id']}/cancel")
    admin.post(f"/v1/orders/{order['id']}/pay")  # meanwhile, the payment arrives

    refused = submit(admin, confirm, f"/admin/orders/{order['id']}/cancel")

    assert "changed since the confirmation page was opened and is now paid" in refused.flash()
    assert get_json(admin, f"/v1/orders/{order['id']}")["status"] == "paid"


def test_the_same_confirmation_sent_twice_changes_the_order_once(admin: TestClient) -> None:
    order = _order(admin, quantity=1, stock=3)
    confirm = get(admin, f"/admin/orders/{order['id']}/cancel")

    first = submit(admin, confirm, f"/admin/orders/{order['id']}/cancel")
    again = submit(admin, confirm, f"/admin/orders/{order['id']}/cancel")

    assert first.flash() == again.flash()
    assert "marked as cancelled" in again.flash()
    history = get_json(admin, f"/v1/orders/{order['id']}/events")
    assert [event["type"] for event in history] == ["OrderPlaced", "OrderCancelled"]


def test_orders_are_listed_newest_first_a_page_at_a_time(admin: TestClient) -> None:
    sku = create_product(admin, stock=100)["sku"]
    method = create_shipping_method(admin)["code"]
    orders = [place_order(admin, [line(sku)], method) for _ in range(27)]
    numbers = [order["number"] for order in orders]

    first = get(admin, "/admin/orders")
    older = first.html.split('rel="next" href="')[1].split('"')[0].replace("&amp;", "&")
    second = get(admin, older)

    assert first.texts("order-link") == [f"#{n}" for n in reversed(numbers[2:])]
    assert second.texts("order-link") == [f"#{n}" for n in reversed(numbers[:2])]
    assert 'rel="next"' not in second.html
    assert first.texts("strong")[0] == money(orders[-1]["total"], "EUR")  # the total column


def test_status_tabs_count_the_orders_and_show_those_of_one_status(admin: TestClient) -> None:
    orders = [_order(admin, quantity=1) for _ in range(4)]
    admin.post(f"/v1/orders/{orders[0]['id']}/pay")
    admin.post(f"/v1/orders/{orders[1]['id']}/pay")
    admin.post(f"/v1/orders/{orders[1]['id']}/ship")
    admin.post(f"/v1/orders/{orders[2]['id']}/cancel")

    page = get(admin, "/admin/orders?status=paid")

    assert page.texts("count") == ["4", "1", "1", "1", "1"]  # all, then each status
    assert page.texts("order-link") == [f"#{orders[0]['number']}"]


def test_the_search_box_finds_orders_and_the_tabs_count_what_it_found(admin: TestClient) -> None:
    # What a search finds is tests/contract/test_finding_orders.py's; this is the page.
    bob = _order(admin, customer=customer(name="Bob Smith", email="bob@shop.example.org"))
    also_bob = _order(admin, customer=customer(name="Robert SMITH", email="rs@example.org"))
    _order(admin, customer=customer(name="Ana García", email="ana@example.com"))
    admin.post(f"/v1/orders/{also_bob['id']}/pay")

    def found(query: str) -> list[str]:
        return get(admin, f"/admin/orders?q={query}").texts("order-link")

    assert found(f"%23{bob['number']}") == [f"#{bob['number']}"]
    assert found("Smith") == [f"#{also_bob['number']}", f"#{bob['number']}"]
    assert get(admin, "/admin/orders?q=smith").texts("count") == ["2", "1", "1", "0", "0"]


def test_the_sales_summary_shows_the_sales_reports_figures(admin: TestClient) -> None:
    orders = [_order(admin, quantity=q) for q in (1, 2, 3, 1)]
    admin.post(f"/v1/orders/{orders[0]['id']}/pay")
    admin.post(f"/v1/orders/{orders[1]['id']}/cancel")
    report = get_json(admin, "/v1/reports/sales")

    page = get(admin, "/admin/sales")

    for status, figures in report["by_status"].items():
        amounts = " ".join(money(figures[field], "EUR")
                           for field in ("subtotal", "shipping", "tax", "total"))
        assert page.texts(f"figures-{status}") == [
            f"{status.replace('_', ' ').capitalize()} {figures['orders']} {amounts}"]
    assert money(report["collected"]["total"], "EUR") in page.texts("stat-value")


@ON_SQLITE
def test_a_sold_out_product_is_marked_and_restocking_brings_it_back(admin: TestClient) -> None:
    order = _order(admin, quantity=2, stock=2)
    sku = order["lines"][0]["sku"]
    products = get(admin, "/admin/products")
    assert "Out of stock" in " ".join(products.texts("is-out"))
    action = f"/admin/products/{sku}/restock"

    for bad in ("0", "abc", "-3"):
        refused = submit(admin, products, action, quantity=bad)
        assert f"{sku} was not restocked" in refused.flash(), bad
    restocked = submit(admin, products, action, quantity="5")

    assert restocked.flash() == f"Restocked {sku}: +5 Now 5 available."
    assert get_json(admin, f"/v1/products/{sku}")["available"] == 5
    assert restocked.texts("is-out") == []


@ON_SQLITE
@pytest.mark.parametrize(("path", "status"), [
    ("/admin/orders/7d3f1e1a-2b9c-4c55-9a43-2f8c1d5e8a10", 404),
    ("/admin/orders/not-an-order", 404),
    ("/admin/orders/7d3f1e1a-2b9c-4c55-9a43-2f8c1d5e8a10/refund", 404),
    ("/admin/no-such-page", 404),
    ("/admin/orders?status=lost", 400),
    ("/admin/orders?cursor=forged.cursor", 400),
    ("/admin/sales?from=yesterday", 400),
    ("/admin/sales?from=2026-12-01&to=2026-11-01", 400),
])
def test_unknown_pages_and_bad_input_get_an_html_error_page(
    admin: TestClient, path: str, status: int,
) -> None:
    answer = admin.get(path)

    assert answer.status_code == status
    assert answer.headers["content-type"].startswith("text/html")
    assert ("Not found" if status == 404 else "Bad request") in answer.text
    assert "Traceback" not in answer.text
