"""The back office's pure parts of changes after the sale: money typed in major units, the
timeline's words for corrections, refunds and notes (and who did each step), and what an
order offers to refund.

That the pages use them is tests/e2e/test_admin_after_sale.py's.
"""

from __future__ import annotations

from dataclasses import replace
from uuid import uuid4

import pytest

from order_service.api.admin.amounts import NotAnAmount, major_units, minor_units
from order_service.api.admin.corrections import DetailsForm
from order_service.api.admin.history import Entry, foreseen, timeline
from order_service.api.admin.refunds import RefundableLine, RefundOffer, offer
from order_service.api.errors import BadInput
from order_service.application.commands import CancelOrder, PayOrder, RefundOrder
from order_service.application.queries import get_order
from order_service.application.views import OrderEventView
from order_service.domain.events import (
    AddressCorrection,
    DomainEvent,
    OrderDetailsCorrected,
    OrderNoteAdded,
    OrderRefunded,
)
from order_service.domain.values import Address, StockQuantity
from order_service.eventstore.codec import encode
from tests.unit.examples import (
    ADDRESS,
    LATER,
    NEW_ADDRESS,
    line,
    one_of_each_event_type,
    order_placed,
)
from tests.unit.shop_given import CONTEXT, given
from tests.unit.test_admin_actions import POSTNL, SANDAL

# -- money as typed -------------------------------------------------------------------


@pytest.mark.parametrize(("typed", "currency", "minor"), [
    ("12.50", "EUR", 1250), ("12,5", "EUR", 1250), ("12", "EUR", 1200), ("0.05", "EUR", 5),
    (" €12.50 ", "EUR", 1250), ("12.50 EUR", "EUR", 1250), ("12.", "EUR", 1200),
    ("4990", "JPY", 4990), ("1.250", "BHD", 1250), ("CHF 3.20", "CHF", 320),
])
def test_an_amount_typed_in_major_units_is_read_as_exact_minor_units(
    typed: str, currency: str, minor: int,
) -> None:
    assert minor_units(typed, currency) == minor


@pytest.mark.parametrize(("typed", "currency"), [
    ("12.505", "EUR"), ("1,250.00", "EUR"), ("-5", "EUR"), ("", "EUR"), ("twelve", "EUR"),
    ("1e3", "EUR"), ("12.5", "JPY"), ("0.1", "JPY"), ("$12.50", "EUR"),
])
def test_text_that_is_no_amount_of_the_currency_is_refused(typed: str, currency: str) -> None:
    with pytest.raises(NotAnAmount, match="is not an amount of"):
        minor_units(typed, currency)


@pytest.mark.parametrize("currency", ["EUR", "JPY", "BHD"])
@pytest.mark.parametrize("amount", [0, 5, 1250, 123_456_789])
def test_an_amount_written_as_typed_reads_back_as_itself(amount: int, currency: str) -> None:
    assert minor_units(major_units(amount, currency), currency) == amount


def test_amounts_are_written_as_a_merchant_types_them() -> None:
    assert [major_units(1250, "EUR"), major_units(4990, "JPY"), major_units(5, "BHD")] == [
        "12.50", "4990", "0.005"]


# -- the timeline's words --------------------------------------------------------------


def _told(event: DomainEvent, by: str = "Front desk") -> Entry:
    return timeline([OrderEventView(1, 2, event.TYPE, LATER, encode(event), by)])[0]


def test_a_corrected_address_is_told_field_by_field() -> None:
    corrected = OrderDetailsCorrected(order_id=uuid4(), corrected_at=LATER,
                                      shipping_address=AddressCorrection(ADDRESS, NEW_ADDRESS))

    assert _told(corrected) == Entry(
        "Shipping address corrected",
        ("Keizersgracht 1 → Herengracht 502; 3rd floor → (none); 1015 CJ → 1017 CB; "
         "Noord-Holland → (none)",), LATER, "Front desk")


