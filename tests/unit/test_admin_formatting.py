"""How the back office writes money, rates, statuses and map links."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

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


def test_times_are_shown_in_utc() -> None:
    madrid = timezone(timedelta(hours=1))
    assert moment(datetime(2026, 11, 6, 16, 12, tzinfo=madrid)) == "6 Nov 2026, 15:12 UTC"


def test_statuses_read_as_words() -> None:
    assert [status_label(s) for s in ("pending_payment", "paid", "payment_timeout")] == [
        "Pending payment", "Paid", "Payment timeout"]


def test_the_map_link_searches_openstreetmap_for_the_street_town_and_country() -> None:
    where = Address(name="Ana García", line1="Calle Mayor 1", line2="3º B", city="Madrid",
                    postal_code="28013", country="ES", region="Madrid")

    assert map_link(where) == ("https://www.openstreetmap.org/search?query="
                               "Calle+Mayor+1%2C+3%C2%BA+B%2C+28013+Madrid%2C+Madrid%2C+ES")
