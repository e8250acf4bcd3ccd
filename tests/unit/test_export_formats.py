"""The export's page formats, written from orders as the storage reads them: no I/O.

Which orders a page holds is the contract suite's (tests/contract/test_order_filters.py);
that the HTTP export sends these bytes with their media type is tests/e2e/test_export.py's.
"""

from __future__ import annotations

import csv
import io
import json
from dataclasses import replace
from uuid import uuid4

import pytest

from order_service.application.export import (
    CSV_COLUMNS,
    csv_page,
    json_page,
    ndjson_page,
    order_fields,
    order_fields_json,
    order_record,
)
from order_service.application.payment_instructions import (
    instructions_json,
    instructions_of,
    with_payment_instructions,
)
from order_service.application.views import OrderView, PaymentNotificationView, RefundView
from order_service.domain.payment_instructions import BankAccount, TransferTerms
from order_service.domain.values import OrderLine, OrderStatus, StockQuantity
from tests.unit.examples import ADDRESS, CUSTOMER, LATER, PLACED_AT, line

TRANSFER = TransferTerms()


def an_order(number: int = 1, *lines: OrderLine, **changes: object) -> OrderView:
    """A pending order of `lines` (one line of two SANDAL-42 if none given)."""
    sold = lines or (line("SANDAL-42", 2),)
    subtotal = sum(sold_line.line_total for sold_line in sold)
    order = OrderView(
        id=uuid4(), number=number, status=OrderStatus.PENDING_PAYMENT, currency="EUR",
        customer=CUSTOMER, lines=tuple(sold), subtotal=subtotal, shipping=495,
        tax_rate="0.21", tax=0, total=subtotal + 495, shipping_address=ADDRESS,
        billing_address=ADDRESS, payment_method="card", shipping_method="postnl",
        shipping_method_name="PostNL", placed_at=PLACED_AT, paid_at=None, shipped_at=None,
        cancelled_at=None, updated_at=PLACED_AT, payment_reference=None,
        tracking_number=None, cancel_reason=None, version=1)
    return replace(order, **changes)  # type: ignore[arg-type]


def csv_text(*orders: OrderView) -> str:
    """A whole CSV page of `orders`, as text."""
    return b"".join(csv_page(orders, TRANSFER)).decode()


def csv_records(text: str) -> list[dict[str, str]]:
    """The rows of a CSV page between its header and its trailer, by column name."""
    header, *rows, _trailer = csv.reader(io.StringIO(text, newline=""))
    return [dict(zip(header, row, strict=True)) for row in rows]


def documents(*orders: OrderView) -> list[bytes]:
    """Each order's JSON document, as the storage hands them to a page."""
    return [json.dumps(order_record(order, TRANSFER)).encode() for order in orders]


# -- CSV ----------------------------------------------------------------------------------


def test_a_csv_page_has_the_documented_header_one_row_per_line_and_a_trailer_of_orders(
) -> None:
    one_line = an_order(1)
    three_lines = an_order(2, line("A-1", 1), line("B-2", 2), line("C-3", 3))

    text = csv_text(one_line, three_lines)

    rows = list(csv.reader(io.StringIO(text, newline="")))
    assert rows[0] == list(CSV_COLUMNS)
    assert [(row[1], row[CSV_COLUMNS.index("line_sku")]) for row in rows[1:-1]] == [
        (str(one_line.id), "SANDAL-42"),
        (str(three_lines.id), "A-1"), (str(three_lines.id), "B-2"), (str(three_lines.id), "C-3")]
    assert rows[-1] == ["#complete", "2"]
    assert text.endswith("\r\n#complete,2\r\n")


