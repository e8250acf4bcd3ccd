"""Placements that arrive together, written together: one call of place_orders().

Every placement takes the one receipt-number row and the append lock and holds both
until its COMMIT is on disk (numbers are gap-free, and the feed must never skip a
position). Written one by one, a flash sale's placements queue on that row one disk
flush at a time, whatever the number of workers. So each worker process keeps one
writer: while its call is in flight, the placements that arrive wait here, and the next
call takes all of them; the migration 0015's function places each in a subtransaction
of its own (one that cannot be filled is undone alone and decided again), and the batch
commits once. Under light load a batch is one placement and nothing waits.
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import Sequence
from datetime import datetime
from uuid import UUID

import asyncpg

from order_service.adapters.sql.async_pool import UNAVAILABLE, first_line
from order_service.adapters.sql.engine import Timeouts
from order_service.adapters.sql.outcome_plan import Plan, around_number
from order_service.application.errors import ConcurrencyConflict, StorageUnavailable
from order_service.eventstore.store import APPEND_LOCK_KEY

# Text, cast by the server: each placement is already encoded (the pool's JSON codec
# would encode the text again).
PLACE_ORDERS = "SELECT nth, receipt FROM place_orders($1::text::jsonb, $2::bigint)"
# Enough to empty the queue of a busy worker in one call, few enough that one call never
# holds the locks for long.
MOST_PER_BATCH = 64


class PlacementBatches:
    """One worker's placements, written in batches by one writer at a time."""

    def __init__(self, pool: asyncpg.Pool, timeouts: Timeouts) -> None:
        self._pool = pool
        self._timeouts = timeouts
        self._waiting: list[tuple[str, asyncio.Future[int | None]]] = []
        self._writer: asyncio.Task[None] | None = None

    async def place(self, plan: Plan, key_at: datetime) -> int | None:
        """Write the placement `plan`; its receipt number, or None if it could not be
        written as decided (stock ran short, a product went, its key was taken)."""
        future: asyncio.Future[int | None] = asyncio.get_running_loop().create_future()
        self._waiting.append((_item(plan, key_at), future))
        if self._writer is None or self._writer.done():
            self._writer = asyncio.create_task(self._write_all(), name="placement writer")
        return await future

    async def _write_all(self) -> None:
        while self._waiting:
            batch = self._waiting[:MOST_PER_BATCH]
            del self._waiting[:MOST_PER_BATCH]
            try:
                numbers = await self._call([item for item, _ in batch])
            except (Exception, asyncio.CancelledError) as error:
                for _, future in batch:
                    if not future.done():
                        future.set_exception(_translated(error))
                if isinstance(error, asyncio.CancelledError):
                    raise
                continue
            for (_, future), number in zip(batch, numbers, strict=True):
                # A request that gave up meanwhile (its client left) finds its order
                # placed, as with any lost reply; its Idempotency-Key tells a retry so.
                if not future.done():
                    future.set_result(number)

    async def _call(self, items: Sequence[str]) -> list[int | None]:
        async with self._pool.acquire(timeout=self._timeouts.pool_seconds) as connection:
            rows = await connection.fetch(PLACE_ORDERS, "[" + ",".join(items) + "]",
                                          APPEND_LOCK_KEY)
        return [row["receipt"] for row in sorted(rows, key=lambda row: row["nth"])]


def _item(plan: Plan, key_at: datetime) -> str:
    """A placement as place_orders() reads it (encoded now, by the request's own task)."""
    (event,) = plan.events
    key = None
    if plan.remembered is not None:
        name, fingerprint, recording = plan.remembered
        head, tail = around_number(recording)
        key = {"key": name, "fingerprint": fingerprint, "at": key_at, "head": head,
               "tail": tail}
    changes = [{"sku": change["sku"], "change": change["change"]} for change in plan.stock]
    return json.dumps({"stock": changes, "stock_at": plan.stock[0]["at"] if plan.stock
                       else key_at, "skus": [change["sku"] for change in plan.stock],
                       "order": plan.placed_order, "key": key, "event": event},
                      default=_json_value, separators=(",", ":"))


def _json_value(value: object) -> str:
    if isinstance(value, datetime):
        return value.isoformat()
    if isinstance(value, UUID):
        return str(value)
    raise TypeError(f"{type(value).__name__} is not a placement's value")


def _translated(error: BaseException) -> BaseException:
    if isinstance(error, asyncio.CancelledError):
        return StorageUnavailable("the server stopped while the order was being written")
    if isinstance(error, UNAVAILABLE):
        return StorageUnavailable(first_line(error))
    sqlstate = getattr(error, "sqlstate", "") or ""
    if sqlstate in ("40P01", "40001"):
        return ConcurrencyConflict.aborted(first_line(error))
    if sqlstate.startswith(("08", "57")):
        return StorageUnavailable(first_line(error))
    return error

