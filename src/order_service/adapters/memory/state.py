"""Everything an in-memory shop stores, in containers cheap to copy for a rollback."""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from datetime import datetime
from uuid import UUID

from order_service.application.views import OrderView, ProductView, ShippingMethodView
from order_service.domain.events import DomainEvent
from order_service.eventstore.codec import JsonObject


@dataclass(frozen=True, slots=True)
class StoredEvent:
    """An event as the store keeps it: its stored form, and the domain event it decodes to."""

    position: int
    stream_id: str
    version: int
    type: str
    schema_version: int
    data: JsonObject
    metadata: JsonObject
    recorded_at: datetime
    event: DomainEvent


@dataclass(frozen=True, slots=True)
class KeyRecord:
    """An idempotency key: the request it was first used for, and the answer it got."""

    fingerprint: str
    recording: str | None
    created_at: datetime


@dataclass(frozen=True, slots=True)
class ReadModelRows:
    """The read models: what the projection keeps current as events are stored."""

    orders: dict[UUID, OrderView] = field(default_factory=dict)
    # Receipt number -> order id, in the order numbers were handed out.
    numbers: dict[int, UUID] = field(default_factory=dict)
    products: dict[str, ProductView] = field(default_factory=dict)
    shipping_methods: dict[str, ShippingMethodView] = field(default_factory=dict)

    def copy(self) -> ReadModelRows:
        """A copy whose containers are new (their values are immutable)."""
        return ReadModelRows(dict(self.orders), dict(self.numbers), dict(self.products),
                             dict(self.shipping_methods))


@dataclass(frozen=True, slots=True)
class MemoryState:
    """The whole store: events, read models and the write side's bookkeeping.

    Every value is immutable and every container is copied by `copy`, so a transaction
    rolls back by putting back the copy taken when it began.
    """

    events: list[StoredEvent] = field(default_factory=list)
    streams: dict[str, tuple[StoredEvent, ...]] = field(default_factory=dict)
    rows: ReadModelRows = field(default_factory=ReadModelRows)
    idempotency_keys: dict[str, KeyRecord] = field(default_factory=dict)
    notification_ids: dict[str, UUID] = field(default_factory=dict)
    # The last receipt number handed out (a list, so that a frozen state can count).
    last_number: list[int] = field(default_factory=lambda: [0])

    def copy(self) -> MemoryState:
        """A copy to return to if a transaction fails."""
        return replace(self, events=list(self.events), streams=dict(self.streams),
                       rows=self.rows.copy(), idempotency_keys=dict(self.idempotency_keys),
                       notification_ids=dict(self.notification_ids),
                       last_number=list(self.last_number))
