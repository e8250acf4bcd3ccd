"""Addresses laid out as the post of their country writes them, with the country's name.

What differs between countries is mostly the town line: where the postal code goes,
whether the region is written at all, and for France the order of the street lines.
A country without a layout of its own gets the common European one (postal code, town).
"""

from __future__ import annotations

from collections.abc import Callable
from functools import cache
from pathlib import Path

from order_service.domain.values import Address

COUNTRY_NAMES = Path(__file__).with_name("countries.tsv")

Layout = Callable[[Address], list[str | None]]


def _joined(separator: str, *parts: str | None) -> str:
    return separator.join(part for part in parts if part)


def _region_unless_the_town(address: Address) -> str | None:
    # "28013 Madrid / Madrid" says the same town twice: a province named after its
    # capital is left out.
    region = address.region
    return None if region and region.casefold() == address.city.casefold() else region


def _spain(address: Address) -> list[str | None]:
    # Correos: "28013 Madrid", the province under it.
    return [address.name, address.line1, address.line2,
            _joined(" ", address.postal_code, address.city), _region_unless_the_town(address)]


def _germany(address: Address) -> list[str | None]:
    # Deutsche Post: "10119 Berlin"; the federal state is never written.
    return [address.name, address.line1, address.line2,
            _joined(" ", address.postal_code, address.city)]


def _france(address: Address) -> list[str | None]:
    # La Poste (NF Z10-011): the flat or floor goes above the street, and the last line
    # is the postal code and the town in capitals; no region.
    return [address.name, address.line2, address.line1,
            _joined(" ", address.postal_code, address.city.upper())]


def _united_states(address: Address) -> list[str | None]:
    # USPS: "Springfield, IL 62704" on one line.
    return [address.name, address.line1, address.line2,
            _joined(", ", address.city, _joined(" ", address.region, address.postal_code))]


def _united_kingdom(address: Address) -> list[str | None]:
    # Royal Mail: the post town in capitals, a county if given, the postcode on a line
    # of its own.
    return [address.name, address.line1, address.line2, address.city.upper(),
            _region_unless_the_town(address), address.postal_code.upper()]


def _elsewhere(address: Address) -> list[str | None]:
    return [address.name, address.line1, address.line2,
            _joined(" ", address.postal_code, address.city), _region_unless_the_town(address)]


LAYOUTS: dict[str, Layout] = {
    "ES": _spain,
    "DE": _germany,
    "FR": _france,
    "US": _united_states,
    "GB": _united_kingdom,
}


def address_lines(address: Address) -> list[str]:
    """An address as the lines of an envelope in its country, ending with the country."""
    layout = LAYOUTS.get(address.country.upper(), _elsewhere)
    lines = [*layout(address), country_name(address.country)]
    return [line.strip() for line in lines if line and line.strip()]


def country_name(code: str) -> str:
    """The English name of an ISO 3166-1 alpha-2 country (the code itself if unknown)."""
    return _country_names().get(code.upper(), code)


@cache
def countries() -> list[tuple[str, str]]:
    """Every country as (code, English name), by name: the choices of an address form."""
    return sorted(_country_names().items(), key=lambda country: country[1])


@cache
def _country_names() -> dict[str, str]:
    names = {}
    for line in COUNTRY_NAMES.read_text(encoding="utf-8").splitlines():
        if line and not line.startswith("#"):
            code, name = line.split("\t")
            names[code] = name
    return names
