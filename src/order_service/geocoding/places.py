"""What the geocoder is asked about an address, what is kept of its answer, and when to ask
again."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum

from order_service.domain.values import Address

# A failed lookup is tried again after 1, 2, 4, ... minutes, at most a day apart: a
# geocoder that is down for a day is asked about each address about a dozen times.
FIRST_RETRY = timedelta(minutes=1)
LONGEST_RETRY = timedelta(days=1)
# An address the geocoder did not know may be added to its map later, but not soon.
NOT_FOUND_RETRY = timedelta(days=30)


@dataclass(frozen=True, slots=True)
class Point:
    """A place on the earth, in degrees (WGS 84, as OpenStreetMap uses)."""

    latitude: float
    longitude: float


@dataclass(frozen=True, slots=True)
class AddressQuery:
    """What is asked about an address: the street, the town and the country.

    The recipient's name and the flat (line2) are not asked: they do not move the point,
    they would only make the geocoder miss, and the geocoder need not know who lives there.
    """

    street: str
    city: str
    postal_code: str
    country: str

    @classmethod
    def of(cls, address: Address) -> AddressQuery:
        """The query for `address`."""
        return cls(street=address.line1, city=address.city, postal_code=address.postal_code,
                   country=address.country.upper())

    @property
    def key(self) -> str:
        """What identifies the address for the store: the same for the same street,
        town and country, however they were capitalised or spaced."""
        parts = (self.street, self.city, self.postal_code, self.country)
        normal = "\x1f".join(" ".join(part.casefold().split()) for part in parts)
        return hashlib.sha256(normal.encode()).hexdigest()


class LookupState(StrEnum):
    """Where the lookup of one address stands."""

    PENDING = "pending"  # a process is asking the geocoder now
    FOUND = "found"
    NOT_FOUND = "not_found"  # the geocoder answered, and knew no such place
    FAILED = "failed"  # no answer: down, too slow, or refusing


@dataclass(frozen=True, slots=True)
class Location:
    """What is known of one address's place."""

    state: LookupState
    point: Point | None
    attempts: int
    retry_at: datetime | None

    def due(self, now: datetime) -> bool:
        """Whether the geocoder may be asked about this address (again) now."""
        return self.state is not LookupState.FOUND and (
            self.retry_at is None or self.retry_at <= now)


def retry_after(state: LookupState, attempts: int) -> timedelta | None:
    """How long after its `attempts`-th lookup ended in `state` an address is asked again."""
    if state is LookupState.FOUND:
        return None
    if state is LookupState.NOT_FOUND:
        return NOT_FOUND_RETRY
    # The exponent stops growing long after the cap is reached, before timedelta overflows.
    doublings = min(max(attempts - 1, 0), 20)
    return min(FIRST_RETRY * (1 << doublings), LONGEST_RETRY)
