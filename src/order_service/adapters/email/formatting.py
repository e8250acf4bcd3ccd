"""Money, times and tax rates as a customer's language writes them (integers, no floats)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from decimal import Decimal
from zoneinfo import ZoneInfo

# ISO 4217 minor units where they are not 2 (cents); amounts are stored in minor units.
MINOR_DIGITS = {
    **dict.fromkeys(("BHD", "IQD", "JOD", "KWD", "LYD", "OMR", "TND"), 3),
    **dict.fromkeys(("BIF", "CLP", "DJF", "GNF", "ISK", "JPY", "KMF", "KRW", "PYG", "RWF",
                     "UGX", "VND", "VUV", "XAF", "XOF", "XPF"), 0),
}


@dataclass(frozen=True, slots=True)
class Conventions:
    """How one language writes numbers, money and dates (after CLDR)."""

    decimal: str
    group: str
    # Spanish leaves 4-digit numbers ungrouped (1234,56 but 12.345,67).
    min_grouping: int
    symbol_first: bool
    # A currency without a symbol here is written with its ISO code after the number.
    symbols: dict[str, str]
    months: tuple[str, ...]
    moment: str
    percent: str = "{number}%"


CONVENTIONS: dict[str, Conventions] = {
    "en": Conventions(
        decimal=".", group=",", min_grouping=1, symbol_first=True,
        symbols={"EUR": "€", "USD": "$", "GBP": "£", "JPY": "¥", "INR": "₹"},
        months=("January", "February", "March", "April", "May", "June", "July", "August",
                "September", "October", "November", "December"),
        moment="{day} {month} {year}, {time} {zone}"),
    "es": Conventions(
        decimal=",", group=".", min_grouping=2, symbol_first=False,
        symbols={"EUR": "€", "USD": "US$", "GBP": "£"},
        months=("enero", "febrero", "marzo", "abril", "mayo", "junio", "julio", "agosto",
                "septiembre", "octubre", "noviembre", "diciembre"),
        moment="{day} de {month} de {year}, {time} {zone}", percent="{number} %"),
}


def money(amount: int, currency: str, conventions: Conventions) -> str:
    """`amount` minor units as a price: 123456 EUR -> €1,234.56 (en), 1234,56 € (es)."""
    digits = MINOR_DIGITS.get(currency, 2)
    whole, fraction = divmod(abs(amount), 10**digits)
    number = _grouped(whole, conventions)
    if digits:
        number += f"{conventions.decimal}{fraction:0{digits}d}"
    sign = "-" if amount < 0 else ""
    symbol = conventions.symbols.get(currency)
    if symbol and conventions.symbol_first:
        return f"{sign}{symbol}{number}"
    return f"{sign}{number} {symbol or currency}"


def _grouped(whole: int, conventions: Conventions) -> str:
    if len(str(whole)) < 3 + conventions.min_grouping:
        return str(whole)
    return f"{whole:,}".replace(",", conventions.group)


def moment(value: datetime, zone: ZoneInfo, conventions: Conventions) -> str:
    """A time in the shop's zone, the zone shown: 14 March 2026, 10:26 CET."""
    local = value.astimezone(zone)
    return conventions.moment.format(day=local.day, month=conventions.months[local.month - 1],
                                     year=local.year, time=f"{local:%H:%M}",
                                     zone=zone_label(local))


def zone_label(local: datetime) -> str:
    """The zone of a local time as people write it: CET, UTC, or UTC-03 where the zone
    has no letters of its own."""
    name = local.tzname() or ""
    if name.isalpha():
        return name
    offset = local.utcoffset() or timedelta()
    minutes = int(offset.total_seconds()) // 60
    hours, rest = divmod(abs(minutes), 60)
    return f"UTC{'-' if minutes < 0 else '+'}{hours:02d}" + (f":{rest:02d}" if rest else "")


def percent(rate: str, conventions: Conventions) -> str:
    """A tax rate fraction as a percentage: '0.055' -> 5.5% (en), 5,5 % (es); exact."""
    number = f"{(Decimal(rate) * 100).normalize():f}".replace(".", conventions.decimal)
    return conventions.percent.format(number=number)


def iban(text: str) -> str:
    """An IBAN in groups of four, as banks print it: ES91 2100 0418 ..."""
    compact = "".join(text.split())
    return " ".join(compact[start:start + 4] for start in range(0, len(compact), 4))
