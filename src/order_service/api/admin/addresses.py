"""Addresses laid out as the post of their country writes them (domain/postal.py), with
the country's name in English."""

from __future__ import annotations

from functools import cache
from pathlib import Path

from order_service.domain.postal import envelope_lines
from order_service.domain.values import Address

COUNTRY_NAMES = Path(__file__).with_name("countries.tsv")


def address_lines(address: Address) -> list[str]:
    """An address as the lines of an envelope in its country, ending with the country."""
    return [*envelope_lines(address), country_name(address.country)]


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
