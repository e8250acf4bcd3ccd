"""The event relay: every stored event, in position order, to a message broker.

One relay publishes at a time however many run (server workers, instances, the
`relay-events` command): the holder of a lease kept in the database. It reads the events
after its checkpoint with the event feed's own query (safe to follow: appends commit in
position order, so nothing can later appear below a position already read), publishes a
batch, and moves the checkpoint only once the broker acknowledged all of it. A relay
killed in between left some events published but not checkpointed; its successor asks
the broker which event it holds last and carries on after it, and should that answer be
lost, the broker still drops a republished event by its id.

The broker's stream may also hold less than the checkpoint says: deleted and made
again, or restored from an older copy. The stream holds the events as a gap-free prefix,
one message per event, so its last sequence number is how many events it has; when that
is fewer than the checkpoint covers, the relay moves its checkpoint back to the last
event the stream has and publishes the rest again (a purge keeps the sequence numbers, so
a purged stream is left as the operator made it; `relay-events --from-start` refills it).
Events of a type this version does not know are published as stored, like any other.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Protocol, TypeVar

import anyio

from order_service.application.errors import (
    ConcurrencyConflict,
    LeaseLost,
    PublishFailed,
    StorageUnavailable,
)
from order_service.application.leases import RelayCheckpoints, wait_for_lease
from order_service.application.ports import Storage
from order_service.application.views import StoredEventView
from order_service.domain.events import known_to_this_version

log = logging.getLogger(__name__)

T = TypeVar("T")

# An idle leader looks for new events this often: the delay an event may wait to go out.
POLL_SECONDS = 0.2
FIRST_BACKOFF_SECONDS = 0.5
MAX_BACKOFF_SECONDS = 30.0

def event_id(event: StoredEventView) -> str:
    """The event's id (also in the event feed): its Nats-Msg-Id."""
    return event.id


@dataclass(frozen=True, slots=True)
class PublishedEvent:
    """The last event the broker holds, as the publisher labelled it."""

    position: int
    event_id: str


@dataclass(frozen=True, slots=True)
class StreamState:
    """What the destination holds: how many messages it ever stored, and the last one."""

    last_sequence: int
    last_event: PublishedEvent | None


class EventPublisher(Protocol):
    """Where events go (JetStream): in the order given, each once."""

    @property
    def destination(self) -> str:
        """Where the events go, for log lines."""
        ...

    async def open(self) -> StreamState:
        """Connect, make sure the destination exists; what it holds."""
        ...

    async def publish(self, events: Sequence[StoredEventView]) -> None:
        """Publish `events` in order; return once all are acknowledged, else PublishFailed."""
        ...

    async def verify(self) -> None:
        """PublishFailed if the destination lost messages since it was opened."""
        ...

    async def close(self) -> None:
        """Let go of the connection."""
        ...


class RelayObserver(Protocol):
    """Told what the relay did (metrics, a command's progress)."""

    def published(self, events: Sequence[StoredEventView], position: int) -> None:
        """A batch was acknowledged; the checkpoint is now `position`."""
        ...

    def rewound(self, checkpoint: int, position: int) -> None:
        """The stream lacked events: the checkpoint went back from `checkpoint` to `position`."""
        ...


class NobodyWatching:
    """The observer of a relay nobody watches."""

    def published(self, events: Sequence[StoredEventView], position: int) -> None:
        """Ignore a batch."""

    def rewound(self, checkpoint: int, position: int) -> None:
        """Ignore a rewind."""


