"""The composition root: the one place that builds the service's parts from its settings.

`create_app`'s lifespan (through `serving`) and every command call `bootstrap`; nothing
else makes an engine, a storage, a `Shop`, a relay or a clock. The clock is `utc_now`,
handed to every part that tells the time, so a test can hand in another.
"""

from __future__ import annotations

import logging
import os
import socket
import uuid
from collections.abc import AsyncIterator, Callable, Coroutine
from contextlib import asynccontextmanager
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from functools import partial
from pathlib import Path
from typing import TYPE_CHECKING, Any, Self

import anyio
from sqlalchemy import Engine
from sqlalchemy.exc import OperationalError

from order_service.adapters.email.templates import JinjaEmailTemplates
from order_service.adapters.http.nominatim import NominatimGeocoder
from order_service.adapters.nats.jetstream import JetStreamPublisher
from order_service.adapters.smtp.mailer import SmtpMailer, SmtpServer
from order_service.adapters.sql.address_locations import SqlAddressLocations
from order_service.adapters.sql.admin_sessions import SqlAdminSessions
from order_service.adapters.sql.api_keys import SqlApiKeys
from order_service.adapters.sql.async_pool import opened_pool
from order_service.adapters.sql.async_two_step import PgAsyncTwoStepCommands
from order_service.adapters.sql.email_ledger import SqlEmailHistory, SqlEmailLedger
from order_service.adapters.sql.engine import Timeouts, make_engine
from order_service.adapters.sql.idempotency import purge_expired_keys
from order_service.adapters.sql.key_cache import REFRESH_SECONDS, CachedApiKeys
from order_service.adapters.sql.relay_checkpoints import SqlRelayCheckpoints, relay_lag
from order_service.adapters.sql.schema import (
    database_is_reachable,
    require_schema_at_head,
    upgrade_to_head,
)
from order_service.adapters.sql.storage import SqlStorage
from order_service.application.background import expire_pending_orders_forever, repeat
from order_service.application.emails import (
    EMAIL_STREAM,
    EmailComposer,
    EmailFollower,
    EmailHistory,
    EmailObserver,
)
from order_service.application.handlers import Shop
from order_service.application.hot_commands import HotCommands, ThreadedTwoStepCommands
from order_service.application.observers import NOBODY_WATCHING, EveryObserver, ShopObserver
from order_service.application.ports import Clock, OrderDocuments
from order_service.application.queries import ThreadedOrderDocuments
from order_service.application.relay import EventRelay, RelayObserver
from order_service.geocoding.locator import AddressLocator, GeocodePlacedOrders
from order_service.projections.async_documents import PgOrderDocuments
from order_service.settings import Settings

if TYPE_CHECKING:
    # Only the type: prometheus_client chooses where it keeps figures when it is first
    # imported, which must be after `serve` has set PROMETHEUS_MULTIPROC_DIR.
    from order_service.observability.metrics import Metrics

log = logging.getLogger(__name__)

# A back-office session left alone this long ends (sooner if its lifetime is shorter).
ADMIN_IDLE_TIMEOUT = timedelta(hours=2)
# Expired keys are also ignored when met, so purging is only housekeeping.
PURGE_INTERVAL_SECONDS = 600
# Lag is read from the database, so every worker reports the same figure whichever of
# them holds the relay's lease, and a stalled relay shows as a growing lag.
RELAY_LAG_INTERVAL_SECONDS = 5.0

Worker = Callable[[], Coroutine[Any, Any, None]]


def utc_now() -> datetime:
    """The current time in UTC: the service's one clock."""
    return datetime.now(UTC)


