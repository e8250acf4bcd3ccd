"""Unknown query parameters are refused, not ignored.

A merchant's script that asks for `/v1/orders?stauts=cancelled` must not get every order
back as if it had asked for them all: the typo is a 422 naming the parameter and the ones
the operation takes. What an operation takes is what the OpenAPI document declares.
"""

from __future__ import annotations

from typing import Any

from fastapi import Request
from fastapi.exceptions import RequestValidationError
from fastapi.routing import APIRoute

_DECLARED_KEY = "declared_query_parameters"


async def reject_unknown_query_parameters(request: Request) -> None:
    """Fail the request with a validation error for each query parameter not documented."""
    if not request.query_params:
        return
    route = request.scope.get("route")
    if not isinstance(route, APIRoute) or not route.include_in_schema:
        return
    declared = _declared(request).get((route.path_format, request.method), frozenset())
    unknown = [name for name in dict.fromkeys(request.query_params) if name not in declared]
    if not unknown:
        return
    takes = ", ".join(sorted(declared)) if declared else "no query parameters"
    raise RequestValidationError([
        {"type": "query_parameter_unknown", "loc": ("query", name),
         "msg": f"is not a parameter of this operation (it takes: {takes})",
         "input": request.query_params[name]}
        for name in unknown
    ])


def _declared(request: Request) -> dict[tuple[str, str], frozenset[str]]:
    state = request.app.state
    declared: dict[tuple[str, str], frozenset[str]] | None = getattr(state, _DECLARED_KEY, None)
    if declared is None:
        declared = _from_document(request.app.openapi())
        setattr(state, _DECLARED_KEY, declared)
    return declared


def _from_document(document: dict[str, Any]) -> dict[tuple[str, str], frozenset[str]]:
    declared: dict[tuple[str, str], frozenset[str]] = {}
    for path, operations in document.get("paths", {}).items():
        for method, operation in operations.items():
            names = frozenset(p["name"] for p in operation.get("parameters", [])
                              if p.get("in") == "query")
            declared[(path, method.upper())] = names
            if method == "get":
                declared[(path, "HEAD")] = names
    return declared
