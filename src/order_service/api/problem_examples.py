"""Named examples of the problems (RFC 9457) the API answers, as the manual shows them.

The wording is the service's own (see api/problems.py); the ids are those of
api/examples.py's story.
"""

from __future__ import annotations

from typing import Any

from order_service.api.examples import ORDER_ID, Sample
from order_service.api.problems import ProblemKind, problem_type


def problem(name: str, summary: str, kind: ProblemKind, detail: str, **extensions: Any
            ) -> Sample:
    """A named example of a problem+json body of `kind`."""
    body = {"type": problem_type(kind.slug), "title": kind.title, "status": kind.status,
            "detail": detail}
    return Sample(name, summary, {**body, **extensions})


INVALID = ProblemKind(422, "validation", "Invalid request")
UNAUTHENTICATED = ProblemKind(401, "unauthenticated", "Unauthorized")


# -- what any operation may answer (declared for every operation by api/openapi.py) ----

UNKNOWN_PARAMETER = problem(
    "unknown-parameter", "A query parameter the operation does not take", INVALID,
    "query parameter dry_run is not a parameter of this operation (it takes: limit).",
    errors=[{"parameter": "dry_run", "in": "query",
             "detail": "is not a parameter of this operation (it takes: limit)"}])
UNAVAILABLE = problem(
    "unavailable", "The database is down or overloaded",
    ProblemKind(503, "unavailable", "Service Unavailable"),
    "The database is unavailable (no database connection became free in time); retry in a "
    "few seconds.")
NO_KEY = problem(
    "no-key", "No Authorization header", UNAUTHENTICATED,
    "This route needs an API key: send Authorization: Bearer <key>.")
UNKNOWN_KEY = problem(
    "unknown-key", "A revoked or mistyped key", UNAUTHENTICATED,
    "The API key is unknown or revoked.")
FORBIDDEN = problem(
    "forbidden", "A storefront key on a merchant's operation",
    ProblemKind(403, "forbidden", "Forbidden"),
    "The storefront key 'checkout' may not read every order; that needs a key with the role "
    "merchant.", roles_needed=["merchant"])
RATE_LIMITED = problem(
    "rate-limited", "Too many requests with one key",
    ProblemKind(429, "rate-limited", "Too Many Requests"),
    "Too many requests with this API key; retry in 2 s.")
MALFORMED_JSON = problem(
    "malformed-json", "The body is not JSON",
    ProblemKind(400, "malformed-json", "Malformed JSON"),
    "The request body is not valid JSON.")
BODY_TOO_LARGE = problem(
    "body-too-large", "A body over the limit",
    ProblemKind(413, "body-too-large", "Content Too Large"),
    "The request body is larger than the limit of 1048576 bytes.")
NOT_JSON = problem(
    "unsupported-media-type", "A form post instead of JSON",
    ProblemKind(415, "unsupported-media-type", "Unsupported Media Type"),
    "The body must be JSON sent with Content-Type: application/json, not "
    "application/x-www-form-urlencoded.")
BAD_IDEMPOTENCY_KEY = problem(
    "bad-idempotency-key", "An Idempotency-Key with spaces around it",
    ProblemKind(400, "bad-idempotency-key", "Bad Idempotency-Key"),
    "the Idempotency-Key header must be 1 to 255 visible ASCII characters, e.g. a UUID",
    errors=[{"parameter": "Idempotency-Key", "in": "header",
             "detail": "must be 1 to 255 visible ASCII characters"}])
KEY_IN_FLIGHT = problem(
    "idempotency-key-in-flight", "The same Idempotency-Key sent twice at once",
    ProblemKind(409, "concurrent-change", "Changed concurrently; try again"),
    "Stream idempotency-key 3f9a0c1d is no longer at version 0; it changed meanwhile.")
KEY_REUSED = problem(
    "idempotency-key-reused", "The same Idempotency-Key with another body",
    ProblemKind(422, "idempotency-key-reused", "Idempotency-Key already used"),
    "The Idempotency-Key '9b2f6c1e-3f0a-4c1e-8d7a-5e4b3c2a1f00' was already used for a "
    "different request; use a new key for a new request.",
    idempotency_key="9b2f6c1e-3f0a-4c1e-8d7a-5e4b3c2a1f00")
BAD_CURSOR = problem(
    "bad-cursor", "A cursor that was edited or belongs to another filter",
    ProblemKind(400, "bad-cursor", "Bad cursor"),
    "The cursor is not one this service handed out; start from the first page.",
    errors=[{"parameter": "cursor", "in": "query",
             "detail": "is not a cursor this service handed out"}])

