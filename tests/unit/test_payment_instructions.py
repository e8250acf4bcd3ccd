"""Payment instructions: what a customer is told to pay an order, and how it is written."""

from __future__ import annotations

import json

import pytest

from order_service.application.payment_instructions import (
    instructions_json,
    instructions_pieces,
    instructions_record,
    with_payment_instructions,
)
from order_service.domain.payment_instructions import (
    BankAccount,
    BankTransferInstructions,
    CashOnDeliveryInstructions,
    PaymentInstructions,
    TransferTerms,
    bic_from_text,
    iban_from_text,
    payment_instructions,
    reference_template_from_text,
)

ACCOUNT = BankAccount(account_holder="Zapatería Ana S.L.", iban="ES9121000418450200051332",
                      bic="CAIXESBBXXX", bank_name="CaixaBank")
TERMS = TransferTerms(account=ACCOUNT, reference_template="Order {number}")
# What JSON must escape, digits that look like an order's values, and other scripts.
AWKWARD = TransferTerms(
    account=BankAccount(account_holder='Zoë "Zo" O\'Brien \\ 6637 東京', iban="NO9386011117947",
                        bic=None, bank_name="Bank 1042 \\u0000"),
    reference_template="1042/{number}/EUR")


def _instructions(method: str, terms: TransferTerms = TERMS, *, total: int = 6637,
                  number: int = 1042) -> PaymentInstructions | None:
    return payment_instructions(method=method, total=total, currency="EUR", number=number,
                                transfer=terms)


# -- what the customer is told ------------------------------------------------------------


def test_a_bank_transfer_is_told_the_shops_account_the_total_and_the_reference() -> None:
    assert _instructions("bank_transfer") == BankTransferInstructions(
        account=ACCOUNT, amount=6637, currency="EUR", reference="Order 1042")


def test_the_transfer_reference_is_the_order_number_unless_a_template_says_otherwise() -> None:
    plain = _instructions("bank_transfer", TransferTerms(account=ACCOUNT), number=7)

    assert isinstance(plain, BankTransferInstructions)
    assert plain.reference == "7"


def test_a_bank_transfer_without_bank_details_still_has_the_amount_and_the_reference() -> None:
    assert _instructions("bank_transfer", TransferTerms()) == BankTransferInstructions(
        account=None, amount=6637, currency="EUR", reference="1042")


def test_cash_on_delivery_is_told_the_amount_to_collect() -> None:
    assert _instructions("cash_on_delivery") == CashOnDeliveryInstructions(6637, "EUR")


@pytest.mark.parametrize("method", ["card", "paypal", "klarna", "BANK_TRANSFER"])
def test_methods_paid_online_need_no_instructions(method: str) -> None:
    assert _instructions(method) is None


# -- the settings they come from ----------------------------------------------------------


@pytest.mark.parametrize(("typed", "electronic"), [
    ("DE89 3704 0044 0532 0130 00", "DE89370400440532013000"),
    ("gb29 nwbk 6016 1331 9268 19", "GB29NWBK60161331926819"),
    ("FR14 2004 1010 0505 0001 3M02 606", "FR1420041010050500013M02606"),
    ("NO93 8601 1117 947", "NO9386011117947"),
    ("MT84 MALT 0110 0001 2345 MTLC AST0 01S", "MT84MALT011000012345MTLCAST001S"),
])
def test_an_iban_is_kept_in_its_electronic_form(typed: str, electronic: str) -> None:
    assert iban_from_text(typed) == electronic


@pytest.mark.parametrize("typo", ["DE89 3704 0044 0532 0130 01", "DE98 3704 0044 0532 0130 00",
                                  "DE89 3704 0044 0523 0130 00"])
def test_an_iban_with_a_mistyped_character_fails_its_mod_97_check(typo: str) -> None:
    with pytest.raises(ValueError, match=r"check digits \d\d do not match the rest"):
        iban_from_text(typo)


@pytest.mark.parametrize("text", ["", "DE89", "1234 5678 9012 3456", "QQ89 3704 0044 0532 0130 00",
                                  "DE89-3704-0044-0532-0130-00"])
