"""Payment instructions as the API sends them: one JSON value per order, added to the
order's JSON document when it is read (never stored, see domain/payment_instructions.py).

`instructions_json` writes the value; `with_payment_instructions` splices it into an
order document's bytes as its last member, so a document made elsewhere (by the
database, or stored at write time) gets the instructions of the current settings.
"""

from __future__ import annotations

import json
import re
import secrets
import string
from collections.abc import Callable
from functools import lru_cache, partial
from typing import Any

from order_service.application.views import OrderView
from order_service.domain.payment_instructions import (
    METHODS_WITH_INSTRUCTIONS,
    BankTransferInstructions,
    CashOnDeliveryInstructions,
    PaymentInstructions,
    TransferTerms,
    payment_instructions,
)

MEMBER = b',"payment_instructions":'
# A piece of instructions' JSON: literal text, or the name of the order's value written
# there ("total", "currency" or "number").
Piece = bytes | str


def instructions_of(order: OrderView, transfer: TransferTerms) -> PaymentInstructions | None:
    """What the customer must do to pay `order`, under the current transfer terms."""
    return payment_instructions(method=order.payment_method, total=order.total,
                                currency=order.currency, number=order.number,
                                transfer=transfer)


def instructions_record(instructions: PaymentInstructions | None) -> dict[str, Any] | None:
    """The instructions as the JSON object the API sends (null for none)."""
    match instructions:
        case BankTransferInstructions(account=account):
            return {
                "method": instructions.method,
                # Unset bank details are nulls: the storefront still shows the amount
                # and the reference, and says the account details will follow.
                "account_holder": None if account is None else account.account_holder,
                "iban": None if account is None else account.iban,
                "bic": None if account is None else account.bic,
                "bank_name": None if account is None else account.bank_name,
                "amount": instructions.amount,
                "currency": instructions.currency,
                "reference": instructions.reference,
            }
        case CashOnDeliveryInstructions():
            return {"method": instructions.method, "amount": instructions.amount,
                    "currency": instructions.currency}
    return None


def instructions_json(instructions: PaymentInstructions | None) -> bytes:
    """The instructions as compact JSON text, UTF-8 (`null` for none)."""
    return json.dumps(instructions_record(instructions), ensure_ascii=False,
                      separators=(",", ":")).encode()


def with_payment_instructions(document: bytes, instructions: bytes) -> bytes:
    """An order's JSON document (an object) with `"payment_instructions"` added last."""
    # Every document is an object whose last byte is its closing brace, and has members.
    return document[:-1] + MEMBER + instructions + b"}"


@lru_cache(maxsize=8)
def instructions_pieces(transfer: TransferTerms) -> tuple[tuple[str, tuple[Piece, ...]], ...]:
    """For each method with instructions, their JSON as literal text around the names of
    the order's values: what the database concatenates to write, for every order at
    once, exactly what `instructions_json` writes (see projections/documents.py)."""
    return tuple((method, _pieces(partial(_rendered, method, transfer)))
                 for method in METHODS_WITH_INSTRUCTIONS)


def _rendered(method: str, transfer: TransferTerms, values: dict[str, Any]) -> bytes:
    return instructions_json(payment_instructions(method=method, transfer=transfer, **values))


def _pieces(render: Callable[[dict[str, Any]], bytes]) -> tuple[Piece, ...]:
    # Rendered with stand-in values, then cut where they stand. Random stand-ins that
    # occur once each cannot be part of the bank details; a clash only means a new draw.
    while True:
        stand_ins: dict[str, Any] = {
            "total": 10**17 + secrets.randbelow(9 * 10**17),
            "currency": "".join(secrets.choice(string.ascii_uppercase) for _ in range(16)),
            "number": 10**17 + secrets.randbelow(9 * 10**17)}
        text = render(stand_ins)
        names = {str(value).encode(): name for name, value in stand_ins.items()}
        if all(text.count(mark) <= 1 for mark in names):
            break
    pieces: list[Piece] = []
    start = 0
    for found in re.finditer(b"|".join(re.escape(mark) for mark in names), text):
        pieces += [text[start:found.start()], names[found.group()]]
        start = found.end()
    pieces.append(text[start:])
    return tuple(piece for piece in pieces if piece != b"")
