"""Money: integer minor units of one ISO 4217 currency."""

from __future__ import annotations

from decimal import Decimal

import pytest

from order_service.domain.money import Money


@pytest.mark.parametrize("amount", [12.5, 10.0, True, False, Decimal("1"), "100"])
def test_money_is_only_ever_a_whole_number_of_minor_units(amount: object) -> None:
    with pytest.raises(TypeError):
        Money(amount, "EUR")  # type: ignore[arg-type]


@pytest.mark.parametrize("code", ["XXX", "eur", "EURO", "", "XAU"])
def test_money_needs_an_active_iso_4217_currency(code: str) -> None:
    with pytest.raises(ValueError, match="ISO 4217"):
        Money(100, code)


def test_amounts_of_one_currency_add_up() -> None:
    assert Money(1_999, "EUR") + Money(1, "EUR") == Money(2_000, "EUR")


def test_amounts_of_different_currencies_cannot_be_added() -> None:
    with pytest.raises(ValueError, match="cannot add USD to EUR"):
        Money(100, "EUR") + Money(100, "USD")


def test_a_line_total_is_the_price_times_the_quantity() -> None:
    assert Money(1_999, "JPY").times(3) == Money(5_997, "JPY")


@pytest.mark.parametrize(
    ("amount", "rate", "expected"),
    [
        (50, "0.21", 11),  # 10.5 rounds up (banker's rounding would give 10)
        (250, "0.01", 3),  # 2.5 rounds up (banker's rounding would give 2)
        (49, "0.21", 10),  # 10.29 rounds down
        (1_000, "0.21", 210),  # exact
        (12_345, "0", 0),
    ],
)
def test_a_percentage_rounds_half_up_to_a_whole_minor_unit(
    amount: int, rate: str, expected: int
) -> None:
    assert Money(amount, "EUR").percentage(Decimal(rate)) == Money(expected, "EUR")
