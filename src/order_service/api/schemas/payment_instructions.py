"""`payment_instructions` of an order: what its customer must do to pay it."""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import BaseModel, Field, TypeAdapter

from order_service.application.payment_instructions import instructions_record
from order_service.domain.payment_instructions import PaymentInstructions

BANK_TRANSFER_EXAMPLE = {
    "method": "bank_transfer", "account_holder": "Zapatería Ana S.L.",
    "iban": "ES9121000418450200051332", "bic": "CAIXESBBXXX", "bank_name": "CaixaBank",
    "amount": 6637, "currency": "EUR", "reference": "Order 1042",
}
CASH_ON_DELIVERY_EXAMPLE = {"method": "cash_on_delivery", "amount": 6637, "currency": "EUR"}


class BankTransferInstructionsOut(BaseModel):
    """Pay `amount` into the shop's account, quoting `reference` so the shop can match the
    transfer to the order. While the shop has not set its bank details, `account_holder`,
    `iban`, `bic` and `bank_name` are null: show the amount and the reference, and say
    that the account details will follow. Worked out from the shop's current details
    each time the order is read, so a corrected IBAN shows on every pending order."""

    method: Literal["bank_transfer"]
    account_holder: str | None = Field(description="Name on the shop's account")
    iban: str | None = Field(description="Electronic form: capitals and digits, no spaces")
    bic: str | None = Field(description="BIC (SWIFT code); null if the shop gave none")
    bank_name: str | None = Field(description="The bank's name; null if the shop gave none")
    amount: int = Field(description="The order's total, in minor units of `currency`")
    currency: str
    reference: str = Field(description="What the customer writes as the transfer's reference")


class CashOnDeliveryInstructionsOut(BaseModel):
    """Have `amount` ready for the courier: what to collect on delivery."""

    method: Literal["cash_on_delivery"]
    amount: int = Field(description="The order's total, in minor units of `currency`")
    currency: str


PaymentInstructionsOut = Annotated[
    BankTransferInstructionsOut | CashOnDeliveryInstructionsOut, Field(discriminator="method")]


_INSTRUCTIONS = TypeAdapter(PaymentInstructionsOut)


def instructions_out(instructions: PaymentInstructions | None
                     ) -> BankTransferInstructionsOut | CashOnDeliveryInstructionsOut | None:
    """Map the domain's payment instructions, by the record every other writer sends."""
    record = instructions_record(instructions)
    return None if record is None else _INSTRUCTIONS.validate_python(record)
