"""The event loop's connections to PostgreSQL: one asyncpg pool per worker process.

The hot reads (projections/async_documents.py) and the hot commands (async_two_step.py)
share it. asyncpg rather than psycopg's async connections, by measurement (bench/
RESULTS.md, issue 13): the same read cost 90-120 µs of the worker's CPU on asyncpg and
140-240 µs on psycopg's AsyncConnection; the blocking driver is cheaper still but needs a
thread hop per request.
"""

from __future__ import annotations

import asyncio
import json
import re
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from functools import lru_cache

import asyncpg

from order_service.adapters.sql.engine import PLAN_CACHE_MODE, Timeouts, database_url
from order_service.application.errors import ConcurrencyConflict, StorageUnavailable

# What a broken or unreachable database raises here (asyncio.TimeoutError: no connection
# became free in time, or the server did not answer the connect).
UNAVAILABLE = (OSError, asyncio.TimeoutError, asyncpg.PostgresConnectionError,
               asyncpg.InterfaceError, asyncpg.CannotConnectNowError)


@asynccontextmanager
async def opened_pool(raw_url: str, size: int, timeouts: Timeouts
                      ) -> AsyncIterator[asyncpg.Pool]:
    """A pool of up to `size` connections to `raw_url`, closed when the block ends."""
    url = database_url(raw_url).set(drivername="postgresql")
    # min_size 0: nothing is connected at start, so a database that is down then is the
    # readiness probe's to report and each request's to answer with a 503.
    pool = await asyncpg.create_pool(
        url.render_as_string(hide_password=False), min_size=0, max_size=size,
        timeout=timeouts.connect_seconds, command_timeout=timeouts.statement_ms / 1000 or None,
        server_settings=session_settings(timeouts),
        init=_json_documents, reset=_nothing_to_reset)
    try:
        yield pool
    finally:
        await pool.close()


def session_settings(timeouts: Timeouts) -> dict[str, str]:
    """What each of the pool's connections sets for its whole life.

    Every statement is planned for each call (force_custom_plan), with the tables as
    they are then. A connection lives as long as the worker, and by default PostgreSQL
    keeps the generic plan it made on the sixth call: made while the idempotency keys
    were a few dozen rows, it scanned and hashed every key ever kept, on every placement,
    for good (autovacuum's ANALYZE would replace it, where autovacuum runs). A full
    bench lost half its placements/s from its second run on; planning each call costs
    about 20 µs on a GET and 130 µs on a batch read (bench/RESULTS.md, issue 13).
    """
    return {"statement_timeout": str(timeouts.statement_ms),
            "plan_cache_mode": PLAN_CACHE_MODE}


async def _json_documents(connection: asyncpg.Connection) -> None:
    """JSON columns and parameters as Python dicts and lists, as with the other drivers."""
    for name in ("json", "jsonb"):
        await connection.set_type_codec(name, schema="pg_catalog", encoder=json.dumps,
                                        decoder=json.loads)


async def _nothing_to_reset(_connection: asyncpg.Connection) -> None:
    """Nothing here leaves anything on a session (no SET, LISTEN, cursor or session
    lock), so a connection goes back to the pool as it is: asyncpg's default reset would
    cost one more round trip per request. (asyncpg still rolls back a transaction left
    open.)"""


@lru_cache(maxsize=64)
def numbered(statement: str) -> str:
    """`statement` with asyncpg's $1, $2, ... for psycopg's %s placeholders."""
    numbers = iter(range(1, statement.count("%s") + 1))
    return re.sub("%s", lambda _: f"${next(numbers)}", statement)


def translated(error: Exception, conflict: Exception) -> Exception:
    """What an asyncpg error means to the application; `conflict` for a broken key or
    CHECK (someone got there first: decide again)."""
    if isinstance(error, UNAVAILABLE):
        return StorageUnavailable(first_line(error))
    sqlstate = getattr(error, "sqlstate", "") or ""
    if sqlstate in ("23505", "23514"):
        return conflict
    if sqlstate in ("40P01", "40001"):
        return ConcurrencyConflict.aborted(first_line(error))
    if sqlstate.startswith(("08", "57")):  # connection lost, server shutting down
        return StorageUnavailable(first_line(error))
    return error


def first_line(error: BaseException) -> str:
    """An error's first line, to say what failed without a stack of driver detail."""
    lines = str(error).strip().splitlines()
    return lines[0] if lines else type(error).__name__