def test_what_is_not_shaped_like_an_iban_is_refused(text: str) -> None:
    with pytest.raises(ValueError, match="is not an IBAN"):
        iban_from_text(text)


@pytest.mark.parametrize(("typed", "bic"), [
    ("COBADEFFXXX", "COBADEFFXXX"), ("caixesbb", "CAIXESBB"), ("DEUTDEDB101", "DEUTDEDB101")])
def test_a_bic_of_8_or_11_characters_is_accepted(typed: str, bic: str) -> None:
    assert bic_from_text(typed) == bic


@pytest.mark.parametrize("text", [
    "COBADEF", "COBADEFFXX", "C0BADEFFXXX", "COBAQQFFXXX", "COBA DE FF"])
def test_a_malformed_bic_is_refused(text: str) -> None:
    with pytest.raises(ValueError, match="is not a BIC"):
        bic_from_text(text)


@pytest.mark.parametrize("template", ["Order {number}", "{number}", "Bestellung {number}/2026"])
def test_a_reference_template_holds_the_order_number_once(template: str) -> None:
    assert reference_template_from_text(template) == template


@pytest.mark.parametrize(("template", "problem"), [
    ("Order", "exactly once"), ("{number}-{number}", "exactly once"),
    ("Pedido nº {number}", "banks drop or mangle"), ("Order #{number}", "banks drop or mangle"),
    ("x" * 120 + "{number}", "140 characters"),
])
def test_a_reference_template_a_bank_could_not_carry_is_refused(template: str, problem: str
                                                                ) -> None:
    with pytest.raises(ValueError, match=problem):
        reference_template_from_text(template)


# -- as JSON --------------------------------------------------------------------------------


def test_the_json_of_a_bank_transfer_names_every_field_in_order() -> None:
    document = json.loads(instructions_json(payment_instructions(
        method="bank_transfer", total=6637, currency="EUR", number=1042, transfer=TERMS)))

    assert list(document.items()) == [
        ("method", "bank_transfer"), ("account_holder", "Zapatería Ana S.L."),
        ("iban", "ES9121000418450200051332"), ("bic", "CAIXESBBXXX"),
        ("bank_name", "CaixaBank"), ("amount", 6637), ("currency", "EUR"),
        ("reference", "Order 1042")]


def test_unset_bank_details_are_written_as_nulls() -> None:
    record = instructions_record(payment_instructions(
        method="bank_transfer", total=10, currency="EUR", number=3, transfer=TransferTerms()))

    assert record == {"method": "bank_transfer", "account_holder": None, "iban": None,
                      "bic": None, "bank_name": None, "amount": 10, "currency": "EUR",
                      "reference": "3"}


def test_no_instructions_are_written_as_null() -> None:
    assert instructions_json(None) == b"null"


def test_the_splice_adds_the_instructions_as_the_documents_last_member() -> None:
    document = json.dumps({"id": "x", "number": 1042, "total": 6637}).encode()

    spliced = with_payment_instructions(document, instructions_json(
        _instructions("cash_on_delivery")))

    assert list(json.loads(spliced).items()) == [
        ("id", "x"), ("number", 1042), ("total", 6637),
        ("payment_instructions", {"method": "cash_on_delivery", "amount": 6637,
                                  "currency": "EUR"})]


@pytest.mark.parametrize("terms", [TERMS, AWKWARD, TransferTerms()])
@pytest.mark.parametrize("method", ["bank_transfer", "cash_on_delivery"])
def test_the_pieces_the_database_joins_write_the_same_bytes(terms: TransferTerms, method: str
                                                            ) -> None:
    pieces = dict(instructions_pieces(terms))[method]
    values = {"total": "6637", "currency": "EUR", "number": "1042"}

    written = b"".join(piece if isinstance(piece, bytes) else values[piece].encode()
                       for piece in pieces)

    assert written == instructions_json(_instructions(method, terms))


def test_the_pieces_cover_exactly_the_methods_that_have_instructions() -> None:
    assert [method for method, _ in instructions_pieces(TERMS)] == [
        "bank_transfer", "cash_on_delivery"]
