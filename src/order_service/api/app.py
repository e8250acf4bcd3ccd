"""create_app(): the FastAPI application, built fresh for each server or test."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import UTC, datetime

from fastapi import FastAPI

from order_service import __version__
from order_service.api.cursors import CursorCodec
from order_service.api.middleware import RequestIdMiddleware
from order_service.api.problems import install_problem_handlers
from order_service.api.routers import health, orders, products, shipping_methods
from order_service.application.handlers import Shop
from order_service.eventstore.engine import make_engine
from order_service.schema import require_schema_at_head
from order_service.settings import Settings, get_settings
from order_service.storage import SqlStorage

DESCRIPTION = """
Event-sourced order management for online shops.

Every change is an event in an append-only store (`OrderPlaced`, `OrderPaid`,
`OrderShipped`, `OrderCancelled`, ...); orders and stock are read models rebuilt from
those events. Money is always integer minor units of the shop currency. Errors are
RFC 9457 `application/problem+json`.
"""


def utc_now() -> datetime:
    """The current time in UTC: the service's clock."""
    return datetime.now(UTC)


def create_app(settings: Settings | None = None) -> FastAPI:
    """Build the app; the database engine is made when it starts, not at import."""
    settings = settings or get_settings()

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        engine = make_engine(settings.database_url, pool_size=settings.db_pool_size)
        try:
            require_schema_at_head(engine)
            app.state.shop = Shop(SqlStorage(engine, utc_now), settings.shop_terms(), utc_now)
            app.state.cursors = CursorCodec(settings.cursor_secret.encode())
            yield
        finally:
            engine.dispose()

    app = FastAPI(
        title="order-service",
        version=__version__,
        description=DESCRIPTION,
        lifespan=lifespan,
    )
    install_problem_handlers(app)
    app.add_middleware(RequestIdMiddleware)
    for module in (orders, products, shipping_methods, health):
        app.include_router(module.router)
    return app
