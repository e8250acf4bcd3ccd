"""The order routes' bodies: what each refuses, and where it says the fault lies.

How a refusal reaches the client (a 422 problem+json whose `errors` point at the field and
whose detail names it) is tests/e2e/test_bad_input.py's; here, every rule of the bodies.
"""

from __future__ import annotations

from typing import Any

import pytest
from pydantic import BaseModel

from order_service.api.schemas.orders import CancelIn, PayIn, PlaceOrderIn, ShipIn
from order_service.domain.values import RequestedLine
from tests.unit.request_bodies import ADDRESS, MISSING, ORDER, Location, edited, refusals

QUANTITY: Location = ("lines", 0, "quantity")
SKU: Location = ("lines", 0, "sku")
EMAIL: Location = ("customer", "email")


@pytest.mark.parametrize("path", [
    ("customer",), ("lines",), ("shipping_address",), ("billing_address",),
    ("payment_method",), ("shipping_method",), ("customer", "name"), EMAIL,
    ("shipping_address", "country"), ("billing_address", "line1"), SKU, QUANTITY,
], ids=lambda path: "-".join(map(str, path)))
def test_an_order_missing_what_it_needs_is_refused_at_that_field(path: Location) -> None:
    assert refusals(PlaceOrderIn, edited(ORDER, path, MISSING)) == {path: "is required"}


def test_an_address_without_its_optional_lines_is_taken_with_them_empty() -> None:
    bare = {name: value for name, value in ADDRESS.items() if name not in ("line2", "region")}

    command = PlaceOrderIn.model_validate(
        {**ORDER, "shipping_address": bare, "billing_address": bare}).to_command()

    assert (command.shipping_address.line2, command.shipping_address.region) == (None, None)
    assert command.billing_address == command.shipping_address


@pytest.mark.parametrize("quantity", [0, -1, 10**30, 10**7, 1_000_001, "2", 2.5, 2.0, None,
                                      True])
def test_a_quantity_must_be_a_whole_number_from_1_to_a_million(quantity: Any) -> None:
    assert list(refusals(PlaceOrderIn, edited(ORDER, QUANTITY, quantity))) == [QUANTITY]


@pytest.mark.parametrize(("path", "value"), [
    (("customer",), "Ana García"),
    (("customer",), None),
    (("shipping_address",), "Calle Mayor 1, Madrid"),
    (("lines",), "SANDAL-42"),
    (("lines",), None),
    (("lines", 0), "SANDAL-42"),
    (("payment_method",), 7),
    ((), []),
    ((), "an order"),
], ids=["customer-string", "customer-null", "address-string", "lines-string", "lines-null",
        "line-string", "payment-method-number", "body-array", "body-string"])
def test_a_value_of_the_wrong_kind_is_refused_where_it_is(path: Location, value: Any) -> None:
    assert list(refusals(PlaceOrderIn, edited(ORDER, path, value))) == [path]


@pytest.mark.parametrize("count", [0, 101])
def test_an_order_has_1_to_100_lines(count: int) -> None:
    lines = [{"sku": "SANDAL-42", "quantity": 1}] * count

    (message,) = refusals(PlaceOrderIn, edited(ORDER, ("lines",), lines)).values()

    assert ("100" in message) == (count == 101)


def test_an_order_of_100_lines_each_of_the_largest_quantity_is_valid() -> None:
    lines = [{"sku": "SANDAL-42", "quantity": 1_000_000}] * 100

    order = PlaceOrderIn.model_validate(edited(ORDER, ("lines",), lines))

    assert order.to_command().lines == (RequestedLine("SANDAL-42", 1_000_000),) * 100


@pytest.mark.parametrize("sku", ["SANDAL 42!", "-SANDAL", "S" * 65, ""])
def test_a_sku_is_1_to_64_letters_digits_dots_underscores_or_dashes(sku: str) -> None:
    assert list(refusals(PlaceOrderIn, edited(ORDER, SKU, sku))) == [SKU]


@pytest.mark.parametrize(("path", "value"), [
    (("payment_method",), "Credit Card"),
    (("currency",), "EURO"),
    (("shipping_address", "country"), "XX"),
    (("billing_address", "country"), "ESP"),
    (("shipping_address", "country"), ""),
    (("customer", "phone"), "call me"),
    (("customer", "name"), "   "),
    (("customer", "name"), "Ana\x00"),
    (("shipping_address", "line1"), "Mayor\x001"),
    (("billing_address", "postal_code"), "1" * 21),
], ids=["payment-method-spaced", "currency-of-4-letters", "country-unknown",
        "country-alpha-3", "country-empty", "phone-in-words", "name-blank", "name-with-nul",
        "address-line-with-nul", "billing-postal-code-too-long"])
def test_a_code_or_text_that_breaks_its_rule_is_refused_where_it_is(
    path: Location, value: str
) -> None:
    assert list(refusals(PlaceOrderIn, edited(ORDER, path, value))) == [path]


