"""Addresses laid out as the post of their country writes them, the country in the
customer's language.

The back office has its own layouts (api/admin/addresses.py); an adapter must not import
the HTTP layer, so the few an envelope needs are written again here.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import cache
from pathlib import Path

from order_service.domain.values import Address

COUNTRY_NAMES = Path(__file__).with_name("countries.tsv")
# The columns of countries.tsv after the code.
NAME_COLUMNS = {"en": 1, "es": 2}

Layout = Callable[[Address], list[str | None]]


def _joined(separator: str, *parts: str | None) -> str:
    return separator.join(part for part in parts if part)


def _region_unless_the_town(address: Address) -> str | None:
    # "28013 Madrid / Madrid" says the same town twice.
    region = address.region
    return None if region and region.casefold() == address.city.casefold() else region


def _france(address: Address) -> list[str | None]:
    # La Poste: the flat or floor above the street, the town in capitals, no region.
    return [address.name, address.line2, address.line1,
            _joined(" ", address.postal_code, address.city.upper())]


def _germany(address: Address) -> list[str | None]:
    # Deutsche Post: "10119 Berlin"; the federal state is never written.
    return [address.name, address.line1, address.line2,
            _joined(" ", address.postal_code, address.city)]


def _north_america(address: Address) -> list[str | None]:
    # USPS and Canada Post: "Springfield, IL 62704" on one line.
    return [address.name, address.line1, address.line2,
            _joined(", ", address.city, _joined(" ", address.region, address.postal_code))]


def _united_kingdom(address: Address) -> list[str | None]:
    # Royal Mail: the post town in capitals, the postcode on a line of its own.
    return [address.name, address.line1, address.line2, address.city.upper(),
            _region_unless_the_town(address), address.postal_code.upper()]


def _elsewhere(address: Address) -> list[str | None]:
    # Most of Europe and Latin America: "28013 Madrid", the province under it.
    return [address.name, address.line1, address.line2,
            _joined(" ", address.postal_code, address.city), _region_unless_the_town(address)]


LAYOUTS: dict[str, Layout] = {"FR": _france, "DE": _germany, "US": _north_america,
                              "CA": _north_america, "GB": _united_kingdom}


def address_lines(address: Address, locale: str) -> list[str]:
    """An address as the lines of an envelope in its country, ending with the country."""
    layout = LAYOUTS.get(address.country.upper(), _elsewhere)
    lines = [*layout(address), country_name(address.country, locale)]
    return [line.strip() for line in lines if line and line.strip()]


def country_name(code: str, locale: str) -> str:
    """An ISO 3166-1 alpha-2 country in `locale`'s words (the code itself if unknown)."""
    return _country_names(locale).get(code.upper(), code.upper())


@cache
def _country_names(locale: str) -> dict[str, str]:
    column = NAME_COLUMNS.get(locale, NAME_COLUMNS["en"])
    names = {}
    for line in COUNTRY_NAMES.read_text(encoding="utf-8").splitlines():
        if line and not line.startswith("#"):
            columns = line.split("\t")
            names[columns[0]] = columns[column]
    return names
