"""Field types shared by the HTTP schemas: strict integers, trimmed text, codes."""

from __future__ import annotations

import re
from typing import Annotated

from pydantic import AfterValidator, Field, StringConstraints

from order_service.domain.money import is_currency
from order_service.domain.values import ISO_3166_COUNTRIES

# Strict: "5" and 5.0 are refused instead of being quietly turned into 5; money is never
# a float and a quantity is never a string.
Quantity = Annotated[int, Field(strict=True, ge=1, le=1_000_000, examples=[2])]
StockLevel = Annotated[int, Field(strict=True, ge=0, le=1_000_000_000, examples=[25])]
MinorUnits = Annotated[
    int,
    Field(strict=True, ge=0, le=100_000_000_000,
          description="Integer minor units of the shop currency (cents for EUR)",
          examples=[4990]),
]

_SKU = re.compile(r"[A-Za-z0-9][A-Za-z0-9._\-]{0,63}")
_CODE = re.compile(r"[a-z0-9][a-z0-9_\-]{0,63}")
_PHONE = re.compile(r"\+?[0-9 ()./\-]{3,32}")


def _matching(pattern: re.Pattern[str], explanation: str) -> AfterValidator:
    def check(value: str) -> str:
        if not pattern.fullmatch(value):
            raise ValueError(explanation)
        return value

    return AfterValidator(check)


Sku = Annotated[
    str,
    StringConstraints(strip_whitespace=True),
    _matching(_SKU, "must be 1 to 64 letters, digits, '.', '_' or '-', "
                    "starting with a letter or digit"),
    Field(description="Stock-keeping unit: letters, digits, '.', '_', '-' (max 64)",
          examples=["SANDAL-42"], json_schema_extra={"pattern": f"^{_SKU.pattern}$"}),
]
Code = Annotated[
    str,
    StringConstraints(strip_whitespace=True),
    _matching(_CODE, "must be 1 to 64 lower-case letters, digits, '_' or '-'"),
    Field(description="Lower-case code: letters, digits, '_', '-' (max 64)",
          examples=["standard"], json_schema_extra={"pattern": f"^{_CODE.pattern}$"}),
]


_CONTROL_CHARACTERS = re.compile(r"[\x00-\x1f\x7f]")


def _printable(value: str) -> str:
    # NUL cannot be stored by PostgreSQL, and no name or address has a line feed or a
    # bell in it; refusing them here keeps them out of receipts and CSV exports too.
    if _CONTROL_CHARACTERS.search(value):
        raise ValueError("must not contain control characters (NUL, tab, line breaks, ...)")
    return value


Printable = AfterValidator(_printable)
# The same rule for readers of the OpenAPI document: at least one visible character and
# no control characters.
_NO_CONTROL = r"[^\x00-\x1f\x7f]"
PRINTABLE_TEXT = Field(
    json_schema_extra={"pattern": rf"^{_NO_CONTROL}*[^\s\x00-\x1f\x7f]{_NO_CONTROL}*$"}
)


def _text(max_length: int) -> StringConstraints:
    return StringConstraints(strip_whitespace=True, min_length=1, max_length=max_length)


def is_sku(value: str) -> bool:
    """Whether `value` could be a SKU at all."""
    return _SKU.fullmatch(value) is not None


def is_code(value: str) -> bool:
    """Whether `value` could be a shipping-method code at all."""
    return _CODE.fullmatch(value) is not None


Name = Annotated[str, _text(200), Printable, PRINTABLE_TEXT]
AddressLine = Annotated[str, _text(200), Printable, PRINTABLE_TEXT]
PostalCode = Annotated[str, _text(20), Printable, PRINTABLE_TEXT]
Phone = Annotated[
    str, StringConstraints(strip_whitespace=True),
    _matching(_PHONE, "must be 3 to 32 digits, spaces and + ( ) . / -"),
    Field(examples=["+34 600 000 000"], json_schema_extra={"pattern": f"^{_PHONE.pattern}$"}),
]
Note = Annotated[str, _text(200), Printable, PRINTABLE_TEXT]
Reason = Annotated[str, _text(500), Printable, PRINTABLE_TEXT]

_CONTROL_BUT_LINE_BREAKS = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")


def _written(value: str) -> str:
    # A note to colleagues may run over several lines; other control characters (NUL
    # above all, which PostgreSQL cannot store) have no place in it.
    if _CONTROL_BUT_LINE_BREAKS.search(value):
        raise ValueError("must not contain control characters other than line breaks and tabs")
    return value


# Text a merchant writes for colleagues: up to 2,000 characters, line breaks allowed.
NoteText = Annotated[str, _text(2_000), AfterValidator(_written),
                     Field(examples=["Customer called: leave the parcel with the neighbour"])]


def _country(value: str) -> str:
    code = value.upper()
    if code not in ISO_3166_COUNTRIES:
        raise ValueError("must be an ISO 3166-1 alpha-2 country code, e.g. ES, FR, US")
    return code


def _currency(value: str) -> str:
    code = value.upper()
    if not is_currency(code):
        raise ValueError("must be an ISO 4217 currency code, e.g. EUR, USD, GBP")
    return code


Country = Annotated[
    str, StringConstraints(strip_whitespace=True, min_length=2, max_length=2),
    AfterValidator(_country),
    Field(examples=["ES"], json_schema_extra={"pattern": "^[A-Za-z]{2}$"}),
]
Currency = Annotated[
    str, StringConstraints(strip_whitespace=True, min_length=3, max_length=3),
    AfterValidator(_currency),
    Field(examples=["EUR"], json_schema_extra={"pattern": "^[A-Za-z]{3}$"}),
]
