"""The order page's map in a real headless Chromium against a real `order-service serve`,
with a local tile server and geocoder (tests/map_servers.py): no internet needed.

Screenshots land in test-artifacts/screenshots/ (admin-order-map*.png).
"""

from __future__ import annotations

import shutil
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import ConsoleMessage, Page, expect

from tests.browser import requests_made, save_screenshot
from tests.clothing_store import STORE_SETTINGS, Store, open_the_store
from tests.map_servers import Geocoder, TileServer, wait_for
from tests.servers import Server

# Where the fake geocoder puts every address: Torstraße 109, Berlin.
TORSTRASSE = (52.5290823, 13.4010925)
StartShop = Callable[..., tuple[Server, Store]]


@pytest.fixture
def start_shop(sqlite_template: Path, tmp_path: Path) -> Iterator[StartShop]:
    """Start a server (SQLite) with the clothing store and `settings`; stopped afterwards."""
    started: list[Server] = []

    def start(**settings: str) -> tuple[Server, Store]:
        shutil.copyfile(sqlite_template, tmp_path / "store.db")
        server = Server(f"sqlite:///{tmp_path / 'store.db'}", tmp_path / "server",
                        settings={**STORE_SETTINGS, **settings})
        started.append(server)
        server.start()
        return server, open_the_store(server.client)

    yield start
    for server in started:
        server.close()


def _sign_in_and_open(page: Page, server: Server, order_id: str) -> None:
    assert server.api_key is not None
    page.goto(f"{server.base_url}/admin/orders/{order_id}")
    page.get_by_label("API key").fill(server.api_key)
    page.get_by_role("button", name="Sign in").click()
    expect(page.get_by_role("heading", name="Shipping address")).to_be_visible()


def _marker(page: Page) -> dict[str, Any]:
    """Where Leaflet put the marker: its point, and where its tip is drawn on the map."""
    found: dict[str, Any] = page.evaluate("""() => {
        const element = document.getElementById("order-map");
        const marker = element.marker, map = element.map;
        const point = marker.getLatLng();
        const drawn = map.latLngToContainerPoint(point);
        const icon = marker.getElement().getBoundingClientRect();
        const box = element.getBoundingClientRect();
        const anchor = marker.options.icon.options.iconAnchor;
        const middle = map.getSize().divideBy(2);
        return {latitude: point.lat, longitude: point.lng,
                tip: [icon.left - box.left + anchor[0], icon.top - box.top + anchor[1]],
                drawn: [drawn.x, drawn.y], middle: [middle.x, middle.y]};
    }""")
    return found


def _policy_violations(page: Page) -> list[str]:
    violations: list[str] = []

    def note(message: ConsoleMessage) -> None:
        if "Content Security Policy" in message.text:
            violations.append(message.text)

    page.on("console", note)
    return violations


def test_the_order_page_marks_the_shipping_address_where_the_geocoder_placed_it(
    page: Page, start_shop: StartShop, tile_server: TileServer, geocoder: Geocoder,
) -> None:
    geocoder.point = TORSTRASSE
    server, store = start_shop(map_tile_url=tile_server.template, geocoder_url=geocoder.url)
    wait_for(lambda: any(seen.query.get("street") == "Torstraße 109"
                         for seen in geocoder.searches), what="the lookup of Torstraße 109")
    looked_up = len(geocoder.searches)
    violations = _policy_violations(page)

    _sign_in_and_open(page, server, store.showcase_order_id)
    for _ in range(50):  # the lookup is kept a moment after the geocoder answered
        if page.locator("#order-map").count():
            break
        page.wait_for_timeout(100)
        page.reload()
    expect(page.locator("#order-map .leaflet-marker-icon")).to_be_visible()
    expect(page.locator("#order-map .leaflet-tile-loaded").first).to_be_visible()
    marker = _marker(page)
    save_screenshot(page, "admin-order-map")

    assert (marker["latitude"], marker["longitude"]) == pytest.approx(TORSTRASSE, abs=1e-7)
    assert marker["tip"] == pytest.approx(marker["drawn"], abs=1)
    assert marker["drawn"] == pytest.approx(marker["middle"], abs=1)
    made = requests_made(page)
    tiles = [url for url in made if url.startswith(f"{tile_server.url}/")]
    assert tiles, "the map loaded no tiles"
    assert all(url.startswith((f"{server.base_url}/", f"{tile_server.url}/")) for url in made), \
        [url for url in made if not url.startswith(server.base_url)]
    assert {seen.headers.get("referer") for seen in tile_server.requests} == {
        f"{server.base_url}/"}  # the origin, never the order's page
    assert len(geocoder.searches) == looked_up  # the browser and the page asked nobody
    assert violations == []


@pytest.mark.parametrize("case", ["map off", "geocoder down"])
def test_without_a_map_the_order_page_shows_the_address_and_loads_nothing_from_elsewhere(
    page: Page, start_shop: StartShop, tile_server: TileServer, geocoder: Geocoder,
    case: str,
) -> None:
    geocoder.behaviour = "error"
    tiles = "" if case == "map off" else tile_server.template
    server, store = start_shop(map_tile_url=tiles, geocoder_url=geocoder.url)
    if case == "geocoder down":
        wait_for(lambda: geocoder.searches, what="a lookup")
    violations = _policy_violations(page)

    _sign_in_and_open(page, server, store.showcase_order_id)

    save_screenshot(page, f"admin-order-map-{case.replace(' ', '-')}")
    expect(page.locator("address").first).to_contain_text("10119 Berlin")
    expect(page.locator("address").first).to_contain_text("Germany")
    expect(page.get_by_role("link", name="Open on the map ↗")).to_be_visible()
    assert page.locator("#order-map").count() == 0
    assert all(url.startswith(f"{server.base_url}/") for url in requests_made(page))
    assert tile_server.requests == []
    assert len(geocoder.searches) == (0 if case == "map off" else 1)
    assert violations == []
