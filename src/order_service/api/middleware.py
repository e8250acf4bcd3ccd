"""ASGI middleware: request ids on every response."""

from __future__ import annotations

import asyncio

from starlette.datastructures import Headers, MutableHeaders
from starlette.exceptions import HTTPException
from starlette.requests import HTTPConnection
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from order_service.api.deps import REQUEST_ID_HEADER, request_id
from order_service.api.problems import RETRY_AFTER_SECONDS, problem_response


class RequestIdMiddleware:
    """Echo the request id (the caller's, or a fresh one) as X-Request-ID.

    Plain ASGI rather than BaseHTTPMiddleware, which would buffer streamed responses.
    """

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        connection = HTTPConnection(scope)
        rid = request_id(connection)
        # Later readers (the command context) see the same id the response carries.
        headers = [(k, v) for k, v in scope["headers"] if k != b"x-request-id"]
        scope["headers"] = [*headers, (b"x-request-id", rid.encode())]

        async def send_with_id(message: Message) -> None:
            if message["type"] == "http.response.start":
                MutableHeaders(scope=message)[REQUEST_ID_HEADER] = rid
            await send(message)

        await self.app(scope, receive, send_with_id)


class BodySizeLimitMiddleware:
    """Refuse request bodies over `max_bytes` with 413, before they are read whole.

    A declared Content-Length over the limit is refused at once; a chunked body is
    counted as it arrives and refused as soon as it passes the limit.
    """

    def __init__(self, app: ASGIApp, max_bytes: int) -> None:
        self.app = app
        self.max_bytes = max_bytes

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        declared = Headers(scope=scope).get("content-length", "")
        if declared.isdigit() and int(declared) > self.max_bytes:
            response = problem_response(413, "body-too-large", "Content Too Large",
                                        self._detail(), headers={"Connection": "close"})
            await response(scope, receive, send)
            return
        received = 0

        async def counted_receive() -> Message:
            nonlocal received
            message = await receive()
            if message["type"] == "http.request":
                received += len(message.get("body", b""))
                if received > self.max_bytes:
                    raise HTTPException(413, self._detail())
            return message

        await self.app(scope, counted_receive, send)

    def _detail(self) -> str:
        return f"The request body is larger than the limit of {self.max_bytes} bytes."


class RequestTimeoutMiddleware:
    """Answer 503 when a request has produced no response within `seconds`.

    Database timeouts cover a database that refuses or answers slowly, but not one that
    stops answering on an open connection: the driver then waits on its socket for ever.
    The client still gets a prompt 503 with Retry-After; the stuck worker thread finishes
    (and its late output is dropped) once the connection breaks or the database wakes.
    A command that times out may still commit afterwards, as with any lost reply:
    retrying it with its Idempotency-Key is what makes that safe.
    """

    def __init__(self, app: ASGIApp, seconds: float) -> None:
        self.app = app
        self.seconds = seconds

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        started = False
        timed_out = False

        async def guarded_send(message: Message) -> None:
            nonlocal started
            if timed_out:
                return
            if message["type"] == "http.response.start":
                started = True
            await send(message)

        async def answer_unavailable() -> None:
            response = problem_response(
                503, "unavailable", "Service Unavailable",
                f"The request took longer than {self.seconds:g} s, most likely waiting "
                "on the database; retry in a few seconds.",
                headers={"Retry-After": str(RETRY_AFTER_SECONDS)},
            )
            await response(scope, receive, send)

        def on_timeout() -> None:
            nonlocal timed_out
            if not started:
                timed_out = True
                answering.append(asyncio.ensure_future(answer_unavailable()))

        # A timer rather than a watchdog task: a task group per request costs more than
        # the rest of a cheap request, and the timer almost never fires. The app is not
        # cancelled (its worker thread could not be); its late answer is dropped instead.
        answering: list[asyncio.Future[None]] = []
        timer = asyncio.get_running_loop().call_later(self.seconds, on_timeout)
        try:
            await self.app(scope, receive, guarded_send)
        finally:
            timer.cancel()
            for answer in answering:
                await answer
