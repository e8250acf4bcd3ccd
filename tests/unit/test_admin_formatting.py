"""How the back office writes money, rates, times, statuses and map links."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone
from zoneinfo import ZoneInfo

import pytest

from order_service.api.admin.formatting import map_link, moment, money, percent, status_label
from order_service.domain.values import Address


@pytest.mark.parametrize(("amount", "currency", "shown"), [
    (6637, "EUR", "€66.37"),
    (5, "EUR", "€0.05"),
    (123456789, "USD", "$1,234,567.89"),
    (-1250, "GBP", "-£12.50"),
    (4990, "JPY", "¥4,990"),
    (12345, "BHD", "12.345 BHD"),
    (100, "CHF", "1.00 CHF"),
])
def test_money_is_written_from_integer_minor_units_with_the_currencys_decimals(
    amount: int, currency: str, shown: str,
) -> None:
    assert money(amount, currency) == shown


def test_a_tax_rate_is_a_percentage_without_rounding() -> None:
    assert [percent(rate) for rate in ("0.21", "0.19", "0.055", "0", "0.2")] == [
        "21 %", "19 %", "5.5 %", "0 %", "20 %"]


def test_times_are_shown_in_utc_by_default() -> None:
    madrid = timezone(timedelta(hours=1))
    assert moment(datetime(2026, 11, 6, 16, 12, tzinfo=madrid), ZoneInfo("UTC")) == \
        "6 Nov 2026, 15:12 UTC"


@pytest.mark.parametrize(("zone", "winter", "summer"), [
    ("Europe/Madrid", "6 Jan 2026, 13:12 CET", "6 Jul 2026, 14:12 CEST"),
    ("America/New_York", "6 Jan 2026, 07:12 EST", "6 Jul 2026, 08:12 EDT"),
    ("Europe/London", "6 Jan 2026, 12:12 GMT", "6 Jul 2026, 13:12 BST"),
    # Zones with no letters of their own are written as an offset from UTC.
    ("America/Sao_Paulo", "6 Jan 2026, 09:12 UTC-03", "6 Jul 2026, 09:12 UTC-03"),
    ("Asia/Kathmandu", "6 Jan 2026, 17:57 UTC+05:45", "6 Jul 2026, 17:57 UTC+05:45"),
])
def test_times_are_shown_in_the_shops_zone_with_the_zone_named(
    zone: str, winter: str, summer: str,
) -> None:
    shown = [moment(datetime(2026, month, 6, 12, 12, tzinfo=UTC), ZoneInfo(zone))
             for month in (1, 7)]

    assert shown == [winter, summer]


def test_a_missing_time_is_shown_as_nothing() -> None:
    assert moment(None, ZoneInfo("Europe/Madrid")) == ""


def test_statuses_read_as_words() -> None:
    assert [status_label(s) for s in ("pending_payment", "paid", "payment_timeout")] == [
        "Pending payment", "Paid", "Payment timeout"]


def test_the_map_link_searches_openstreetmap_for_the_street_town_and_country() -> None:
    where = Address(name="Ana García", line1="Calle Mayor 1", line2="3º B", city="Madrid",
                    postal_code="28013", country="ES", region="Madrid")

    assert map_link(where) == ("https://www.openstreetmap.org/search?query="
                               "Calle+Mayor+1%2C+3%C2%BA+B%2C+28013+Madrid%2C+Madrid%2C+ES")
