"""The OpenAPI document: every error the service can answer, declared as problem+json.

FastAPI documents only the errors a route names, as application/json, plus its own
validation schema. Clients (and schemathesis in CI) read the document as a contract,
so it is completed here from what the service really does.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from fastapi import FastAPI
from fastapi.openapi.utils import get_openapi

from order_service.api.problems import PROBLEM_JSON, Problem

PROBLEM_REF = {"$ref": "#/components/schemas/Problem"}

# Answers any /v1 operation may give, whatever its route declares.
COMMON_ERRORS = {
    "422": "A parameter or field is invalid; `errors` points at each",
    "503": "The database is unavailable or too slow; retry after `Retry-After` seconds",
}
KEYED_ERRORS = {
    "401": "No API key, or an unknown or revoked one (see WWW-Authenticate)",
    "403": "The key's role does not allow this; `roles_needed` says which would",
    "429": "The key's rate limit is spent; retry after `Retry-After` seconds",
}
BODY_ERRORS = {
    "400": "The body is not valid JSON",
    "413": "The body is larger than the configured limit",
    "415": "The body is not sent as application/json",
}
COMMAND_ERRORS = {
    "400": "The Idempotency-Key header is unusable",
    "409": "Another request with this Idempotency-Key is in flight, or a conflicting change",
}
IDEMPOTENCY_KEY = {
    "name": "Idempotency-Key",
    "in": "header",
    "required": False,
    "description": "Makes a retry safe: a repeat with the same key and body gets the first "
    "answer (with `Idempotent-Replayed: true`) and changes nothing; the same key with "
    "another body is a 422. Keys are remembered for 24 hours by default.",
    "schema": {"type": "string", "minLength": 1, "maxLength": 255,
               "pattern": r"^[!-~]([ -~]*[!-~])?$"},
}
CURSOR_ERROR = {"400": "The cursor is not one this service handed out"}


def install_openapi(app: FastAPI, payment_methods: Sequence[str]) -> None:
    """Generate the app's OpenAPI document once, with every error declared."""

    def openapi() -> dict[str, Any]:
        if app.openapi_schema is None:
            document = get_openapi(title=app.title, version=app.version,
                                   description=app.description, routes=app.routes)
            _complete(document)
            _name_payment_methods(document, payment_methods)
            app.openapi_schema = document
        return app.openapi_schema

    app.openapi = openapi  # type: ignore[method-assign]


def _complete(document: dict[str, Any]) -> None:
    schemas = document.setdefault("components", {}).setdefault("schemas", {})
    schemas["Problem"] = Problem.model_json_schema()
    for name in ("HTTPValidationError", "ValidationError"):
        schemas.pop(name, None)
    for path, operations in document["paths"].items():
        for method, operation in operations.items():
            if path.startswith("/v1"):
                _declare_errors(method, operation)


def _declare_errors(method: str, operation: dict[str, Any]) -> None:
    responses: dict[str, Any] = operation.setdefault("responses", {})
    extra = dict(COMMON_ERRORS)
    if operation.get("security") != []:  # [] marks a route signed rather than keyed
        extra |= KEYED_ERRORS
    if "requestBody" in operation:
        extra |= BODY_ERRORS
    if any(p.get("name") == "cursor" for p in operation.get("parameters", [])):
        extra |= CURSOR_ERROR
    if method == "post":
        extra |= COMMAND_ERRORS
        operation.setdefault("parameters", []).append(IDEMPOTENCY_KEY)
    for status, description in extra.items():
        responses.setdefault(status, {"description": description})
    for status, response in responses.items():
        if int(status) >= 400:
            response["content"] = {PROBLEM_JSON: {"schema": PROBLEM_REF}}


def _name_payment_methods(document: dict[str, Any], methods: Sequence[str]) -> None:
    # The accepted methods are this shop's settings, so the storefront learns them here.
    order = document["components"]["schemas"].get("PlaceOrderIn")
    if order is not None:
        order["properties"]["payment_method"]["enum"] = list(methods)
