"""ASGI middleware: request ids on every response."""

from __future__ import annotations

from starlette.datastructures import MutableHeaders
from starlette.requests import HTTPConnection
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from order_service.api.deps import REQUEST_ID_HEADER, request_id


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
