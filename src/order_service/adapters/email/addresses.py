"""Addresses laid out as the post of their country writes them, the country in the
customer's language.

The layouts are the domain's (domain/postal.py), shared with the back office; the
country names here come in each language the emails are written in.
"""

from __future__ import annotations

from functools import cache
from pathlib import Path

from order_service.domain.postal import envelope_lines
from order_service.domain.values import Address

COUNTRY_NAMES = Path(__file__).with_name("countries.tsv")
# The columns of countries.tsv after the code.
NAME_COLUMNS = {"en": 1, "es": 2}


def address_lines(address: Address, locale: str) -> list[str]:
    """An address as the lines of an envelope in its country, ending with the country."""
    return [*envelope_lines(address), country_name(address.country, locale)]


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
