"""create_app(): the FastAPI application, built fresh for each server or test."""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import UTC, datetime, timedelta

import anyio
from fastapi import Depends, FastAPI
from sqlalchemy import Engine
from sqlalchemy.exc import OperationalError, SQLAlchemyError

from order_service import __version__
from order_service.adapters.nats.event_relay import relay_events_forever
from order_service.adapters.sql.admin_sessions import SqlAdminSessions
from order_service.adapters.sql.api_keys import SqlApiKeys
from order_service.adapters.sql.engine import make_engine
from order_service.adapters.sql.idempotency import purge_expired_keys
from order_service.adapters.sql.key_cache import REFRESH_SECONDS, CachedApiKeys
from order_service.adapters.sql.relay_checkpoints import relay_lag
from order_service.adapters.sql.schema import require_schema_at_head
from order_service.adapters.sql.storage import SqlStorage
from order_service.api.admin import install_admin
from order_service.api.cursors import CursorCodec
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
    events,
    export,
    health,
    orders,
    payments,
    products,
    reports,
    shipping_methods,
)
from order_service.application.background import expire_pending_orders_forever
from order_service.application.errors import StorageUnavailable
from order_service.application.handlers import Shop
from order_service.application.observers import EveryObserver, ShopObserver
from order_service.geocoding.locations import SqlAddressLocations
from order_service.geocoding.locator import AddressLocator, GeocodePlacedOrders
from order_service.geocoding.nominatim import NominatimGeocoder
from order_service.observability.metrics import Metrics
from order_service.settings import Settings, get_settings

log = logging.getLogger(__name__)

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


# A back-office session left alone this long ends (sooner if its lifetime is shorter).
ADMIN_IDLE_TIMEOUT = timedelta(hours=2)

# Expired keys are also ignored when met, so purging is only housekeeping.
PURGE_INTERVAL_SECONDS = 600


async def _purge_idempotency_keys_forever(engine: Engine, settings: Settings) -> None:
    ttl = timedelta(seconds=settings.idempotency_key_ttl_seconds)
    while True:
        try:
            removed = await anyio.to_thread.run_sync(purge_expired_keys, engine, utc_now(), ttl)
        except SQLAlchemyError:
            log.warning("could not purge expired idempotency keys; will retry", exc_info=True)
        else:
            if removed:
                log.info("purged %d expired idempotency keys", removed)
        await anyio.sleep(PURGE_INTERVAL_SECONDS)


# Lag is read from the database, so every worker reports the same figure whichever of
# them holds the relay's lease, and a stalled relay shows as a growing lag.
RELAY_LAG_INTERVAL_SECONDS = 5.0


async def _report_relay_lag_forever(engine: Engine, settings: Settings, metrics: Metrics
                                    ) -> None:
    while True:
        try:
            lag = await anyio.to_thread.run_sync(relay_lag, engine, settings.nats_stream)
        except (SQLAlchemyError, StorageUnavailable):
            log.debug("could not read the relay's lag; will retry", exc_info=True)
        else:
            metrics.set_relay_lag(lag.events_behind)
        await anyio.sleep(RELAY_LAG_INTERVAL_SECONDS)


async def _refresh_key_cache_forever(keys: CachedApiKeys) -> None:
    while True:
        try:
            await anyio.to_thread.run_sync(keys.refresh)
        except (SQLAlchemyError, StorageUnavailable):
            # The cache stops trusting itself on its own once its last answer is too old.
            log.debug("could not check for revoked API keys; will retry", exc_info=True)
        await anyio.sleep(REFRESH_SECONDS)


def _check_schema(engine: Engine) -> None:
    # A wrong schema is a deployment error: refuse to start. An unreachable database is
    # an outage: start anyway, answer 503 (readiness included) until it is back, so a
    # worker restarted mid-outage does not take the whole server down with it.
    try:
        require_schema_at_head(engine)
    except OperationalError as error:
        log.warning("database unreachable at startup; serving 503 until it is back: %s",
                    str(error.orig).strip().splitlines()[0] if error.orig else error)


