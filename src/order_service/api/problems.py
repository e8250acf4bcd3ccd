"""Every error as RFC 9457 problem details (application/problem+json), mapped in one place."""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import dataclass
from http import HTTPStatus
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from pydantic import BaseModel, ConfigDict, Field
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.routing import compile_path

from order_service.api.errors import (
    BadCursor,
    BadSignature,
    GatewayNotConfigured,
    IfMatchRequired,
    NotAcceptable,
    NulInPath,
    RateLimited,
    ReversedPeriod,
    Unauthenticated,
    UnknownStatusFilter,
)
from order_service.application.errors import (
    ConcurrencyConflict,
    Forbidden,
    IdempotencyKeyReused,
    StorageUnavailable,
)
from order_service.domain import errors

PROBLEM_JSON = "application/problem+json"
BODY_PARSE_FAILURE = "There was an error parsing the body"
# Routes authenticated by a signature rather than an API key.
SIGNED_PATHS = ("/v1/payment-notifications",)
log = logging.getLogger(__name__)


class Problem(BaseModel):
    """RFC 9457 problem details; extension members add what a client can act on."""

    model_config = ConfigDict(extra="allow")

    type: str = Field(description="URI naming the kind of problem", examples=[
        "urn:order-service:problem:out-of-stock"])
    title: str
    status: int
    detail: str


@dataclass(frozen=True, slots=True)
class ProblemKind:
    """How one class of error appears over HTTP."""

    status: int
    slug: str
    title: str


# Most specific first: the first class an error is an instance of wins.
DOMAIN_PROBLEMS: Sequence[tuple[type[Exception], ProblemKind]] = (
    (errors.OrderNotFound, ProblemKind(404, "order-not-found", "Order not found")),
    (errors.ProductNotFound, ProblemKind(404, "product-not-found", "Product not found")),
    (errors.ShippingMethodNotFound, ProblemKind(404, "shipping-method-not-found",
                                                "Shipping method not found")),
    (errors.OutOfStock, ProblemKind(409, "out-of-stock", "Out of stock")),
    (errors.IllegalTransition, ProblemKind(409, "illegal-transition",
                                           "Order cannot make this change")),
    (errors.OrderChangedMeanwhile, ProblemKind(409, "changed-meanwhile",
                                               "Order changed meanwhile")),
    (errors.StaleOrderVersion, ProblemKind(412, "stale-version", "Precondition Failed")),
    (errors.ProductAlreadyExists, ProblemKind(409, "product-exists", "Product already exists")),
    (errors.ShippingMethodAlreadyExists, ProblemKind(409, "shipping-method-exists",
                                                     "Shipping method already exists")),
    (errors.UnknownProducts, ProblemKind(422, "unknown-product", "Unknown product")),
    (errors.UnknownShippingMethod, ProblemKind(422, "unknown-shipping-method",
                                               "Unknown shipping method")),
    (errors.UnknownPaymentMethod, ProblemKind(422, "unknown-payment-method",
                                              "Unknown payment method")),
    (errors.CurrencyMismatch, ProblemKind(422, "currency-mismatch", "Wrong currency")),
    (errors.InvalidQuantity, ProblemKind(422, "invalid-quantity", "Invalid quantity")),
    (errors.InvalidPrice, ProblemKind(422, "invalid-price", "Invalid price")),
    (errors.QuantityTooLarge, ProblemKind(422, "quantity-too-large", "Quantity too large")),
    (errors.OrderTooLarge, ProblemKind(422, "order-too-large", "Order too large")),
    (errors.EmptyOrder, ProblemKind(422, "empty-order", "Order has no lines")),
    (errors.ProductsRetired, ProblemKind(409, "product-retired", "Product no longer sold")),
    (errors.RefundExceedsTotal, ProblemKind(409, "refund-exceeds-total",
                                            "Refund exceeds what is left to refund")),
    (errors.RefundExceedsSold, ProblemKind(409, "refund-exceeds-sold",
                                           "Refund names more than was sold")),
    (errors.NotOnOrder, ProblemKind(422, "not-on-order", "Product not on the order")),
    (errors.InvalidRefund, ProblemKind(422, "invalid-refund", "Invalid refund")),
    (ConcurrencyConflict, ProblemKind(409, "concurrent-change",
                                      "Changed concurrently; try again")),
    (IdempotencyKeyReused, ProblemKind(422, "idempotency-key-reused",
                                       "Idempotency-Key already used")),
    (StorageUnavailable, ProblemKind(503, "unavailable", "Service Unavailable")),
)

