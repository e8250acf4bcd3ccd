"""The hardened edge: security headers, CORS and a last-resort error barrier."""

from __future__ import annotations

import logging

from starlette.datastructures import Headers, MutableHeaders
from starlette.middleware.cors import CORSMiddleware
from starlette.responses import Response
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from order_service.api.problems import problem_response

log = logging.getLogger("order_service.errors")

# What every answer says about itself. The API returns data, never pages, so nothing
# may frame, sniff or cache it; /docs and /redoc are the exceptions for scripts.
API_HEADERS = {
    "X-Content-Type-Options": "nosniff",
    "X-Frame-Options": "DENY",
    "Referrer-Policy": "no-referrer",
    "Cross-Origin-Resource-Policy": "same-origin",
    "Content-Security-Policy": "default-src 'none'; frame-ancestors 'none'",
    "Cache-Control": "no-store",
}
DOCS_PATHS = ("/docs", "/redoc")
# The docs load every asset from the service itself (api/docs.py), so nothing else is
# allowed: a page that reached for another host would fail here, not leak.
DOCS_CONTENT_SECURITY_POLICY = (
    "default-src 'self'; script-src 'self' 'unsafe-inline'; "
    "style-src 'self' 'unsafe-inline'; font-src 'self' data:; img-src 'self' data:; "
    "worker-src 'self' blob:; frame-ancestors 'none'"
)
HSTS = "max-age=31536000; includeSubDomains"


class SecurityHeadersMiddleware:
    """Add the security headers to every response."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        docs = str(scope.get("path", "")).startswith(DOCS_PATHS)
        https = scope.get("scheme") == "https"

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = MutableHeaders(scope=message)
                for name, value in API_HEADERS.items():
                    headers.setdefault(name, value)
                if docs:
                    headers["Content-Security-Policy"] = DOCS_CONTENT_SECURITY_POLICY
                    headers["Cache-Control"] = "no-cache"
                if https:
                    headers["Strict-Transport-Security"] = HSTS
            await send(message)

        await self.app(scope, receive, send_with_headers)


class ErrorBarrierMiddleware:
    """Turn any error that escaped the app into a plain 500 problem, and log it plainly.

    Starlette's own error middleware would answer too, but then re-raise, and the server
    would print a stack trace (with whatever SQL and values the error carried) into the
    log. Here the log line names only the error's type and the request id; the details
    stay in the process for a debugger, not in log storage.
    """

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        started = False

        async def tracking_send(message: Message) -> None:
            nonlocal started
            if message["type"] == "http.response.start":
                started = True
            await send(message)

        try:
            await self.app(scope, receive, tracking_send)
        except Exception as error:
            request_id = dict(scope.get("headers", [])).get(b"x-request-id", b"").decode()
            log.error("unhandled %s in %s %s (request id %s)", type(error).__name__,
                      scope.get("method"), scope.get("path"), request_id)
            if not started:
                response = problem_response(
                    500, "internal-error", "Internal server error",
                    f"The service failed to handle this request (request id {request_id}).")
                await response(scope, receive, send)


class StorefrontCors(CORSMiddleware):
    """CORS for the configured storefront origins; a refused preflight is problem+json."""

    def preflight_response(self, request_headers: Headers) -> Response:
        """Starlette's preflight answer, with its plain-text refusals made problems."""
        response = super().preflight_response(request_headers)
        if response.status_code < 400:
            return response
        reasons = bytes(response.body).decode(errors="replace")
        problem = problem_response(
            400, "cors-refused", "CORS preflight refused",
            f"{reasons}. Allowed origins are set with ORDER_SERVICE_CORS_ORIGINS.")
        for name, value in response.headers.items():
            if name.lower().startswith(("access-control-", "vary")):
                problem.headers[name] = value
        return problem
