"""Idempotency-Key for command routes: remember each answer, repeat it for a retry.

A route builds its answer with `Answer`; the application stores `Answer.recording()`
in the command's own transaction, and a retry with the same key and body is answered
from that recording (see `replay`) without running the command again.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable
from copy import copy
from dataclasses import dataclass, field, replace
from typing import Annotated, Any, TypeVar
from uuid import UUID

from fastapi import Depends, FastAPI, Request, Response
from pydantic import BaseModel

from order_service.api.auth import PrincipalDep
from order_service.api.deps import caused_by, request_id
from order_service.api.errors import BadIdempotencyKey
from order_service.api.problems import error_response, problem_response
from order_service.application.access import Principal
from order_service.application.errors import AlreadyHandled, IdempotencyKeyReused
from order_service.application.ports import NUMBER_AT_COMMIT, CommandContext, IdempotentRequest
from order_service.application.views import OrderView

IDEMPOTENCY_KEY_HEADER = "Idempotency-Key"
REPLAYED_HEADER = "Idempotent-Replayed"
# Headers a repeated answer must carry again; others (dates, request ids) are per request.
REMEMBERED_HEADERS = ("content-type", "location", "etag")
MAX_KEY_LENGTH = 255

T = TypeVar("T")


@dataclass(frozen=True, slots=True)
class Answer:
    """A command route's successful answer: status, body and headers.

    The route returns it as a Response (declaring `response_model` only for the OpenAPI
    document): a returned model would be validated again and serialised by FastAPI, twice
    the work for data the route has just built from typed views.
    """

    status: int
    body: BaseModel
    headers: dict[str, str] = field(default_factory=dict)
    # The body as sent, rendered once (by pydantic-core, straight to bytes).
    content: bytes = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "content", self.body.__pydantic_serializer__.to_json(self.body))

    def response(self) -> Response:
        """The HTTP response."""
        return Response(self.content, status_code=self.status, headers=self.headers,
                        media_type="application/json")

    def recording(self) -> str:
        """What a retry with the same key must be answered."""
        return record(self.response())

    def with_content(self, content: bytes) -> Answer:
        """The same answer with another body already rendered (see Answering)."""
        again = copy(self)
        object.__setattr__(again, "content", content)
        return again


class Answering:
    """A command route's answer, rendered once for both the key's recording and the reply.

    The application records the answer to an Idempotency-Key from the order as its write
    will store it, and the route then answers from the order as written: the same order,
    or for a placement the same but for its receipt number (NUMBER_AT_COMMIT until the
    commit hands one out). Either way the bytes already rendered are reused.
    """

    def __init__(self, build: Callable[[OrderView], Answer]) -> None:
        self._build = build
        self._last: tuple[OrderView, Answer] | None = None

    def __call__(self, order: OrderView) -> Answer:
        """The answer for `order`."""
        if self._last is not None:
            seen, answer = self._last
            if seen == order:
                return answer
            if seen.number == NUMBER_AT_COMMIT and replace(seen, number=order.number) == order:
                return answer.with_content(answer.content.replace(
                    _PLACEHOLDER, str(order.number).encode()))
        answer = self._build(order)
        self._last = (order, answer)
        return answer


_PLACEHOLDER = str(NUMBER_AT_COMMIT).encode()


def record(response: Response) -> str:
    """A response as text that `replay` turns back into the same response."""
    headers = {k: v for k, v in response.headers.items() if k in REMEMBERED_HEADERS}
    return json.dumps({"status": response.status_code, "headers": headers,
                       "body": bytes(response.body).decode()})


def replay(recording: str) -> Response:
    """The response a recording holds, marked as a repeat."""
    saved = json.loads(recording)
    headers = {**saved["headers"], REPLAYED_HEADER: "true"}
    return Response(saved["body"], status_code=saved["status"], headers=headers)


@dataclass(frozen=True, slots=True)
class CommandRequest:
    """A command route's request: who caused it, and its idempotency key if it has one."""

    correlation_id: str
    caused_by: str
    key: str | None
    fingerprint: str
    record_refusal: Callable[[Exception], str]
    api_key_id: str

    def context(self, answer: Callable[[T], Answer]) -> CommandContext:
        """The command context, remembering the answer `answer` gives if a key was sent."""
        idempotency = None
        if self.key is not None:
            idempotency = IdempotentRequest(
                key=self.key,
                fingerprint=self.fingerprint,
                record_result=lambda result: answer(result).recording(),
                record_refusal=self.record_refusal,
            )
        return CommandContext(self.correlation_id, self.caused_by, idempotency,
                              api_key_id=self.api_key_id)