# Seconds a client should wait before retrying after the database failed us.
RETRY_AFTER_SECONDS = 2


def problem_type(slug: str) -> str:
    """The URI that names a kind of problem."""
    return f"urn:order-service:problem:{slug}"


def problem_response(
    status: int,
    slug: str,
    title: str,
    detail: str,
    *,
    headers: dict[str, str] | None = None,
    **extensions: Any,
) -> JSONResponse:
    """A problem+json response."""
    body = {"type": problem_type(slug), "title": title, "status": status, "detail": detail}
    return JSONResponse(
        {**body, **extensions}, status_code=status, media_type=PROBLEM_JSON, headers=headers
    )


def _extensions(error: Exception) -> dict[str, Any]:
    match error:
        case errors.OutOfStock():
            return {"out_of_stock": [
                {"sku": s.sku, "requested": s.requested, "available": s.available}
                for s in error.shortages
            ]}
        case errors.IllegalTransition() | errors.OrderChangedMeanwhile():
            return {"order_id": str(error.order_id), "current_status": error.current.value,
                    "action": error.action}
        case errors.UnknownProducts() | errors.ProductsRetired():
            return {"skus": list(error.skus)}
        case (errors.StaleOrderVersion() | errors.RefundExceedsTotal()
              | errors.RefundExceedsSold() | errors.NotOnOrder()):
            return _order_extensions(error)
        case IdempotencyKeyReused():
            return {"idempotency_key": error.key}
        case _:
            return {}


def _order_extensions(
        error: (errors.StaleOrderVersion | errors.RefundExceedsTotal | errors.RefundExceedsSold
                | errors.NotOnOrder),
) -> dict[str, Any]:
    match error:
        case errors.StaleOrderVersion():
            return {"order_id": str(error.order_id), "current_version": error.current,
                    "expected_version": error.expected}
        case errors.RefundExceedsTotal():
            return {"order_id": str(error.order_id), "requested": error.amount,
                    "refundable": error.refundable, "currency": error.currency}
        case errors.RefundExceedsSold():
            return {"order_id": str(error.order_id), "sku": error.sku,
                    "requested": error.quantity, "refundable": error.refundable}
        case errors.NotOnOrder():
            return {"order_id": str(error.order_id), "skus": list(error.skus)}


def _headers(error: Exception) -> dict[str, str] | None:
    match error:
        case StorageUnavailable():
            return {"Retry-After": str(RETRY_AFTER_SECONDS)}
        case errors.StaleOrderVersion():
            return {"ETag": f'"{error.current}"'}
        case _:
            return None


def error_response(error: Exception) -> JSONResponse:
    """The problem+json answer to a refusal of the application or domain."""
    for cls, kind in DOMAIN_PROBLEMS:
        if isinstance(error, cls):
            detail = str(error)
            if isinstance(error, StorageUnavailable):
                detail = f"the database is unavailable ({detail}); retry in a few seconds"
            return problem_response(kind.status, kind.slug, kind.title, _sentence(detail),
                                    headers=_headers(error), **_extensions(error))
    return _unexpected(None, error)


def _domain_error(_request: Request, error: Exception) -> JSONResponse:
    return error_response(error)


def _pointer(location: Sequence[int | str]) -> dict[str, str]:
    where, *path = location
    if where == "body":
        return {"pointer": "#" + "".join(f"/{part}" for part in path)}
    return {"parameter": _parameter_name(path), "in": str(where)}


def _parameter_name(path: Sequence[int | str]) -> str:
    # A repeated query parameter (?status=a&status=b) is reported by its name alone.
    return ".".join(str(part) for part in path if not isinstance(part, int))


def _validation_error(request: Request, error: Exception) -> JSONResponse:
    if not isinstance(error, RequestValidationError):
        return _unexpected(request, error)
    problems = list(error.errors())
    if any(p.get("type") == "json_invalid" for p in problems):
        return _unauthenticated_first(request) or problem_response(
            400, "malformed-json", "Malformed JSON", "The request body is not valid JSON.")
    content_type = request.headers.get("content-type", "")
    body_sent = request.headers.get("content-length", "0") != "0"
    if body_sent and "json" not in content_type:
        return problem_response(
            415, "unsupported-media-type", "Unsupported Media Type",
            f"The body must be JSON sent with Content-Type: application/json, "
            f"not {content_type or 'no Content-Type'}.",
        )
    unauthenticated = _unauthenticated_first(request)
    if unauthenticated is not None:
        return unauthenticated
    items = []
    for p in problems:
        location = p.get("loc", ())
        items.append({**_pointer(location), "detail": field_message(p)})
    summary = "; ".join(_where(p.get("loc", ())) + " " + field_message(p) for p in problems)
    return problem_response(422, "validation", "Invalid request", summary + ".", errors=items)


