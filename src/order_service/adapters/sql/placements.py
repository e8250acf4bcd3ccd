"""Placements that arrive together, written together: one call of place_orders().

Every placement takes the one receipt-number row and the append lock and holds both
until its COMMIT is on disk (numbers are gap-free, and the feed must never skip a
position). Written one by one, a flash sale's placements queue on that row one disk
flush at a time, whatever the number of workers. So each worker process writes them in
batches (batches.py): migration 0015's function places each in a subtransaction of its
own (one that cannot be filled is undone alone and decided again), and the batch commits
once.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from datetime import datetime
from uuid import UUID

import asyncpg

from order_service.adapters.sql.async_pool import translated
from order_service.adapters.sql.batches import Batches
from order_service.adapters.sql.engine import Timeouts
from order_service.adapters.sql.outcome_plan import Plan, around_number, conflict
from order_service.eventstore.store import APPEND_LOCK_KEY

# Text, cast by the server: each placement is already encoded (the pool's JSON codec
# would encode the text again).
PLACE_ORDERS = "SELECT nth, receipt FROM place_orders($1::text::jsonb, $2::bigint)"


class PlacementBatches:
    """One worker's placements, written a batch at a time by one call in flight."""

    def __init__(self, pool: asyncpg.Pool, timeouts: Timeouts) -> None:
        self._pool = pool
        self._timeouts = timeouts
        # place_orders() answers a broken key or CHECK itself, order by order.
        self._batches: Batches[int | None] = Batches(
            self._call, lambda error: translated(error, conflict(None)), "placement writer")

    async def place(self, plan: Plan, key_at: datetime) -> int | None:
        """Write the placement `plan`; its receipt number, or None if it could not be
        written as decided (stock ran short, a product went, its key was taken)."""
        return await self._batches.send(_item(plan, key_at))

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
