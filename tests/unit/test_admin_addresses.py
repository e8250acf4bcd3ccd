"""Addresses on the back office's pages: laid out as their country's post writes them."""

from __future__ import annotations

from typing import Any

import pytest

from order_service.api.admin.addresses import address_lines, country_name
from order_service.domain.values import ISO_3166_COUNTRIES, Address


def _address(**fields: Any) -> Address:
    return Address(**{"name": "A. Person", "line1": "Street 1", "city": "Town",
                      "postal_code": "12345", "country": "ES", **fields})


@pytest.mark.parametrize(("address", "lines"), [
    (_address(name="Ana García", line1="Calle Mayor 1", line2="3º B", city="Madrid",
              region="Madrid", postal_code="28013", country="ES"),
     ["Ana García", "Calle Mayor 1", "3º B", "28013 Madrid", "Spain"]),
    (_address(name="Pau Vidal", line1="Carrer de Mallorca 401", city="Barcelona",
              region="Barcelona", postal_code="08013", country="ES"),
     ["Pau Vidal", "Carrer de Mallorca 401", "08013 Barcelona", "Spain"]),
    (_address(name="Lucía Pérez", line1="Rúa do Franco 8", city="Santiago de Compostela",
              region="A Coruña", postal_code="15705", country="ES"),
     ["Lucía Pérez", "Rúa do Franco 8", "15705 Santiago de Compostela", "A Coruña", "Spain"]),
    (_address(name="John Smith", line1="1600 Pennsylvania Ave NW", line2="Suite 200",
              city="Washington", region="DC", postal_code="20500", country="US"),
     ["John Smith", "1600 Pennsylvania Ave NW", "Suite 200", "Washington, DC 20500",
      "United States"]),
    (_address(name="Jane Doe", line1="10 Downing Street", city="London",
              postal_code="sw1a 2aa", country="GB"),
     ["Jane Doe", "10 Downing Street", "LONDON", "SW1A 2AA", "United Kingdom"]),
    (_address(name="Lena Fischer", line1="Torstraße 109", line2="3. OG links", city="Berlin",
              region="Berlin", postal_code="10119", country="DE"),
     ["Lena Fischer", "Torstraße 109", "3. OG links", "10119 Berlin", "Germany"]),
    (_address(name="Emma Dubois", line1="12 Rue Mercière", line2="Appartement 4",
              city="Lyon", region="Auvergne-Rhône-Alpes", postal_code="69002", country="FR"),
     ["Emma Dubois", "Appartement 4", "12 Rue Mercière", "69002 LYON", "France"]),
    (_address(name="Sofia Rossi", line1="Via Paolo Sarpi 12", city="Milano", region="MI",
              postal_code="20154", country="IT"),
     ["Sofia Rossi", "Via Paolo Sarpi 12", "20154 Milano", "MI", "Italy"]),
], ids=["ES", "ES-province-is-the-town", "ES-province", "US", "GB", "DE", "FR", "elsewhere"])
def test_an_address_is_laid_out_as_its_countrys_post_writes_it(
    address: Address, lines: list[str],
) -> None:
    assert address_lines(address) == lines


def test_every_country_code_an_order_may_carry_has_a_name() -> None:
    assert {code for code in ISO_3166_COUNTRIES if country_name(code) == code} == set()
    assert [country_name(code) for code in ("ES", "US", "GB", "DE", "FR", "KR")] == [
        "Spain", "United States", "United Kingdom", "Germany", "France", "South Korea"]
