"""Prometheus metrics: what the service counts, and the text a scrape of `/metrics` gets.

Under `order-service serve` every worker process keeps its figures in files of its own
in the directory PROMETHEUS_MULTIPROC_DIR names (`serve` makes a fresh one), and a
scrape, which reaches one worker, adds up all of them: counts from a worker that died
and was replaced are kept, so counters never go back. Without that variable (an app in
a test, a one-off command) each `Metrics` keeps its figures in memory, in a registry of
its own, so two apps in one process never see each other's counts.

Make one `Metrics` per process and hand it to everything that records (the app, the
sweeper, the relay): in multiprocess mode two of them in one process would write the
same slots and lose updates.
"""

from __future__ import annotations

import glob
import os
from collections.abc import Iterable, Sequence

from prometheus_client import (
    CollectorRegistry,
    Counter,
    Gauge,
    Histogram,
    generate_latest,
    values,
)
from prometheus_client.metrics_core import Metric
from prometheus_client.multiprocess import MultiProcessCollector

from order_service.application.email_messages import OrderEmail
from order_service.application.views import StoredEventView
from order_service.domain.errors import OrderServiceError, OutOfStock
from order_service.domain.events import (
    DomainEvent,
    OrderCancelled,
    OrderPaid,
    OrderPlaced,
    OrderShipped,
    known_to_this_version,
)

# Prometheus' own text format (0.0.4), which every scraper reads.
CONTENT_TYPE = "text/plain; version=0.0.4; charset=utf-8"
NAMESPACE = "order_service"
# Requests matching no route share one label: raw paths would make a series per URL.
UNMATCHED_ROUTE = "unmatched"
KNOWN_METHODS = frozenset({"GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"})
# Seconds; the top bucket is the default request timeout, after which the answer is a 503.
LATENCY_BUCKETS = (0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 20.0)
HTTP_LABELS = ("method", "route", "status")

_ORDER_EVENTS: dict[type[DomainEvent], str] = {
    OrderPlaced: "placed", OrderPaid: "paid", OrderShipped: "shipped",
    OrderCancelled: "cancelled",
}


def multiprocess_mode() -> bool:
    """Whether prometheus_client keeps figures in per-process files (chosen at its import)."""
    return values.ValueClass is not values.MutexValue


