"""The order history export formats: JSON pages, NDJSON and CSV, written as a stream.

Shared by the HTTP export and `order-service export`, so a billing system gets the same
bytes from either. Money is integer minor units, timestamps ISO 8601 in UTC.

An HTTP page ends in a way that only a whole page can: the JSON page is valid JSON only
once its closing `]` and `next_cursor` are written, and NDJSON and CSV pages end with a
trailer line written after their last order (`{"complete":true,"count":N}`, `#complete,N`).
A page cut short lacks it. A file of `order-service export` has no trailer: it is
renamed into place only once complete.
"""

from __future__ import annotations

import csv
import io
import json
import re
from collections.abc import Iterable, Iterator
from datetime import datetime
from typing import Any

from pydantic import TypeAdapter

from order_service.application.payment_instructions import instructions_of, instructions_record
from order_service.application.views import OrderView, RefundView
from order_service.domain.payment_instructions import BankTransferInstructions, TransferTerms
from order_service.domain.values import Address

FORMATS = ("json", "ndjson", "csv")
MEDIA_TYPES = {"json": "application/json", "ndjson": "application/x-ndjson",
               "csv": "text/csv; charset=utf-8"}

ADDRESS_FIELDS = ("name", "line1", "line2", "city", "region", "postal_code", "country")
CSV_COLUMNS = (
    "number", "id", "status", "currency",
    "placed_at", "paid_at", "shipped_at", "cancelled_at", "updated_at",
    "customer_name", "customer_email", "customer_phone",
    *(f"shipping_{field}" for field in ADDRESS_FIELDS),
    *(f"billing_{field}" for field in ADDRESS_FIELDS),
    "payment_method", "shipping_method", "shipping_method_name",
    "line_sku", "line_name", "line_quantity", "line_unit_price", "line_total",
    "subtotal", "shipping", "tax_rate", "tax", "total",
    "payment_reference", "tracking_number", "cancel_reason", "version",
    # Appended, so that columns read by position keep theirs. The reference a
    # bank-transfer customer was asked to quote, to match statement lines to orders
    # (empty otherwise); the money refunded on the order so far, and each refund as the
    # JSON array the JSON export shows as `refunds` (`[]` for none).
    "transfer_reference", "refunded", "refunds",
)
# The first cell of a CSV page's last line; no order row starts with "#" (its first
# cell is the order number).
CSV_TRAILER = b"#complete"
# A spreadsheet runs a cell that starts like this as a formula; buyers choose their
# own names, so text cells get a leading apostrophe (OWASP's CSV injection advice).
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")
# ...except a signed number or phone number ("+34 600 000 000"), which no spreadsheet
# can turn into a function call.
_PLAIN_NUMBER = re.compile(r"[+-][0-9 ().]*\Z")


def order_record(order: OrderView, transfer: TransferTerms) -> dict[str, Any]:
    """An order as the JSON the API shows (GET /v1/orders/{id})."""
    return {**order_fields(order),
            "payment_instructions": instructions_record(instructions_of(order, transfer))}


def order_fields(order: OrderView) -> dict[str, Any]:
    """Everything `order_record` shows but the payment instructions, which depend on the
    bank settings of the moment: the view's own fields but the key that placed it."""
    fields: dict[str, Any] = _SHOWN.dump_python(order, mode="json", exclude=_NOT_SHOWN)
    return fields


def order_fields_json(order: OrderView) -> bytes:
    """`order_fields` as compact JSON text: what the read model stores as the order's
    document (written by pydantic's serializer, a fifth of json.dumps' time)."""
    return _SHOWN.dump_json(order, exclude=_NOT_SHOWN)


# An order is shown as its view's fields, in their order, timestamps in ISO 8601 UTC
# ("Z"), but for the key that placed it, which only decides who may read it.
_SHOWN: TypeAdapter[OrderView] = TypeAdapter(OrderView)
_NOT_SHOWN: set[str] = {"placed_by"}
# The refunds cell of a CSV row: the same JSON text as `refunds` in the other formats.
_REFUNDS: TypeAdapter[tuple[RefundView, ...]] = TypeAdapter(tuple[RefundView, ...])


