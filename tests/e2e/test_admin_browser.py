"""The back office in a real headless Chromium against a real `order-service serve`.

One server (SQLite) serves the module: a small clothing store set up through the API.
Every page visited is saved under test-artifacts/screenshots/.
"""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest
from playwright.sync_api import Page, expect

from tests.browser import requests_made, save_screenshot
from tests.clothing_store import STORE_SETTINGS, Store, open_the_store, place
from tests.servers import Server


@pytest.fixture(scope="module")
def shop(sqlite_template: Path, tmp_path_factory: pytest.TempPathFactory
         ) -> Iterator[tuple[Server, Store]]:
    """A running server with a stocked clothing store and a few orders."""
    directory = tmp_path_factory.mktemp("back-office")
    shutil.copyfile(sqlite_template, directory / "store.db")
    server = Server(f"sqlite:///{directory / 'store.db'}", directory / "server",
                    settings=STORE_SETTINGS)
    server.start()
    try:
        yield server, open_the_store(server.client)
    finally:
        server.close()


def _sign_in(page: Page, server: Server) -> None:
    assert server.api_key is not None
    page.goto(f"{server.base_url}/admin/orders")
    expect(page).to_have_url(f"{server.base_url}/admin/sign-in?next=%2Fadmin%2Forders")
    save_screenshot(page, "admin-sign-in")
    page.get_by_label("API key").fill(server.api_key)
    page.get_by_role("button", name="Sign in").click()
    expect(page.get_by_role("heading", name="Orders")).to_be_visible()


def test_a_merchant_signs_in_cancels_an_order_and_sees_the_stock_come_back(
    page: Page, shop: tuple[Server, Store],
) -> None:
    server, store = shop
    _sign_in(page, server)
    save_screenshot(page, "admin-orders")

    page.get_by_role("link", name="#5", exact=True).click()
    expect(page).to_have_url(f"{server.base_url}/admin/orders/{store.showcase_order_id}")
    expect(page.get_by_role("heading", name="Order #5")).to_be_visible()
    expect(page.get_by_text("Lena Fischer").first).to_be_visible()
    expect(page.get_by_role("link", name="Open on the map ↗")).to_have_attribute(
        "href", "https://www.openstreetmap.org/search?query="
        "Torstra%C3%9Fe+109%2C+3.+OG+links%2C+10119+Berlin%2C+DE")
    save_screenshot(page, "admin-order")

    page.get_by_role("link", name="Mark as cancelled").click()
    page.get_by_label("Reason (optional)").fill("Customer asked to cancel by phone")
    page.get_by_role("button", name="Yes, mark as cancelled").click()

    message = page.get_by_role("status")
    expect(message).to_contain_text("Order #5 marked as cancelled")
    expect(message).to_contain_text("Status: Cancelled")
    expect(message).to_contain_text("Stock back: TEE-ORG-WHT-M +2, now 40 available")
    expect(message).to_contain_text("Stock back: JEANS-SLIM-32 +1, now 12 available")
    expect(page.locator("h1 .badge")).to_have_text("Cancelled")
    expect(page.get_by_role("link", name="Mark as cancelled")).to_have_count(0)
    save_screenshot(page, "admin-order-cancelled")

    page.get_by_role("link", name="Sales").click()
    expect(page.locator(".figures-cancelled")).to_contain_text("2")
    save_screenshot(page, "admin-sales")
    assert all(url.startswith(server.base_url) for url in requests_made(page)), \
        "the pages must load nothing from other sites"


def test_a_product_that_sells_out_shows_the_out_of_stock_badge(
    page: Page, shop: tuple[Server, Store],
) -> None:
    server, _ = shop
    place(server.client, [("BEANIE-RIB-OLV", 3)],
          {"name": "Jonas Weber", "email": "jonas.weber@example.de"},
          {"name": "Jonas Weber", "line1": "Schanzenstraße 41", "postal_code": "20357",
           "city": "Hamburg", "country": "DE"})
    _sign_in(page, server)

    page.get_by_role("link", name="Products").click()

    sold_out = page.locator("#product-BEANIE-RIB-OLV")
    expect(sold_out.locator(".badge")).to_have_text("Out of stock")
    expect(sold_out.locator("[data-available]")).to_have_text("0")
    expect(page.locator("#product-HOODIE-GRY-L .badge")).to_have_text("In stock")
    save_screenshot(page, "admin-products")
