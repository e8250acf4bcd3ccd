"""Value objects of the shop: statuses, addresses, customers and order lines."""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

# ISO 3166-1 alpha-2, the country codes a shipping carrier understands.
ISO_3166_COUNTRIES = frozenset(
    """
    AD AE AF AG AI AL AM AO AQ AR AS AT AU AW AX AZ BA BB BD BE BF BG BH BI BJ BL BM BN
    BO BQ BR BS BT BV BW BY BZ CA CC CD CF CG CH CI CK CL CM CN CO CR CU CV CW CX CY CZ
    DE DJ DK DM DO DZ EC EE EG EH ER ES ET FI FJ FK FM FO FR GA GB GD GE GF GG GH GI GL
    GM GN GP GQ GR GS GT GU GW GY HK HM HN HR HT HU ID IE IL IM IN IO IQ IR IS IT JE JM
    JO JP KE KG KH KI KM KN KP KR KW KY KZ LA LB LC LI LK LR LS LT LU LV LY MA MC MD ME
    MF MG MH MK ML MM MN MO MP MQ MR MS MT MU MV MW MX MY MZ NA NC NE NF NG NI NL NO NP
    NR NU NZ OM PA PE PF PG PH PK PL PM PN PR PS PT PW PY QA RE RO RS RU RW SA SB SC SD
    SE SG SH SI SJ SK SL SM SN SO SR SS ST SV SX SY SZ TC TD TF TG TH TJ TK TL TM TN TO
    TR TT TV TW TZ UA UG UM US UY UZ VA VC VE VG VI VN VU WF WS YE YT ZA ZM ZW
    """.split()  # noqa: SIM905 (a table reads better than 180 quoted strings)
)


class OrderStatus(StrEnum):
    """Where an order is in its life."""

    PENDING_PAYMENT = "pending_payment"
    PAID = "paid"
    SHIPPED = "shipped"
    CANCELLED = "cancelled"


@dataclass(frozen=True, slots=True)
class Address:
    """A postal address; `country` is ISO 3166-1 alpha-2."""

    name: str
    line1: str
    city: str
    postal_code: str
    country: str
    line2: str | None = None
    region: str | None = None


@dataclass(frozen=True, slots=True)
class Customer:
    """Who placed the order and how to reach them."""

    name: str
    email: str
    phone: str | None = None


@dataclass(frozen=True, slots=True)
class RequestedLine:
    """A line as the storefront asks for it: which product and how many."""

    sku: str
    quantity: int


@dataclass(frozen=True, slots=True)
class OrderLine:
    """A line as sold: the catalogue's name and price at the moment of the sale."""

    sku: str
    name: str
    quantity: int
    unit_price: int
    line_total: int


@dataclass(frozen=True, slots=True)
class StockQuantity:
    """A quantity of one product, taken from or given back to stock."""

    sku: str
    quantity: int


@dataclass(frozen=True, slots=True)
class CatalogueEntry:
    """What the catalogue knows of a product when an order is decided."""

    sku: str
    name: str
    unit_price: int
    currency: str
    available: int
    retired: bool = False


@dataclass(frozen=True, slots=True)
class ShippingOption:
    """One of the shop's shipping methods and what it costs."""

    code: str
    name: str
    price: int
    currency: str