def test_a_correction_of_several_parts_names_each_part() -> None:
    moved = replace(ADDRESS, line1="Prinsengracht 263")
    corrected = OrderDetailsCorrected(
        order_id=uuid4(), corrected_at=LATER,
        shipping_address=AddressCorrection(ADDRESS, moved),
        billing_address=AddressCorrection(ADDRESS, replace(ADDRESS, country="BE")))

    told = _told(corrected)

    assert (told.title, told.details) == ("Details corrected", (
        "Shipping address: Keizersgracht 1 → Prinsengracht 263",
        "Billing address: NL → BE"))


def test_a_refund_is_told_with_its_money_reason_goods_and_stock() -> None:
    refunded = OrderRefunded(order_id=uuid4(), amount=2_500, currency="EUR", reason="Torn",
                             lines=(StockQuantity("SANDAL-42", 1),),
                             returned_stock=(StockQuantity("SANDAL-42", 1),), refunded_at=LATER)

    told = _told(refunded, by="payment gateway")

    assert (told.title, told.details, told.by) == ("Refunded 25.00 EUR", (
        "Reason: Torn", "For: SANDAL-42 × 1", "Stock back: SANDAL-42 × 1"),  # noqa: RUF001
        "payment gateway")


def test_a_note_is_told_as_written() -> None:
    noted = OrderNoteAdded(order_id=uuid4(), text="Gift:\nno prices", added_at=LATER)

    assert (_told(noted).title, _told(noted).details) == ("Note", ("Gift:\nno prices",))


def test_an_event_type_the_page_does_not_know_still_shows_by_name_and_by_whom() -> None:
    unknown = OrderEventView(1, 2, "OrderGiftWrapped", LATER, {"paper": "red"},
                             "payment hold expiry")

    assert timeline([unknown]) == [Entry("Order gift wrapped", (), LATER,
                                         "payment hold expiry")]


@pytest.mark.parametrize("event_type", [OrderDetailsCorrected, OrderRefunded, OrderNoteAdded])
def test_a_confirmation_page_foretells_what_the_timeline_will_say(
    event_type: type[DomainEvent],
) -> None:
    event = one_of_each_event_type()[event_type]

    assert foreseen(event, LATER, "Front desk") == _told(event)


# -- what an order offers to refund ----------------------------------------------------


def test_a_paid_order_offers_what_its_refunds_left() -> None:
    order_id = uuid4()
    shop, _ = given(SANDAL, POSTNL, order_placed(order_id, line("SANDAL-42", 3)))
    shop.pay_order(PayOrder(order_id), CONTEXT)
    refunded = shop.refund_order(RefundOrder(order_id, 1_000, "Torn",
                                             (StockQuantity("SANDAL-42", 2),)), CONTEXT)

    assert offer(refunded, LATER) == RefundOffer(refunded.total - 1_000, (
        RefundableLine("SANDAL-42", "Product SANDAL-42", 3, 1),))


@pytest.mark.parametrize("cancelled", [False, True], ids=["pending_payment", "cancelled"])
def test_an_unpaid_order_offers_no_refund(cancelled: bool) -> None:
    order_id = uuid4()
    shop, _ = given(SANDAL, POSTNL, order_placed(order_id))
    if cancelled:
        shop.cancel_order(CancelOrder(order_id), CONTEXT)

    assert offer(get_order(shop.storage, order_id), LATER) is None


# -- correction forms ------------------------------------------------------------------


def test_an_optional_field_left_empty_is_no_value() -> None:
    form = DetailsForm(part="shipping_address", name="Ana", line1="Calle Mayor 10",
                       line2=" ", region="", postal_code="28013", city="Madrid",
                       country="es")

    asked = form.to_command(uuid4(), 3)

    assert (asked.expected_version, asked.shipping_address) == (3, Address(
        name="Ana", line1="Calle Mayor 10", city="Madrid", postal_code="28013", country="ES"))


def test_a_form_for_a_part_the_page_never_offers_is_bad_input() -> None:
    with pytest.raises(BadInput, match="no part 'lines' to correct"):
        DetailsForm(part="lines").to_command(uuid4(), 1)