# -- catalogue -------------------------------------------------------------------------

PRODUCT_EXISTS = problem(
    "product-exists", "The SKU is taken",
    ProblemKind(409, "product-exists", "Product already exists"),
    "The catalogue already has a product with SKU 'SANDAL-42'.")
INVALID_PRODUCT = problem(
    "invalid-product", "Fields that break the rules", INVALID,
    "sku must be 1 to 64 letters, digits, '.', '_' or '-', starting with a letter or digit; "
    "price must be a whole number.",
    errors=[{"pointer": "#/sku", "detail": "must be 1 to 64 letters, digits, '.', '_' or '-', "
             "starting with a letter or digit"},
            {"pointer": "#/price", "detail": "must be a whole number"}])
WRONG_CURRENCY = problem(
    "currency-mismatch", "Another currency than the shop's",
    ProblemKind(422, "currency-mismatch", "Wrong currency"),
    "The shop sells in EUR, not USD.")
PRODUCT_NOT_FOUND = problem(
    "product-not-found", "No product has this SKU",
    ProblemKind(404, "product-not-found", "Product not found"),
    "No product has SKU 'SANDAL-43'.")
SHIPPING_METHOD_NOT_FOUND = problem(
    "shipping-method-not-found", "No shipping method has this code",
    ProblemKind(404, "shipping-method-not-found", "Shipping method not found"),
    "No shipping method has code 'overnight'.")
INVALID_QUANTITY = problem(
    "invalid-quantity", "Nothing to add", INVALID,
    "quantity should be greater than or equal to 1.",
    errors=[{"pointer": "#/quantity", "detail": "should be greater than or equal to 1"}])
SHIPPING_METHOD_EXISTS = problem(
    "shipping-method-exists", "The code is taken",
    ProblemKind(409, "shipping-method-exists", "Shipping method already exists"),
    "The shop already has a shipping method with code 'standard'.")
INVALID_SHIPPING_METHOD = problem(
    "invalid-shipping-method", "A code with capitals", INVALID,
    "code must be 1 to 64 lower-case letters, digits, '_' or '-'.",
    errors=[{"pointer": "#/code",
             "detail": "must be 1 to 64 lower-case letters, digits, '_' or '-'"}])

# -- orders ----------------------------------------------------------------------------

OUT_OF_STOCK = problem(
    "out-of-stock", "More than the shelf holds: nothing is taken",
    ProblemKind(409, "out-of-stock", "Out of stock"),
    "Not enough stock for SANDAL-42: requested 3, available 1.",
    out_of_stock=[{"sku": "SANDAL-42", "requested": 3, "available": 1}])
UNKNOWN_PRODUCT = problem(
    "unknown-product", "A SKU the catalogue does not have",
    ProblemKind(422, "unknown-product", "Unknown product"),
    "The catalogue has no product with SKU 'SANDAL-43'.",
    skus=["SANDAL-43"])
UNKNOWN_PAYMENT_METHOD = problem(
    "unknown-payment-method", "A payment method the shop does not accept",
    ProblemKind(422, "unknown-payment-method", "Unknown payment method"),
    "The shop does not accept payment method 'bitcoin' ('bank_transfer', 'card', 'paypal', "
    "'cash_on_delivery').")
UNKNOWN_SHIPPING_METHOD = problem(
    "unknown-shipping-method", "A shipping method the shop does not offer",
    ProblemKind(422, "unknown-shipping-method", "Unknown shipping method"),
    "The shop has no shipping method 'drone' (offered: 'express', 'standard').")
INVALID_ORDER = problem(
    "invalid-order", "A customer without an email address",
    INVALID, "customer.email is required.",
    errors=[{"pointer": "#/customer/email", "detail": "is required"}])
ORDER_NOT_FOUND = problem(
    "order-not-found", "No order has this id",
    ProblemKind(404, "order-not-found", "Order not found"),
    f"No order has id {ORDER_ID}.")
STALE_VERSION = problem(
    "stale-version", "Someone changed the order since you read it",
    ProblemKind(412, "stale-version", "Precondition Failed"),
    f"Order {ORDER_ID} is at version 2, not 1: fetch it again and retry with its current "
    "ETag.", order_id=ORDER_ID, current_version=2, expected_version=1)