def _where(location: Sequence[int | str]) -> str:
    where, *path = location
    if not path:
        return "The request body" if where == "body" else str(where)
    dotted = ".".join(str(part) for part in path)
    return dotted if where == "body" else f"{where} parameter {_parameter_name(path)}"


# Plainer words than pydantic's for the mistakes clients make most.
FIELD_MESSAGES = {
    "missing": "is required",
    "extra_forbidden": "is not a field of this request",
    "model_attributes_type": "must be a JSON object",
    "dict_type": "must be a JSON object",
    "model_type": "must be a JSON object",
    "list_type": "must be a JSON array",
    "int_type": "must be a whole number",
    "int_parsing": "must be a whole number",
    "int_from_float": "must be a whole number",
    "string_type": "must be a string",
}


def field_message(problem: dict[str, Any]) -> str:
    """What is wrong with one field or parameter, in words that follow its name."""
    known = FIELD_MESSAGES.get(str(problem.get("type")))
    if known:
        return known
    message = str(problem.get("msg", "is not valid")).removeprefix("Value error, ")
    if message.startswith("Input should"):
        return "should" + message.removeprefix("Input should")
    if message.startswith(("String should", "List should", "Value should")):
        return "should" + message.split("should", 1)[1]
    return message


def _http_error(_request: Request, error: Exception) -> JSONResponse:
    if not isinstance(error, StarletteHTTPException):
        return _unexpected(_request, error)
    status = HTTPStatus(error.status_code)
    if status == HTTPStatus.BAD_REQUEST and error.detail == BODY_PARSE_FAILURE:
        # FastAPI's wording when the body is not UTF-8 or nests too deep to decode.
        return _unauthenticated_first(_request) or problem_response(
            400, "malformed-json", "Malformed JSON", "The request body is not valid JSON in UTF-8.")
    detail = error.detail if isinstance(error.detail, str) else status.phrase
    if status == HTTPStatus.REQUEST_ENTITY_TOO_LARGE:
        return problem_response(413, "body-too-large", "Content Too Large", detail)
    if detail == status.phrase:
        detail = {404: "No resource lives at this path.",
                  405: "This path does not accept that method."}.get(status, status.phrase)
    headers = dict(error.headers or {})
    if status == HTTPStatus.METHOD_NOT_ALLOWED:
        headers["Allow"] = ", ".join(_allowed_methods(_request))
    return problem_response(status.value, status.phrase.lower().replace(" ", "-"), status.phrase,
                            detail, headers=headers)


def _allowed_methods(request: Request) -> list[str]:
    # Starlette names only the first route that matched the path; RFC 9110 wants them
    # all, and the OpenAPI document knows every documented operation of a path.
    for template, operations in request.app.openapi()["paths"].items():
        pattern, _, _ = compile_path(template)
        if pattern.match(request.url.path):
            return sorted(method.upper() for method in operations)
    return []


def _unauthenticated_first(request: Request) -> JSONResponse | None:
    # FastAPI decodes a JSON body before it runs any dependency, the key check included;
    # a caller without a valid key must still learn that first, not that its JSON is bad.
    if not request.url.path.startswith("/v1/") or request.url.path.startswith(SIGNED_PATHS):
        return None
    scheme, _, token = request.headers.get("authorization", "").partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        return _unauthenticated(request, Unauthenticated(key_given=False))
    try:
        known = request.app.state.key_cache.authenticate(token.strip()) is not None
    except StorageUnavailable as unavailable:
        return error_response(unavailable)
    return None if known else _unauthenticated(request, Unauthenticated(key_given=True))


def _bad_cursor(_request: Request, error: Exception) -> JSONResponse:
    return problem_response(400, "bad-cursor", "Bad cursor", _sentence(str(error)),
                            errors=[{"parameter": "cursor", "in": "query",
                                     "detail": "is not a cursor this service handed out"}])


