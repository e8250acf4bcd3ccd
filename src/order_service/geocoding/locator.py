"""The thread that finds where addresses are, off every request's path.

Pages and placements only ask for a lookup (`request`, which never blocks); this thread
asks the geocoder one address at a time, at most once a second (Nominatim's usage
policy), and keeps the answer. When the geocoder fails, the address is retried later
with backoff and the whole thread pauses likewise, so a geocoder that is down is asked
about one address per pause, not about every address every time.
"""

from __future__ import annotations

import contextlib
import logging
import queue
import threading
import time
from collections.abc import Callable, Sequence
from datetime import datetime, timedelta
from typing import Protocol

from order_service.application.errors import GeocoderUnavailable, StorageUnavailable
from order_service.domain.errors import OrderServiceError
from order_service.domain.events import DomainEvent, OrderPlaced
from order_service.domain.values import Address
from order_service.geocoding.places import (
    AddressQuery,
    Location,
    LookupState,
    Point,
    retry_after,
)

log = logging.getLogger(__name__)

Clock = Callable[[], datetime]
# Addresses waiting for the thread; more are dropped (a later page view asks again).
WAITING_AT_MOST = 1000
# Nominatim's public servers allow one request a second from an application.
SECONDS_BETWEEN_REQUESTS = 1.0
# A lookup that dies with its process frees its address after the geocoder's timeout
# and this much more.
LEASE_MARGIN = timedelta(seconds=30)


class Geocoder(Protocol):
    """Finds the point of an address: None if there is no such place, or
    GeocoderUnavailable."""

    def search(self, query: AddressQuery) -> Point | None:
        """The point of the address."""
        ...


class AddressLocations(Protocol):
    """Where the answers are kept, and who is asking the geocoder about an address now."""

    def find(self, key: str) -> Location | None:
        """What is known of the address, if it was ever asked about."""
        ...

    def claim(self, key: str, now: datetime, lease: timedelta) -> bool:
        """Whether this process may ask the geocoder about the address now (one at a time)."""
        ...

    def record(self, key: str, point: Point | None, now: datetime, *,
               answered: bool = True) -> Location:
        """Keep what the geocoder answered, or that it did not answer."""
        ...


class AddressLocator:
    """Looks up addresses in a thread of its own and keeps what it finds."""

    def __init__(self, geocoder: Geocoder, locations: AddressLocations, clock: Clock, *,
                 timeout_seconds: float,
                 seconds_between_requests: float = SECONDS_BETWEEN_REQUESTS) -> None:
        self._geocoder = geocoder
        self._locations = locations
        self._clock = clock
        self._lease = timedelta(seconds=timeout_seconds) + LEASE_MARGIN
        self._spacing = seconds_between_requests
        self._waiting: queue.Queue[AddressQuery | None] = queue.Queue(WAITING_AT_MOST)
        self._queued: set[str] = set()
        self._lock = threading.Lock()
        self._stopping = threading.Event()
        self._thread = threading.Thread(target=self._run, name="geocoder", daemon=True)
        self._failures_in_a_row = 0
        self._next_request_at = 0.0  # time.monotonic()

    def start(self) -> None:
        """Start the thread."""
        self._thread.start()

    def stop(self, wait_seconds: float = 2.0) -> None:
        """Stop the thread; a lookup in flight is abandoned (its lease frees it later)."""
        self._stopping.set()
        # With a full queue the thread sees the event at its next address instead.
        with contextlib.suppress(queue.Full):
            self._waiting.put_nowait(None)
        if self._thread.ident is not None:  # started
            self._thread.join(wait_seconds)

    def point_of(self, address: Address) -> Point | None:
        """Where the address is, if known; if not, and it may be asked, a lookup is
        requested (without waiting for it)."""
        query = AddressQuery.of(address)
        location = self._locations.find(query.key)
        if location is None or location.due(self._clock()):
            self.request(query)
        return None if location is None else location.point

    def request(self, query: AddressQuery) -> None:
        """Ask for the address to be looked up soon; never blocks."""
        with self._lock:
            if query.key in self._queued:
                return
            try:
                self._waiting.put_nowait(query)
            except queue.Full:
                log.debug("geocoding queue full; the address is asked for again later")
                return
            self._queued.add(query.key)

    def _run(self) -> None:
        while not self._stopping.is_set():
            query = self._waiting.get()
            if query is None:
                return
            with self._lock:
                self._queued.discard(query.key)
            try:
                self._look_up(query)
            except (StorageUnavailable, OrderServiceError) as error:
                log.warning("could not keep an address's place (%s); asked again later",
                            type(error).__name__)
            except Exception:
                # A bug here must not end the thread: the map is a nicety, not the shop.
                log.exception("looking up an address failed; asked again later")

    def _look_up(self, query: AddressQuery) -> None:
        if not self._wait_for_turn():
            return
        if not self._locations.claim(query.key, self._clock(), self._lease):
            return  # found already, retried later, or another process asks now
        self._next_request_at = time.monotonic() + self._spacing
        try:
            point = self._geocoder.search(query)
        except GeocoderUnavailable as error:
            self._locations.record(query.key, None, self._clock(), answered=False)
            self._pause(error)
            return
        self._failures_in_a_row = 0
        self._locations.record(query.key, point, self._clock())

    def _wait_for_turn(self) -> bool:
        """Wait until the next request may go (spacing, or a pause after failures);
        False if the thread is stopping."""
        delay = self._next_request_at - time.monotonic()
        return delay <= 0 or not self._stopping.wait(delay)

    def _pause(self, error: GeocoderUnavailable) -> None:
        self._failures_in_a_row += 1
        pause = retry_after(LookupState.FAILED, self._failures_in_a_row)
        seconds = max(pause.total_seconds() if pause else 0.0, error.retry_after_seconds or 0)
        self._next_request_at = time.monotonic() + seconds
        log.warning("the geocoder %s; no lookups for %.0f s", error, seconds)


class GeocodePlacedOrders:
    """Asks for the shipping address of every order placed to be looked up (a ShopObserver)."""

    def __init__(self, locator: AddressLocator) -> None:
        self._locator = locator

    def committed(self, events: Sequence[DomainEvent]) -> None:
        """Request a lookup of each new order's shipping address."""
        for event in events:
            if isinstance(event, OrderPlaced):
                self._locator.request(AddressQuery.of(event.shipping_address))

    def refused(self, refusal: OrderServiceError) -> None:
        """Nothing was placed."""

    def replayed(self) -> None:
        """Nothing new was placed."""
