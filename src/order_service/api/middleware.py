"""ASGI middleware: request ids, metrics and access lines, body limits, timeouts."""

from __future__ import annotations

import asyncio
import logging
import time
from time import perf_counter

from starlette.datastructures import Headers, MutableHeaders
from starlette.exceptions import HTTPException
from starlette.requests import HTTPConnection
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from order_service.api.deps import REQUEST_ID_HEADER, request_id
from order_service.api.problems import RETRY_AFTER_SECONDS, problem_response
from order_service.observability.logs import ACCESS_LOGGER, current_request_id
from order_service.observability.metrics import UNMATCHED_ROUTE, Metrics

ACCESS_LOG = logging.getLogger(ACCESS_LOGGER)


class RequestLogMiddleware:
    """Give each request its id, then time it, count it in the metrics and log it.

    The id is the caller's X-Request-ID if it is sane, else a fresh one; it is echoed in
    the response, seen by the command context (which stores it as the events'
    correlation id) and carried by every log line written while serving the request.
    Outermost, so that even the error barrier's 500 is counted and carries the id.
    Plain ASGI rather than BaseHTTPMiddleware, which would buffer streamed responses.
    """

    def __init__(self, app: ASGIApp, metrics: Metrics) -> None:
        self.app = app
        self.metrics = metrics

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        started = perf_counter()
        rid = request_id(HTTPConnection(scope))
        # Later readers (the command context) see the same id the response carries.
        headers = [(k, v) for k, v in scope["headers"] if k != b"x-request-id"]
        scope["headers"] = [*headers, (b"x-request-id", rid.encode())]
        status = 0

        async def send_with_id(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
                MutableHeaders(scope=message)[REQUEST_ID_HEADER] = rid
            await send(message)

        token = current_request_id.set(rid)
        try:
            await self.app(scope, receive, send_with_id)
        except asyncio.CancelledError:
            # The server is stopping and its grace period is over: say so, rather than
            # leave the client with a bare 500 or a dropped connection.
            if not status:
                await _cut_off(scope, receive, send_with_id)
            raise
        finally:
            status = status or 500  # what the server answers for an app that failed
            current_request_id.reset(token)
            seconds = perf_counter() - started
            route = route_template(scope)
            self.metrics.observe_request(scope["method"], route, status, seconds)
            if ACCESS_LOG.isEnabledFor(logging.INFO):
                _log_access(scope, route, status, seconds, rid)


async def _cut_off(scope: Scope, receive: Receive, send: Send) -> None:
    response = problem_response(
        503, "unavailable", "Service Unavailable",
        "The server stopped before this request was finished. A command may or may not "
        "have been carried out: retry it with the same Idempotency-Key.",
        headers={"Retry-After": str(RETRY_AFTER_SECONDS), "Connection": "close"})
    await response(scope, receive, send)


def route_template(scope: Scope) -> str:
    """The path template of the route that served the request (never the raw path)."""
    template = getattr(scope.get("route"), "path_format", None)
    return template if isinstance(template, str) else UNMATCHED_ROUTE


def _log_access(scope: Scope, route: str, status: int, seconds: float, rid: str) -> None:
    client = scope.get("client")
    ACCESS_LOG.info("%s %s %d", scope["method"], scope["path"], status, extra={
        "method": scope["method"], "route": route, "path": scope["path"], "status": status,
        "duration_ms": round(seconds * 1000, 2), "request_id": rid,
        "client": client[0] if client else None,
    })


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


# The key of `request.state` where a route finds when this request's time is up (in
# time.monotonic() seconds), to stop work whose answer would only be dropped.
DEADLINE_STATE = "deadline"


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
        scope.setdefault("state", {})[DEADLINE_STATE] = time.monotonic() + self.seconds

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
