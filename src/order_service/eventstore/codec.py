"""Events to stored JSON and back, upgrading old payloads on the way in.

Stored payloads are plain JSON (ISO 8601 timestamps, UUIDs as strings, integer money)
so that any consumer can read them. When an event's payload changes, its class gets a
new SCHEMA_VERSION and an upcaster from the previous version is registered here; old
rows are never rewritten.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

from pydantic import TypeAdapter

from order_service.domain.events import ALL_EVENT_TYPES, DomainEvent

JsonObject = dict[str, Any]
Upcaster = Callable[[JsonObject], JsonObject]

EVENT_CLASSES: dict[str, type[DomainEvent]] = {cls.TYPE: cls for cls in ALL_EVENT_TYPES}

# (type, stored schema version) -> function returning the payload at version + 1.
UPCASTERS: dict[tuple[str, int], Upcaster] = {}


class UnknownEventType(Exception):
    """A stored event names a type this code does not know."""


_adapters: dict[str, TypeAdapter[Any]] = {}


def _adapter(cls: type[DomainEvent]) -> TypeAdapter[Any]:
    adapter = _adapters.get(cls.TYPE)
    if adapter is None:
        adapter = _adapters[cls.TYPE] = TypeAdapter(cls)
    return adapter


def encode(event: DomainEvent) -> JsonObject:
    """The JSON payload stored for `event`."""
    payload: JsonObject = _adapter(type(event)).dump_python(event, mode="json")
    return payload


def upcast(event_type: str, schema_version: int, data: JsonObject) -> JsonObject:
    """The payload of a stored event brought up to its class's current schema."""
    cls = EVENT_CLASSES.get(event_type)
    if cls is None:
        raise UnknownEventType(f"no event class is registered for type {event_type!r}")
    while schema_version < cls.SCHEMA_VERSION:
        data = UPCASTERS[(event_type, schema_version)](data)
        schema_version += 1
    return data


def as_followed(event_type: str, schema_version: int, data: JsonObject
                ) -> tuple[int, JsonObject]:
    """(schema version, payload) as followers get it: upcast when this version knows the
    type, else exactly as stored, for a newer version of the service wrote it."""
    cls = EVENT_CLASSES.get(event_type)
    if cls is None or schema_version >= cls.SCHEMA_VERSION:
        return schema_version, data
    return cls.SCHEMA_VERSION, upcast(event_type, schema_version, data)


def decode(event_type: str, schema_version: int, data: JsonObject) -> DomainEvent:
    """The domain event a stored row holds."""
    current = upcast(event_type, schema_version, data)
    event: DomainEvent = _adapter(EVENT_CLASSES[event_type]).validate_python(current)
    return event


def decode_json(event_type: str, schema_version: int, data: str | bytes) -> DomainEvent:
    """The domain event a stored row holds, from its payload's JSON text.

    A payload at its class's current schema is validated straight from the text, which
    costs half of parsing it first; an older one is parsed and upcast as `decode` does.
    """
    cls = EVENT_CLASSES.get(event_type)
    if cls is None:
        raise UnknownEventType(f"no event class is registered for type {event_type!r}")
    if schema_version >= cls.SCHEMA_VERSION:
        event: DomainEvent = _adapter(cls).validate_json(data)
        return event
    return decode(event_type, schema_version, json.loads(data))