@dataclass(frozen=True)
class Service:
    """The parts of one process's service, built by `bootstrap`; close it when done."""

    settings: Settings
    clock: Clock
    engine: Engine
    storage: SqlStorage
    shop: Shop
    api_keys: SqlApiKeys
    key_cache: CachedApiKeys
    admin_sessions: SqlAdminSessions
    metrics: Metrics | None
    address_locator: AddressLocator | None

    def __enter__(self) -> Self:
        return self

    def __exit__(self, *_exception: object) -> None:
        self.close()

    def close(self) -> None:
        """Stop the address locator's thread, if it runs, and close the connections."""
        if self.address_locator is not None:
            self.address_locator.stop()
        self.engine.dispose()

    def require_schema(self) -> None:
        """Refuse (SchemaOutOfDate) a database whose schema is not this version's."""
        require_schema_at_head(self.engine)

    def database_is_reachable(self) -> bool:
        """Whether a trivial query on the database succeeds."""
        return database_is_reachable(self.engine)

    def purge_idempotency_keys(self) -> int:
        """Forget the Idempotency-Keys older than their time to live; how many went."""
        return purge_expired_keys(self.engine, self.clock(), self.idempotency_ttl)

    @property
    def idempotency_ttl(self) -> timedelta:
        """How long an Idempotency-Key is remembered."""
        return timedelta(seconds=self.settings.idempotency_key_ttl_seconds)

    def relay(self, observer: RelayObserver | None = None, *, from_start: bool = False
              ) -> EventRelay:
        """A relay from this store to the JetStream stream the settings name."""
        return build_relay(self.settings, self.engine, observer, clock=self.clock,
                           from_start=from_start)

    def email_follower(self, observer: EmailObserver | None = None) -> EmailFollower:
        """The follower that sends the order emails through the settings' SMTP server."""
        return build_email_follower(self.settings, self.engine, observer, clock=self.clock)

    @property
    def email_history(self) -> EmailHistory:
        """What the back office shows of an order's emails, and its Resend."""
        return SqlEmailHistory(self.engine)

    def email_composer(self) -> EmailComposer:
        """What makes each order email (the follower's, and `preview-email`'s)."""
        return email_composer(self.settings, self.engine, self.clock)

    def workers(self) -> list[Worker]:
        """The loops a server worker runs beside the API until it stops."""
        settings, metrics = self.settings, self.metrics
        workers: list[Worker] = [
            partial(repeat, self.key_cache.refresh, REFRESH_SECONDS, _nothing,
                    failing="check for revoked API keys"),
            partial(repeat, self.purge_idempotency_keys, PURGE_INTERVAL_SECONDS, _purged,
                    failing="purge expired idempotency keys", level=logging.WARNING),
        ]
        if settings.nats_url:
            observer = None if metrics is None else metrics.relay_observer()
            workers.append(self.relay(observer).run)
            if metrics is not None:
                lag = partial(relay_lag, self.engine, settings.nats_stream)
                workers.append(partial(repeat, lag, RELAY_LAG_INTERVAL_SECONDS,
                                       lambda found: metrics.set_relay_lag(found.events_behind),
                                       failing="read the relay's lag"))
        if settings.smtp_url:
            workers.append(self.email_follower(metrics).run)
            if metrics is not None:
                email_lag = partial(relay_lag, self.engine, EMAIL_STREAM)
                workers.append(partial(repeat, email_lag, RELAY_LAG_INTERVAL_SECONDS,
                                       lambda found: metrics.set_email_lag(found.events_behind),
                                       failing="read the email follower's lag"))
        hold = settings.payment_hold()
        if hold.enabled:
            workers.append(partial(expire_pending_orders_forever, self.shop, hold,
                                   settings.expiry_sweep_seconds,
                                   _nothing if metrics is None else metrics.record_sweep))
        return workers


def bootstrap(settings: Settings, *, clock: Clock = utc_now, metrics: Metrics | None = None,
              pool_size: int | None = None, statement_timeout: bool = True,
              serving: bool = False) -> Service:
    """Build the service from `settings`: nothing connects until a part is used.

    `pool_size` defaults to the settings' (a server's); a command needs one or two.
    Without `statement_timeout`, statements may run as long as they take (an export).
    `serving` adds what only a server worker runs: the geocoding of addresses for the map.
    """
    timeouts = _timeouts(settings, statement_timeout=statement_timeout)
    engine = make_engine(settings.database_url, pool_size=pool_size or settings.db_pool_size,
                         timeouts=timeouts)
    ttl = timedelta(seconds=settings.idempotency_key_ttl_seconds)
    storage = SqlStorage(engine, clock, idempotency_ttl=ttl)
    locator = _address_locator(engine, settings, clock) if serving else None
    api_keys = SqlApiKeys(engine, clock)
    return Service(
        settings=settings,
        clock=clock,
        engine=engine,
        storage=storage,
        shop=Shop(storage, settings.shop_terms(), clock, observer=_observer(metrics, locator)),
        api_keys=api_keys,
        key_cache=CachedApiKeys(api_keys),
        admin_sessions=SqlAdminSessions(
            engine, clock, lifetime=timedelta(hours=settings.admin_session_hours),
            idle=ADMIN_IDLE_TIMEOUT),
        metrics=metrics,
        address_locator=locator,
    )


@asynccontextmanager
async def serving(settings: Settings, metrics: Metrics) -> AsyncIterator[Service]:
    """A server worker's service, its background loops running until the block ends."""
    with bootstrap(settings, metrics=metrics, serving=True) as service:
        _check_schema_to_serve(service.engine)
        async with anyio.create_task_group() as background:
            for worker in service.workers():
                background.start_soon(worker)
            if service.address_locator is not None:
                service.address_locator.start()
            yield service
            background.cancel_scope.cancel()


@dataclass(frozen=True)
class EventLoopPath:
    """What the hottest routes await on the event loop: reads and commands."""

    documents: OrderDocuments
    commands: HotCommands


@asynccontextmanager
async def opened_event_loop_path(settings: Settings, shop: Shop
                                 ) -> AsyncIterator[EventLoopPath]:
    """On PostgreSQL, one asyncpg pool serving both; elsewhere, the shop's own storage
    on worker threads."""
    storage = shop.storage
    if not (isinstance(storage, SqlStorage) and storage.engine.dialect.name == "postgresql"):
        yield EventLoopPath(ThreadedOrderDocuments(storage),
                            HotCommands(shop, ThreadedTwoStepCommands(storage)))
        return
    timeouts = _timeouts(settings)
    async with opened_pool(settings.database_url, settings.db_pool_size, timeouts) as pool:
        steps = PgAsyncTwoStepCommands(
            pool, shop.clock, timedelta(seconds=settings.idempotency_key_ttl_seconds),
            timeouts)
        yield EventLoopPath(PgOrderDocuments(pool, timeouts), HotCommands(shop, steps))