class Metrics:
    """The service's metrics, and the small calls that record them."""

    def __init__(self) -> None:
        # In multiprocess mode the figures live in files and a scrape collects them from
        # there, so the metrics themselves are registered nowhere.
        self._registry = None if multiprocess_mode() else CollectorRegistry()
        registry = self._registry
        self.requests = Counter(
            "http_requests", "HTTP requests answered, by method, route template and status",
            HTTP_LABELS, namespace=NAMESPACE, registry=registry)
        self.latency = Histogram(
            "http_request_duration_seconds",
            "Time from a request's arrival to the end of its answer, by method, route "
            "template and status", HTTP_LABELS, namespace=NAMESPACE, registry=registry,
            buckets=LATENCY_BUCKETS)
        self.orders = {
            name: Counter(f"orders_{name}", f"Orders {name} (each {event.TYPE} committed)",
                          namespace=NAMESPACE, registry=registry)
            for event, name in _ORDER_EVENTS.items()
        }
        self.out_of_stock = Counter(
            "out_of_stock_refusals", "Orders refused whole because some line was out of stock",
            namespace=NAMESPACE, registry=registry)
        self.replays = Counter(
            "idempotent_replays", "Commands answered from the recording of an earlier "
            "request with the same Idempotency-Key, not carried out again",
            namespace=NAMESPACE, registry=registry)
        self.sweeps = Counter(
            "expiry_sweeps", "Runs of the sweeper that cancels orders unpaid past the "
            "payment hold", namespace=NAMESPACE, registry=registry)
        self.expired = Counter(
            "orders_expired", "Orders the sweeper cancelled for want of payment",
            namespace=NAMESPACE, registry=registry)
        # The latest reading of whichever process relays: each one reads the same store.
        self.relay_lag = Gauge(
            "relay_lag_events", "Stored events the relay has not published yet",
            namespace=NAMESPACE, registry=registry, multiprocess_mode="mostrecent")
        self.email_lag = Gauge(
            "email_lag_events", "Stored events the email follower has not gone past yet "
            "(each order email is sent before its event is passed)",
            namespace=NAMESPACE, registry=registry, multiprocess_mode="mostrecent")
        self.emails = Counter(
            "emails", "Order emails by kind and outcome (sent: the mail server took it; "
            "refused: it refused the address or message for good)", ("kind", "outcome"),
            namespace=NAMESPACE, registry=registry)
        self.relay_rewinds = Counter(
            "relay_rewinds", "Times the relay found its JetStream stream behind its checkpoint "
            "(deleted, recreated or restored) and went back to publish what it lacks",
            namespace=NAMESPACE, registry=registry)
        self.unknown_events = Counter(
            "unknown_events", "Events of a type (or schema version) this version of the "
            "service does not know, passed on untouched, by reader (feed: each time a page "
            "of GET /v1/events holds one; relay: each one published) and type",
            ("reader", "type"), namespace=NAMESPACE, registry=registry)
        self._http: dict[tuple[str, str, int], tuple[Counter, Histogram]] = {}

    def observe_request(self, method: str, route: str, status: int, seconds: float) -> None:
        """Count one answered request and how long it took."""
        # Any client may send any method name: unknown ones share one label.
        key = (method if method in KNOWN_METHODS else "other", route, status)
        series = self._http.get(key)
        if series is None:
            labels = (key[0], route, str(status))
            series = self._http[key] = (self.requests.labels(*labels),
                                        self.latency.labels(*labels))
        series[0].inc()
        series[1].observe(seconds)

    def committed(self, events: Sequence[DomainEvent]) -> None:
        """Count the orders a committed command placed, paid, shipped or cancelled."""
        for event in events:
            name = _ORDER_EVENTS.get(type(event))
            if name is not None:
                self.orders[name].inc()

    def refused(self, refusal: OrderServiceError) -> None:
        """Count a command the shop's rules refused (out-of-stock refusals, for now)."""
        if isinstance(refusal, OutOfStock):
            self.out_of_stock.inc()

    def replayed(self) -> None:
        """Count a command answered from its Idempotency-Key's recording."""
        self.replays.inc()

    def record_sweep(self, expired: int) -> None:
        """Count one run of the expiry sweeper and the orders it cancelled."""
        self.sweeps.inc()
        self.expired.inc(expired)

    def set_relay_lag(self, events: int) -> None:
        """Record how many stored events the relay has yet to publish."""
        self.relay_lag.set(events)

    def set_email_lag(self, events: int) -> None:
        """Record how many stored events the email follower has yet to go past."""
        self.email_lag.set(events)

    def emailed(self, email: OrderEmail, outcome: str) -> None:
        """Count an order email sent (or refused for good)."""
        self.emails.labels(email.kind, outcome).inc()

    def relay_rewound(self) -> None:
        """Count the relay going back because its stream lacks events it had published."""
        self.relay_rewinds.inc()

    def passed_on(self, reader: str, events: Sequence[StoredEventView]) -> None:
        """Count the events among `events` that this version cannot read (`reader` passed
        them on as stored)."""
        for event in events:
            if not known_to_this_version(event.type, event.schema_version):
                self.unknown_events.labels(reader, event.type).inc()

    def relay_observer(self) -> RelayMetrics:
        """What a relay in this process tells the metrics."""
        return RelayMetrics(self)

    def exposition(self) -> bytes:
        """Every metric in Prometheus' text format, across all worker processes."""
        if self._registry is not None:
            return generate_latest(self._registry)
        registry = CollectorRegistry()
        WorkerFiles(registry)  # type: ignore[no-untyped-call]
        return generate_latest(registry)


class WorkerFiles(MultiProcessCollector):
    """Every worker's figures, passing over a file its worker has not sized yet.

    A worker creates its file and sizes it a moment later. A scrape in between, or any
    scrape after a worker killed in that moment left its file empty, would otherwise fail
    whole with struct.error (prometheus/client_python#1199): /metrics answered 500 while
    a killed worker was being replaced.
    """

    def collect(self) -> Iterable[Metric]:
        """The merged figures of every worker file that holds any."""
        files = [path for path in glob.glob(os.path.join(self._path, "*.db"))
                 if _size(path) > 0]
        merged: Iterable[Metric] = self.merge(  # type: ignore[no-untyped-call]
            files, accumulate=True)
        return merged


def _size(path: str) -> int:
    try:
        return os.path.getsize(path)
    except OSError:  # removed meanwhile
        return 0


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
