"""A shop on the in-memory storage, given its events: for use-case tests without I/O."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import timedelta
from decimal import Decimal
from typing import Any

from order_service.adapters.memory import MemoryStorage
from order_service.application.handlers import Shop
from order_service.application.ports import (
    CommandContext,
    IdempotentRequest,
    Outcome,
)
from order_service.application.views import OrderView
from order_service.domain.errors import OrderServiceError
from order_service.domain.events import (
    DomainEvent,
    ProductAdded,
    ProductRenamed,
    ProductRepriced,
    ProductRestocked,
    ProductRetired,
    ShippingMethodAdded,
    order_stream,
    product_stream,
    shipping_method_stream,
)
from order_service.domain.pricing import ShopTerms
from order_service.eventstore.codec import decode
from tests.unit.examples import LATER

TERMS = ShopTerms(currency="EUR", tax_rate=Decimal("0.21"), payment_methods=("card",))
CONTEXT = CommandContext(correlation_id="corr-1", caused_by="test")


def stream_of(event: DomainEvent) -> str:
    """The stream an event belongs to."""
    match event:
        case (ProductAdded(sku=sku) | ProductRestocked(sku=sku) | ProductRenamed(sku=sku)
              | ProductRepriced(sku=sku) | ProductRetired(sku=sku)):
            return product_stream(sku)
        case ShippingMethodAdded(code=code):
            return shipping_method_stream(code)
    return order_stream(getattr(event, "order_id"))  # noqa: B009 (every order event has one)


class Clock:
    """A clock that stands still until moved."""

    def __init__(self) -> None:
        self.now = LATER

    def __call__(self) -> Any:
        return self.now

    def move(self, by: timedelta) -> None:
        """Let time pass."""
        self.now += by


@dataclass
class Watcher:
    """A ShopObserver that notes what it is told."""

    told: list[tuple[str, Any]] = field(default_factory=list)

    def committed(self, events: Sequence[DomainEvent]) -> None:
        self.told.append(("committed", [event.TYPE for event in events]))

    def refused(self, refusal: OrderServiceError) -> None:
        self.told.append(("refused", type(refusal).__name__))

    def replayed(self) -> None:
        self.told.append(("replayed", None))


class Interrupted(MemoryStorage):
    """A storage where, just before each of the next writes, another command runs first."""

    def __init__(self, clock: Clock) -> None:
        super().__init__(clock, idempotency_ttl=timedelta(hours=1))
        self.meanwhile: list[Callable[[], object]] = []
        self.writes = 0

    def write(self, outcome: Outcome, context: CommandContext, current: OrderView | None
              ) -> OrderView:
        self.writes += 1
        if self.meanwhile:
            self.meanwhile.pop(0)()
        return super().write(outcome, context, current)


def given(*history: DomainEvent) -> tuple[Shop, Interrupted]:
    """A shop whose storage holds `history`, its clock standing at LATER."""
    clock = Clock()
    storage = Interrupted(clock)
    with storage.transaction(CONTEXT) as tx:
        for event in history:
            stream = stream_of(event)
            tx.events.append(stream, [event], expected_version=len(tx.events.load(stream)))
    return Shop(storage, TERMS, clock, observer=Watcher()), storage


def then(shop: Shop, after: int) -> list[DomainEvent]:
    """The events stored after the first `after` ones, decoded."""
    with shop.storage.reading() as read_models:
        stored = read_models.events_after(after, 1_000)
    return [decode(event.type, event.schema_version, event.data) for event in stored]


def keyed(key: str, fingerprint: str = "body-1") -> CommandContext:
    """A context whose request carries an idempotency key; answers are recorded as text."""
    return CommandContext("corr-2", "test", idempotency=IdempotentRequest(
        key=key, fingerprint=fingerprint, record_result=lambda result: f"answer {result!r}",
        record_refusal=lambda refusal: f"refusal {refusal}"))