def _address_locator(engine: Engine, settings: Settings) -> AddressLocator | None:
    """The geocoding thread behind the order page's map (not started), if there is a map."""
    if not settings.map_tile_url or not settings.geocoder_url:
        return None
    geocoder = NominatimGeocoder(settings.geocoder_url,
                                 timeout_seconds=settings.geocoder_timeout_seconds)
    return AddressLocator(geocoder, SqlAddressLocations(engine), utc_now,
                          timeout_seconds=settings.geocoder_timeout_seconds)


def _observer(metrics: Metrics, locator: AddressLocator | None) -> ShopObserver:
    """Who hears what the shop did: the metrics, and the geocoding of new addresses."""
    return metrics if locator is None else EveryObserver(metrics, GeocodePlacedOrders(locator))


def create_app(settings: Settings | None = None) -> FastAPI:
    """Build the app; the database engine is made when it starts, not at import."""
    settings = settings or get_settings()

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        engine = make_engine(settings.database_url, pool_size=settings.db_pool_size,
                             timeouts=settings.timeouts())
        locator = _address_locator(engine, settings)
        try:
            _check_schema(engine)
            storage = SqlStorage(
                engine, utc_now,
                idempotency_ttl=timedelta(seconds=settings.idempotency_key_ttl_seconds),
            )
            app.state.address_locator = locator
            app.state.shop = Shop(storage, settings.shop_terms(), utc_now,
                                  observer=_observer(metrics, locator))
            app.state.cursors = CursorCodec(settings.cursor_secret.encode())
            app.state.api_keys = SqlApiKeys(engine, utc_now)
            app.state.key_cache = key_cache = CachedApiKeys(app.state.api_keys)
            app.state.admin_sessions = SqlAdminSessions(
                engine, utc_now, lifetime=timedelta(hours=settings.admin_session_hours),
                idle=ADMIN_IDLE_TIMEOUT)
            app.state.settings = settings
            app.state.rate_limiter = (KeyRateLimiter(settings.rate_limit_per_minute)
                                      if settings.rate_limit_per_minute else None)
            app.state.keys_marked_used = {}
            # Each route runs in a worker thread holding one pooled connection at a time.
            # With more threads than connections, a burst of requests opens overflow
            # connections and closes them again (a new PostgreSQL backend each time);
            # with as many, the burst waits its turn in the event loop instead.
            anyio.to_thread.current_default_thread_limiter().total_tokens = (
                settings.db_pool_size)
            async with anyio.create_task_group() as background:
                background.start_soon(_refresh_key_cache_forever, key_cache)
                background.start_soon(_purge_idempotency_keys_forever, engine, settings)
                if settings.nats_url:
                    background.start_soon(relay_events_forever, settings, engine, metrics)
                    background.start_soon(_report_relay_lag_forever, engine, settings, metrics)
                if settings.payment_hold().enabled:
                    background.start_soon(expire_pending_orders_forever, app.state.shop,
                                          settings.payment_hold(), settings.expiry_sweep_seconds,
                                          metrics.record_sweep)
                if locator is not None:
                    locator.start()
                yield
                background.cancel_scope.cancel()
        finally:
            if locator is not None:
                locator.stop()
            engine.dispose()

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
    app.add_middleware(BodySizeLimitMiddleware, max_bytes=settings.max_body_bytes)
    app.add_middleware(RequestTimeoutMiddleware, seconds=settings.request_timeout_seconds)
    app.add_middleware(
        StorefrontCors,
        allow_origins=list(settings.cors_origins),
        allow_methods=["GET", "POST"],
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
    for module in (export, orders, products, shipping_methods, payments, events, reports,
                   health):
        app.include_router(module.router)
    install_admin(app, settings)
    return app
