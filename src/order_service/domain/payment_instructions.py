"""What a customer needs to pay an order the shop is not paid for online: where to send a
bank transfer and which reference to give, or the amount to have ready on delivery.

Instructions are never stored. They are worked out whenever an order is read, from the
order and the shop's current bank details, so correcting the details corrects every
order still waiting for its transfer.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import ClassVar

from order_service.domain.values import ISO_3166_COUNTRIES

BANK_TRANSFER = "bank_transfer"
CASH_ON_DELIVERY = "cash_on_delivery"
# The methods whose customers need to be told something; any other is paid online.
METHODS_WITH_INSTRUCTIONS = (BANK_TRANSFER, CASH_ON_DELIVERY)
NUMBER_PLACEHOLDER = "{number}"
DEFAULT_REFERENCE = NUMBER_PLACEHOLDER

# Kosovo has IBANs and BICs but no ISO 3166 code of its own yet.
BANKING_COUNTRIES = ISO_3166_COUNTRIES | {"XK"}
_IBAN = re.compile(r"[A-Z]{2}[0-9]{2}[A-Z0-9]{11,30}")
_BIC = re.compile(r"[A-Z]{4}([A-Z]{2})[A-Z0-9]{2}([A-Z0-9]{3})?")
# The characters every SEPA bank carries in a transfer's remittance information; a
# reference with others may reach the shop's statement mangled or not at all.
_SEPA_TEXT = re.compile(r"[A-Za-z0-9/?:().,'+ -]*")
# SEPA carries 140 characters of remittance information; a receipt number has at most 19.
MAX_REFERENCE_TEMPLATE = 120


@dataclass(frozen=True, slots=True)
class BankAccount:
    """The shop's account that customers transfer money to."""

    account_holder: str
    iban: str
    bic: str | None = None
    bank_name: str | None = None


@dataclass(frozen=True, slots=True)
class TransferTerms:
    """How the shop is paid by transfer: its account (if configured) and the reference."""

    account: BankAccount | None = None
    reference_template: str = DEFAULT_REFERENCE

    def reference(self, number: int) -> str:
        """The reference the customer writes on the transfer for order `number`."""
        return self.reference_template.replace(NUMBER_PLACEHOLDER, str(number))


@dataclass(frozen=True, slots=True)
class BankTransferInstructions:
    """Pay `amount` into the shop's account, quoting `reference`; no account if unset."""

    account: BankAccount | None
    amount: int
    currency: str
    reference: str
    method: ClassVar[str] = BANK_TRANSFER


@dataclass(frozen=True, slots=True)
class CashOnDeliveryInstructions:
    """Have `amount` ready for the courier."""

    amount: int
    currency: str
    method: ClassVar[str] = CASH_ON_DELIVERY


PaymentInstructions = BankTransferInstructions | CashOnDeliveryInstructions


def payment_instructions(*, method: str, total: int, currency: str, number: int,
                         transfer: TransferTerms) -> PaymentInstructions | None:
    """What the customer of order `number` must do to pay it; None when paid online."""
    if method == BANK_TRANSFER:
        return BankTransferInstructions(account=transfer.account, amount=total,
                                        currency=currency, reference=transfer.reference(number))
    if method == CASH_ON_DELIVERY:
        return CashOnDeliveryInstructions(amount=total, currency=currency)
    # Card, PayPal and any other method are paid through a gateway: nothing to tell.
    return None


def iban_from_text(text: str) -> str:
    """An IBAN as typed (spaces, any case) in its electronic form, or ValueError."""
    iban = "".join(text.split()).upper()
    if not _IBAN.fullmatch(iban) or iban[:2] not in BANKING_COUNTRIES:
        raise ValueError(f"{text!r} is not an IBAN: one is a country code, two check digits "
                         "and up to 30 letters or digits, e.g. DE89 3704 0044 0532 0130 00")
    # ISO 13616: the country and check digits moved to the end, letters as 10..35.
    digits = "".join(str(int(character, 36)) for character in iban[4:] + iban[:4])
    if int(digits) % 97 != 1:
        raise ValueError(f"{text!r} is not a valid IBAN: its check digits {iban[2:4]} do not "
                         "match the rest (mod 97), so a character is mistyped")
    return iban


def bic_from_text(text: str) -> str:
    """A BIC (SWIFT code) as typed in upper case, or ValueError."""
    bic = text.strip().upper()
    match = _BIC.fullmatch(bic)
    if match is None or match.group(1) not in BANKING_COUNTRIES:
        raise ValueError(f"{text!r} is not a BIC: one is 8 or 11 letters or digits, a 4-letter "
                         "bank code, a country code, 2 for the place and 3 optional for the "
                         "branch, e.g. COBADEFFXXX")
    return bic


def reference_template_from_text(text: str) -> str:
    """A transfer reference template holding {number} once, or ValueError."""
    template = text.strip()
    if template.count(NUMBER_PLACEHOLDER) != 1:
        raise ValueError(f"{text!r} must hold {NUMBER_PLACEHOLDER} exactly once (the order "
                         "number, which tells the transfers apart), e.g. 'Order {number}'")
    if len(template) > MAX_REFERENCE_TEMPLATE:
        raise ValueError("a transfer reference holds 140 characters; keep the template to "
                         f"{MAX_REFERENCE_TEMPLATE}")
    if not _SEPA_TEXT.fullmatch(template.replace(NUMBER_PLACEHOLDER, "")):
        raise ValueError(f"{text!r} may hold only letters A-Z, digits, spaces and / - ? : ( ) "
                         ". , ' + besides {number}: banks drop or mangle other characters")
    return template
