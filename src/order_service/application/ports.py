"""What the use cases need from the outside world, as protocols the adapters fulfil."""

from __future__ import annotations

from collections.abc import Callable, Collection, Iterator, Sequence
from contextlib import AbstractContextManager
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Protocol
from uuid import UUID

from order_service.application.views import (
    OrderDocument,
    OrderDocumentPage,
    OrderEventView,
    OrderFilter,
    OrderView,
    ProductView,
    ShippingMethodView,
    StatusFigures,
    StoredEventView,
)
from order_service.domain.events import DomainEvent
from order_service.domain.payment_instructions import TransferTerms
from order_service.domain.values import CatalogueEntry, OrderStatus, ShippingOption

Clock = Callable[[], datetime]


@dataclass(frozen=True, slots=True)
class IdempotentRequest:
    """A command sent with an idempotency key: carried out once, answered alike each time.

    The recordings are opaque to the application: the caller turns a result or a refusal
    into whatever it must repeat later (for HTTP, the status, headers and body).
    """

    key: str
    fingerprint: str
    record_result: Callable[[Any], str]
    record_refusal: Callable[[Exception], str]


@dataclass(frozen=True, slots=True)
class CommandContext:
    """Why a command runs (stored as its events' metadata) and whether it may repeat."""

    correlation_id: str
    caused_by: str
    idempotency: IdempotentRequest | None = None
    api_key_id: str | None = None


class EventStore(Protocol):
    """Streams of events, each appended to only at the version it was read at."""

    def load(self, stream_id: str) -> list[DomainEvent]:
        """All events of a stream, oldest first (empty for a stream never written)."""
        ...

    def append(
        self, stream_id: str, events: Sequence[DomainEvent], *, expected_version: int
    ) -> None:
        """Append after `expected_version` or raise ConcurrencyConflict."""
        ...


class Catalogue(Protocol):
    """The write side's look at products and shipping methods."""

    def lock_products(self, skus: Collection[str]) -> dict[str, CatalogueEntry]:
        """The products with these SKUs, held so that no one else takes their stock."""
        ...

    def shipping_codes(self) -> list[str]:
        """Codes of every shipping method offered."""
        ...


class ReadModels(Protocol):
    """Queries over the projections."""

    def order(self, order_id: UUID) -> OrderView | None:
        """One order, if it exists."""
        ...

    def order_numbered(self, number: int) -> OrderView | None:
        """The order with this receipt number, if any."""
        ...

    def order_document(self, order_id: UUID, transfer: TransferTerms) -> OrderDocument | None:
        """One order as the JSON document the API sends (with the payment instructions of
        `transfer`), if it exists."""
        ...

    def order_history(self, order_id: UUID) -> list[OrderEventView]:
        """An order's events, oldest first."""
        ...

    def order_numbers_before(self, number: int | None, limit: int, where: OrderFilter
                             ) -> list[int]:
        """Up to `limit` receipt numbers below `number` (any if None) of orders matching
        `where`, newest first."""
        ...

    def order_numbers_after(self, number: int, limit: int, where: OrderFilter) -> list[int]:
        """Up to `limit` receipt numbers above `number` of orders matching `where`, in order."""
        ...

    def orders_between(self, after: int, up_to: int | None, where: OrderFilter
                       ) -> Iterator[OrderView]:
        """Orders numbered in (after, up_to] matching `where`, by number, streamed."""
        ...

    def order_documents_between(self, after: int, up_to: int | None, where: OrderFilter,
                                transfer: TransferTerms) -> Iterator[bytes]:
        """The same orders as `orders_between`, as finished JSON documents (with the payment
        instructions of `transfer`), streamed."""
        ...

    def count_orders(self, where: OrderFilter) -> int:
        """How many orders match `where`."""
        ...

    def count_orders_by_status(self, where: OrderFilter) -> dict[OrderStatus, int]:
        """How many orders matching `where` are in each status (every status, 0 if none)."""
        ...

    def sales_by_status(
        self, where: OrderFilter, currency: str
    ) -> dict[OrderStatus, StatusFigures]:
        """Order counts and money per status of the orders in `currency` matching `where`."""
        ...

    def events_after(self, position: int, limit: int) -> list[StoredEventView]:
        """Up to `limit` events of the whole store after `position`, in order."""
        ...

    def product(self, sku: str) -> ProductView | None:
        """One product, if the catalogue has it."""
        ...

    def products(self) -> list[ProductView]:
        """The whole catalogue, by SKU."""
        ...

    def shipping_method(self, code: str) -> ShippingMethodView | None:
        """One shipping method, if offered."""
        ...

    def shipping_methods(self) -> list[ShippingMethodView]:
        """Every shipping method, by code."""
        ...


@dataclass(frozen=True, slots=True)
class PendingOrder:
    """An order awaiting payment, as the payment-hold sweeper first sees it."""

    order_id: UUID
    placed_at: datetime
    skus: tuple[str, ...]


class PendingOrders(Protocol):
    """Orders awaiting payment, found and held for the payment-hold sweeper."""

    def placed_before(self, cutoff: datetime, after: PendingOrder | None, limit: int
                      ) -> list[PendingOrder]:
        """Up to `limit` orders awaiting payment placed before `cutoff`, oldest first,
        starting after `after` (from the start if None)."""
        ...

    def claim(self, order_ids: Collection[UUID], cutoff: datetime) -> list[UUID]:
        """Those of `order_ids` still awaiting payment and placed before `cutoff`, held
        until the transaction ends; orders another transaction holds are skipped."""
        ...


