"""Order documents read on the event loop, over asyncpg (PostgreSQL).

GET /v1/orders/{id} and the list page are the hottest reads. Through the blocking engine
each would hop to a worker thread, check a connection out of SQLAlchemy's pool and
compile its statement; here each is one statement on a pooled async connection
(adapters/sql/async_pool.py), awaited on the event loop. Its text never changes for a
given set of bank details, so asyncpg prepares it once per connection. The database
builds the JSON (documents.py): the text it sends is the response body.

Reads of single orders that arrive while one is in flight go out together as one
statement, and requests for the same page share one read (batches.py): under load a
worker sends one query for many requests instead of waking the database once for each.
"""

from __future__ import annotations

from collections.abc import Sequence
from functools import partial
from typing import Any
from uuid import UUID

import asyncpg

from order_service.adapters.sql.async_pool import UNAVAILABLE, first_line, numbered
from order_service.adapters.sql.batches import Batches, SharedReads
from order_service.adapters.sql.engine import Timeouts
from order_service.application.errors import StorageUnavailable
from order_service.application.views import OrderDocument, OrderDocumentPage, OrderFilter
from order_service.domain.payment_instructions import TransferTerms
from order_service.projections.documents import (
    pg_newest_first_query,
    pg_order_documents_query,
)


class PgOrderDocuments:
    """OrderDocuments over a pool of asyncpg connections."""

    def __init__(self, pool: asyncpg.Pool, timeouts: Timeouts) -> None:
        self._pool = pool
        self._timeouts = timeouts
        # One flight of reads per set of bank details (in practice one: the settings').
        self._reads: dict[TransferTerms, Batches[OrderDocument | None]] = {}
        self._pages: SharedReads[list[asyncpg.Record]] = SharedReads()

    async def order_document(self, order_id: UUID, transfer: TransferTerms
                             ) -> OrderDocument | None:
        """One order's document, version and placer, or None if there is no such order."""
        reads = self._reads.get(transfer)
        if reads is None:
            reads = self._reads[transfer] = Batches(
                partial(self._documents, transfer), _unavailable, "order-reads")
        return await reads.send(str(order_id))

    async def _documents(self, transfer: TransferTerms, order_ids: Sequence[str]
                         ) -> list[OrderDocument | None]:
        statement, params = pg_order_documents_query(transfer)
        rows = await self._rows(statement, [*params, order_ids])
        found = {str(order_id): OrderDocument(document.encode(), version, placed_by)
                 for order_id, document, version, placed_by in rows}
        return [found.get(order_id) for order_id in order_ids]

    async def newest_first(self, where: OrderFilter, limit: int, before_number: int | None,
                           transfer: TransferTerms) -> OrderDocumentPage:
        """Up to `limit` orders matching `where` numbered below `before_number`."""
        # One extra row tells whether another page exists without a COUNT.
        statement, params = pg_newest_first_query(where, before_number, limit + 1, transfer)
        key = (statement, *(tuple(p) if isinstance(p, list) else p for p in params))
        rows = await self._pages.read(key, partial(self._rows, statement, params))
        page = rows[:limit]
        return OrderDocumentPage(documents=tuple(row[1].encode() for row in page),
                                 next_before=page[-1][0] if len(rows) > limit else None)

    async def _rows(self, statement: str, params: Sequence[Any]) -> list[asyncpg.Record]:
        try:
            async with self._pool.acquire(timeout=self._timeouts.pool_seconds) as connection:
                return await connection.fetch(numbered(statement), *params)
        except UNAVAILABLE as error:
            # A broken connection is closed by the pool as it comes back, not reused.
            raise StorageUnavailable(first_line(error)) from error


def _unavailable(error: Exception) -> Exception:
    # _rows has already said what a lost database means; anything else is a bug, and
    # each waiting request re-raises it as it came.
    return error