def test_csv_cells_repeat_the_order_on_each_line_with_its_status_times_and_reason() -> None:
    cancelled = an_order(
        7, line("A-1", 2, 1_250), line("B-2", 5, 99), status=OrderStatus.CANCELLED,
        paid_at=LATER, cancelled_at=LATER, updated_at=LATER, payment_reference="TR-1",
        cancel_reason="customer changed their mind", version=3)

    first, second = csv_records(csv_text(cancelled))

    assert first == {
        "number": "7", "id": str(cancelled.id), "status": "cancelled", "currency": "EUR",
        "placed_at": "2026-03-14T09:26:53Z", "paid_at": "2026-03-14T10:26:53Z",
        "shipped_at": "", "cancelled_at": "2026-03-14T10:26:53Z",
        "updated_at": "2026-03-14T10:26:53Z",
        "customer_name": "Ada Lovelace", "customer_email": "ada@example.org",
        "customer_phone": "+31 20 123 4567",
        **{f"{kind}_{field}": value for kind in ("shipping", "billing") for field, value in (
            ("name", "Ada Lovelace"), ("line1", "Keizersgracht 1"), ("line2", "3rd floor"),
            ("city", "Amsterdam"), ("region", "Noord-Holland"), ("postal_code", "1015 CJ"),
            ("country", "NL"))},
        "payment_method": "card", "shipping_method": "postnl",
        "shipping_method_name": "PostNL",
        "line_sku": "A-1", "line_name": "Product A-1", "line_quantity": "2",
        "line_unit_price": "1250", "line_total": "2500",
        "subtotal": "2995", "shipping": "495", "tax_rate": "0.21", "tax": "0",
        "total": "3490", "payment_reference": "TR-1", "tracking_number": "",
        "cancel_reason": "customer changed their mind", "version": "3",
        "transfer_reference": "", "refunded": "0", "refunds": "[]",
    }
    assert second == {**first, "line_sku": "B-2", "line_name": "Product B-2",
                      "line_quantity": "5", "line_unit_price": "99", "line_total": "495"}


def test_the_columns_added_since_come_last_so_columns_read_by_position_keep_theirs() -> None:
    assert (CSV_COLUMNS.index("line_sku"), CSV_COLUMNS.index("version")) == (29, 42)
    assert CSV_COLUMNS[43:] == ("transfer_reference", "refunded", "refunds")


def test_a_refunded_orders_rows_carry_its_refunded_sum_and_each_refund_as_the_json_shows_it(
) -> None:
    late = RefundView(amount=300, reason="parcel arrived late", lines=(), returned_stock=(),
                      refunded_at=LATER)
    torn = RefundView(amount=1_250, reason='one was torn, "badly"',
                      lines=(StockQuantity("A-1", 1),),
                      returned_stock=(StockQuantity("A-1", 1),),
                      refunded_at=LATER.replace(microsecond=5))
    order = an_order(3, line("A-1", 2, 1_250), line("B-2", 1), status=OrderStatus.SHIPPED,
                     refunded=1_550, refunds=(late, torn))

    rows = csv_records(csv_text(order))

    assert [row["refunded"] for row in rows] == ["1550", "1550"]
    assert [json.loads(row["refunds"]) for row in rows] == [order_fields(order)["refunds"]] * 2
    assert json.loads(rows[0]["refunds"]) == [
        {"amount": 300, "reason": "parcel arrived late", "lines": [], "returned_stock": [],
         "refunded_at": "2026-03-14T10:26:53Z"},
        {"amount": 1_250, "reason": 'one was torn, "badly"',
         "lines": [{"sku": "A-1", "quantity": 1}],
         "returned_stock": [{"sku": "A-1", "quantity": 1}],
         "refunded_at": "2026-03-14T10:26:53.000005Z"}]


def test_a_refund_reason_a_spreadsheet_would_run_stays_inside_its_json_text() -> None:
    order = an_order(1, status=OrderStatus.PAID, refunded=1, refunds=(RefundView(
        amount=1, reason="=1+1", lines=(), returned_stock=(), refunded_at=LATER),))

    (row,) = csv_records(csv_text(order))

    assert row["refunds"].startswith("[")
    assert json.loads(row["refunds"])[0]["reason"] == "=1+1"


