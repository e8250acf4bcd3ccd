"""Telling the outside what each command did, once it is settled (metrics, for one).

The shop reports only what is final: the events of a command that committed (not those
of an attempt rolled back to be retried), a refusal by the shop's rules, and a repeat
answered from an idempotency key's recording.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, Protocol

from order_service.application.ports import EventStore, Transaction
from order_service.domain.errors import OrderServiceError
from order_service.domain.events import DomainEvent


class ShopObserver(Protocol):
    """Told what each command did, after the fact."""

    def committed(self, events: Sequence[DomainEvent]) -> None:
        """A command committed these events (possibly none: a no-op)."""
        ...

    def refused(self, refusal: OrderServiceError) -> None:
        """A command was refused by the shop's rules; nothing was stored."""
        ...

    def replayed(self) -> None:
        """A command was answered from its idempotency key's recording, not carried out."""
        ...


class NobodyWatching:
    """The observer of a shop that nobody watches."""

    def committed(self, events: Sequence[DomainEvent]) -> None:
        """Ignore committed events."""

    def refused(self, refusal: OrderServiceError) -> None:
        """Ignore a refusal."""

    def replayed(self) -> None:
        """Ignore a repeat."""


NOBODY_WATCHING = NobodyWatching()


class EveryObserver:
    """Several observers told alike, in the order given."""

    def __init__(self, *observers: ShopObserver) -> None:
        self._observers = observers

    def committed(self, events: Sequence[DomainEvent]) -> None:
        """Tell each that a command committed these events."""
        for observer in self._observers:
            observer.committed(events)

    def refused(self, refusal: OrderServiceError) -> None:
        """Tell each that a command was refused."""
        for observer in self._observers:
            observer.refused(refusal)

    def replayed(self) -> None:
        """Tell each that a command was answered from its recording."""
        for observer in self._observers:
            observer.replayed()


class _RecordingEvents:
    def __init__(self, events: EventStore, appended: list[DomainEvent]) -> None:
        self._events = events
        self._appended = appended

    def load(self, stream_id: str) -> list[DomainEvent]:
        return self._events.load(stream_id)

    def append(
        self, stream_id: str, new_events: Sequence[DomainEvent], *, expected_version: int
    ) -> None:
        self._events.append(stream_id, new_events, expected_version=expected_version)
        self._appended.extend(new_events)


class RecordingTransaction:
    """A transaction that notes in `appended` every event appended through it."""

    def __init__(self, transaction: Transaction) -> None:
        self.appended: list[DomainEvent] = []
        self.events: EventStore = _RecordingEvents(transaction.events, self.appended)
        self._transaction = transaction

    def __getattr__(self, name: str) -> Any:
        # Every other port is the transaction's own, whichever ports it grows.
        return getattr(self._transaction, name)