def migrate(settings: Settings) -> None:
    """Bring the database's schema to this version's, as the role that owns the tables."""
    upgrade_to_head(settings.migration_url())


def build_relay(settings: Settings, engine: Engine, observer: RelayObserver | None = None,
                *, clock: Clock = utc_now, from_start: bool = False) -> EventRelay:
    """A relay from the store behind `engine` to the JetStream stream the settings name."""
    if not settings.nats_url:
        raise ValueError("set ORDER_SERVICE_NATS_URL to relay the events to NATS")
    return EventRelay(
        SqlStorage(engine, clock),
        SqlRelayCheckpoints(engine, settings.nats_stream, _relay_holder()),
        JetStreamPublisher(settings.nats_url, settings.nats_stream,
                           settings.nats_subject_prefix),
        batch_size=settings.relay_batch_size,
        lease_seconds=settings.relay_lease_seconds,
        observer=observer,
        from_start=from_start,
    )


def build_email_follower(settings: Settings, engine: Engine,
                         observer: EmailObserver | None = None, *,
                         clock: Clock = utc_now) -> EmailFollower:
    """The email follower of the store behind `engine`, through the settings' SMTP server."""
    if not settings.smtp_url or not settings.mail_from:
        raise ValueError("set ORDER_SERVICE_SMTP_URL and ORDER_SERVICE_MAIL_FROM to send "
                         "the order emails")
    holder = _relay_holder()
    return EmailFollower(
        SqlStorage(engine, clock),
        SqlRelayCheckpoints(engine, EMAIL_STREAM, holder, from_now=True),
        SqlEmailLedger(engine, holder, clock),
        SmtpMailer(SmtpServer.from_url(settings.smtp_url), settings.mail_from, clock),
        email_composer(settings, engine, clock),
        lease_seconds=settings.relay_lease_seconds,
        observer=observer,
    )


def email_composer(settings: Settings, engine: Engine, clock: Clock = utc_now
                   ) -> EmailComposer:
    """What makes each order email, from the store behind `engine`."""
    return EmailComposer(SqlStorage(engine, clock), email_templates(settings),
                         settings.transfer_terms())


def email_templates(settings: Settings) -> JinjaEmailTemplates:
    """The order emails' templates in the shop's language (a merchant's folder first)."""
    folder = None if settings.email_templates is None else Path(settings.email_templates)
    return JinjaEmailTemplates(shop_name=settings.shop_name, locale=settings.locale,
                               time_zone=settings.zone(), folder=folder)


def _timeouts(settings: Settings, *, statement_timeout: bool = True) -> Timeouts:
    """How long the service waits on its database (no statement limit for an export)."""
    return Timeouts(
        connect_seconds=settings.db_connect_timeout_seconds,
        pool_seconds=settings.db_pool_timeout_seconds,
        statement_ms=settings.db_statement_timeout_ms if statement_timeout else 0,
    )


def _relay_holder() -> str:
    """A name for this relay in the lease: where it runs, and unique to this run."""
    return f"{socket.gethostname()[:60]}:{os.getpid()}:{uuid.uuid4().hex[:8]}"


def _check_schema_to_serve(engine: Engine) -> None:
    # A wrong schema is a deployment error: refuse to start. An unreachable database is
    # an outage: start anyway, answer 503 (readiness included) until it is back, so a
    # worker restarted mid-outage does not take the whole server down with it.
    try:
        require_schema_at_head(engine)
    except OperationalError as error:
        log.warning("database unreachable at startup; serving 503 until it is back: %s",
                    str(error.orig).strip().splitlines()[0] if error.orig else error)


def _address_locator(engine: Engine, settings: Settings, clock: Clock
                     ) -> AddressLocator | None:
    """The geocoding thread behind the order page's map (not started), if there is a map."""
    if not settings.map_tile_url or not settings.geocoder_url:
        return None
    geocoder = NominatimGeocoder(settings.geocoder_url,
                                 timeout_seconds=settings.geocoder_timeout_seconds)
    return AddressLocator(geocoder, SqlAddressLocations(engine), clock,
                          timeout_seconds=settings.geocoder_timeout_seconds)


def _observer(metrics: Metrics | None, locator: AddressLocator | None) -> ShopObserver:
    """Who hears what the shop did: the metrics, and the geocoding of new addresses."""
    observers: list[ShopObserver] = [] if metrics is None else [metrics]
    if locator is not None:
        observers.append(GeocodePlacedOrders(locator))
    if len(observers) < 2:
        return observers[0] if observers else NOBODY_WATCHING
    return EveryObserver(*observers)


def _purged(removed: int) -> None:
    if removed:
        log.info("purged %d expired idempotency keys", removed)


def _nothing(_result: object) -> None:
    pass