class IdempotencyKeys(Protocol):
    """Keys of requests already carried out, with the answer each got."""

    def claim(self, key: str, fingerprint: str) -> str | None:
        """Hold `key` for this transaction (None), or return the earlier answer's recording.

        Raises IdempotencyKeyReused when the key was used for a different request. While
        another transaction holds the key, this waits for it to finish.
        """
        ...

    def remember(self, key: str, recording: str) -> None:
        """Store the answer to repeat for a key this transaction holds."""
        ...


class NotificationIds(Protocol):
    """The payment gateway's notification ids, each taken for the first order it named."""

    def take(self, notification_id: str, order_id: UUID) -> UUID:
        """Take `notification_id` for `order_id` unless an order took it before; the
        order that holds it now. While another transaction holds the id, this waits for
        it to finish."""
        ...


class Transaction(Protocol):
    """One atomic unit of work: all it appends and projects commits, or nothing does."""

    @property
    def events(self) -> EventStore: ...

    @property
    def catalogue(self) -> Catalogue: ...

    @property
    def read_models(self) -> ReadModels: ...

    @property
    def idempotency_keys(self) -> IdempotencyKeys: ...

    @property
    def pending_orders(self) -> PendingOrders: ...

    @property
    def notification_ids(self) -> NotificationIds: ...


# -- commands in two steps: read what the decision needs, then write its outcome at once --

# The receipt number an OrderPlaced carries until the storage numbers it as it commits:
# numbers are handed out inside the commit itself, so that no placement holds the next
# number while Python runs, and none is ever lost to a rollback. It is negative (no
# receipt has such a number) and long (no id, status or header shows these digits), so
# the storage finds it in the answer it remembers for an idempotency key.
NUMBER_AT_COMMIT = -918_273_645_546_372_819


@dataclass(frozen=True, slots=True)
class PlacementInputs:
    """Everything placing an order decides on, read in one step."""

    catalogue: dict[str, CatalogueEntry]
    shipping: ShippingOption | None
    shipping_codes: list[str]
    earlier_answer: str | None


@dataclass(frozen=True, slots=True)
class OrderInputs:
    """Everything a change of an order decides on, read in one step."""

    history: list[DomainEvent]
    view: OrderView | None
    earlier_answer: str | None


@dataclass(frozen=True, slots=True)
class Outcome:
    """What one command decided: events to append to one order's stream.

    The storage writes them, the read models' rows and the command's idempotency key
    with its answer included, in one atomic step; an OrderPlaced among the events is
    numbered there (see NUMBER_AT_COMMIT).
    """

    stream_id: str
    events: Sequence[DomainEvent]
    expected_version: int


class TwoStepCommands(Protocol):
    """The hot commands' storage: one read, one atomic write, nothing held in between.

    Nothing read is locked: the write refuses (ConcurrencyConflict) if stock ran short
    or the stream moved on meanwhile, and the command is decided again from a new read.
    """

    def read_for_placement(self, skus: Collection[str], shipping_code: str,
                           request: IdempotentRequest | None) -> PlacementInputs:
        """Products, shipping method and any earlier answer to the key, in one round trip.

        Raises IdempotencyKeyReused if the key was used for another request.
        """
        ...

    def read_order(self, order_id: UUID, request: IdempotentRequest | None) -> OrderInputs:
        """An order's history, its view and any earlier answer to the key, in one round trip."""
        ...

    def write(self, outcome: Outcome, context: CommandContext, current: OrderView | None
              ) -> OrderView:
        """Store the outcome and the context's idempotency answer atomically.

        Returns the order's view after it (numbered, for a placement). Raises
        ConcurrencyConflict when stock ran short, the stream moved on or the key was
        taken meanwhile: decide again from a new read.
        """
        ...


class AsyncTwoStepCommands(Protocol):
    """TwoStepCommands awaited on the event loop: the HTTP routes' hot commands."""

    async def read_for_placement(self, skus: Collection[str], shipping_code: str,
                                 request: IdempotentRequest | None) -> PlacementInputs:
        """As TwoStepCommands.read_for_placement."""
        ...

    async def read_order(self, order_id: UUID, request: IdempotentRequest | None
                         ) -> OrderInputs:
        """As TwoStepCommands.read_order."""
        ...

    async def write(self, outcome: Outcome, context: CommandContext,
                    current: OrderView | None) -> OrderView:
        """As TwoStepCommands.write."""
        ...


class Storage(TwoStepCommands, Protocol):
    """Where the shop keeps its events and read models."""

    def transaction(self, context: CommandContext) -> AbstractContextManager[Transaction]:
        """A unit of work that commits on success and rolls back on any error."""
        ...

    def reading(self) -> AbstractContextManager[ReadModels]:
        """Read-only access for reads of one query each (each sees its own snapshot)."""
        ...

    def streaming(self) -> AbstractContextManager[ReadModels]:
        """A consistent read-only look at the read models, for streamed results."""
        ...


class OrderDocuments(Protocol):
    """The hottest reads, awaited on the event loop: an order and a page of orders, each
    as the finished JSON the API sends, each in one round trip."""

    async def order_document(self, order_id: UUID, transfer: TransferTerms
                             ) -> OrderDocument | None:
        """One order's document, version and placer, or None if there is no such order."""
        ...

    async def newest_first(self, where: OrderFilter, limit: int, before_number: int | None,
                           transfer: TransferTerms) -> OrderDocumentPage:
        """Up to `limit` orders matching `where` numbered below `before_number`."""
        ...
