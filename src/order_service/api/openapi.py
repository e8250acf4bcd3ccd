"""The OpenAPI document: every error the service can answer, declared as problem+json.

FastAPI documents only the errors a route names, as application/json, plus its own
validation schema. Clients (and schemathesis in CI) read the document as a contract,
and /docs and /redoc show it as the manual, so it is completed here from what the
service really does: each error any operation may answer, with an example of it.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from typing import Any

from fastapi import FastAPI
from fastapi.openapi.utils import get_openapi

from order_service.api import problem_examples as problems
from order_service.api.examples import ORDER_ID, Sample, examples, restore_nulls
from order_service.api.problems import PROBLEM_JSON, Problem

PROBLEM_REF = {"$ref": "#/components/schemas/Problem"}

# The sections of the manual, in its order.
TAGS = [
    {"name": "catalogue", "description": "Products with their prices and stock, and the "
     "shipping methods an order can choose. Prices are integer minor units (cents)."},
    {"name": "orders", "description": "Place orders from the storefront; pay, ship or "
     "cancel them from the back office; read them and their history. Commands accept an "
     "`Idempotency-Key`, and pay/ship/cancel an `If-Match` with the order's ETag."},
    {"name": "export", "description": "The whole order history, page by page, as JSON, "
     "NDJSON or CSV: for accounting, analytics and backups."},
    {"name": "payments", "description": "Notifications from the payment gateway, signed "
     "with its shared secret instead of sent with an API key."},
    {"name": "events", "description": "The event feed: every stored event in order, for "
     "systems that follow the store (search indexes, mailers, warehouses)."},
    {"name": "reports", "description": "What the shop sold, by order status."},
    {"name": "health", "description": "Liveness and readiness for load balancers and "
     "orchestrators; no API key needed."},
]

Errors = dict[str, tuple[str, list[Sample]]]
# Answers any /v1 operation may give, whatever its route declares.
COMMON_ERRORS: Errors = {
    "422": ("A parameter or field is invalid; `errors` points at each",
            [problems.UNKNOWN_PARAMETER]),
    "503": ("The database is unavailable or too slow; retry after `Retry-After` seconds",
            [problems.UNAVAILABLE]),
}
KEYED_ERRORS: Errors = {
    "401": ("No API key, or an unknown or revoked one (see WWW-Authenticate)",
            [problems.NO_KEY, problems.UNKNOWN_KEY]),
    "403": ("The key's role does not allow this; `roles_needed` says which would",
            [problems.FORBIDDEN]),
    "429": ("The key's rate limit is spent; retry after `Retry-After` seconds",
            [problems.RATE_LIMITED]),
}
BODY_ERRORS: Errors = {
    "400": ("The body is not valid JSON", [problems.MALFORMED_JSON]),
    "413": ("The body is larger than the configured limit", [problems.BODY_TOO_LARGE]),
    "415": ("The body is not sent as application/json", [problems.NOT_JSON]),
}
COMMAND_ERRORS: Errors = {
    "400": ("The Idempotency-Key header is unusable", [problems.BAD_IDEMPOTENCY_KEY]),
    "409": ("Another request with this Idempotency-Key is in flight, or a conflicting change",
            [problems.KEY_IN_FLIGHT]),
    "422": ("The Idempotency-Key was already used with another body", [problems.KEY_REUSED]),
}
CURSOR_ERRORS: Errors = {
    "400": ("The cursor is not one this service handed out", [problems.BAD_CURSOR]),
}
# FastAPI's own description of the 422 it declares; ours says more.
FASTAPI_VALIDATION = "Validation Error"
IDEMPOTENCY_KEY = {
    "name": "Idempotency-Key",
    "in": "header",
    "required": False,
    "description": "Makes a retry safe: a repeat with the same key and body gets the first "
    "answer (with `Idempotent-Replayed: true`) and changes nothing; the same key with "
    "another body is a 422. Keys are remembered for 24 hours by default.",
    "schema": {"type": "string", "minLength": 1, "maxLength": 255,
               "pattern": r"^[!-~]([ -~]*[!-~])?$"},
    "example": "9b2f6c1e-3f0a-4c1e-8d7a-5e4b3c2a1f00",
}

# The response headers clients act on, declared on the answers that send them.
HEADERS: dict[str, dict[str, Any]] = {
    "ETag": {"description": "The order's version, quoted; send it back as `If-Match`",
             "schema": {"type": "string", "pattern": '^"[0-9]+"$'}, "example": '"3"'},
    "Location": {"description": "Where what was made can be read (GET)",
                 "schema": {"type": "string"}, "example": "/v1/orders/" + ORDER_ID},
    "Link": {"description": 'The next page, as `<url>; rel="next"`; none on the last page',
             "schema": {"type": "string"},
             "example": '</v1/orders/export?cursor=eyJr...>; rel="next"'},
    "Retry-After": {"description": "Seconds to wait before trying again",
                    "schema": {"type": "string", "pattern": "^[0-9]+$"}, "example": "2"},
    "Idempotent-Replayed": {
        "description": "`true` when this answer repeats the first one sent with the same "
        "Idempotency-Key (nothing was done again)",
        "schema": {"type": "string", "enum": ["true"]}},
}
# Which answers always carry which headers, by operation id and status.
ANSWER_HEADERS: dict[tuple[str, str], tuple[str, ...]] = {
    ("placeOrder", "201"): ("Location", "ETag"),
    ("addProduct", "201"): ("Location",),
    ("addShippingMethod", "201"): ("Location",),
    ("getOrder", "200"): ("ETag",),
    **{(operation, status): ("ETag",) for operation in ("payOrder", "shipOrder", "cancelOrder")
       for status in ("200", "412")},
}
# Headers some answers carry: Link only when there is a next page. (Retry-After comes with
# every 429 but only with the 503s of a failing database; Idempotent-Replayed only with a
# repeat: see _declare_headers.)
SOMETIMES = {("exportOrders", "200"): ("Link",)}
# The refusals a command's Idempotency-Key remembers and repeats (the shop's own rules).
REPEATED_REFUSALS = ("404", "409", "412", "422")


def install_openapi(app: FastAPI, payment_methods: Sequence[str]) -> None:
    """Generate the app's OpenAPI document once, with every error declared."""

    def openapi() -> dict[str, Any]:
        if app.openapi_schema is None:
            document = get_openapi(title=app.title, version=app.version,
                                   description=app.description, routes=app.routes, tags=TAGS)
            _name_operations(document)
            _complete(document)
            _name_payment_methods(document, payment_methods)
            app.openapi_schema = restore_nulls(document)
        return app.openapi_schema

    app.openapi = openapi  # type: ignore[method-assign]


