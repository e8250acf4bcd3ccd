"""How the post of an address's country writes it on an envelope (the country aside).

What differs between countries is mostly the town line: where the postal code goes,
whether the region is written at all, and for France the order of the street lines. A
country without a layout of its own gets the common European one (postal code, town).
The back office and the emails both lay addresses out with these rules, each adding
the country's name in its own language.
"""

from __future__ import annotations

from collections.abc import Callable

from order_service.domain.values import Address

Layout = Callable[[Address], list[str | None]]


def envelope_lines(address: Address) -> list[str]:
    """The address as the lines of an envelope in its country, without the country."""
    layout = LAYOUTS.get(address.country.upper(), _elsewhere)
    return [line.strip() for line in layout(address) if line and line.strip()]


def _joined(separator: str, *parts: str | None) -> str:
    return separator.join(part for part in parts if part)


def _region_unless_the_town(address: Address) -> str | None:
    # "28013 Madrid / Madrid" says the same town twice: a province named after its
    # capital is left out.
    region = address.region
    return None if region and region.casefold() == address.city.casefold() else region


def _germany(address: Address) -> list[str | None]:
    # Deutsche Post: "10119 Berlin"; the federal state is never written.
    return [address.name, address.line1, address.line2,
            _joined(" ", address.postal_code, address.city)]


def _france(address: Address) -> list[str | None]:
    # La Poste (NF Z10-011): the flat or floor goes above the street, and the last line
    # is the postal code and the town in capitals; no region.
    return [address.name, address.line2, address.line1,
            _joined(" ", address.postal_code, address.city.upper())]


def _north_america(address: Address) -> list[str | None]:
    # USPS and Canada Post: "Springfield, IL 62704" on one line.
    return [address.name, address.line1, address.line2,
            _joined(", ", address.city, _joined(" ", address.region, address.postal_code))]


def _united_kingdom(address: Address) -> list[str | None]:
    # Royal Mail: the post town in capitals, a county if given, the postcode on a line
    # of its own.
    return [address.name, address.line1, address.line2, address.city.upper(),
            _region_unless_the_town(address), address.postal_code.upper()]


def _elsewhere(address: Address) -> list[str | None]:
    # Spain (Correos), most of Europe and Latin America: "28013 Madrid", the province
    # under it.
    return [address.name, address.line1, address.line2,
            _joined(" ", address.postal_code, address.city), _region_unless_the_town(address)]


LAYOUTS: dict[str, Layout] = {"DE": _germany, "FR": _france, "US": _north_america,
                              "CA": _north_america, "GB": _united_kingdom}
