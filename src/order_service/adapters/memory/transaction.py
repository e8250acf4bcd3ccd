"""The ports of one in-memory transaction: events, catalogue, keys, ids, pending orders.

Each works on the storage's state directly; the storage holds its lock for the whole
transaction and puts back the state it began with if the transaction fails, so nothing
a failed transaction did is ever seen.
"""

from __future__ import annotations

from collections.abc import Collection, Sequence
from dataclasses import dataclass, replace
from datetime import datetime, timedelta
from typing import Any
from uuid import UUID

from order_service.adapters.memory.projection import project
from order_service.adapters.memory.read_models import MemoryReadModels
from order_service.adapters.memory.state import KeyRecord, MemoryState, StoredEvent
from order_service.application.errors import ConcurrencyConflict, IdempotencyKeyReused
from order_service.application.ports import NUMBER_AT_COMMIT, Clock, CommandContext, PendingOrder
from order_service.domain.events import DomainEvent, OrderPlaced
from order_service.domain.values import CatalogueEntry, OrderStatus, ShippingOption
from order_service.eventstore.codec import decode, encode


def append(state: MemoryState, context: CommandContext, clock: Clock, stream_id: str,
           new_events: Sequence[DomainEvent], *, expected_version: int) -> None:
    """Store `new_events` after `expected_version` and project them, or ConcurrencyConflict.

    An OrderPlaced still carrying NUMBER_AT_COMMIT gets the next receipt number here.
    """
    if not new_events:
        return
    history = state.streams.get(stream_id, ())
    if len(history) != expected_version:
        raise ConcurrencyConflict(stream_id, expected_version)
    metadata: dict[str, Any] = {"correlation_id": context.correlation_id,
                                "caused_by": context.caused_by}
    if context.api_key_id is not None:
        metadata["api_key_id"] = context.api_key_id
    recorded_at = clock()
    for version, event in enumerate(new_events, start=expected_version + 1):
        if isinstance(event, OrderPlaced) and event.number == NUMBER_AT_COMMIT:
            state.last_number[0] += 1
            event = replace(event, number=state.last_number[0])  # noqa: PLW2901
        data = encode(event)
        # Stored as JSON and decoded back, as a database does: what loads is what was stored.
        stored = StoredEvent(position=len(state.events) + 1, stream_id=stream_id,
                             version=version, type=event.TYPE,
                             schema_version=event.SCHEMA_VERSION, data=data, metadata=metadata,
                             recorded_at=recorded_at,
                             event=decode(event.TYPE, event.SCHEMA_VERSION, data))
        project(state.rows, stored)
        state.events.append(stored)
        history = (*history, stored)
    state.streams[stream_id] = history


def earlier_answer(state: MemoryState, key: str, fingerprint: str, now: datetime,
                   ttl: timedelta) -> str | None:
    """The answer a live key got before; None for a new (or expired, now forgotten) key."""
    record = state.idempotency_keys.get(key)
    if record is None:
        return None
    if record.created_at < now - ttl:
        del state.idempotency_keys[key]
        return None
    if record.fingerprint != fingerprint:
        raise IdempotencyKeyReused(key)
    if record.recording is None:
        raise ConcurrencyConflict(f"idempotency-key {key}", 0)
    return record.recording


@dataclass(frozen=True)
class MemoryEventStore:
    """The EventStore port of one transaction."""

    state: MemoryState
    context: CommandContext
    clock: Clock

    def load(self, stream_id: str) -> list[DomainEvent]:
        """All events of a stream, oldest first."""
        return [stored.event for stored in self.state.streams.get(stream_id, ())]

    def append(self, stream_id: str, events: Sequence[DomainEvent], *,
               expected_version: int) -> None:
        """Append after `expected_version` or raise ConcurrencyConflict."""
        append(self.state, self.context, self.clock, stream_id, events,
               expected_version=expected_version)


