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

import json
from collections.abc import Sequence
from datetime import datetime
from functools import partial
from typing import Any
from uuid import UUID

import asyncpg

from order_service.adapters.sql.async_pool import translated
from order_service.adapters.sql.batches import Batches
from order_service.adapters.sql.engine import Timeouts
from order_service.adapters.sql.outcome_plan import Plan, around_number, conflict
from order_service.eventstore.store import APPEND_LOCK_KEY

# Text, cast by the server: each command is already encoded (the pool's JSON codec would
# encode the text again). Each returns, per command in turn, what was written.
PLACE_ORDERS = "SELECT nth, receipt FROM place_orders($1::text::jsonb, $2::bigint)"
CHANGE_ORDERS = "SELECT nth, written FROM change_orders($1::text::jsonb, $2::bigint)"


class BatchedWrites:
    """One worker's placements and changes, each kind a batch at a time."""

    def __init__(self, pool: asyncpg.Pool, timeouts: Timeouts) -> None:
        self._pool = pool
        self._timeouts = timeouts
        # The functions answer a broken key or CHECK themselves, command by command.
        self._placements: Batches[Any] = Batches(
            partial(self._call, PLACE_ORDERS), _translated, "placement writer")
        self._changes: Batches[Any] = Batches(
            partial(self._call, CHANGE_ORDERS), _translated, "change writer")

    async def place(self, plan: Plan, key_at: datetime) -> int | None:
        """Write the placement `plan`; its receipt number, or None if it could not be
        written as decided (stock ran short, a product went, its key was taken)."""
        number: int | None = await self._placements.send(_placement(plan, key_at))
        return number

    async def change(self, plan: Plan, key_at: datetime) -> bool:
        """Write the change `plan` (or a keyed no-op's answer); False if it could not be
        written as decided (the order moved on, its key was taken)."""
        return bool(await self._changes.send(_change(plan, key_at)))

    async def _call(self, statement: str, items: Sequence[str]) -> list[Any]:
        async with self._pool.acquire(timeout=self._timeouts.pool_seconds) as connection:
            rows = await connection.fetch(statement, "[" + ",".join(items) + "]",
                                          APPEND_LOCK_KEY)
        return [row[1] for row in sorted(rows, key=lambda row: row["nth"])]


def _placement(plan: Plan, key_at: datetime) -> str:
    """A placement as place_orders() reads it (encoded now, by the request's own task)."""
    (event,) = plan.events
    key = None
    if plan.remembered is not None:
        name, fingerprint, recording = plan.remembered
        head, tail = around_number(recording)
        key = {"key": name, "fingerprint": fingerprint, "at": key_at, "head": head,
               "tail": tail}
    return _encoded({**_stock(plan, key_at), "skus": [c["sku"] for c in plan.stock],
                     "order": plan.placed_order, "key": key, "event": event})


def _change(plan: Plan, key_at: datetime) -> str:
    """A change (or a keyed no-op) as change_orders() reads it."""
    key = None
    if plan.remembered is not None:
        name, fingerprint, answer = plan.remembered
        key = {"key": name, "fingerprint": fingerprint, "at": key_at, "answer": answer}
    if not plan.events:
        return _encoded({"stock": [], "key": key, "event": None})
    (event,) = plan.events
    assert plan.view is not None
    assert plan.order_changes is not None
    return _encoded({**_stock(plan, key_at), "order_id": plan.view.id,
                     "from_version": plan.order_changes["version"] - 1,
                     "changes": plan.order_changes, "key": key, "event": event})


def _stock(plan: Plan, key_at: datetime) -> dict[str, Any]:
    return {"stock": [{"sku": c["sku"], "change": c["change"]} for c in plan.stock],
            "stock_at": plan.stock[0]["at"] if plan.stock else key_at}


def _encoded(command: dict[str, Any]) -> str:
    return json.dumps(command, default=_json_value, separators=(",", ":"))


def _json_value(value: object) -> str:
    if isinstance(value, datetime):
        return value.isoformat()
    if isinstance(value, UUID):
        return str(value)
    raise TypeError(f"{type(value).__name__} is not a command's value")


def _translated(error: Exception) -> Exception:
    return translated(error, conflict(None))
