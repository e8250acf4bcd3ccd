"""What is asked of the geocoder about an address, and when it is asked again."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from order_service.domain.values import Address
from order_service.geocoding.places import (
    AddressQuery,
    Location,
    LookupState,
    Point,
    retry_after,
)

NOW = datetime(2026, 12, 2, 12, 0, tzinfo=UTC)


def _address(**fields: str | None) -> Address:
    values: dict[str, str | None] = {
        "name": "Ana García", "line1": "Calle Mayor 1", "line2": "3º B", "city": "Madrid",
        "postal_code": "28013", "country": "ES", "region": "Madrid", **fields}
    return Address(**values)  # type: ignore[arg-type]


def test_the_geocoder_is_asked_the_street_town_and_country_but_not_who_lives_there() -> None:
    assert AddressQuery.of(_address()) == AddressQuery(
        street="Calle Mayor 1", city="Madrid", postal_code="28013", country="ES")


def test_one_place_is_one_key_however_it_was_typed_and_whoever_lives_there() -> None:
    key = AddressQuery.of(_address()).key
    same_place = [_address(name="Pedro", line2=None, region=None),
                  _address(line1="  calle  MAYOR 1 ", city="MADRID", country="es")]
    other_places = [_address(line1="Calle Mayor 2"), _address(postal_code="28014"),
                    _address(city="Madrid ES"), _address(country="FR")]

    assert {AddressQuery.of(address).key for address in same_place} == {key}
    assert key not in {AddressQuery.of(address).key for address in other_places}


def test_a_failed_lookup_is_retried_later_and_later_but_at_most_a_day_apart() -> None:
    attempts = (1, 2, 3, 4, 11, 12, 500)
    delays = [retry_after(LookupState.FAILED, attempt) for attempt in attempts]

    assert delays == [timedelta(minutes=minutes) for minutes in (1, 2, 4, 8, 1024)] + [
        timedelta(days=1)] * 2


def test_a_found_place_is_never_asked_again_and_an_unknown_one_only_after_a_month() -> None:
    assert retry_after(LookupState.FOUND, 1) is None
    assert retry_after(LookupState.NOT_FOUND, 1) == timedelta(days=30)


def test_an_address_is_due_for_a_lookup_once_its_retry_time_has_come_unless_found() -> None:
    later = NOW + timedelta(minutes=1)

    assert Location(LookupState.FAILED, None, 1, later).due(NOW) is False
    assert Location(LookupState.FAILED, None, 1, later).due(later) is True
    assert Location(LookupState.PENDING, None, 0, later).due(later) is True
    assert Location(LookupState.FOUND, Point(40.4, -3.7), 1, None).due(later) is False