class EventRelay:
    """Publishes while it holds the lease, stands by while another relay does."""

    def __init__(self, storage: Storage, checkpoints: RelayCheckpoints,
                 publisher: EventPublisher, *, batch_size: int, lease_seconds: float,
                 observer: RelayObserver | None = None, from_start: bool = False) -> None:
        self._storage = storage
        self._checkpoints = checkpoints
        self._publisher = publisher
        self._batch_size = batch_size
        self._lease_seconds = lease_seconds
        self._observer = observer or NobodyWatching()
        # An operator's republish: take the lease and start over at position 0, until the
        # first batch from there is acknowledged.
        self._from_start = from_start
        self._unknown_types_seen: set[str] = set()
        # Its own thread: the relay never waits behind requests for a worker thread.
        self._limiter = anyio.CapacityLimiter(1)
        self._backoff = FIRST_BACKOFF_SECONDS

    async def run(self) -> None:
        """Relay until cancelled; waits out any outage of the database or the broker."""
        try:
            while True:
                try:
                    if self._from_start:
                        await self._blocking(self._checkpoints.claim, 0)
                    await self._stand_by()
                    await self._lead()
                except LeaseLost:
                    log.warning("another relay took over publishing the events; standing by")
                    continue
                except (PublishFailed, StorageUnavailable, ConcurrencyConflict) as error:
                    log.warning("event relay paused (%s: %s); retrying in %g s",
                                type(error).__name__, error, self._backoff)
                except Exception:
                    # A bug here must not take the API down with it; say so loudly.
                    log.exception("event relay failed; retrying in %g s", self._backoff)
                await anyio.sleep(self._backoff)
                self._backoff = min(self._backoff * 2, MAX_BACKOFF_SECONDS)
        finally:
            with anyio.CancelScope(shield=True):
                await self._let_go()

    async def _stand_by(self) -> None:
        """Return once this relay holds the lease."""
        await wait_for_lease(self._checkpoints, self._lease_seconds, self._blocking,
                             doing="publishes the events")

    async def _lead(self) -> None:
        """Publish until the lease is lost (LeaseLost) or something fails."""
        position = await self._resume_from(await self._publisher.open())
        beat_at = time.monotonic()
        while True:
            batch = await self._blocking(self._events_after, position)
            if batch:
                self._note_unknown_types(batch)
                await self._publisher.publish(batch)
                await self._advance(batch[-1].position)
                position, beat_at = batch[-1].position, time.monotonic()
                self._backoff = FIRST_BACKOFF_SECONDS
                self._from_start = False
                self._observer.published(batch, position)
                continue
            if time.monotonic() - beat_at >= self._lease_seconds / 3:
                if not await self._blocking(self._checkpoints.renew):
                    raise LeaseLost
                # Idle is when a deleted stream would go unnoticed longest.
                await self._publisher.verify()
                beat_at = time.monotonic()
            await anyio.sleep(POLL_SECONDS)

    async def _resume_from(self, stream: StreamState) -> int:
        """Where to publish from: the checkpoint, unless the stream holds more or less."""
        checkpoint = (await self._blocking(self._checkpoints.observe)).position
        if self._from_start:
            log.warning("publishing every event again from position 1 into %s, as asked",
                        self._publisher.destination)
            return 0
        last = stream.last_event
        if last is not None and await self._is_stored(last):
            if last.position > checkpoint:
                # Published and acknowledged, but the relay died before the checkpoint moved.
                log.info("the broker already holds the events up to position %d; going on "
                         "from there", last.position)
                await self._advance(last.position)
                return last.position
            if last.position < checkpoint:
                return await self._rewind(checkpoint, last.position,
                                          f"its last event is at position {last.position}")
            return checkpoint
        published = await self._blocking(self._checkpoints.events_up_to, checkpoint)
        if stream.last_sequence < published:
            position = await self._blocking(self._checkpoints.position_of,
                                            stream.last_sequence)
            return await self._rewind(checkpoint, position, f"it holds {stream.last_sequence} "
                                      f"messages of the {published} events published")
        return checkpoint

    async def _is_stored(self, last: PublishedEvent) -> bool:
        found = await self._blocking(self._events_after, last.position - 1, 1)
        return bool(found) and found[0].position == last.position and (
            event_id(found[0]) == last.event_id)

    async def _rewind(self, checkpoint: int, position: int, why: str) -> int:
        # Said first: whoever waits for the checkpoint may stop the relay once it moved.
        log.warning("%s lacks events the relay published (%s; checkpoint at position %d): "
                    "it was deleted, recreated or restored; publishing again after position %d",
                    self._publisher.destination, why, checkpoint, position)
        await self._advance(position)
        self._observer.rewound(checkpoint, position)
        return position

    def _note_unknown_types(self, batch: Sequence[StoredEventView]) -> None:
        for event in batch:
            if (not known_to_this_version(event.type, event.schema_version)
                    and event.type not in self._unknown_types_seen):
                self._unknown_types_seen.add(event.type)
                log.warning("publishing event %d of type %r (schema version %d), which this "
                            "version does not know, as stored", event.position, event.type,
                            event.schema_version)

    async def _advance(self, position: int) -> None:
        if not await self._blocking(self._checkpoints.advance, position):
            raise LeaseLost

    def _events_after(self, position: int, limit: int | None = None) -> list[StoredEventView]:
        with self._storage.reading() as read_models:
            return read_models.events_after(position, limit or self._batch_size)

    async def _let_go(self) -> None:
        try:
            with anyio.fail_after(5):
                await self._blocking(self._checkpoints.release)
        except Exception as error:  # shutting down: the lease then simply expires
            log.warning("could not give up the relay lease (%s)", type(error).__name__)
        await self._publisher.close()

    async def _blocking(self, call: Callable[..., T], *args: object) -> T:
        return await anyio.to_thread.run_sync(call, *args, limiter=self._limiter)
