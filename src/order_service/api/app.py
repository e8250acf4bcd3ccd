"""create_app(): the FastAPI application, built fresh for each server or test."""

from __future__ import annotations

import gc
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

import anyio
from fastapi import Depends, FastAPI

from order_service import __version__
from order_service.api.admin import install_admin
from order_service.api.cursors import CursorCodec
from order_service.api.direct_routes import DirectRoutesMiddleware
from order_service.api.docs import install_docs
from order_service.api.edge import (
    ErrorBarrierMiddleware,
    SecurityHeadersMiddleware,
    StorefrontCors,
)
from order_service.api.idempotency import install_idempotency_handlers
from order_service.api.metrics import install_metrics
from order_service.api.middleware import (
    BodySizeLimitMiddleware,
    RequestLogMiddleware,
    RequestTimeoutMiddleware,
)
from order_service.api.nul_characters import refuse_nul_characters
from order_service.api.openapi import install_openapi
from order_service.api.problems import install_problem_handlers
from order_service.api.query_params import reject_unknown_query_parameters
from order_service.api.rate_limit import KeyRateLimiter
from order_service.api.routers import (
    after_sale,
    events,
    export,
    health,
    orders,
    payments,
    products,
    reports,
    shipping_methods,
)
from order_service.bootstrap import opened_event_loop_path, serving
from order_service.observability.metrics import Metrics
from order_service.settings import Settings, get_settings

DESCRIPTION = """
Event-sourced order management for online shops.

Every change is an event in an append-only store (`OrderPlaced`, `OrderPaid`,
`OrderShipped`, `OrderCancelled`, ...); orders and stock are read models rebuilt from
those events. Money is always integer minor units of the shop currency. Errors are
RFC 9457 `application/problem+json`.
"""


def create_app(settings: Settings | None = None) -> FastAPI:
    """Build the app; the database engine is made when it starts, not at import."""
    settings = settings or get_settings()
    settings.require_own_cursor_secret()

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        # Each route runs in a worker thread holding one pooled connection at a time.
        # With more threads than connections, a burst of requests opens overflow
        # connections and closes them again (a new PostgreSQL backend each time); with
        # as many, the burst waits its turn in the event loop instead.
        anyio.to_thread.current_default_thread_limiter().total_tokens = settings.db_pool_size
        async with serving(settings, metrics) as service, \
                opened_event_loop_path(settings, service.shop) as event_loop:
            app.state.shop = service.shop
            app.state.order_documents = event_loop.documents
            app.state.hot_commands = event_loop.commands
            app.state.api_keys = service.api_keys
            app.state.key_cache = service.key_cache
            app.state.admin_sessions = service.admin_sessions
            app.state.email_history = service.email_history
            app.state.address_locator = service.address_locator
            app.state.database_is_reachable = service.database_is_reachable
            app.state.cursors = CursorCodec(settings.cursor_secret.encode())
            app.state.settings = settings
            app.state.rate_limiter = (KeyRateLimiter(settings.rate_limit_per_minute)
                                      if settings.rate_limit_per_minute else None)
            app.state.keys_marked_used = {}
            # What is built by now (modules, routes, pydantic's validators, the pools)
            # lives as long as the worker. Left to the collector, each full collection
            # walked all of it: about 100 ms with the event loop stopped, a few times a
            # minute under load, which was the whole p99 of GET /v1/orders/{id}.
            gc.freeze()
            try:
                yield
            finally:
                gc.unfreeze()

    app = FastAPI(
        title="order-service",
        version=__version__,
        description=DESCRIPTION,
        lifespan=lifespan,
        # Served by install_docs with local assets instead of FastAPI's CDN ones.
        docs_url=None,
        redoc_url=None,
        dependencies=[Depends(refuse_nul_characters),
                      Depends(reject_unknown_query_parameters)],
    )
    install_openapi(app, settings.payment_methods)
    install_docs(app)
    install_problem_handlers(app)
    install_idempotency_handlers(app)
    # Made here, not in the lifespan: the middleware needs it, and a worker has one app.
    metrics = app.state.metrics = Metrics()
    install_metrics(app, metrics, settings.metrics_token)
    # Added innermost first: the request log (ids, metrics, access lines) and the error
    # barrier wrap everything, then CORS and security headers apply to every answer,
    # errors included.
    # Innermost: the hottest routes' plain requests skip the router, inside every layer.
    app.add_middleware(DirectRoutesMiddleware, fastapi=app)
    app.add_middleware(BodySizeLimitMiddleware, max_bytes=settings.max_body_bytes)
    app.add_middleware(RequestTimeoutMiddleware, seconds=settings.request_timeout_seconds)
    app.add_middleware(
        StorefrontCors,
        allow_origins=list(settings.cors_origins),
        allow_methods=["GET", "POST", "PATCH"],
        allow_headers=["Authorization", "Content-Type", "Idempotency-Key", "If-Match",
                       "X-Request-ID"],
        expose_headers=["Location", "ETag", "Link", "Retry-After", "X-Request-ID",
                        "Idempotent-Replayed"],
        max_age=600,
    )
    app.add_middleware(SecurityHeadersMiddleware)
    app.add_middleware(ErrorBarrierMiddleware)
    # Outermost: times and counts every answer, the error barrier's 500 included.
    app.add_middleware(RequestLogMiddleware, metrics=metrics)
    # export before orders: /v1/orders/export must not be read as an order id.
    for module in (export, orders, after_sale, products, shipping_methods, payments, events,
                   reports, health):
        app.include_router(module.router)
    install_admin(app, settings)
    return app