@dataclass(frozen=True)
class MemoryCatalogue:
    """The Catalogue port of one transaction (holding the lock holds every product)."""

    state: MemoryState

    def lock_products(self, skus: Collection[str]) -> dict[str, CatalogueEntry]:
        """The products with these SKUs."""
        return catalogue_entries(self.state, skus)

    def shipping_option(self, code: str) -> ShippingOption | None:
        """A shipping method by code, if the shop offers it."""
        method = self.state.rows.shipping_methods.get(code)
        return None if method is None else ShippingOption(method.code, method.name,
                                                           method.price, method.currency)

    def shipping_codes(self) -> list[str]:
        """Codes of every shipping method offered."""
        return sorted(self.state.rows.shipping_methods)


def catalogue_entries(state: MemoryState, skus: Collection[str]) -> dict[str, CatalogueEntry]:
    """What the catalogue knows of these SKUs (those it has)."""
    products = state.rows.products
    return {sku: CatalogueEntry(sku, products[sku].name, products[sku].price,
                                products[sku].currency, products[sku].available,
                                retired=products[sku].retired_at is not None)
            for sku in sorted(skus) if sku in products}


@dataclass(frozen=True)
class MemoryIdempotencyKeys:
    """The IdempotencyKeys port of one transaction."""

    state: MemoryState
    clock: Clock
    ttl: timedelta

    def claim(self, key: str, fingerprint: str) -> str | None:
        """Hold `key` for this transaction (None), or return the earlier answer's recording."""
        now = self.clock()
        answer = earlier_answer(self.state, key, fingerprint, now, self.ttl)
        if answer is None:
            self.state.idempotency_keys[key] = KeyRecord(fingerprint, None, now)
        return answer

    def remember(self, key: str, recording: str) -> None:
        """Store the answer to repeat for a key this transaction holds."""
        self.state.idempotency_keys[key] = replace(self.state.idempotency_keys[key],
                                                   recording=recording)


@dataclass(frozen=True)
class MemoryPendingOrders:
    """The PendingOrders port of one transaction."""

    state: MemoryState

    def placed_before(self, cutoff: datetime, after: PendingOrder | None, limit: int
                      ) -> list[PendingOrder]:
        """Up to `limit` orders awaiting payment placed before `cutoff`, oldest first."""
        found = sorted((order.placed_at, order.id, tuple(line.sku for line in order.lines))
                       for order in self.state.rows.orders.values()
                       if order.status == OrderStatus.PENDING_PAYMENT
                       and order.placed_at < cutoff)
        if after is not None:
            found = [row for row in found if row[:2] > (after.placed_at, after.order_id)]
        return [PendingOrder(order_id, placed_at, skus)
                for placed_at, order_id, skus in found[:limit]]

    def claim(self, order_ids: Collection[UUID], cutoff: datetime) -> list[UUID]:
        """Those of `order_ids` still awaiting payment and placed before `cutoff`."""
        orders = [self.state.rows.orders[order_id] for order_id in order_ids
                  if order_id in self.state.rows.orders]
        return [order.id for order in sorted(orders, key=lambda o: (o.placed_at, o.id))
                if order.status == OrderStatus.PENDING_PAYMENT and order.placed_at < cutoff]


@dataclass(frozen=True)
class MemoryNotificationIds:
    """The NotificationIds port of one transaction."""

    state: MemoryState

    def take(self, notification_id: str, order_id: UUID) -> UUID:
        """Take `notification_id` for `order_id` unless an order took it before; its holder."""
        return self.state.notification_ids.setdefault(notification_id, order_id)


@dataclass(frozen=True)
class MemoryTransaction:
    """The ports of one open transaction."""

    events: MemoryEventStore
    catalogue: MemoryCatalogue
    read_models: MemoryReadModels
    idempotency_keys: MemoryIdempotencyKeys
    pending_orders: MemoryPendingOrders
    notification_ids: MemoryNotificationIds

    @classmethod
    def over(cls, state: MemoryState, context: CommandContext, clock: Clock,
             ttl: timedelta) -> MemoryTransaction:
        """The ports of a transaction working on `state`."""
        return cls(MemoryEventStore(state, context, clock), MemoryCatalogue(state),
                   MemoryReadModels(state), MemoryIdempotencyKeys(state, clock, ttl),
                   MemoryPendingOrders(state), MemoryNotificationIds(state))
