"""The hot commands on the event loop: each step one asyncpg statement, no thread hop.

The same two steps as two_step.py, for the HTTP routes on PostgreSQL: one read of
everything the decision needs (a single statement joining the products, the shipping
method and the idempotency key, or the order's history, row and key), and one write that
commits as it ends. The writes, which all queue on the receipt-number row or the append
lock, are written in batches (batched_writes.py), and so are the reads.
Nothing read is trusted: the write checks the stock and the order's version itself and
says ConcurrencyConflict when someone got there first, and the command is decided again.
"""

# Only fixed SQL text is built here; every value is bound.
# ruff: noqa: S608

from __future__ import annotations

import json
from collections.abc import Collection, Sequence
from datetime import timedelta
from functools import partial
from typing import Any
from uuid import UUID

import asyncpg

from order_service.adapters.sql import outcome_plan
from order_service.adapters.sql.async_pool import UNAVAILABLE, translated
from order_service.adapters.sql.batched_writes import BatchedWrites
from order_service.adapters.sql.batches import Batches
from order_service.adapters.sql.engine import Timeouts
from order_service.application.ports import (
    Clock,
    CommandContext,
    IdempotentRequest,
    OrderInputs,
    Outcome,
    PlacementInputs,
)
from order_service.application.views import OrderView
from order_service.domain.events import order_stream
from order_service.domain.values import CatalogueEntry, ShippingOption
from order_service.eventstore.codec import decode
from order_service.projections.orders import order_view

# The key columns, named apart from the order's own in _ORDER_INPUTS.
_KEY_COLUMNS = ("k.created_at AS key_created_at, k.fingerprint AS key_fingerprint, "
                "k.recording AS key_recording")
# Each item's key (and, below, its order) looked up by index, item by item. The LIMIT
# (the key is unique anyway) keeps the planner from pulling the subquery up into a plain
# join: pulled up, the generic plan made while the table was small hashed every key ever
# kept, spilled the hash to disk past work_mem, and each placement was slower than the
# last (a full bench lost half its placements/s from its second run on).
_KEY_OF_ITEM = ("LEFT JOIN LATERAL (SELECT created_at, fingerprint, recording "
                "FROM idempotency_keys WHERE key = i.item->>'key' LIMIT 1) AS k ON true")

# The inputs of every placement in the batch (batches.py), one row each, in turn.
_PLACEMENT_INPUTS = (
    "SELECT i.nth, p.skus, p.names, p.prices, p.currencies, p.available, p.retired, "
    "s.code AS shipping_code, s.name AS shipping_name, s.price AS shipping_price, "
    f"s.currency AS shipping_currency, {_KEY_COLUMNS} "
    "FROM jsonb_array_elements($1::text::jsonb) WITH ORDINALITY AS i(item, nth) "
    "CROSS JOIN LATERAL (SELECT array_agg(sku) AS skus, array_agg(name) AS names, "
    "array_agg(price) AS prices, array_agg(currency) AS currencies, "
    "array_agg(available) AS available, "
    "array_agg(retired_at IS NOT NULL) AS retired FROM products "
    "WHERE sku = ANY(ARRAY(SELECT jsonb_array_elements_text(i.item->'skus')))) AS p "
    "LEFT JOIN shipping_methods AS s ON s.code = i.item->>'shipping_code' "
    f"{_KEY_OF_ITEM} "
    "ORDER BY i.nth")
# The inputs of every change in the batch: the order's history, its view and any answer
# kept for the key, one row each, in turn; one statement, so view and history agree.
_ORDER_INPUTS = (
    "SELECT i.nth, h.event_types, h.event_versions, h.event_data, o.*, "
    f"{_KEY_COLUMNS} "
    "FROM jsonb_array_elements($1::text::jsonb) WITH ORDINALITY AS i(item, nth) "
    "CROSS JOIN LATERAL (SELECT array_agg(type ORDER BY version) AS event_types, "
    "array_agg(schema_version ORDER BY version) AS event_versions, "
    "array_agg(data ORDER BY version) AS event_data "
    "FROM events WHERE stream_id = i.item->>'stream') AS h "
    "LEFT JOIN LATERAL (SELECT * FROM orders WHERE id = (i.item->>'order_id')::uuid "
    "LIMIT 1) "
    "AS o ON true "
    f"{_KEY_OF_ITEM} "
    "ORDER BY i.nth")
_SHIPPING_CODES = "SELECT code FROM shipping_methods ORDER BY code"
_FORGET_EXPIRED_KEY = "DELETE FROM idempotency_keys WHERE key = $1 AND created_at < $2"