def illegal(name: str, summary: str, status: str, action: str, why: str) -> Sample:
    """A 409 refusing `action` on an order in `status`."""
    return problem(
        name, summary, ProblemKind(409, "illegal-transition", "Order cannot make this change"),
        f"Order {ORDER_ID} is {status}: cannot {action} it; {why}.",
        order_id=ORDER_ID, current_status=status, action=action)


PAY_CANCELLED = illegal("cancelled", "Paying a cancelled order", "cancelled", "pay",
                        "a cancelled order cannot be paid")
SHIP_UNPAID = illegal("unpaid", "Shipping before payment", "pending_payment", "ship",
                      "it must be paid before it ships")
CANCEL_SHIPPED = illegal("shipped", "Cancelling what already left", "shipped", "cancel",
                         "it has already left the warehouse")

# -- export, events, reports, payments, health -----------------------------------------

NOT_ACCEPTABLE = problem(
    "not-acceptable", "A format the export cannot give",
    ProblemKind(406, "not-acceptable", "Not Acceptable"),
    "Cannot answer in any of 'application/pdf'; accept application/json, "
    "application/x-ndjson or text/csv, or pass format=json|ndjson|csv.")
REVERSED_PERIOD = problem(
    "reversed-period", "A period that ends before it starts",
    INVALID, "Placed_from must be before placed_to.",
    errors=[{"parameter": "placed_from", "in": "query",
             "detail": "ends the period before it starts"},
            {"parameter": "placed_to", "in": "query",
             "detail": "ends the period before it starts"}])
BAD_SIGNATURE = problem(
    "bad-signature", "Not signed by the gateway",
    ProblemKind(401, "bad-signature", "Unauthorized"),
    "The Signature header is missing: a payment notification must be signed by the gateway "
    "(t=<unix>,v1=<hex>).")
PAYMENTS_NOT_CONFIGURED = problem(
    "payments-not-configured", "No gateway secret is set",
    ProblemKind(503, "payments-not-configured", "Service Unavailable"),
    "Payment notifications are not set up on this service: set "
    "ORDER_SERVICE_PAYMENT_GATEWAY_SECRET to the gateway's signing secret.")
NOT_READY = problem(
    "not-ready", "The database cannot be reached",
    ProblemKind(503, "not-ready", "Service Unavailable"),
    "The database cannot be reached.")

# -- after the sale: corrections, refunds, catalogue changes ---------------------------

CORRECT_SHIPPED = illegal("shipped", "Correcting what already left", "shipped", "correct",
                          "it has left the warehouse with the address it had")
IF_MATCH_REQUIRED = problem(
    "if-match-required", "No If-Match header",
    ProblemKind(428, "if-match-required", "Precondition Required"),
    "PATCH /v1/orders/{order_id} needs an If-Match header with the order's ETag from GET "
    '(e.g. If-Match: "3"), so that it cannot overwrite a change you have not seen.',
    errors=[{"parameter": "If-Match", "in": "header",
             "detail": "is required: send the order's ETag"}])
REFUND_UNPAID = illegal("unpaid", "Refunding an order not paid", "pending_payment", "refund",
                        "nothing was paid to refund")
REFUND_TOO_MUCH = problem(
    "exceeds-total", "More than is left to refund",
    ProblemKind(409, "refund-exceeds-total", "Refund exceeds what is left to refund"),
    f"Order {ORDER_ID} has 1647 minor units of EUR left to refund, less than the 4990 "
    "asked for.", order_id=ORDER_ID, requested=4990, refundable=1647, currency="EUR")
REFUND_TOO_MANY = problem(
    "exceeds-sold", "More of a product than the order sold",
    ProblemKind(409, "refund-exceeds-sold", "Refund names more than was sold"),
    f"Order {ORDER_ID} has 0 of SANDAL-42 left to refund, fewer than the 1 asked for.",
    order_id=ORDER_ID, sku="SANDAL-42", requested=1, refundable=0)
NOT_ON_ORDER = problem(
    "not-on-order", "A product the order does not hold",
    ProblemKind(422, "not-on-order", "Product not on the order"),
    f"Order {ORDER_ID} has no line of 'BELT-90'.", order_id=ORDER_ID, skus=["BELT-90"])
INVALID_REFUND = problem(
    "restock-without-lines", "Restock without naming the goods",
    ProblemKind(422, "invalid-refund", "Invalid refund"),
    "Restock needs the lines whose goods go back to stock.")
PRODUCT_RETIRED = problem(
    "product-retired", "An order for a product no longer sold",
    ProblemKind(409, "product-retired", "Product no longer sold"),
    "The shop no longer sells 'SANDAL-42': the product was retired.", skus=["SANDAL-42"])
