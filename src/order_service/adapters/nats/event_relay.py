"""The event relay wired from settings: SQL checkpoint and lease, JetStream publisher.

Every `serve` worker runs one when ORDER_SERVICE_NATS_URL is set, and so does
`order-service relay-events`; the lease lets exactly one of them publish.
"""

from __future__ import annotations

import os
import socket
import uuid
from collections.abc import Sequence
from datetime import UTC, datetime

from sqlalchemy import Engine

from order_service.adapters.nats.jetstream import JetStreamPublisher
from order_service.adapters.sql.relay_checkpoints import SqlRelayCheckpoints
from order_service.adapters.sql.storage import SqlStorage
from order_service.application.relay import EventRelay, RelayObserver
from order_service.application.views import StoredEventView
from order_service.observability.metrics import Metrics
from order_service.settings import Settings


def relay_holder() -> str:
    """A name for this relay in the lease: where it runs, and unique to this run."""
    return f"{socket.gethostname()[:60]}:{os.getpid()}:{uuid.uuid4().hex[:8]}"


class RelayMetrics:
    """The relay's observer in a server worker: its rewinds and unknown events, counted."""

    def __init__(self, metrics: Metrics) -> None:
        self._metrics = metrics

    def published(self, events: Sequence[StoredEventView], position: int) -> None:
        """Count the events of types this version does not know."""
        self._metrics.passed_on("relay", events)

    def rewound(self, checkpoint: int, position: int) -> None:
        """Count a rewind."""
        self._metrics.relay_rewound()


def build_relay(settings: Settings, engine: Engine, observer: RelayObserver | None = None,
                *, from_start: bool = False) -> EventRelay:
    """A relay from the store behind `engine` to the JetStream stream the settings name."""
    if not settings.nats_url:
        raise ValueError("set ORDER_SERVICE_NATS_URL to relay the events to NATS")
    return EventRelay(
        SqlStorage(engine, lambda: datetime.now(UTC)),
        SqlRelayCheckpoints(engine, settings.nats_stream, relay_holder()),
        JetStreamPublisher(settings.nats_url, settings.nats_stream,
                           settings.nats_subject_prefix),
        batch_size=settings.relay_batch_size,
        lease_seconds=settings.relay_lease_seconds,
        observer=observer,
        from_start=from_start,
    )


async def relay_events_forever(settings: Settings, engine: Engine, metrics: Metrics) -> None:
    """Run the relay until cancelled (a server worker's background task); never raises."""
    await build_relay(settings, engine, RelayMetrics(metrics)).run()