@pytest.mark.parametrize("email", [
    "not-an-email", "ana@", "@example.com", "ana@@example.com", "ana garcia@example.com",
    "ana@example", "ana@-example.com", f"{'a' * 250}@example.com", "",
])
def test_an_email_that_is_no_address_is_refused(email: str) -> None:
    assert list(refusals(PlaceOrderIn, edited(ORDER, EMAIL, email))) == [EMAIL]


def test_a_plus_address_on_a_subdomain_is_a_valid_email_kept_as_given() -> None:
    email = "ana.garcia+shop@mail.example.co.uk"

    order = PlaceOrderIn.model_validate(edited(ORDER, EMAIL, email))

    assert order.to_command().customer.email == email


# (the field, its longest allowed text)
ORDER_TEXTS = [(("customer", "name"), 200), (("shipping_address", "line1"), 200),
               (("billing_address", "city"), 200), (("shipping_address", "postal_code"), 20)]


@pytest.mark.parametrize(("path", "longest"), ORDER_TEXTS,
                         ids=[".".join(map(str, path)) for path, _ in ORDER_TEXTS])
def test_order_text_one_character_over_its_limit_is_refused_naming_the_limit(
    path: Location, longest: int
) -> None:
    assert refusals(PlaceOrderIn, edited(ORDER, path, "x" * (longest + 1))) == {
        path: f"should have at most {longest} characters"}


@pytest.mark.parametrize(("path", "longest"), ORDER_TEXTS,
                         ids=[".".join(map(str, path)) for path, _ in ORDER_TEXTS])
def test_order_text_of_exactly_its_limit_is_kept_whole(path: Location, longest: int) -> None:
    order = PlaceOrderIn.model_validate(edited(ORDER, path, "x" * longest))

    section, name = path
    assert getattr(getattr(order, str(section)), str(name)) == "x" * longest


@pytest.mark.parametrize("path", [
    ("coupon",), ("customer", "age"), ("lines", 0, "discount"), ("shipping_address", "planet"),
    ("billing_address", "colour"),
], ids=lambda path: "-".join(map(str, path)))
def test_a_field_the_order_does_not_have_is_refused_where_it_was_sent(path: Location) -> None:
    assert refusals(PlaceOrderIn, edited(ORDER, path, "red")) == {
        path: "is not a field of this request"}


@pytest.mark.parametrize("unit_price", [1, "0.01", None, {"amount": 1, "currency": "EUR"}])
def test_a_line_may_echo_a_name_and_price_which_the_command_leaves_out(unit_price: Any) -> None:
    body = edited(ORDER, ("lines",), [{"sku": "SANDAL-42", "quantity": 2,
                                       "name": "Cheap sandals", "unit_price": unit_price}])

    command = PlaceOrderIn.model_validate(body).to_command()

    assert command.lines == (RequestedLine("SANDAL-42", 2),)


@pytest.mark.parametrize("currency", ["EUR", "eur"])
def test_a_currency_may_be_given_in_either_case_and_is_upper_cased(currency: str) -> None:
    command = PlaceOrderIn.model_validate({**ORDER, "currency": currency}).to_command()

    assert command.currency == "EUR"


# -- paying, shipping and cancelling ---------------------------------------------------

# (the body, its text field, that field's longest allowed text)
CHANGES: list[tuple[type[BaseModel], str, int]] = [
    (PayIn, "payment_reference", 200), (ShipIn, "tracking_number", 200), (CancelIn, "reason", 500)]
CHANGE_IDS = [schema.__name__ for schema, _, _ in CHANGES]


@pytest.mark.parametrize(("schema", "name", "longest"), CHANGES, ids=CHANGE_IDS)
def test_a_changes_text_one_character_over_its_limit_is_refused_naming_the_limit(
    schema: type[BaseModel], name: str, longest: int
) -> None:
    assert refusals(schema, {name: "x" * (longest + 1)}) == {
        (name,): f"should have at most {longest} characters"}


@pytest.mark.parametrize(("schema", "name", "longest"), CHANGES, ids=CHANGE_IDS)
def test_a_changes_text_of_exactly_its_limit_is_kept_whole(
    schema: type[BaseModel], name: str, longest: int
) -> None:
    assert getattr(schema.model_validate({name: "x" * longest}), name) == "x" * longest


@pytest.mark.parametrize(("schema", "body", "where"), [
    (PayIn, {"payment_reference": "TR\x00"}, ("payment_reference",)),
    (CancelIn, {"reason": "why\x00"}, ("reason",)),
    (ShipIn, {"tracking_number": 12345}, ("tracking_number",)),
    (PayIn, {"amount": 6637}, ("amount",)),
    (PayIn, {"colour": "red"}, ("colour",)),
    (ShipIn, {"colour": "red"}, ("colour",)),
    (CancelIn, {"colour": "red"}, ("colour",)),
    (PayIn, [], ()),
], ids=["pay-reference-with-nul", "cancel-reason-with-nul", "ship-tracking-number-a-number",
        "pay-amount", "pay-unknown-field", "ship-unknown-field", "cancel-unknown-field",
        "pay-body-array"])
def test_a_changes_bad_detail_is_refused_where_it_is(
    schema: type[BaseModel], body: Any, where: Location
) -> None:
    assert list(refusals(schema, body)) == [where]
