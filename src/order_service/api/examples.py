"""Named examples for the API manual (/docs, /redoc): what requests and answers look like.

Every operation shows an example of its request body and of its answers, errors
included; tests/e2e/test_api_manual.py checks that each is there and valid against
the schema it illustrates. The values tell one story: Ana orders sandals, pays, and
they ship. Problem bodies live in api/problem_examples.py.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from order_service.api.problems import PROBLEM_JSON
from order_service.api.schemas.orders import ADDRESS_EXAMPLE
from order_service.api.schemas.payment_instructions import (
    BANK_TRANSFER_EXAMPLE,
    CASH_ON_DELIVERY_EXAMPLE,
)
from order_service.api.schemas.reports import SALES_REPORT_EXAMPLE

ORDER_ID = "7d3f1e1a-2b9c-4c55-9a43-2f8c1d5e8a10"
PLACED_AT = "2026-11-26T09:38:42.118000Z"
PAID_AT = "2026-11-26T09:41:07.502000Z"
SHIPPED_AT = "2026-11-27T08:15:30.004000Z"


@dataclass(frozen=True, slots=True)
class Sample:
    """One named example of a body, with the one-line summary the manual shows for it."""

    name: str
    summary: str
    value: Any


# FastAPI drops every null from the OpenAPI document it generates, examples included, and
# an example without its null fields would break the schema it illustrates (they are
# required). Nulls travel as this marker instead; api/openapi.py turns them back.
NULL_MARKER = "\x00null"


def examples(*samples: Sample) -> dict[str, Any]:
    """OpenAPI Example Objects by name (also FastAPI's `openapi_examples=`)."""
    return {s.name: {"summary": s.summary, "value": _mark_nulls(s.value)} for s in samples}


def _mark_nulls(value: Any) -> Any:
    if value is None:
        return NULL_MARKER
    if isinstance(value, dict):
        return {key: _mark_nulls(item) for key, item in value.items()}
    if isinstance(value, list):
        return [_mark_nulls(item) for item in value]
    return value


def restore_nulls(value: Any) -> Any:
    """`value` (a generated OpenAPI document) with the examples' nulls back in place."""
    if value == NULL_MARKER:
        return None
    if isinstance(value, dict):
        return {key: restore_nulls(item) for key, item in value.items()}
    if isinstance(value, list):
        return [restore_nulls(item) for item in value]
    return value


def answer(description: str, *samples: Sample) -> dict[str, Any]:
    """A documented JSON answer, for a route's `responses=`."""
    return {"description": description,
            "content": {"application/json": {"examples": examples(*samples)}}}


def refusal(description: str, *samples: Sample) -> dict[str, Any]:
    """A documented problem+json answer, for a route's `responses=`."""
    return {"description": description, "content": {PROBLEM_JSON: {"examples": examples(*samples)}}}


# -- catalogue -------------------------------------------------------------------------

NEW_PRODUCT = Sample("sandals", "A product with its opening stock", {
    "sku": "SANDAL-42", "name": "Leather sandals, size 42", "price": 4990, "stock": 25})
NEW_PRODUCT_IN_CURRENCY = Sample("with-currency", "Naming the shop currency explicitly", {
    "sku": "BELT-90", "name": "Leather belt, 90 cm", "price": 2500, "stock": 0,
    "currency": "EUR"})
PRODUCT = {
    "sku": "SANDAL-42", "name": "Leather sandals, size 42", "price": 4990, "currency": "EUR",
    "available": 25, "in_stock": True, "retired": False, "added_at": "2026-11-20T10:00:00Z",
    "updated_at": "2026-11-20T10:00:00Z", "retired_at": None,
}
PRODUCT_ADDED = Sample("added", "The product as stored", PRODUCT)
RESTOCK = Sample("delivery", "Ten pairs arrived", {"quantity": 10})
PRODUCT_RESTOCKED = Sample("restocked", "Stock after the delivery", {
    **PRODUCT, "available": 35, "updated_at": "2026-11-25T16:20:00Z"})
SOLD_OUT = {**PRODUCT, "sku": "BELT-90", "name": "Leather belt, 90 cm", "price": 2500,
            "available": 0, "in_stock": False}
PRODUCT_FOUND = Sample("in-stock", "A product that can be bought", PRODUCT)
PRODUCT_CHANGE = Sample("rename-and-reprice", "A new name and price", {
    "name": "Leather sandals, size 42, tan", "price": 5490})
PRODUCT_REPRICE = Sample("reprice", "A new price only", {"price": 3990})
PRODUCT_CHANGED = Sample("changed", "Sold under the new name and price from now on", {
    **PRODUCT, "name": "Leather sandals, size 42, tan", "price": 5490,
    "updated_at": "2026-11-25T16:20:00Z"})
PRODUCT_RETIRED = Sample("retired", "No longer sold", {
    **PRODUCT, "in_stock": False, "retired": True, "updated_at": "2026-11-25T16:20:00Z",
    "retired_at": "2026-11-25T16:20:00Z"})
PRODUCT_SOLD_OUT = Sample("sold-out", "A product with no stock left", SOLD_OUT)
CATALOGUE = Sample("catalogue", "Two products, one sold out", [PRODUCT, SOLD_OUT])

STANDARD = {"code": "standard", "name": "Standard (3-5 days)", "price": 495}
NEW_SHIPPING_METHOD = Sample("standard", "A shipping method", STANDARD)
NEW_EXPRESS = Sample("express", "Another, with the currency named", {
    "code": "express", "name": "Express (next day)", "price": 1290, "currency": "EUR"})
SHIPPING_METHOD_ADDED = Sample("added", "The shipping method as stored",
                               {**STANDARD, "currency": "EUR"})
SHIPPING_METHOD_FOUND = Sample("express", "One shipping method", {
    "code": "express", "name": "Express (next day)", "price": 1290, "currency": "EUR"})
SHIPPING_METHODS = Sample("offered", "What the storefront can offer", [
    {**STANDARD, "currency": "EUR"},
    {"code": "express", "name": "Express (next day)", "price": 1290, "currency": "EUR"}])

# -- orders ----------------------------------------------------------------------------

CUSTOMER = {"name": "Ana García", "email": "ana@example.com", "phone": "+34 600 000 000"}
BILLING_ADDRESS = {**ADDRESS_EXAMPLE, "name": "Ana García (billing)", "line1": "Gran Vía 2",
                   "line2": None, "region": None, "postal_code": "28014"}
NEW_ORDER = Sample("one-line", "One pair of sandals, shipped standard", {
    "customer": CUSTOMER, "lines": [{"sku": "SANDAL-42", "quantity": 1}],
    "shipping_address": ADDRESS_EXAMPLE, "billing_address": ADDRESS_EXAMPLE,
    "payment_method": "card", "shipping_method": "standard",
})
NEW_ORDER_TWO_LINES = Sample("two-lines", "Two products, billed to another address", {
    "customer": {"name": "Ana García", "email": "ana@example.com"},
    "lines": [{"sku": "SANDAL-42", "quantity": 2}, {"sku": "BELT-90", "quantity": 1}],
    "shipping_address": ADDRESS_EXAMPLE, "billing_address": BILLING_ADDRESS,
    "payment_method": "bank_transfer", "shipping_method": "express", "currency": "EUR",
})
ORDER: dict[str, Any] = {
    "id": ORDER_ID, "number": 1042, "status": "pending_payment", "currency": "EUR",
    "customer": CUSTOMER,
    "lines": [{"sku": "SANDAL-42", "name": "Leather sandals, size 42", "quantity": 1,
               "unit_price": 4990, "line_total": 4990}],
    "subtotal": 4990, "shipping": 495, "tax_rate": "0.21", "tax": 1152, "total": 6637,
    "shipping_address": ADDRESS_EXAMPLE, "billing_address": ADDRESS_EXAMPLE,
    "payment_method": "card", "shipping_method": "standard",
    "shipping_method_name": "Standard (3-5 days)",
    "placed_at": PLACED_AT, "paid_at": None, "shipped_at": None, "cancelled_at": None,
    "updated_at": PLACED_AT, "payment_reference": None, "tracking_number": None,
    "cancel_reason": None, "version": 1, "payment_notifications": [],
    "refunded": 0, "refunds": [], "payment_instructions": None,
}
PAID = {**ORDER, "status": "paid", "paid_at": PAID_AT, "updated_at": PAID_AT,
        "payment_reference": "TR-88213", "version": 2}
SHIPPED = {**PAID, "status": "shipped", "shipped_at": SHIPPED_AT, "updated_at": SHIPPED_AT,
           "tracking_number": "1Z999AA1", "version": 3}
CANCELLED = {**ORDER, "status": "cancelled", "cancelled_at": PAID_AT, "updated_at": PAID_AT,
             "cancel_reason": "customer request", "version": 2}
PAID_BY_GATEWAY = {**PAID, "payment_reference": "pi_3QpX2a", "payment_notifications": [{
    "notification_id": "evt_1QpX2a", "succeeded": True, "amount": 6637, "currency": "EUR",
    "payment_reference": "pi_3QpX2a", "applied": True, "reason": None,
    "received_at": PAID_AT}]}

AWAITING_TRANSFER = {**ORDER, "payment_method": "bank_transfer",
                     "payment_instructions": BANK_TRANSFER_EXAMPLE}
AWAITING_TRANSFER_DETAILS = {**AWAITING_TRANSFER, "payment_instructions": {
    **BANK_TRANSFER_EXAMPLE, "account_holder": None, "iban": None, "bic": None,
    "bank_name": None}}
CASH_ON_DELIVERY = {**ORDER, "payment_method": "cash_on_delivery",
                    "payment_instructions": CASH_ON_DELIVERY_EXAMPLE}

REFUNDED_AT = "2026-11-24T16:20:00Z"
PARTLY_REFUNDED = {**SHIPPED, "updated_at": REFUNDED_AT, "version": 4, "refunded": 4990,
                   "refunds": [{"amount": 4990, "reason": "Sandals too small, sent back",
                                "lines": [{"sku": "SANDAL-42", "quantity": 1}],
                                "returned_stock": [{"sku": "SANDAL-42", "quantity": 1}],
                                "refunded_at": REFUNDED_AT}]}
CORRECTED = {**PAID, "version": 3, "updated_at": REFUNDED_AT, "shipping_address": {
    **ADDRESS_EXAMPLE, "line1": "Calle Mayor 10"}}

ORDER_PLACED = Sample("placed", "Placed: stock taken, awaiting payment", ORDER)
ORDER_PLACED_FOR_TRANSFER = Sample(
    "placed-for-transfer", "Placed to pay by bank transfer: what to tell the customer",
    AWAITING_TRANSFER)
ORDER_AWAITING_TRANSFER = Sample(
    "awaiting-transfer", "Awaiting a bank transfer: the shop's account and the reference",
    AWAITING_TRANSFER)
ORDER_AWAITING_TRANSFER_DETAILS = Sample(
    "awaiting-transfer-no-bank-details",
    "Awaiting a bank transfer while the shop has not set its bank details",
    AWAITING_TRANSFER_DETAILS)
ORDER_CASH_ON_DELIVERY = Sample(
    "cash-on-delivery", "Cash on delivery: the amount the courier collects", CASH_ON_DELIVERY)
ORDER_PENDING = Sample("pending", "Awaiting payment", ORDER)
ORDER_PAID_BY_GATEWAY = Sample("paid-by-gateway", "Paid through a gateway notification",
                               PAID_BY_GATEWAY)
ORDER_SHIPPED = Sample("shipped", "Shipped with a tracking number", SHIPPED)
ORDER_PAID = Sample("paid", "Paid by bank transfer", PAID)
ORDER_REFUNDED = Sample("refunded", "Shipped, then the sandals refunded and back in stock",
                        PARTLY_REFUNDED)
ORDER_CORRECTED = Sample("corrected", "Paid, its shipping address corrected",
                         CORRECTED)
CORRECTION = Sample("shipping-address", "A new shipping address", {
    "shipping_address": {**ADDRESS_EXAMPLE, "line1": "Calle Mayor 10"}})
CORRECTION_CONTACT = Sample("customer", "New contact details", {
    "customer": {"name": "Ana García López", "email": "ana.garcia@example.com",
                 "phone": "+34 600 000 001"}})
REFUND = Sample("restocked", "One pair back in stock, its price refunded", {
    "amount": 4990, "reason": "Sandals too small, sent back",
    "lines": [{"sku": "SANDAL-42", "quantity": 1}], "restock": True})
REFUND_GOODWILL = Sample("goodwill", "Part of the money, nothing returned", {
    "amount": 500, "reason": "Parcel arrived late"})
NOTE = Sample("note", "A note for colleagues", {
    "text": "Customer called: leave the parcel with the neighbour at 3º A"})
NOTE_ADDED = Sample("added", "The note as stored", {
    "order_id": ORDER_ID, "text": "Customer called: leave the parcel with the neighbour at 3º A",
    "added_at": REFUNDED_AT, "version": 3})
ORDER_CANCELLED = Sample("cancelled", "Cancelled, its stock back on the shelf", CANCELLED)
ORDER_PAGE = Sample("page", "The newest order, and the cursor to the next page", {
    "items": [SHIPPED], "next_cursor": "b3JkZXJzLWJlZm9yZToxMDQy.4sb4fE-eXZSjNGq2"})
LAST_PAGE = Sample("last-page", "The last page: no next cursor", {
    "items": [ORDER], "next_cursor": None})

PAY = Sample("bank-transfer", "A bank transfer's reference", {"payment_reference": "TR-88213"})
SHIP = Sample("tracked", "The carrier's tracking number", {"tracking_number": "1Z999AA1"})
CANCEL = Sample("asked", "Why it was cancelled", {"reason": "customer request"})
NO_DETAILS = Sample("no-details", "No details (the body may also be left out)", {})

HISTORY = Sample("history", "Placed, paid, shipped and refunded, and who did each", [
    {"position": 311, "version": 1, "type": "OrderPlaced", "recorded_at": PLACED_AT,
     "by": "storefront",
     "data": {"order_id": ORDER_ID, "number": 1042, "customer": CUSTOMER,
              "lines": ORDER["lines"], "shipping_address": ADDRESS_EXAMPLE,
              "billing_address": ADDRESS_EXAMPLE, "payment_method": "card",
              "shipping_method": "standard", "shipping_method_name": "Standard (3-5 days)",
              "currency": "EUR", "subtotal": 4990, "shipping": 495, "tax_rate": "0.21",
              "tax": 1152, "total": 6637, "placed_at": PLACED_AT}},
    {"position": 315, "version": 2, "type": "OrderPaid", "recorded_at": PAID_AT,
     "by": "payment gateway",
     "data": {"order_id": ORDER_ID, "payment_reference": "TR-88213", "paid_at": PAID_AT}},
    {"position": 402, "version": 3, "type": "OrderShipped", "recorded_at": SHIPPED_AT,
     "by": "back-office",
     "data": {"order_id": ORDER_ID, "tracking_number": "1Z999AA1",
              "shipped_at": SHIPPED_AT}},
    {"position": 517, "version": 4, "type": "OrderRefunded", "recorded_at": REFUNDED_AT,
     "by": "back-office",
     "data": {"order_id": ORDER_ID, "amount": 4990, "currency": "EUR",
              "reason": "Sandals too small, sent back",
              "lines": [{"sku": "SANDAL-42", "quantity": 1}],
              "returned_stock": [{"sku": "SANDAL-42", "quantity": 1}],
              "refunded_at": REFUNDED_AT}},
])

# -- export, events, reports, payments, health -----------------------------------------

EXPORT_PAGE = Sample("page", "One order, and the cursor to the next page", {
    "items": [SHIPPED], "next_cursor": "ZXhwb3J0LWFiYzoxMDQy.bOb0GdvANfQCUpYL"})
EVENT_PAGE = Sample("page", "Two events and where to go on from", {
    "items": [
        {"id": "0b6f2f4e-9c1d-5e8a-b3a7-4d2c9e1f7a60", "position": 315,
         "stream_id": f"order-{ORDER_ID}", "version": 2, "type": "OrderPaid",
         "schema_version": 1, "recorded_at": PAID_AT,
         "data": {"order_id": ORDER_ID, "payment_reference": "TR-88213", "paid_at": PAID_AT},
         "metadata": {"correlation_id": "5b0c7a52-8d5e-4b7e-9f13-2a1f1f0e6c11",
                      "caused_by": "api-key back-office: POST /v1/orders/{order_id}/pay"}},
        {"id": "9e3a1c7d-2b4f-5d6e-8a0b-1c2d3e4f5a6b", "position": 316,
         "stream_id": "product-BELT-90", "version": 4,
         "type": "ProductRestocked", "schema_version": 1, "recorded_at": PAID_AT,
         "data": {"sku": "BELT-90", "quantity": 10, "restocked_at": PAID_AT},
         "metadata": {"correlation_id": "0e9d7c1a-44a3-4f0e-8a55-9c7b3b1d2e80",
                      "caused_by": "api-key back-office: POST /v1/products/{sku}/restock"}},
    ],
    "next_after": 316})
UNKNOWN_EVENT = Sample("newer-type", "An event a newer version stored: skip it", {
    "items": [
        {"id": "3c6a0e2d-7b1f-5a94-8e2c-0d9f4b7a1c35", "position": 317,
         "stream_id": f"order-{ORDER_ID}", "version": 4, "type": "OrderGiftWrapped",
         "schema_version": 1, "recorded_at": SHIPPED_AT,
         "data": {"order_id": ORDER_ID, "message": "Happy birthday!"},
         "metadata": {"correlation_id": "8f1e2d3c-4b5a-4c6d-9e7f-0a1b2c3d4e5f",
                      "caused_by": "api-key back-office: POST /v1/orders/{order_id}/gift-wrap"}},
    ],
    "next_after": 317})
NO_NEW_EVENTS = Sample("caught-up", "Nothing new yet: poll again with the same `after`", {
    "items": [], "next_after": 316})
SALES_REPORT = Sample("november", "November's sales, one refund taken off collected",
                      SALES_REPORT_EXAMPLE)

NOTIFICATION = {"id": "evt_1QpX2a", "order_id": ORDER_ID, "status": "succeeded",
                "amount": 6637, "currency": "EUR", "payment_reference": "pi_3QpX2a"}
PAYMENT_SUCCEEDED = Sample("succeeded", "The customer paid the order's total", NOTIFICATION)
PAYMENT_FAILED = Sample("failed", "The card was declined", {
    **NOTIFICATION, "id": "evt_1QpX9z", "status": "failed", "payment_reference": None})
NOTIFICATION_APPLIED = Sample("applied", "It paid the order", {
    "notification_id": "evt_1QpX2a", "order_id": ORDER_ID, "applied": True, "reason": None})
NOTIFICATION_RECORDED = Sample("recorded", "Only recorded: the amount was not the total", {
    "notification_id": "evt_1QpX3b", "order_id": ORDER_ID, "applied": False,
    "reason": "amount_mismatch"})

HEALTHY = Sample("ok", "Up", {"status": "ok"})
