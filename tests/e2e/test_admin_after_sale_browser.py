"""Changes after the sale in a real headless Chromium against a real `order-service serve`:
correcting an address, refunding part of an order with its goods back in stock, and
changing the catalogue, each confirmed before it is made.

One server (SQLite) serves the module: the clothing store of tests/clothing_store.py.
Every page visited is saved under test-artifacts/screenshots/after-sale-*.png.
"""

from __future__ import annotations

import re
import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest
from playwright.sync_api import Page, expect

from tests.browser import requests_made, save_screenshot, sign_in
from tests.clothing_store import STORE_SETTINGS, Store, open_the_store
from tests.servers import Server

# Emma Dubois's order: paid and shipped, with a hoodie and three black T-shirts.
SHIPPED_ORDER = 3


@pytest.fixture(scope="module")
def shop(sqlite_template: Path, tmp_path_factory: pytest.TempPathFactory
         ) -> Iterator[tuple[Server, Store]]:
    """A running server with a stocked clothing store and a few orders."""
    directory = tmp_path_factory.mktemp("after-sale")
    shutil.copyfile(sqlite_template, directory / "store.db")
    server = Server(f"sqlite:///{directory / 'store.db'}", directory / "server",
                    settings=STORE_SETTINGS)
    server.start()
    try:
        yield server, open_the_store(server.client)
    finally:
        server.close()


def _sign_in(page: Page, server: Server) -> None:
    sign_in(page, server.base_url, server.api_key)


def _open_order(page: Page, number: int) -> None:
    page.get_by_role("link", name="Orders", exact=True).click()
    page.get_by_role("link", name=f"#{number}", exact=True).click()
    expect(page.get_by_role("heading", name=f"Order #{number}")).to_be_visible()


def test_a_merchant_corrects_the_shipping_address_of_a_paid_order(
    page: Page, shop: tuple[Server, Store],
) -> None:
    server, store = shop
    _sign_in(page, server)
    _open_order(page, 5)

    page.get_by_text("Correct the shipping address").click()
    form = page.get_by_role("form", name="Correct the shipping address")
    expect(form.get_by_label("Street")).to_have_value("Torstraße 109")
    form.get_by_label("Street").fill("Torstraße 110")
    save_screenshot(page, "after-sale-correction-form")
    form.get_by_role("button", name="Review the correction").click()

    expect(page.get_by_role("heading", name="Correct the shipping address of order #5?")
           ).to_be_visible()
    expect(page.locator(".foreseen")).to_contain_text("Torstraße 109 → Torstraße 110")
    save_screenshot(page, "after-sale-correction-confirm")
    page.get_by_role("button", name="Yes, correct the shipping address").click()

    message = page.get_by_role("status")
    expect(message).to_contain_text("Shipping address corrected")
    expect(message).to_contain_text("Torstraße 109 → Torstraße 110")
    expect(page).to_have_url(f"{server.base_url}/admin/orders/{store.showcase_order_id}")
    shipping = page.locator("section", has=page.get_by_role("heading", name="Shipping address"))
    expect(shipping.locator("address")).to_contain_text("Torstraße 110")
    last = page.locator(".timeline li").last
    expect(last.locator(".timeline-title")).to_have_text("Shipping address corrected")
    expect(last.locator(".timeline-by")).to_have_text(f"by {server.api_key_name}")
    save_screenshot(page, "after-sale-corrected")
    shown = server.client.get(f"/v1/orders/{store.showcase_order_id}").json()
    assert shown["shipping_address"]["line1"] == "Torstraße 110"


def test_a_merchant_refunds_a_returned_item_and_puts_it_back_in_stock(
    page: Page, shop: tuple[Server, Store],
) -> None:
    server, _ = shop
    before = server.client.get("/v1/products/TEE-ORG-BLK-L").json()["available"]
    _sign_in(page, server)
    _open_order(page, SHIPPED_ORDER)

    page.get_by_text("Refund this order").click()
    form = page.get_by_role("form", name="Refund this order")
    form.get_by_label("Quantity of TEE-ORG-BLK-L to refund").fill("1")
    form.get_by_label("Put the goods above back in stock").check()
    form.get_by_label(re.compile("^Amount to refund")).fill("24.90")
    form.get_by_label("Reason").fill("Returned: too small")
    save_screenshot(page, "after-sale-refund-form")
    form.get_by_role("button", name="Review the refund").click()

    expect(page.get_by_role("heading", name=f"Refund €24.90 of order #{SHIPPED_ORDER}?")
           ).to_be_visible()
    expect(page.locator(".stock-after")).to_have_text(
        f"TEE-ORG-BLK-L +1: {before} available now, {before + 1} afterwards")
    save_screenshot(page, "after-sale-refund-confirm")
    page.get_by_role("button", name="Yes, refund €24.90").click()

    message = page.get_by_role("status")
    expect(message).to_contain_text("Refunded 24.90 EUR")
    expect(message).to_contain_text(f"Stock back: TEE-ORG-BLK-L +1, now {before + 1} available")
    refund = page.locator(".refunds .refund")
    expect(refund).to_have_count(1)
    expect(refund).to_contain_text("Returned: too small")
    expect(refund).to_contain_text("Back in stock")
    expect(page.locator(".timeline li").last.locator(".timeline-title")).to_have_text(
        "Refunded 24.90 EUR")
    save_screenshot(page, "after-sale-refunded")

    page.get_by_role("link", name="Products").click()
    expect(page.locator("#product-TEE-ORG-BLK-L [data-available]")).to_have_text(
        str(before + 1))
    assert server.client.get("/v1/products/TEE-ORG-BLK-L").json()["available"] == before + 1
    assert all(url.startswith(server.base_url) for url in requests_made(page)), \
        "the pages must load nothing from other sites"


def test_a_merchant_reprices_one_product_and_retires_another(
    page: Page, shop: tuple[Server, Store],
) -> None:
    server, _ = shop
    _sign_in(page, server)
    page.get_by_role("link", name="Products").click()

    socks = page.locator("#product-SOCKS-MER-3P")
    socks.get_by_text("Change…").click()
    socks.get_by_label("Price, in EUR").fill("13.90")
    socks.get_by_role("button", name="Save").click()
    expect(page.get_by_role("status")).to_contain_text(
        "SOCKS-MER-3P now sells as 'Merino socks, 3-pack' at 13.90 EUR")
    expect(page.locator("#product-SOCKS-MER-3P .cell-price")).to_have_text("€13.90")

    hoodie = page.locator("#product-HOODIE-GRY-L")
    hoodie.get_by_text("Change…").click()
    hoodie.get_by_role("link", name="Retire…").click()
    expect(page.get_by_role("heading", name="Retire HOODIE-GRY-L?")).to_be_visible()
    save_screenshot(page, "after-sale-retire-confirm")
    page.get_by_role("button", name="Yes, retire HOODIE-GRY-L").click()

    expect(page.get_by_role("status")).to_contain_text("HOODIE-GRY-L retired: no longer sold")
    expect(page.locator("#product-HOODIE-GRY-L .badge")).to_have_text("Retired")
    save_screenshot(page, "after-sale-products")
