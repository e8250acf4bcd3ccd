"""The hot writes that arrive together, written together: one call and one commit.

Every placement takes the one receipt-number row, and every change (pay, ship, cancel)
the append lock, and each holds it until its COMMIT is on disk: numbers are gap-free,
and the feed must never skip a position. Written one by one, a flash sale's commands
queue on them one disk flush at a time, whatever the number of workers. So each worker
process writes them in batches (batches.py): migration 0015's place_orders() and 0016's
change_orders() write each command in a subtransaction of its own (one that can no
longer be written as decided is undone alone and decided again), and the batch commits
once.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from functools import partial
from typing import Any

import asyncpg

from order_service.adapters.sql.async_pool import numbered, translated
from order_service.adapters.sql.batches import Batches
from order_service.adapters.sql.engine import Timeouts
from order_service.adapters.sql.outcome_plan import (
    CHANGE_ORDERS,
    PLACE_ORDERS,
    Plan,
    change_item,
    conflict,
    placement_item,
    written,
)
from order_service.eventstore.store import APPEND_LOCK_KEY


class BatchedWrites:
    """One worker's placements and changes, each kind a batch at a time."""

    def __init__(self, pool: asyncpg.Pool, timeouts: Timeouts) -> None:
        self._pool = pool
        self._timeouts = timeouts
        # The functions answer a broken key or CHECK themselves, command by command.
        self._placements: Batches[Any] = Batches(
            partial(self._call, numbered(PLACE_ORDERS)), _translated, "placement writer")
        self._changes: Batches[Any] = Batches(
            partial(self._call, numbered(CHANGE_ORDERS)), _translated, "change writer")

    async def place(self, plan: Plan, key_at: datetime) -> int | None:
        """Write the placement `plan`; its receipt number. Raises ConcurrencyConflict if
        it could not be written as decided (stock ran short, a product went, its key was
        taken)."""
        return written(plan, await self._placements.send(placement_item(plan, key_at)))

    async def change(self, plan: Plan, key_at: datetime) -> None:
        """Write the change `plan` (or a keyed no-op's answer). Raises ConcurrencyConflict
        if it could not be written as decided (the order moved on, its key was taken)."""
        written(plan, await self._changes.send(change_item(plan, key_at)))

    async def _call(self, statement: str, items: Sequence[str]) -> list[Any]:
        async with self._pool.acquire(timeout=self._timeouts.pool_seconds) as connection:
            rows = await connection.fetch(statement, "[" + ",".join(items) + "]",
                                          APPEND_LOCK_KEY)
        return [row[1] for row in sorted(rows, key=lambda row: row["nth"])]


def _translated(error: Exception) -> Exception:
    return translated(error, conflict(None))
