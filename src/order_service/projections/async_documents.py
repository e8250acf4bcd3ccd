"""Order documents read on the event loop, over asyncpg (PostgreSQL).

GET /v1/orders/{id} and the list page are the hottest reads. Through the blocking engine
each would hop to a worker thread, check a connection out of SQLAlchemy's pool and
compile its statement; here each is one statement on a pooled async connection, awaited
on the event loop. Its text never changes for a given set of bank details, so asyncpg
prepares it once per connection. The database builds the JSON (documents.py): the text
it sends is the response body.

asyncpg rather than psycopg's async connections, by measurement (bench/RESULTS.md, issue
13): the same read cost 90-120 µs of the worker's CPU on asyncpg and 140-240 µs on
psycopg's AsyncConnection; the blocking driver is cheaper still but needs a thread hop.
"""

from __future__ import annotations

import asyncio
import re
from collections.abc import AsyncIterator, Sequence
from contextlib import asynccontextmanager
from functools import lru_cache
from typing import Any
from uuid import UUID

import asyncpg

from order_service.adapters.sql.engine import Timeouts, database_url
from order_service.application.errors import StorageUnavailable
from order_service.application.views import OrderDocument, OrderDocumentPage, OrderFilter
from order_service.domain.payment_instructions import TransferTerms
from order_service.projections.documents import pg_newest_first_query, pg_order_document_query

# What a broken or unreachable database raises here (asyncio.TimeoutError: no connection
# became free in time, or the server did not answer the connect).
UNAVAILABLE = (OSError, asyncio.TimeoutError, asyncpg.PostgresConnectionError,
               asyncpg.InterfaceError, asyncpg.CannotConnectNowError)


class PgOrderDocuments:
    """OrderDocuments over a pool of asyncpg connections."""

    def __init__(self, pool: asyncpg.Pool, timeouts: Timeouts) -> None:
        self._pool = pool
        self._timeouts = timeouts

    @classmethod
    @asynccontextmanager
    async def opened(cls, raw_url: str, size: int, timeouts: Timeouts
                     ) -> AsyncIterator[PgOrderDocuments]:
        """A pool of up to `size` connections to `raw_url`, closed when the block ends."""
        url = database_url(raw_url).set(drivername="postgresql")
        # min_size 0: nothing is connected at start, so a database that is down then is
        # the readiness probe's to report and each read's to answer with a 503.
        pool = await asyncpg.create_pool(
            url.render_as_string(hide_password=False), min_size=0, max_size=size,
            timeout=timeouts.connect_seconds, command_timeout=timeouts.statement_ms / 1000,
            server_settings={"statement_timeout": str(timeouts.statement_ms)},
            reset=_nothing_to_reset)
        try:
            yield cls(pool, timeouts)
        finally:
            await pool.close()

    async def order_document(self, order_id: UUID, transfer: TransferTerms
                             ) -> OrderDocument | None:
        """One order's document, version and placer, or None if there is no such order."""
        statement, params = pg_order_document_query(transfer)
        rows = await self._rows(statement, [*params, order_id])
        if not rows:
            return None
        document, version, placed_by = rows[0]
        return OrderDocument(document.encode(), version, placed_by)

    async def newest_first(self, where: OrderFilter, limit: int, before_number: int | None,
                           transfer: TransferTerms) -> OrderDocumentPage:
        """Up to `limit` orders matching `where` numbered below `before_number`."""
        # One extra row tells whether another page exists without a COUNT.
        statement, params = pg_newest_first_query(where, before_number, limit + 1, transfer)
        rows = await self._rows(statement, params)
        page = rows[:limit]
        return OrderDocumentPage(documents=tuple(row[1].encode() for row in page),
                                 next_before=page[-1][0] if len(rows) > limit else None)

    async def _rows(self, statement: str, params: Sequence[Any]) -> list[asyncpg.Record]:
        try:
            async with self._pool.acquire(timeout=self._timeouts.pool_seconds) as connection:
                return await connection.fetch(_numbered(statement), *params)
        except UNAVAILABLE as error:
            # A broken connection is closed by the pool as it comes back, not reused.
            raise StorageUnavailable(_first_line(error)) from error


async def _nothing_to_reset(_connection: asyncpg.Connection) -> None:
    """These reads leave nothing on a session (no SET, LISTEN, cursor or advisory lock),
    so a connection goes back to the pool as it is: asyncpg's default reset would cost
    one more round trip per read. (asyncpg still rolls back a transaction left open.)"""


@lru_cache(maxsize=64)
def _numbered(statement: str) -> str:
    """`statement` with asyncpg's $1, $2, ... for psycopg's %s placeholders."""
    numbers = iter(range(1, statement.count("%s") + 1))
    return re.sub("%s", lambda _: f"${next(numbers)}", statement)


def _first_line(error: BaseException) -> str:
    lines = str(error).strip().splitlines()
    return lines[0] if lines else type(error).__name__
