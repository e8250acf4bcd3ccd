"""How the back office writes money, times, statuses and map links for people."""

from __future__ import annotations

from datetime import datetime, timedelta
from decimal import Decimal
from urllib.parse import quote_plus
from zoneinfo import ZoneInfo

from order_service.domain.values import Address, OrderStatus

# ISO 4217 minor units where they are not 2 (cents); amounts are stored in minor units.
MINOR_DIGITS = {
    **dict.fromkeys(("BHD", "IQD", "JOD", "KWD", "LYD", "OMR", "TND"), 3),
    **dict.fromkeys(("BIF", "CLP", "DJF", "GNF", "ISK", "JPY", "KMF", "KRW", "PYG", "RWF",
                     "UGX", "VND", "VUV", "XAF", "XOF", "XPF"), 0),
}
SYMBOLS = {"EUR": "€", "USD": "$", "GBP": "£", "JPY": "¥", "INR": "₹"}
STATUS_LABELS = {
    OrderStatus.PENDING_PAYMENT: "Pending payment",
    OrderStatus.PAID: "Paid",
    OrderStatus.SHIPPED: "Shipped",
    OrderStatus.CANCELLED: "Cancelled",
}
MAP_SEARCH = "https://www.openstreetmap.org/search?query="
# Cancel reasons the service itself writes (the payment-hold sweeper); a merchant's or a
# storefront's own reason is shown as they wrote it.
SERVICE_REASONS = {"payment_timeout": "Not paid in time: the payment hold ran out"}


def money(amount: int, currency: str) -> str:
    """`amount` minor units as a price: 123456 EUR -> €1,234.56 (integers only)."""
    digits = MINOR_DIGITS.get(currency, 2)
    whole, fraction = divmod(abs(amount), 10**digits)
    text = f"{whole:,}" + (f".{fraction:0{digits}d}" if digits else "")
    sign = "-" if amount < 0 else ""
    symbol = SYMBOLS.get(currency)
    return f"{sign}{symbol}{text}" if symbol else f"{sign}{text} {currency}"


def moment(value: datetime | None, zone: ZoneInfo) -> str:
    """A time in the shop's zone, the zone shown: 26 Nov 2026, 16:12 CET."""
    if value is None:
        return ""
    local = value.astimezone(zone)
    return f"{local.day} {local:%b %Y, %H:%M} {zone_label(local)}"


def zone_label(local: datetime) -> str:
    """The zone of a local time as people write it: CET, CEST, UTC, or UTC-03 where
    the zone has no letters of its own."""
    name = local.tzname() or ""
    if name.isalpha():
        return name
    offset = local.utcoffset() or timedelta()
    minutes = int(offset.total_seconds()) // 60
    hours, rest = divmod(abs(minutes), 60)
    return f"UTC{'-' if minutes < 0 else '+'}{hours:02d}" + (f":{rest:02d}" if rest else "")


def status_label(status: str) -> str:
    """An order status in words: pending_payment -> Pending payment."""
    try:
        return STATUS_LABELS[OrderStatus(status)]
    except ValueError:
        return words(status)


def words(code: str) -> str:
    """A code in words: bank_transfer -> Bank transfer."""
    return code.replace("_", " ").replace("-", " ").capitalize()


def reason(text: str | None) -> str:
    """A cancel reason for people."""
    return SERVICE_REASONS.get(text or "", text or "")


def percent(rate: str) -> str:
    """A tax rate fraction as a percentage: '0.21' -> '21 %' (exact, no floats)."""
    return f"{(Decimal(rate) * 100).normalize():f} %"


def map_link(address: Address) -> str:
    """An OpenStreetMap search for the address (the street, town and country)."""
    town = " ".join(part for part in (address.postal_code, address.city) if part)
    parts = [address.line1, address.line2, town, address.region, address.country]
    return MAP_SEARCH + quote_plus(", ".join(part for part in parts if part))
