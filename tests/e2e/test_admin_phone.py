"""Every back-office page fits a phone: no sideways scrolling at 390 px wide, in a real
headless Chromium against a real `order-service serve` (SQLite) with the map on.

Each page's screenshot lands in test-artifacts/screenshots/phone-*.png.
"""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest
from playwright.sync_api import Browser, Page, expect

from order_service.api.app import create_app
from order_service.settings import Settings
from tests.browser import save_screenshot
from tests.clothing_store import STORE_SETTINGS, Store, open_the_store, place
from tests.e2e.test_auth import app_routes
from tests.map_servers import Geocoder, TileServer, wait_for
from tests.servers import Server

PHONE = {"width": 390, "height": 844}

# A customer whose details do not break anywhere by themselves: the pages must wrap them.
LONG_WINDED = (
    {"name": "Maximiliane Wolkenstein-Rabensteiner-Oberhollenzer",
     "email": "maximiliane.wolkenstein-rabensteiner.oberhollenzer@buchhaltung.example.com",
     "phone": "+49 30 5550147 0000 1111"},
    {"name": "Maximiliane Wolkenstein-Rabensteiner-Oberhollenzer",
     "line1": "Bahnhofstraße 123 Hinterhaus Seitenflügel Aufgang C",
     "line2": "Wohnung 4711, bei Oberhollenzer-Wolkenstein", "postal_code": "10119",
     "city": "Berlin", "country": "DE"},
)


@pytest.fixture
def shop(sqlite_template: Path, tmp_path: Path, tile_server: TileServer,
         geocoder: Geocoder) -> Iterator[tuple[Server, Store, str]]:
    """A server with the clothing store, an order with very long details, and the map on."""
    shutil.copyfile(sqlite_template, tmp_path / "store.db")
    server = Server(f"sqlite:///{tmp_path / 'store.db'}", tmp_path / "server",
                    settings={**STORE_SETTINGS, "map_tile_url": tile_server.template,
                              "geocoder_url": geocoder.url, "time_zone": "Europe/Berlin"})
    server.start()
    try:
        store = open_the_store(server.client)
        long_winded = place(server.client, [("SOCKS-MER-3P", 2)], *LONG_WINDED)
        yield server, store, long_winded["id"]
    finally:
        server.close()


def _admin_pages_of_the_app() -> set[str]:
    app = create_app(Settings(database_url="sqlite://", geocoder_url=None))
    return {path for method, path in app_routes(app)
            if path.startswith("/admin") and method == "GET"}


def _visits(store: Store, long_winded_id: str) -> dict[str, dict[str, str]]:
    """For each GET page of the back office, the addresses visited to see it, by name."""
    order = f"/admin/orders/{store.showcase_order_id}"
    return {
        "/admin": {"home": "/admin"},
        "/admin/sign-in": {"sign-in-signed-in": "/admin/sign-in"},
        "/admin/orders": {"orders": "/admin/orders", "orders-search": "/admin/orders?q=lena",
                          "orders-paid": "/admin/orders?status=paid",
                          "orders-none-found": "/admin/orders?q=nobody-at-all"},
        "/admin/orders/{order_id}": {"order": order,
                                     "order-long-details": f"/admin/orders/{long_winded_id}"},
        # The receipt (h14-orderpage's): visited once the app has it.
        "/admin/orders/{order_id}/receipt": {"receipt": f"{order}/receipt"},
        "/admin/orders/{order_id}/{slug}": {
            "confirm-ship": f"{order}/ship", "confirm-cancel": f"{order}/cancel",
            "confirm-pay-refused": f"{order}/pay"},  # the order is paid already
        "/admin/products": {"products": "/admin/products"},
        "/admin/products/{sku}/retire": {"confirm-retire": "/admin/products/SOCKS-MER-3P/retire"},
        "/admin/sales": {"sales": "/admin/sales",
                         "sales-range": "/admin/sales?from=2026-01-01&to=2026-12-31",
                         "sales-bad-date": "/admin/sales?from=someday"},
        "/admin/{rest:path}": {"not-found": "/admin/no-such-page"},
    }


def _overflow(page: Page) -> int:
    width: int = page.evaluate("() => document.documentElement.scrollWidth")
    return width