def test_a_bank_transfer_orders_rows_carry_the_reference_the_customer_quotes() -> None:
    order = an_order(42, payment_method="bank_transfer")

    (row,) = csv_records(b"".join(csv_page([order], TransferTerms(
        reference_template="Order {number}"))).decode())

    assert row["transfer_reference"] == "Order 42"


@pytest.mark.parametrize("formula", ['=HYPERLINK("http://evil.example","x")', "+1+1", "-2+3",
                                     "@SUM(A1:A9)", "\tTAB", "\rCR"])
def test_csv_text_a_spreadsheet_would_run_as_a_formula_gets_a_leading_apostrophe(
    formula: str,
) -> None:
    # Every free-text cell a buyer or the merchant writes.
    order = an_order(
        1, replace(line("SANDAL-42", 1), name=formula),
        customer=replace(CUSTOMER, name=formula), shipping_method_name=formula,
        shipping_address=replace(ADDRESS, line1=formula),
        billing_address=replace(ADDRESS, city=formula),
        payment_reference=formula, cancel_reason=formula)

    (row,) = csv_records(csv_text(order))

    assert [row[column] for column in (
        "customer_name", "line_name", "shipping_method_name", "cancel_reason",
        "shipping_line1", "billing_city", "payment_reference")] == ["'" + formula] * 7


@pytest.mark.parametrize("number", ["+34 600 000 000", "-12", "+(31) 20.123"])
def test_a_signed_number_in_a_csv_cell_is_left_alone(number: str) -> None:
    order = an_order(1, customer=replace(CUSTOMER, phone=number, name=number))

    (row,) = csv_records(csv_text(order))

    assert (row["customer_phone"], row["customer_name"]) == (number, number)


# -- JSON and NDJSON ----------------------------------------------------------------------


def test_a_json_page_lists_the_documents_in_order_then_the_next_cursor() -> None:
    orders = [an_order(1), an_order(2)]

    page = json.loads(b"".join(json_page(documents(*orders), "c-2")))

    assert page == {"items": [order_record(order, TRANSFER) for order in orders],
                    "next_cursor": "c-2"}


def test_an_ndjson_page_has_one_order_a_line_then_a_trailer_counting_them() -> None:
    orders = [an_order(1), an_order(2), an_order(3)]

    lines = b"".join(ndjson_page(documents(*orders))).decode().splitlines()

    assert [json.loads(text) for text in lines[:-1]] == [
        order_record(order, TRANSFER) for order in orders]
    assert lines[-1] == '{"complete":true,"count":3}'


def test_an_empty_page_is_empty_in_every_format_with_its_trailer() -> None:
    assert b"".join(json_page([], None)) == b'{"items":[],"next_cursor":null}'
    assert b"".join(ndjson_page([])) == b'{"complete":true,"count":0}\n'
    assert csv_text() == ",".join(CSV_COLUMNS) + "\r\n#complete,0\r\n"


def test_an_exported_record_carries_each_status_change_time_and_the_cancel_reason() -> None:
    order = an_order(5, status=OrderStatus.CANCELLED, paid_at=PLACED_AT, cancelled_at=LATER,
                     updated_at=LATER, cancel_reason="fraud suspected", version=3)

    record = order_record(order, TRANSFER)

    assert {key: record[key] for key in (
        "status", "placed_at", "paid_at", "shipped_at", "cancelled_at", "updated_at",
        "cancel_reason", "version")} == {
        "status": "cancelled", "placed_at": "2026-03-14T09:26:53Z",
        "paid_at": "2026-03-14T09:26:53Z", "shipped_at": None,
        "cancelled_at": "2026-03-14T10:26:53Z", "updated_at": "2026-03-14T10:26:53Z",
        "cancel_reason": "fraud suspected", "version": 3}