def in_chunks(pieces: Iterable[bytes], size: int) -> Iterator[bytes]:
    """The same bytes regrouped into chunks of about `size` bytes."""
    buffer: list[bytes] = []
    buffered = 0
    for piece in pieces:
        buffer.append(piece)
        buffered += len(piece)
        if buffered >= size:
            yield b"".join(buffer)
            buffer.clear()
            buffered = 0
    if buffer:
        yield b"".join(buffer)


def ndjson_page(documents: Iterable[bytes]) -> Iterator[bytes]:
    """One order per line, then the trailer line `{"complete":true,"count":N}`."""
    count = 0
    for document in documents:
        yield document + b"\n"
        count += 1
    yield b'{"complete":true,"count":%d}\n' % count


def json_page(documents: Iterable[bytes], next_cursor: str | None) -> Iterator[bytes]:
    """`{"items": [...], "next_cursor": ...}`, written one order at a time."""
    yield b'{"items":['
    for index, document in enumerate(documents):
        yield (b"," if index else b"") + document
    yield b'],"next_cursor":' + _json(next_cursor) + b"}"


def json_array(documents: Iterable[bytes]) -> Iterator[bytes]:
    """A JSON array of the orders, one per line."""
    yield b"["
    for index, document in enumerate(documents):
        yield (b",\n" if index else b"\n") + document
    yield b"\n]\n"


def csv_page(orders: Iterable[OrderView], transfer: TransferTerms) -> Iterator[bytes]:
    """`csv_rows`, then the trailer line `#complete,N` (N orders)."""
    count = 0

    def counted() -> Iterator[OrderView]:
        nonlocal count
        for order in orders:
            count += 1
            yield order

    yield from csv_rows(counted(), transfer)
    yield b"%s,%d\r\n" % (CSV_TRAILER, count)


def csv_rows(orders: Iterable[OrderView], transfer: TransferTerms) -> Iterator[bytes]:
    """A header, then one row per order line with the order's fields repeated."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\r\n")
    writer.writerow(CSV_COLUMNS)
    for order in orders:
        appended = _appended_cells(order, transfer)
        for line in order.lines:
            writer.writerow(_csv_row(order, appended, line.sku, line.name, line.quantity,
                                     line.unit_price, line.line_total))
        yield _drain(buffer)
    yield _drain(buffer)


def _appended_cells(order: OrderView, transfer: TransferTerms) -> list[object]:
    """The cells of the columns added after `version`: once per order, not per line."""
    instructions = instructions_of(order, transfer)
    reference = (instructions.reference
                 if isinstance(instructions, BankTransferInstructions) else None)
    return [reference, order.refunded, _REFUNDS.dump_json(order.refunds).decode()]


def _csv_row(order: OrderView, appended: list[object], *line: object) -> list[object]:
    record = [
        order.number, order.id, order.status.value, order.currency,
        _timestamp(order.placed_at), _timestamp(order.paid_at), _timestamp(order.shipped_at),
        _timestamp(order.cancelled_at), _timestamp(order.updated_at),
        order.customer.name, order.customer.email, order.customer.phone,
        *_address_cells(order.shipping_address), *_address_cells(order.billing_address),
        order.payment_method, order.shipping_method, order.shipping_method_name,
        *line,
        order.subtotal, order.shipping, order.tax_rate, order.tax, order.total,
        order.payment_reference, order.tracking_number, order.cancel_reason, order.version,
        *appended,
    ]
    return [_safe_cell(cell) for cell in record]


def _safe_cell(cell: object) -> object:
    if isinstance(cell, str) and cell.startswith(FORMULA_STARTS) and not _PLAIN_NUMBER.match(cell):
        return "'" + cell
    return "" if cell is None else cell


def _address_cells(address: Address) -> list[str | None]:
    return [getattr(address, field) for field in ADDRESS_FIELDS]


def _timestamp(moment: datetime | None) -> str | None:
    return None if moment is None else moment.isoformat().replace("+00:00", "Z")


def _json(value: object) -> bytes:
    return json.dumps(value, ensure_ascii=False, separators=(",", ":")).encode()


def _drain(buffer: io.StringIO) -> bytes:
    text = buffer.getvalue()
    buffer.seek(0)
    buffer.truncate()
    return text.encode()