def test_no_admin_page_scrolls_sideways_on_a_phone(
    browser: Browser, shop: tuple[Server, Store, str], geocoder: Geocoder,
) -> None:
    server, store, long_winded_id = shop
    pages = _admin_pages_of_the_app()
    visits = {route: paths for route, paths in _visits(store, long_winded_id).items()
              if route in pages}
    assert set(visits) == pages, "visit every page of the back office"
    wait_for(lambda: len(geocoder.searches) >= 5, seconds=20, what="the addresses' lookups")
    context = browser.new_context(viewport=PHONE, device_scale_factor=1, is_mobile=True,
                                  has_touch=True)
    page = context.new_page()
    too_wide: dict[str, int] = {}
    try:
        page.goto(f"{server.base_url}/admin/sign-in")
        too_wide |= _measured(page, "sign-in")
        assert server.api_key is not None
        page.get_by_label("API key").fill("os_live_not-a-key")
        page.get_by_role("button", name="Sign in").click()
        too_wide |= _measured(page, "sign-in-refused")
        page.get_by_label("API key").fill(server.api_key)
        page.get_by_role("button", name="Sign in").click()
        expect(page.get_by_role("heading", name="Orders")).to_be_visible()
        for name, path in (visit for paths in visits.values() for visit in paths.items()):
            page.goto(f"{server.base_url}{path}")
            too_wide |= _measured(page, name)
        page.goto(f"{server.base_url}/admin/products")
        page.get_by_label("Quantity of SOCKS-MER-3P received").fill("5")
        page.locator("#product-SOCKS-MER-3P").get_by_role("button", name="Restock").click()
        too_wide |= _measured(page, "products-restocked")
        too_wide |= _after_sale_pages(page, server, store, long_winded_id)
    finally:
        context.close()

    assert too_wide == {}, f"pages wider than {PHONE['width']} px: {too_wide}"


def _after_sale_pages(page: Page, server: Server, store: Store, long_winded_id: str
                      ) -> dict[str, int]:
    """The forms folded away on the pages (opened), and the confirmations they lead to."""
    too_wide: dict[str, int] = {}
    for name, path in (("products-forms-open", "/admin/products"),
                       ("order-forms-open", f"/admin/orders/{store.showcase_order_id}"),
                       ("order-long-details-forms-open", f"/admin/orders/{long_winded_id}")):
        page.goto(f"{server.base_url}{path}")
        page.evaluate("() => document.querySelectorAll('details').forEach(d => d.open = true)")
        too_wide |= _measured(page, name)
    page.get_by_role("form", name="Correct the shipping address").get_by_role(
        "button", name="Review the correction").click()  # unchanged: sent back with why
    too_wide |= _measured(page, "correction-unchanged")
    form = page.get_by_role("form", name="Correct the shipping address")
    form.get_by_label("Street").fill("Bahnhofstraße 125 Hinterhaus Seitenflügel Aufgang D")
    form.get_by_role("button", name="Review the correction").click()
    too_wide |= _measured(page, "correction-confirm")
    page.goto(f"{server.base_url}/admin/orders/{store.showcase_order_id}")
    page.get_by_text("Refund this order").click()
    form = page.get_by_role("form", name="Refund this order")
    form.get_by_label("Quantity of JEANS-SLIM-32 to refund").fill("1")
    form.get_by_label("Put the goods above back in stock").check()
    form.get_by_label("Amount to refund", exact=False).fill("69.00")
    form.get_by_label("Reason").fill("Returned: the legs were far too long for the customer")
    form.get_by_role("button", name="Review the refund").click()
    too_wide |= _measured(page, "refund-confirm")
    return too_wide


def _measured(page: Page, name: str) -> dict[str, int]:
    page.wait_for_load_state("load")
    save_screenshot(page, f"phone-{name}")
    width = _overflow(page)
    return {name: width} if width > PHONE["width"] else {}


def test_the_phone_test_would_notice_a_page_that_scrolls_sideways(
    browser: Browser, shop: tuple[Server, Store, str],
) -> None:
    server, _, _ = shop
    context = browser.new_context(viewport=PHONE)
    page = context.new_page()
    try:
        page.goto(f"{server.base_url}/admin/sign-in")
        page.evaluate("() => document.body.append(Object.assign(document.createElement('pre'),"
                      " {textContent: 'x'.repeat(200)}))")
        assert _measured(page, "sign-in-widened") != {}
    finally:
        context.close()