def _nul_in_path(_request: Request, error: Exception) -> JSONResponse:
    return problem_response(404, "not-found", "Not Found", _sentence(str(error)))


def _if_match_required(_request: Request, error: Exception) -> JSONResponse:
    return problem_response(428, "if-match-required", "Precondition Required",
                            _sentence(str(error)),
                            errors=[{"parameter": "If-Match", "in": "header",
                                     "detail": "is required: send the order's ETag"}])


def _not_acceptable(_request: Request, error: Exception) -> JSONResponse:
    return problem_response(406, "not-acceptable", "Not Acceptable", _sentence(str(error)))


def _unknown_status(_request: Request, error: Exception) -> JSONResponse:
    return problem_response(422, "validation", "Invalid request", _sentence(str(error)),
                            errors=[{"parameter": "status", "in": "query",
                                     "detail": "names no order status"}])


def _reversed_period(_request: Request, error: Exception) -> JSONResponse:
    names = (error.start_name, error.end_name) if isinstance(error, ReversedPeriod) else ()
    return problem_response(422, "validation", "Invalid request", _sentence(str(error)),
                            errors=[{"parameter": name, "in": "query",
                                     "detail": "ends the period before it starts"}
                                    for name in names])


def _unauthenticated(_request: Request, error: Exception) -> JSONResponse:
    challenge = 'Bearer realm="order-service"'
    if getattr(error, "key_given", False):
        challenge += ', error="invalid_token"'
    return problem_response(401, "unauthenticated", "Unauthorized", _sentence(str(error)),
                            headers={"WWW-Authenticate": challenge})


def _forbidden(_request: Request, error: Exception) -> JSONResponse:
    roles = list(getattr(error, "roles_needed", ()))
    return problem_response(403, "forbidden", "Forbidden", _sentence(str(error)),
                            roles_needed=roles)


def _rate_limited(_request: Request, error: Exception) -> JSONResponse:
    wait = getattr(error, "retry_after_seconds", RETRY_AFTER_SECONDS)
    return problem_response(429, "rate-limited", "Too Many Requests", _sentence(str(error)),
                            headers={"Retry-After": str(wait)})


def _bad_signature(_request: Request, error: Exception) -> JSONResponse:
    return problem_response(401, "bad-signature", "Unauthorized", _sentence(str(error)),
                            headers={"WWW-Authenticate": 'Signature realm="order-service"'})


def _gateway_not_configured(_request: Request, error: Exception) -> JSONResponse:
    return problem_response(503, "payments-not-configured", "Service Unavailable",
                            _sentence(str(error)))


def _unexpected(_request: Request | None, error: Exception) -> JSONResponse:
    # Only the error's type reaches the log: its message may carry SQL and the values
    # bound to it, and no stack trace or secret belongs in log storage.
    log.error("unhandled %s", type(error).__name__)
    return problem_response(500, "internal-error", "Internal server error",
                            "The service failed to handle this request; it was logged.")


def _sentence(text: str) -> str:
    text = text.strip()
    if not text:
        return text
    text = text[0].upper() + text[1:]
    return text if text.endswith(".") else text + "."


def install_problem_handlers(app: FastAPI) -> None:
    """Make every error the app can raise answer as problem+json."""
    app.add_exception_handler(errors.OrderServiceError, _domain_error)
    # IdempotencyKeyReused is answered by api/idempotency.py, which knows the key as sent.
    for application_error in (ConcurrencyConflict, StorageUnavailable):
        app.add_exception_handler(application_error, _domain_error)
    app.add_exception_handler(Unauthenticated, _unauthenticated)
    app.add_exception_handler(BadSignature, _bad_signature)
    app.add_exception_handler(RateLimited, _rate_limited)
    app.add_exception_handler(GatewayNotConfigured, _gateway_not_configured)
    app.add_exception_handler(Forbidden, _forbidden)
    app.add_exception_handler(BadCursor, _bad_cursor)
    app.add_exception_handler(NotAcceptable, _not_acceptable)
    app.add_exception_handler(IfMatchRequired, _if_match_required)
    app.add_exception_handler(NulInPath, _nul_in_path)
    app.add_exception_handler(UnknownStatusFilter, _unknown_status)
    app.add_exception_handler(ReversedPeriod, _reversed_period)
    app.add_exception_handler(RequestValidationError, _validation_error)
    app.add_exception_handler(StarletteHTTPException, _http_error)
    app.add_exception_handler(Exception, _unexpected)
