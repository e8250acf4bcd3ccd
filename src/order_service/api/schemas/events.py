"""Bodies of the event feed.

A page is documented (`EventPageOut`) as a union on `type`: one schema per event type
this version stores, its `data` the event's stored payload (the schema comes from the
event classes themselves, as the event store encodes them, so the document cannot drift
from what is stored), and one for a type this version does not know, which a newer
version may already store during a rolling upgrade. The answer itself is built from the loose
`StoredEventPage`, so that an event's `data` goes out exactly as stored, whatever its type.
"""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any, Literal, Union

from pydantic import BaseModel, Field, JsonValue, create_model

from order_service.application.views import EventPage, StoredEventView
from order_service.domain.events import ALL_EVENT_TYPES, DomainEvent


class StoredEventOut(BaseModel):
    """One stored event."""

    id: str = Field(description="The event's id, stable for ever (a UUID); also the "
                    "Nats-Msg-Id it is published to NATS JetStream with",
                    examples=["5b0f8c1e-3f9d-5a57-9c1e-6d2a4f0b7e31"])
    position: int = Field(description="Global position: strictly increasing, may skip numbers")
    stream_id: str = Field(examples=["order-7d3f1e1a-2b9c-4c55-9a43-2f8c1d5e8a10"])
    version: int = Field(description="Position within its stream, from 1")
    type: str = Field(description="The event type: what `data` holds", examples=["OrderPaid"])
    schema_version: int = Field(description="The version of `data`'s schema, from 1: the "
                                "type's current one (older payloads are upgraded on the "
                                "way out), or as stored for a type this version does not know")
    recorded_at: datetime
    data: dict[str, Any]
    metadata: dict[str, Any] = Field(description="correlation_id and caused_by")

    @classmethod
    def from_view(cls, view: StoredEventView) -> StoredEventOut:
        """Map a stored event view."""
        return cls(id=view.id, position=view.position, stream_id=view.stream_id,
                   version=view.version, type=view.type, schema_version=view.schema_version,
                   recorded_at=view.recorded_at, data=view.data, metadata=view.metadata)


class StoredEventPage(BaseModel):
    """Events after a position, oldest first, as sent."""

    items: list[StoredEventOut]
    next_after: int

    @classmethod
    def from_page(cls, page: EventPage) -> StoredEventPage:
        """Map a page of events."""
        return cls(items=[StoredEventOut.from_view(e) for e in page.items],
                   next_after=page.next_after)


# -- the documented shape --------------------------------------------------------------


class _Envelope(BaseModel):
    id: str = Field(description="The event's id, stable for ever (a UUID); also the "
                    "Nats-Msg-Id it is published to NATS JetStream with")
    position: int = Field(description="Global position: strictly increasing, may skip numbers")
    stream_id: str
    version: int = Field(description="Position within its stream, from 1")
    schema_version: int = Field(description="The version of `data`'s schema, from 1")
    recorded_at: datetime
    metadata: dict[str, Any] = Field(description="correlation_id and caused_by")


def _documented(event: type[DomainEvent]) -> type[_Envelope]:
    return create_model(
        f"{event.TYPE}Event", __base__=_Envelope, __doc__=event.__doc__,
        type=(Literal[event.TYPE], ...),  # type: ignore[arg-type]
        data=(event, Field(description=f"The stored {event.TYPE} payload")),
    )


KNOWN_EVENTS = tuple(_documented(event) for event in ALL_EVENT_TYPES)
KNOWN_TYPES: list[JsonValue] = [event.TYPE for event in ALL_EVENT_TYPES]


class UnknownEvent(_Envelope):
    """An event of a type this version of the service does not know (a newer version
    stored it): skip it, or keep it for later; it is never changed."""

    type: str = Field(description="Any type not listed above",
                      json_schema_extra={"not": {"enum": KNOWN_TYPES}})
    data: dict[str, Any] = Field(description="The payload exactly as stored")


KnownEvent = Annotated[Union[KNOWN_EVENTS], Field(discriminator="type")]  # type: ignore[valid-type]  # noqa: UP007


class EventPageOut(BaseModel):
    """Events after a position, oldest first; each one's `data` is described by its `type`."""

    items: list[KnownEvent | UnknownEvent]
    next_after: int = Field(description="Pass as `after` next time (unchanged when empty)")
