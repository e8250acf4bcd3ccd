"""Looking up where addresses are: once each, off the request path, gentle with the
geocoder (both databases, against the in-process geocoder of tests/map_servers.py)."""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import Engine

from order_service.adapters.http.nominatim import USER_AGENT, NominatimGeocoder
from order_service.adapters.sql.address_locations import SqlAddressLocations
from order_service.domain.values import Address
from order_service.geocoding.locator import AddressLocator
from order_service.geocoding.places import AddressQuery, LookupState, Point
from tests.map_servers import Geocoder, wait_for

LEASE = timedelta(seconds=35)


def _address(line1: str = "Torstraße 109", **fields: str) -> Address:
    values = {"name": "Lena Fischer", "line1": line1, "line2": "3. OG links",
              "city": "Berlin", "postal_code": "10119", "country": "DE", **fields}
    return Address(**values)


def _key(address: Address) -> str:
    return AddressQuery.of(address).key


def _attempts(locations: SqlAddressLocations, address: Address) -> int:
    """How many lookups of the address have ended (0 if none has)."""
    found = locations.find(_key(address))
    return 0 if found is None else found.attempts


def utc_now() -> datetime:
    return datetime.now(UTC)


@pytest.fixture
def locations(engine: Engine) -> SqlAddressLocations:
    """The stored places, on this test's database."""
    return SqlAddressLocations(engine)


@pytest.fixture
def locator(geocoder: Geocoder, locations: SqlAddressLocations) -> Iterator[AddressLocator]:
    """A running locator asking the test's geocoder, with no pause between requests."""
    running = AddressLocator(NominatimGeocoder(geocoder.url, timeout_seconds=1.0), locations,
                             utc_now, timeout_seconds=1.0, seconds_between_requests=0.0)
    running.start()
    yield running
    running.stop()


def test_only_one_of_many_callers_may_look_up_an_address_at_a_time(
    locations: SqlAddressLocations,
) -> None:
    now = utc_now()
    key = _key(_address())
    start = threading.Barrier(8)
    claimed: list[bool] = []

    def claim() -> None:
        start.wait()
        claimed.append(locations.claim(key, now, LEASE))

    threads = [threading.Thread(target=claim) for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert sorted(claimed) == [False] * 7 + [True]
    assert locations.claim(key, now + LEASE, LEASE) is True  # the first caller died


def test_a_failed_lookup_may_be_made_again_only_once_its_retry_time_has_come(
    locations: SqlAddressLocations,
) -> None:
    now = utc_now()
    key = _key(_address())
    assert locations.claim(key, now, LEASE)

    failed = locations.record(key, None, now, answered=False)

    assert (failed.state, failed.attempts, failed.retry_at) == (
        LookupState.FAILED, 1, now + timedelta(minutes=1))
    assert locations.claim(key, now + timedelta(seconds=59), LEASE) is False
    assert locations.claim(key, now + timedelta(minutes=1), LEASE) is True
    assert locations.record(key, None, now, answered=False).retry_at == now + timedelta(
        minutes=2)


def test_a_found_place_is_kept_and_never_looked_up_again(
    locations: SqlAddressLocations,
) -> None:
    now = utc_now()
    key = _key(_address())
    locations.claim(key, now, LEASE)

    locations.record(key, Point(52.5290823, 13.4010925), now)

    found = locations.find(key)
    assert found is not None
    assert (found.state, found.point, found.retry_at) == (
        LookupState.FOUND, Point(52.5290823, 13.4010925), None)
    assert locations.claim(key, now + timedelta(days=365), LEASE) is False


def test_an_address_asked_for_many_times_is_looked_up_once(
    locator: AddressLocator, geocoder: Geocoder, locations: SqlAddressLocations,
) -> None:
    for _ in range(5):
        assert locator.point_of(_address()) is None
    wait_for(lambda: _attempts(locations, _address()) == 1, what="the lookup")
    # The same street, town and country for someone else in another flat: the same place.
    again = [locator.point_of(_address(name="Max Fischer", line2="EG")) for _ in range(5)]

    assert again == [Point(52.5290823, 13.4010925)] * 5
    assert len(geocoder.searches) == 1


def test_the_geocoder_is_asked_a_structured_question_naming_the_service(
    locator: AddressLocator, geocoder: Geocoder, locations: SqlAddressLocations,
) -> None:
    locator.point_of(_address())
    wait_for(lambda: geocoder.searches, what="a search")

    asked = geocoder.searches[0]
    assert asked.query == {"format": "jsonv2", "limit": "1", "street": "Torstraße 109",
                           "city": "Berlin", "postalcode": "10119", "countrycodes": "de"}
    assert asked.headers["user-agent"] == USER_AGENT
    assert asked.headers["user-agent"].startswith("order-service/")


def test_an_address_the_geocoder_does_not_know_is_remembered_as_unknown_for_a_month(
    locator: AddressLocator, geocoder: Geocoder, locations: SqlAddressLocations,
) -> None:
    geocoder.behaviour = "nothing"
    locator.point_of(_address())
    wait_for(lambda: _attempts(locations, _address()) == 1, what="the lookup")

    for _ in range(3):
        assert locator.point_of(_address()) is None

    unknown = locations.find(_key(_address()))
    assert unknown is not None
    assert unknown.state is LookupState.NOT_FOUND
    assert unknown.retry_at is not None
    assert unknown.retry_at - utc_now() > timedelta(days=29)
    assert len(geocoder.searches) == 1


def test_a_geocoder_that_is_down_is_asked_once_and_then_left_alone_for_a_while(
    locator: AddressLocator, geocoder: Geocoder, locations: SqlAddressLocations,
) -> None:
    geocoder.behaviour = "error"
    locator.point_of(_address())
    wait_for(lambda: _attempts(locations, _address()) == 1, what="the failed lookup")

    # Page views of the same order, and of orders to other addresses, meanwhile.
    others = [_address(line1=f"Torstraße {number}") for number in range(1, 20)]
    for address in [_address(), *others, _address()]:
        assert locator.point_of(address) is None
    time.sleep(0.5)  # time enough to (wrongly) ask the geocoder again

    failed = locations.find(_key(_address()))
    assert failed is not None
    assert failed.state is LookupState.FAILED
    assert len(geocoder.searches) == 1
    assert all(locations.find(_key(address)) is None for address in others)


def test_a_slow_geocoder_is_given_up_on_after_the_timeout_and_the_failure_kept(
    locator: AddressLocator, geocoder: Geocoder, locations: SqlAddressLocations,
) -> None:
    geocoder.behaviour, geocoder.delay_seconds = "slow", 3.0
    locator.point_of(_address())

    wait_for(lambda: _attempts(locations, _address()) == 1, seconds=2.5,
             what="giving up after 1 s")
    failed = locations.find(_key(_address()))
    assert failed is not None
    assert failed.state is LookupState.FAILED
