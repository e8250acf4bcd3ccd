"""Money as a merchant types it: "12.50" EUR is 1250 minor units, and back, without floats.

A comma is taken for the decimal point too ("12,50"), as many shops write it; grouping
separators are refused instead, since "1,250" would be twelve fifty to one merchant and
twelve hundred and fifty to another.
"""

from __future__ import annotations

import re

from order_service.api.admin.formatting import MINOR_DIGITS, SYMBOLS

_TYPED = re.compile(r"(\d{1,15})(?:[.,](\d*))?")


class NotAnAmount(ValueError):
    """Text that is not an amount of the currency, and how to type one."""


def minor_units(typed: str, currency: str) -> int:
    """`typed` major units ("12.50", "12,5", "€12", "12.50 EUR") as integer minor units."""
    digits = MINOR_DIGITS.get(currency, 2)
    text = typed.strip().removeprefix(SYMBOLS.get(currency, currency)).removesuffix(currency)
    found = _TYPED.fullmatch(text.strip())
    fraction = (found[2] or "") if found else ""
    if found is None or len(fraction) > digits:
        raise NotAnAmount(f"{typed.strip()[:40]!r} is not an amount of {currency}: type it "
                          f"like {major_units(1250 * 10 ** max(digits - 2, 0), currency)}")
    scale: int = 10**digits
    return int(found[1]) * scale + int(fraction.ljust(digits, "0") or "0")


def major_units(amount: int, currency: str) -> str:
    """Integer minor units as a merchant types them: 1250 EUR -> "12.50", 4990 JPY -> "4990"."""
    digits = MINOR_DIGITS.get(currency, 2)
    whole, fraction = divmod(abs(amount), 10**digits)
    sign = "-" if amount < 0 else ""
    return f"{sign}{whole}" + (f".{fraction:0{digits}d}" if digits else "")


def in_code(amount: int, currency: str) -> str:
    """An amount with its currency code, as messages write it: "12.50 EUR"."""
    return f"{major_units(amount, currency)} {currency}"
