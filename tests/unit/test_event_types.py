"""Every event type the service stores is documented for followers, with its `data`.

A follower can only handle what it knows of: each event class must appear in the event
feed's OpenAPI union on `type`, its `data` described field by field, and in the
README's table of event types with each field named. No HTTP and no database: the
document is the app's own, built without opening its database.
"""

from __future__ import annotations

import dataclasses
import re
from pathlib import Path
from typing import Any

import pytest

from order_service.api.app import create_app
from order_service.domain.events import ALL_EVENT_TYPES, DomainEvent
from order_service.settings import Settings

JsonObject = dict[str, Any]
README = Path(__file__).resolve().parents[2] / "README.md"
EVENT_TYPES = [pytest.param(event, id=event.TYPE) for event in ALL_EVENT_TYPES]


@pytest.fixture(scope="module")
def document() -> JsonObject:
    """The app's OpenAPI document (building the app opens no database)."""
    built: JsonObject = create_app(Settings(database_url="sqlite:///never-opened.db")).openapi()
    return built


def _schema(document: JsonObject, ref: str) -> JsonObject:
    found: JsonObject = document["components"]["schemas"][ref.rsplit("/", 1)[-1]]
    return found


def _feed_item_union(document: JsonObject) -> JsonObject:
    answer = document["paths"]["/v1/events"]["get"]["responses"]["200"]
    page = _schema(document, answer["content"]["application/json"]["schema"]["$ref"])
    known: JsonObject = page["properties"]["items"]["items"]["anyOf"][0]
    return known


def _fields(event: type[DomainEvent]) -> list[str]:
    return [field.name for field in dataclasses.fields(event)]


def test_the_feeds_union_on_type_names_exactly_the_event_types_the_service_stores(
    document: JsonObject,
) -> None:
    union = _feed_item_union(document)

    assert union["discriminator"]["propertyName"] == "type"
    assert set(union["discriminator"]["mapping"]) == {event.TYPE for event in ALL_EVENT_TYPES}
    assert len(union["oneOf"]) == len(ALL_EVENT_TYPES)


@pytest.mark.parametrize("event", EVENT_TYPES)
def test_each_event_type_in_the_feeds_union_describes_every_field_of_its_data(
    document: JsonObject, event: type[DomainEvent]
) -> None:
    item = _schema(document, _feed_item_union(document)["discriminator"]["mapping"][event.TYPE])

    assert item["properties"]["type"]["const"] == event.TYPE
    data = _schema(document, item["properties"]["data"]["$ref"])
    assert list(data["properties"]) == _fields(event)


@pytest.mark.parametrize("event", EVENT_TYPES)
def test_each_event_type_is_in_the_readmes_table_with_every_field_of_its_data(
    event: type[DomainEvent],
) -> None:
    rows = [line for line in README.read_text(encoding="utf-8").splitlines()
            if line.startswith(f"| `{event.TYPE}` |")]

    assert len(rows) == 1, f"README.md has no row `| \\`{event.TYPE}\\` | ...` in its event table"
    named = set(re.findall(r"`(\w+)`", rows[0].split("|")[3]))
    missing = [field for field in _fields(event) if field not in named]
    assert not missing, f"README.md's row for {event.TYPE} does not name {missing}"
