"""JSON answers serialised once, by pydantic-core, straight to bytes.

A route that returns a model lets FastAPI validate it again against the response model
(in a worker thread, for a sync route) and then serialise it: twice the work and an extra
thread hop for data the route has just built from typed views. Routes on the hot path
declare `response_model` for the OpenAPI document and return one of these instead.
"""

from __future__ import annotations

from collections.abc import Mapping

from fastapi import Response
from pydantic import BaseModel


def json_response(body: BaseModel, status_code: int = 200,
                  headers: Mapping[str, str] | None = None) -> Response:
    """`body` as an application/json response."""
    return Response(body.__pydantic_serializer__.to_json(body), status_code=status_code,
                    headers=headers, media_type="application/json")
