"""MemoryStorage: the Storage port in plain Python, with the SQL storages' semantics.

One lock stands for the database: a transaction holds it from start to end (as SQLite's
single writer does), so transactions never interleave, and a failed one puts back the
state it began with. The two-step commands read under the lock, release it while the
domain decides, and write under it again, refusing (ConcurrencyConflict) an outcome that
stock, the order's stream or the idempotency key no longer allow, as the SQL writes do.
"""

from __future__ import annotations

import threading
from collections.abc import Collection, Iterator
from contextlib import contextmanager
from datetime import timedelta
from uuid import UUID

from order_service.adapters.memory.read_models import MemoryReadModels
from order_service.adapters.memory.state import KeyRecord, MemoryState
from order_service.adapters.memory.transaction import (
    MemoryTransaction,
    append,
    catalogue_entries,
    earlier_answer,
)
from order_service.application.errors import ConcurrencyConflict
from order_service.application.ports import (
    Clock,
    CommandContext,
    IdempotentRequest,
    OrderInputs,
    Outcome,
    PlacementInputs,
)
from order_service.application.views import OrderView
from order_service.domain.events import OrderPlaced, order_stream
from order_service.domain.values import ShippingOption


class MemoryStorage:
    """Events, read models and idempotency keys in this process's memory."""

    def __init__(self, clock: Clock, *, idempotency_ttl: timedelta = timedelta(hours=24)
                 ) -> None:
        self._clock = clock
        self._ttl = idempotency_ttl
        self._lock = threading.RLock()
        self._state = MemoryState()

    @contextmanager
    def transaction(self, context: CommandContext) -> Iterator[MemoryTransaction]:
        """Commit everything done with the yielded ports, or put all of it back."""
        with self._changing() as state:
            yield MemoryTransaction.over(state, context, self._clock, self._ttl)

    @contextmanager
    def reading(self) -> Iterator[MemoryReadModels]:
        """Read models over a snapshot taken now."""
        with self._lock:
            snapshot = self._state.copy()
        yield MemoryReadModels(snapshot)

    @contextmanager
    def streaming(self) -> Iterator[MemoryReadModels]:
        """Read models over a snapshot taken now (streamed results stay consistent)."""
        with self.reading() as read_models:
            yield read_models

    # -- the two-step commands --------------------------------------------------------

    def read_for_placement(self, skus: Collection[str], shipping_code: str,
                           request: IdempotentRequest | None) -> PlacementInputs:
        """Products, shipping method and any earlier answer to the key, in one step."""
        with self._lock:
            method = self._state.rows.shipping_methods.get(shipping_code)
            shipping = None if method is None else ShippingOption(
                method.code, method.name, method.price, method.currency)
            return PlacementInputs(
                catalogue=catalogue_entries(self._state, skus), shipping=shipping,
                shipping_codes=[] if shipping else sorted(self._state.rows.shipping_methods),
                earlier_answer=self._earlier_answer(request))

    def read_order(self, order_id: UUID, request: IdempotentRequest | None) -> OrderInputs:
        """An order's history, its view and any earlier answer to the key, in one step."""
        with self._lock:
            history = self._state.streams.get(order_stream(order_id), ())
            return OrderInputs(history=[stored.event for stored in history],
                               view=self._state.rows.orders.get(order_id),
                               earlier_answer=self._earlier_answer(request))

    def write(self, outcome: Outcome, context: CommandContext, current: OrderView | None
              ) -> OrderView:
        """Store the outcome and the context's idempotency answer atomically."""
        request = context.idempotency
        with self._changing() as state:
            now = self._clock()
            if request is not None:
                answer = earlier_answer(state, request.key, request.fingerprint, now,
                                        self._ttl)
                if answer is not None or request.key in state.idempotency_keys:
                    raise ConcurrencyConflict("(idempotency key)", 0)  # taken meanwhile
            append(state, context, self._clock, outcome.stream_id, outcome.events,
                   expected_version=outcome.expected_version)
            view = _order_after(state, outcome, current)
            if request is not None:
                state.idempotency_keys[request.key] = KeyRecord(
                    request.fingerprint, request.record_result(view), now)
            return view

    # -- plumbing ---------------------------------------------------------------------

    @contextmanager
    def _changing(self) -> Iterator[MemoryState]:
        with self._lock:
            before = self._state.copy()
            try:
                yield self._state
            except BaseException:
                self._state = before
                raise

    def _earlier_answer(self, request: IdempotentRequest | None) -> str | None:
        if request is None:
            return None
        return earlier_answer(self._state, request.key, request.fingerprint, self._clock(),
                              self._ttl)


def _order_after(state: MemoryState, outcome: Outcome, current: OrderView | None
                 ) -> OrderView:
    placed = [event for event in outcome.events if isinstance(event, OrderPlaced)]
    order_id = placed[0].order_id if placed else (current.id if current else None)
    view = None if order_id is None else state.rows.orders.get(order_id)
    if view is None:
        raise ValueError("an outcome that neither places nor changes an order")
    return view