# What JSON must escape, and another script, in the shop's bank details.
BANK = TransferTerms(account=BankAccount(account_holder='Zapatería "Ana" \\ 1042 S.L.',
                                         iban="ES9121000418450200051332", bic="CAIXESBBXXX",
                                         bank_name="CaixaBank 東京"),
                     reference_template="Order {number}/EUR")


@pytest.mark.parametrize("method", ["bank_transfer", "card", "paypal", "cash_on_delivery"])
def test_a_document_stored_without_instructions_spliced_with_them_is_the_orders_record(
    method: str,
) -> None:
    # The path of an order document stored without them: instructions are added on read.
    order = an_order(42, payment_method=method)
    record = order_record(order, BANK)
    stored = {name: value for name, value in record.items() if name != "payment_instructions"}

    spliced = with_payment_instructions(json.dumps(stored).encode(),
                                        instructions_json(instructions_of(order, BANK)))

    assert list(json.loads(spliced).items()) == list(record.items())


def test_an_order_shows_every_field_of_its_view_but_the_key_that_placed_it() -> None:
    notified = PaymentNotificationView(
        notification_id="ntf-1", succeeded=True, amount=2_995, currency="EUR",
        payment_reference="psp-1", applied=True, reason=None,
        received_at=LATER.replace(microsecond=120))
    refund = RefundView(amount=1_250, reason="one was torn",
                        lines=(StockQuantity("SANDAL-42", 1),),
                        returned_stock=(StockQuantity("SANDAL-42", 1),), refunded_at=LATER)
    order = an_order(7, status=OrderStatus.PAID, paid_at=LATER, updated_at=LATER,
                     payment_reference="psp-1", version=4, placed_by="key-1",
                     payment_notifications=(notified,), refunded=1_250, refunds=(refund,))

    shown = order_fields(order)

    assert shown == {
        "id": str(order.id), "number": 7, "status": "paid", "currency": "EUR",
        "customer": {"name": "Ada Lovelace", "email": "ada@example.org",
                     "phone": "+31 20 123 4567"},
        "lines": [{"sku": "SANDAL-42", "name": "Product SANDAL-42", "quantity": 2,
                   "unit_price": 1_250, "line_total": 2_500}],
        "subtotal": 2_500, "shipping": 495, "tax_rate": "0.21", "tax": 0, "total": 2_995,
        "shipping_address": ADDRESS_SHOWN, "billing_address": ADDRESS_SHOWN,
        "payment_method": "card", "shipping_method": "postnl",
        "shipping_method_name": "PostNL", "placed_at": "2026-03-14T09:26:53Z",
        "paid_at": "2026-03-14T10:26:53Z", "shipped_at": None, "cancelled_at": None,
        "updated_at": "2026-03-14T10:26:53Z", "payment_reference": "psp-1",
        "tracking_number": None, "cancel_reason": None, "version": 4,
        "payment_notifications": [{
            "notification_id": "ntf-1", "succeeded": True, "amount": 2_995,
            "currency": "EUR", "payment_reference": "psp-1", "applied": True,
            "reason": None, "received_at": "2026-03-14T10:26:53.000120Z"}],
        "refunded": 1_250,
        "refunds": [{"amount": 1_250, "reason": "one was torn",
                     "lines": [{"sku": "SANDAL-42", "quantity": 1}],
                     "returned_stock": [{"sku": "SANDAL-42", "quantity": 1}],
                     "refunded_at": "2026-03-14T10:26:53Z"}],
    }
    assert json.loads(order_fields_json(order)) == shown
    assert order_record(order, TRANSFER) == {**shown, "payment_instructions": None}


ADDRESS_SHOWN = {"name": "Ada Lovelace", "line1": "Keizersgracht 1", "line2": "3rd floor",
                 "city": "Amsterdam", "region": "Noord-Holland", "postal_code": "1015 CJ",
                 "country": "NL"}
