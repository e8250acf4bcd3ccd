"""The order page's map over the real app: each address looked up once, off the request
path; pages never wait for the geocoder; with no map, nothing from elsewhere.

That orders to one street, town and country share a lookup, and when a failed one is made
again, is tests/integration/test_geocoding.py's.
"""

from __future__ import annotations

import re
import time
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import pytest
from fastapi.testclient import TestClient

from order_service.settings import Settings
from tests.api_keys import app_client
from tests.e2e.back_office import Page, get, sign_in
from tests.e2e.builders import create_product, create_shipping_method, line, place_order
from tests.map_servers import Geocoder, TileServer, wait_for

Json = dict[str, Any]
STRICT_POLICY = ("default-src 'none'; style-src 'self'; img-src 'self' data:; "
                 "form-action 'self'; frame-ancestors 'none'; base-uri 'none'")


@contextmanager
def _back_office(database_url: str, key: str, **settings: Any) -> Iterator[TestClient]:
    with app_client(Settings(database_url=database_url, **settings), key) as client:
        sign_in(client, key)
        yield client


@pytest.fixture
def with_map(database_url_for_test: str, merchant_key: str, tile_server: TileServer,
             geocoder: Geocoder) -> Iterator[TestClient]:
    """A signed-in back office whose map uses the test's tile server and geocoder."""
    with _back_office(database_url_for_test, merchant_key, map_tile_url=tile_server.template,
                      geocoder_url=geocoder.url, geocoder_timeout_seconds=1.0) as client:
        yield client


def _order(client: TestClient, **fields: Any) -> Json:
    sku = create_product(client)["sku"]
    return place_order(client, [line(sku)], create_shipping_method(client)["code"], **fields)


def _map(page: Page) -> dict[str, str] | None:
    found = re.search(r'<div id="order-map"([^>]*)>', page.html)
    if found is None:
        return None
    return dict(re.findall(r'data-([a-z-]+)="([^"]*)"', found.group(1)))


def _shown_with_map(client: TestClient, order: Json) -> Page:
    path = f"/admin/orders/{order['id']}"
    wait_for(lambda: _map(get(client, path)) is not None, what="the map on the page")
    return get(client, path)


def test_a_placed_orders_address_is_looked_up_once_and_marked_on_the_page(
    with_map: TestClient, geocoder: Geocoder, tile_server: TileServer,
) -> None:
    order = _order(with_map)

    pages = [_shown_with_map(with_map, order) for _ in range(3)]

    assert _map(pages[0]) == {"latitude": "52.5290823", "longitude": "13.4010925",
                              "tile-url": tile_server.template,
                              "attribution": "© OpenStreetMap contributors"}
    assert len(geocoder.searches) == 1  # the placement asked; no page view did


def test_the_pages_allow_exactly_the_tile_server_and_never_the_geocoder(
    with_map: TestClient, tile_server: TileServer, geocoder: Geocoder,
) -> None:
    order = _order(with_map)

    for path in ("/admin/orders", f"/admin/orders/{order['id']}", "/admin/products"):
        policy = get(with_map, path).response.headers["content-security-policy"]
        assert policy == (
            "default-src 'none'; script-src 'self'; style-src 'self'; "
            f"img-src 'self' data: {tile_server.url}; form-action 'self'; "
            "frame-ancestors 'none'; base-uri 'none'")
        assert geocoder.url not in policy


def test_with_the_geocoder_hanging_orders_are_placed_and_shown_at_once_without_a_map(
    database_url_for_test: str, merchant_key: str, tile_server: TileServer,
    geocoder: Geocoder,
) -> None:
    # Were the placement or the page to wait for the geocoder, they would take 5 s.
    geocoder.behaviour, geocoder.delay_seconds = "slow", 8.0
    with _back_office(database_url_for_test, merchant_key, map_tile_url=tile_server.template,
                      geocoder_url=geocoder.url, geocoder_timeout_seconds=5.0) as client:
        started = time.monotonic()
        order = _order(client)
        wait_for(lambda: geocoder.searches, what="the lookup")
        page = get(client, f"/admin/orders/{order['id']}")
        took = time.monotonic() - started

    assert took < 2.5, f"placing and showing the order took {took:.2f} s"
    assert page.response.status_code == 200
    assert _map(page) is None
    assert "<script" not in page.html
    for shown in ("Calle Mayor 1", "28013 Madrid", "Spain", "Open on the map ↗"):
        assert shown in page.html


def test_a_failed_lookup_is_not_repeated_on_every_page_view(
    with_map: TestClient, geocoder: Geocoder,
) -> None:
    geocoder.behaviour = "error"
    order = _order(with_map)
    wait_for(lambda: geocoder.searches, what="the first lookup")

    pages = [get(with_map, f"/admin/orders/{order['id']}") for _ in range(5)]
    time.sleep(0.5)  # time enough to (wrongly) ask again

    assert [page.response.status_code for page in pages] == [200] * 5
    assert all(_map(page) is None for page in pages)
    assert len(geocoder.searches) == 1


def test_with_the_map_off_nothing_is_looked_up_and_the_pages_load_only_their_own_files(
    database_url_for_test: str, merchant_key: str, geocoder: Geocoder,
) -> None:
    with _back_office(database_url_for_test, merchant_key, map_tile_url="",
                      geocoder_url=geocoder.url) as client:
        order = _order(client)
        page = get(client, f"/admin/orders/{order['id']}")
        time.sleep(0.5)  # time enough to (wrongly) ask the geocoder

    assert page.response.headers["content-security-policy"] == STRICT_POLICY
    assert _map(page) is None
    assert "<script" not in page.html
    assert "leaflet" not in page.html
    assert "Open on the map ↗" in page.html
    assert geocoder.requests == []


def test_leaflet_is_served_by_the_service_and_revalidated_rather_than_fetched_again(
    with_map: TestClient,
) -> None:
    first = with_map.get("/admin/static/leaflet/leaflet.js")
    again = with_map.get("/admin/static/leaflet/leaflet.js",
                         headers={"If-None-Match": first.headers["etag"]})

    assert first.status_code == 200
    assert first.headers["cache-control"] == "no-cache"
    assert first.text.startswith("/* @preserve\n * Leaflet 1.9.4,")
    assert again.status_code == 304