class PgAsyncTwoStepCommands:
    """AsyncTwoStepCommands over a pool of asyncpg connections."""

    def __init__(self, pool: asyncpg.Pool, clock: Clock, idempotency_ttl: timedelta,
                 timeouts: Timeouts) -> None:
        self._pool = pool
        self._clock = clock
        self._ttl = idempotency_ttl
        self._timeouts = timeouts
        self._writes = BatchedWrites(pool, timeouts)
        self._placement_reads: Batches[asyncpg.Record] = Batches(
            partial(self._read_batch, _PLACEMENT_INPUTS), lambda error: _translated(error, None),
            "placement reader")
        self._order_reads: Batches[asyncpg.Record] = Batches(
            partial(self._read_batch, _ORDER_INPUTS), lambda error: _translated(error, None),
            "order reader")

    async def read_for_placement(self, skus: Collection[str], shipping_code: str,
                                 request: IdempotentRequest | None) -> PlacementInputs:
        """Products, shipping method and any earlier answer to the key, in one statement."""
        row = await self._placement_reads.send(json.dumps({
            "skus": sorted(skus), "shipping_code": shipping_code,
            "key": None if request is None else request.key}))
        found = zip(row["skus"] or (), row["names"] or (), row["prices"] or (),
                    row["currencies"] or (), row["available"] or (), row["retired"] or (),
                    strict=True)
        shipping = None if row["shipping_code"] is None else ShippingOption(
            row["shipping_code"], row["shipping_name"], row["shipping_price"],
            row["shipping_currency"])
        return PlacementInputs(
            catalogue={sku: CatalogueEntry(sku, name, price, currency, available, retired)
                       for sku, name, price, currency, available, retired in found},
            shipping=shipping,
            shipping_codes=[] if shipping is not None else await self._shipping_codes(),
            earlier_answer=await self._earlier_answer(request, row),
        )

    async def read_order(self, order_id: UUID, request: IdempotentRequest | None
                         ) -> OrderInputs:
        """An order's history, its view and any earlier answer to the key, in one statement
        (one snapshot: the view and the history always agree)."""
        row = await self._order_reads.send(json.dumps({
            "stream": order_stream(order_id), "order_id": str(order_id),
            "key": None if request is None else request.key}))
        history = zip(row["event_types"] or (), row["event_versions"] or (),
                      row["event_data"] or (), strict=True)
        return OrderInputs(
            history=[decode(type_, version, data) for type_, version, data in history],
            view=None if row["id"] is None else order_view(dict(row.items())),
            earlier_answer=await self._earlier_answer(request, row),
        )

    async def write(self, outcome: Outcome, context: CommandContext,
                    current: OrderView | None) -> OrderView:
        """Store the outcome atomically; the order view after it (numbered, if placed)."""
        made = outcome_plan.plan(outcome, context, current, self._clock())
        if made.numbered:
            return made.written(await self._writes.place(made, self._clock()))
        await self._writes.change(made, self._clock())
        return made.written(None)

    async def _read_batch(self, statement: str, items: Sequence[str]) -> list[asyncpg.Record]:
        rows: list[asyncpg.Record] = await self._fetch(lambda connection: connection.fetch(
            statement, "[" + ",".join(items) + "]"))
        return rows

    async def _earlier_answer(self, request: IdempotentRequest | None,
                              row: asyncpg.Record) -> str | None:
        if request is None or row["key_created_at"] is None:
            return None
        expired_before = self._clock() - self._ttl
        if row["key_created_at"] < expired_before:
            # An expired key is a new one: forget it now, so that the write can claim it.
            await self._fetch(lambda connection: connection.execute(
                _FORGET_EXPIRED_KEY, request.key, expired_before))
            return None
        return outcome_plan.key_answer(request, row["key_fingerprint"], row["key_recording"])

    async def _shipping_codes(self) -> list[str]:
        rows = await self._fetch(lambda connection: connection.fetch(_SHIPPING_CODES))
        return [row["code"] for row in rows]

    async def _fetch(self, query: Any) -> Any:
        try:
            async with self._pool.acquire(timeout=self._timeouts.pool_seconds) as connection:
                return await query(connection)
        except (asyncpg.PostgresError, *UNAVAILABLE) as error:
            # A broken connection is closed by the pool as it comes back, not reused.
            raise _translated(error, None) from error


def _translated(error: Exception, made: outcome_plan.Plan | None) -> Exception:
    return translated(error, outcome_plan.conflict(made))