def _name_operations(document: dict[str, Any]) -> None:
    # Operation ids name the route's function (placeOrder), not FastAPI's generated
    # place_order_v1_orders_post: client generators make methods of them, and the docs'
    # deep links (/docs#/orders/placeOrder) read better.
    for path, operations in document["paths"].items():
        for method, operation in operations.items():
            generated = re.sub(r"\W", "_", path) + f"_{method}"
            head, *rest = operation["operationId"].removesuffix(generated).split("_")
            operation["operationId"] = head + "".join(word.capitalize() for word in rest)


def _complete(document: dict[str, Any]) -> None:
    schemas = document.setdefault("components", {}).setdefault("schemas", {})
    schemas["Problem"] = Problem.model_json_schema()
    for name in ("HTTPValidationError", "ValidationError"):
        schemas.pop(name, None)
    for path, operations in document["paths"].items():
        for method, operation in operations.items():
            _plain_optionals(operation)
            if path.startswith("/v1"):
                _declare_errors(method, operation)
                _declare_headers(method, operation)
            _answer_problems(operation)
            _text_first(operation)


def _declare_errors(method: str, operation: dict[str, Any]) -> None:
    groups = [COMMON_ERRORS]
    if operation.get("security") != []:  # [] marks a route signed rather than keyed
        groups.append(KEYED_ERRORS)
    if "requestBody" in operation:
        groups.append(BODY_ERRORS)
    if any(p.get("name") == "cursor" for p in operation.get("parameters", [])):
        groups.append(CURSOR_ERRORS)
    if method == "post":
        groups.append(COMMAND_ERRORS)
        operation.setdefault("parameters", []).append(IDEMPOTENCY_KEY)
    declared: dict[str, tuple[list[str], list[Sample]]] = {}
    for group in groups:
        for status, (description, samples) in group.items():
            descriptions, all_samples = declared.setdefault(status, ([], []))
            descriptions.append(description)
            all_samples.extend(samples)
    responses: dict[str, Any] = operation.setdefault("responses", {})
    for status, (descriptions, samples) in declared.items():
        response = responses.get(status)
        if response is None or response.get("description") == FASTAPI_VALIDATION:
            response = responses[status] = {"description": _either(descriptions)}
        named = response.setdefault("content", {}).setdefault(PROBLEM_JSON, {})
        for name, sample in examples(*samples).items():
            named.setdefault("examples", {}).setdefault(name, sample)


