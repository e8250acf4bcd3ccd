"""The back office speaks the shop's locale: its time zone, and each country's addresses.

That an unknown time zone is refused naming ORDER_SERVICE_TIME_ZONE is
tests/unit/test_invalid_settings.py's (the commands print that line: test_cli.py).
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from fastapi.testclient import TestClient

from order_service.api.admin.formatting import moment
from order_service.settings import Settings
from tests.api_keys import app_client
from tests.e2e.back_office import get, sign_in
from tests.e2e.builders import address, create_product, create_shipping_method, line, place_order

Json = dict[str, Any]


@contextmanager
def _admin(database_url: str, merchant_key: str, time_zone: str) -> Iterator[TestClient]:
    """The back office of a shop in `time_zone`, signed in."""
    settings = Settings(database_url=database_url, geocoder_url=None, time_zone=time_zone)
    with app_client(settings, merchant_key) as client:
        sign_in(client, merchant_key)
        yield client


@pytest.fixture
def new_york(database_url_for_test: str, merchant_key: str) -> Iterator[TestClient]:
    """The back office of a shop in New York, signed in."""
    with _admin(database_url_for_test, merchant_key, "America/New_York") as client:
        yield client


def _order(client: TestClient, **fields: Any) -> Json:
    sku = create_product(client)["sku"]
    return place_order(client, [line(sku)], create_shipping_method(client)["code"], **fields)


def test_every_time_on_the_order_pages_is_in_the_shops_zone_and_names_it(
    new_york: TestClient,
) -> None:
    order = _order(new_york)
    placed_at = datetime.fromisoformat(order["placed_at"].replace("Z", "+00:00"))
    local = moment(placed_at, ZoneInfo("America/New_York"))
    assert local.endswith((" EST", " EDT"))

    listed = get(new_york, f"/admin/orders?q={order['number']}")
    shown = get(new_york, f"/admin/orders/{order['id']}")

    assert local in listed.html
    assert shown.html.count(local) >= 3  # the heading, the facts and the history
    assert "UTC" not in " ".join(shown.texts("timeline-when") + shown.texts("facts"))


@pytest.mark.parametrize("time_zone", ["Pacific/Kiritimati", "Pacific/Pago_Pago"])
def test_the_sales_days_are_whole_days_in_the_shops_zone(
    database_url_for_test: str, merchant_key: str, time_zone: str,
) -> None:
    # UTC+14 and UTC-11: at any hour, the shop's date differs from the UTC date in one
    # of them, so a report by UTC days would count the order on the wrong day there.
    with _admin(database_url_for_test, merchant_key, time_zone) as admin:
        _order(admin)
        today = datetime.now(UTC).astimezone(ZoneInfo(time_zone)).date()

        def counted(day: object) -> str:
            page = get(admin, f"/admin/sales?from={day}&to={day}")
            return page.texts("figures-pending_payment")[0].split()[2]

        assert counted(today) == "1"
        assert counted(today - timedelta(days=1)) == "0"
        assert counted(today + timedelta(days=1)) == "0"
        assert f"days in {time_zone}" in get(admin, "/admin/sales").html


@pytest.mark.parametrize("backend", ["sqlite"], indirect=True)
# How each country's post writes an address is tests/unit/test_admin_addresses.py's; here,
# that the page shows the lines in that order (French: the flat before the street).
@pytest.mark.parametrize(("shipping_address", "lines"), [
    (address(name="Emma Dubois", line1="12 Rue Mercière", line2="Appartement 4", city="Lyon",
             region=None, postal_code="69002", country="FR"),
     ["Emma Dubois", "Appartement 4", "12 Rue Mercière", "69002 LYON", "France"]),
], ids=["FR"])
def test_the_order_page_lays_out_the_address_as_its_countrys_post_does(
    new_york: TestClient, shipping_address: Json, lines: list[str],
) -> None:
    order = _order(new_york, shipping_address=shipping_address)

    page = get(new_york, f"/admin/orders/{order['id']}")

    shipping = page.html.split('id="shipping-heading"')[1].split("</address>")[0]
    shown = shipping.split("<address>")[1].split("<br>")
    assert shown == lines


@pytest.mark.parametrize("backend", ["sqlite"], indirect=True)
def test_the_totals_name_the_shipping_method_once_without_nested_brackets(
    new_york: TestClient,
) -> None:
    order = _order(new_york)  # shipped "Standard (3-5 days)"

    page = get(new_york, f"/admin/orders/{order['id']}")

    totals = " ".join(page.texts("totals"))
    assert "Shipping · Standard (3-5 days)" in totals
    assert totals.count("Standard (3-5 days)") == 1
    assert "))" not in totals
