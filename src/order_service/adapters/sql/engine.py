"""Engines for SQLite (embedded default) and PostgreSQL (production)."""

from __future__ import annotations

import time
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Connection, Engine, create_engine, event
from sqlalchemy.engine import URL, make_url
from sqlalchemy.exc import DisconnectionError

from order_service.adapters.sql.column_types import FOLD_CASE
from order_service.adapters.sql.errors import UnsupportedDatabase

# Set per connection by the unit of work; SQLite then takes the write lock at BEGIN
# instead of upgrading a read lock mid-transaction, which is what deadlocks writers.
WRITE_OPTION = "order_service_write"

SQLITE_BUSY_TIMEOUT_MS = 30_000


def statement_at_a_time(connection: Connection) -> Connection:
    """`connection` without a transaction around its statements, on PostgreSQL.

    A read made of one statement sees one snapshot either way; without BEGIN and COMMIT
    it costs one round trip instead of three. SQLite reads stay in their (free) BEGIN.
    """
    if connection.dialect.name == "postgresql":
        connection.execution_options(isolation_level="AUTOCOMMIT")
    return connection


def database_url(raw: str) -> URL:
    """Parse a database URL, choosing the psycopg 3 driver for PostgreSQL."""
    if raw.startswith("postgres://"):
        raw = "postgresql://" + raw.removeprefix("postgres://")
    url = make_url(raw)
    if url.drivername == "postgresql":
        url = url.set(drivername="postgresql+psycopg")
    return url


@dataclass(frozen=True, slots=True)
class Timeouts:
    """How long to wait on the database before giving up (so requests fail fast)."""

    connect_seconds: float = 3.0
    pool_seconds: float = 5.0
    statement_ms: int = 10_000


def make_engine(raw_url: str, *, pool_size: int = 10, timeouts: Timeouts | None = None) -> Engine:
    """An engine for `raw_url` tuned for this service's transactions."""
    timeouts = timeouts or Timeouts()
    url = database_url(raw_url)
    if url.get_backend_name() == "sqlite":
        return _sqlite_engine(url)
    if url.get_backend_name() == "postgresql":
        engine = create_engine(
            url,
            pool_size=pool_size,
            max_overflow=pool_size,
            pool_timeout=timeouts.pool_seconds,
            connect_args=postgres_connect_args(timeouts),
        )
        _ping_connections_that_sat_idle(engine)
        return engine
    raise UnsupportedDatabase(
        f"unsupported database {url.get_backend_name()!r}: use a sqlite:/// or postgresql:// URL"
    )


# How every connection of the service plans its statements: for each call, with the
# tables as they are then (async_pool.session_settings says why).
PLAN_CACHE_MODE = "force_custom_plan"


def postgres_connect_args(timeouts: Timeouts) -> dict[str, Any]:
    """What every PostgreSQL connection of the service is opened with."""
    return {
        "connect_timeout": max(1, round(timeouts.connect_seconds)),
        # Planned per call, as the event loop's connections are (async_pool.py says why).
        "options": f"-c statement_timeout={timeouts.statement_ms} "
                   f"-c plan_cache_mode={PLAN_CACHE_MODE}",
        # Notice a vanished server within seconds rather than the kernel's hours.
        "keepalives": 1,
        "keepalives_idle": 5,
        "keepalives_interval": 2,
        "keepalives_count": 3,
        "tcp_user_timeout": timeouts.statement_ms,
    }


# A connection back in the pool within this long has just proved itself; one that sat
# idle longer may have been cut by a database restart or a network blip meanwhile.
PING_AFTER_IDLE_SECONDS = 1.0


def _ping_connections_that_sat_idle(engine: Engine) -> None:
    """pool_pre_ping, but only for connections idle a while.

    Pinging every checkout costs a round trip, two per keyed request, under exactly the
    load where connections are busiest and least likely to be stale. A connection that
    breaks while in use is still caught: its error invalidates the whole pool, so every
    connection opened before the break is replaced, and the request gets a 503.
    """

    @event.listens_for(engine, "checkin")
    def _returned(_dbapi_connection: Any, record: Any) -> None:
        record.info["returned_at"] = time.monotonic()

    @event.listens_for(engine, "checkout")
    def _ping_if_idle(dbapi_connection: Any, record: Any, _proxy: Any) -> None:
        returned_at = record.info.get("returned_at")
        if returned_at is None or time.monotonic() - returned_at < PING_AFTER_IDLE_SECONDS:
            return
        try:
            engine.dialect.do_ping(dbapi_connection)  # what pool_pre_ping sends: ";"
        except engine.dialect.loaded_dbapi.Error as error:
            # The pool discards this connection and checks out a fresh one instead.
            raise DisconnectionError(str(error)) from error


def _fold_case(value: object) -> object:
    return value.lower() if isinstance(value, str) else value


def _sqlite_engine(url: URL) -> Engine:
    engine = create_engine(url, connect_args={"timeout": SQLITE_BUSY_TIMEOUT_MS / 1000})

    @event.listens_for(engine, "connect")
    def _configure(dbapi_connection: Any, _record: Any) -> None:
        # Let SQLAlchemy's "begin" event issue BEGIN itself (pysqlite would defer it).
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute("PRAGMA synchronous=NORMAL")
        cursor.execute(f"PRAGMA busy_timeout={SQLITE_BUSY_TIMEOUT_MS}")
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.close()
        # SQLite's lower() folds ASCII letters only ("GARCÍA" stays "garcÍa"); searches
        # by name fold case by Unicode's rules, as PostgreSQL's lower() does.
        dbapi_connection.create_function(FOLD_CASE, 1, _fold_case, deterministic=True)

    @event.listens_for(engine, "begin")
    def _begin(connection: Any) -> None:
        writing = connection.get_execution_options().get(WRITE_OPTION, False)
        connection.exec_driver_sql("BEGIN IMMEDIATE" if writing else "BEGIN")

    return engine