def _plain_optionals(operation: dict[str, Any]) -> None:
    # FastAPI declares an optional body or parameter as `anyOf [X, null]`. For a body,
    # generated clients then have no way to send none at all (openapi-python-client sends
    # its "unset" marker and fails); a parameter cannot be sent as null anyway. Not
    # required says the same thing plainly, and clients get plain types (`str`, an enum).
    body = operation.get("requestBody")
    if body is not None and not body.get("required"):
        for media in body.get("content", {}).values():
            _drop_null(media)
        body["required"] = False
    for parameter in operation.get("parameters", []):
        if not parameter.get("required"):
            _drop_null(parameter)


def _drop_null(holder: dict[str, Any]) -> None:
    schema = holder.get("schema", {})
    choices = schema.get("anyOf", [])
    kept = [choice for choice in choices if choice != {"type": "null"}]
    if len(choices) == 2 and len(kept) == 1:
        described = {key: value for key, value in schema.items() if key != "anyOf"}
        holder["schema"] = kept[0] if "$ref" in kept[0] else {**described, **kept[0]}


def _declare_headers(method: str, operation: dict[str, Any]) -> None:
    name = operation["operationId"]
    keyed = method == "post" and operation.get("security") != []
    for status, response in operation.get("responses", {}).items():
        declared = response.setdefault("headers", {})
        for header in ANSWER_HEADERS.get((name, status), ()):
            declared[header] = {**HEADERS[header], "required": True}
        sometimes = list(SOMETIMES.get((name, status), ()))
        if keyed and (status.startswith("2") or status in REPEATED_REFUSALS):
            sometimes.append("Idempotent-Replayed")
        for header in sometimes:
            declared[header] = {**HEADERS[header], "required": False}
        if not declared:
            del response["headers"]
    for status, required in (("429", True), ("503", False)):
        response = operation["responses"].get(status)
        if response is not None:
            response.setdefault("headers", {})["Retry-After"] = {**HEADERS["Retry-After"],
                                                                 "required": required}


def _text_first(operation: dict[str, Any]) -> None:
    # A generated client (openapi-python-client, for one) reads every answer by the first
    # media type it knows: with JSON first, a CSV or NDJSON page fails to decode. With a
    # text one first, every format reads, as text that the caller parses by format.
    for response in operation.get("responses", {}).values():
        content = response.get("content", {})
        texts = [media for media in content if media.startswith("text/")]
        if len(content) > 1 and texts:
            response["content"] = {media: content[media]
                                   for media in sorted(content, key=lambda m: m not in texts)}


def _either(descriptions: list[str]) -> str:
    first, *others = descriptions
    return "; or ".join([first, *(d[0].lower() + d[1:] for d in others)])


def _answer_problems(operation: dict[str, Any]) -> None:
    # Every error answers problem+json, with the examples its route and _declare_errors gave.
    for status, response in operation.get("responses", {}).items():
        if int(status) < 400:
            continue
        named = {name: sample for media in response.get("content", {}).values()
                 for name, sample in media.get("examples", {}).items()}
        response["content"] = {PROBLEM_JSON: {"schema": PROBLEM_REF, "examples": named}}


def _name_payment_methods(document: dict[str, Any], methods: Sequence[str]) -> None:
    # The accepted methods are this shop's settings, so the storefront learns them here.
    order = document["components"]["schemas"].get("PlaceOrderIn")
    if order is not None:
        order["properties"]["payment_method"]["enum"] = list(methods)
