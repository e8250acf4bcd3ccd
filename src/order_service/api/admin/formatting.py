"""How the back office writes money, times, statuses and addresses for people."""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal
from urllib.parse import quote_plus

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


def moment(value: datetime | None) -> str:
    """A time as the back office shows it, in UTC: 26 Nov 2026, 15:12 UTC."""
    if value is None:
        return ""
    utc = value.astimezone(UTC)
    return f"{utc.day} {utc:%b %Y, %H:%M} UTC"


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


def address_lines(address: Address) -> list[str]:
    """An address as the lines of an envelope."""
    town = " ".join(part for part in (address.postal_code, address.city) if part)
    return [line for line in (address.name, address.line1, address.line2, town,
                              address.region, address.country) if line]


def map_link(address: Address) -> str:
    """An OpenStreetMap search for the address (the street, town and country)."""
    town = " ".join(part for part in (address.postal_code, address.city) if part)
    parts = [address.line1, address.line2, town, address.region, address.country]
    return MAP_SEARCH + quote_plus(", ".join(part for part in parts if part))