async def command_request(request: Request, principal: PrincipalDep) -> CommandRequest:
    """Read the Idempotency-Key and fingerprint what the request asks for."""
    key = request.headers.get(IDEMPOTENCY_KEY_HEADER)
    if key is not None and not (0 < len(key) <= MAX_KEY_LENGTH and key.isascii()
                                and key.isprintable() and key.strip() == key):
        raise BadIdempotencyKey(IDEMPOTENCY_KEY_HEADER, MAX_KEY_LENGTH)
    body = await request.body()
    return CommandRequest(
        correlation_id=request_id(request),
        caused_by=caused_by(request, principal),
        # Keys are the client's own: two API keys may both send "1" without colliding.
        key=None if key is None else _scoped(principal, key),
        fingerprint=_fingerprint(request.method, canonical_path(request), body),
        record_refusal=_record_refusal,
        api_key_id=principal.key_id,
    )


def canonical_path(request: Request) -> str:
    """The path as the route reads it: ids in their one spelling (lower-case UUIDs).

    An order id may be sent upper-case, without dashes or in braces, and still names the
    same order; a retry that spells it another way is the same request, not a reuse of
    its Idempotency-Key for another one.
    """
    template = getattr(request.scope.get("route"), "path_format", None)
    if not isinstance(template, str):
        return request.url.path
    return template.format_map({name: _canonical(name, str(value))
                                for name, value in request.path_params.items()})


def _canonical(name: str, value: str) -> str:
    # Only ids (named *_id, as every id is): a SKU of 32 hex digits is no UUID.
    if not name.endswith("_id"):
        return value
    try:
        return str(UUID(value))
    except ValueError:
        return value


def _scoped(principal: Principal, key: str) -> str:
    return hashlib.sha256(f"{principal.key_id}\n{key}".encode()).hexdigest()


def _record_refusal(error: Exception) -> str:
    return record(error_response(error))


def _fingerprint(method: str, path: str, body: bytes) -> str:
    # The same JSON with other spacing or key order is the same request.
    try:
        canonical: Any = json.dumps(json.loads(body or b"null"), sort_keys=True,
                                    separators=(",", ":"))
    except (ValueError, UnicodeDecodeError):
        canonical = body.hex()
    return hashlib.sha256(f"{method} {path}\n{canonical}".encode()).hexdigest()


CommandDep = Annotated[CommandRequest, Depends(command_request)]


def install_idempotency_handlers(app: FastAPI) -> None:
    """Answer repeats from their recording, and refuse unusable keys."""

    def repeat(_request: Request, error: Exception) -> Response:
        if not isinstance(error, AlreadyHandled):
            return error_response(error)
        return replay(error.recording)

    def bad_key(_request: Request, error: Exception) -> Response:
        return problem_response(400, "bad-idempotency-key", "Bad Idempotency-Key", str(error),
                                errors=[{"parameter": IDEMPOTENCY_KEY_HEADER, "in": "header",
                                         "detail": "must be 1 to 255 visible ASCII characters"}])

    def reused(request: Request, error: Exception) -> Response:
        # The store knows the key only scoped to its API key and hashed (see _scoped);
        # the caller must read back the key it sent.
        sent = request.headers.get(IDEMPOTENCY_KEY_HEADER, "")
        return error_response(IdempotencyKeyReused(sent) if isinstance(
            error, IdempotencyKeyReused) else error)

    app.add_exception_handler(AlreadyHandled, repeat)
    app.add_exception_handler(BadIdempotencyKey, bad_key)
    app.add_exception_handler(IdempotencyKeyReused, reused)
