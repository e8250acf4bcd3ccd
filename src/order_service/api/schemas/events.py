"""Bodies of the event feed."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from pydantic import BaseModel, Field

from order_service.application.views import EventPage, StoredEventView


class StoredEventOut(BaseModel):
    """One stored event."""

    id: str = Field(description="The event's id, stable for ever (a UUID); also the "
                    "Nats-Msg-Id it is published to NATS JetStream with",
                    examples=["5b0f8c1e-3f9d-5a57-9c1e-6d2a4f0b7e31"])
    position: int = Field(description="Global position: strictly increasing, may skip numbers")
    stream_id: str = Field(examples=["order-7d3f1e1a-2b9c-4c55-9a43-2f8c1d5e8a10"])
    version: int = Field(description="Position within its stream, from 1")
    type: str = Field(examples=["OrderPaid"])
    recorded_at: datetime
    data: dict[str, Any]
    metadata: dict[str, Any] = Field(description="correlation_id and caused_by")

    @classmethod
    def from_view(cls, view: StoredEventView) -> StoredEventOut:
        """Map a stored event view."""
        return cls(id=view.id, position=view.position, stream_id=view.stream_id,
                   version=view.version, type=view.type, recorded_at=view.recorded_at,
                   data=view.data, metadata=view.metadata)


class EventPageOut(BaseModel):
    """Events after a position, oldest first."""

    items: list[StoredEventOut]
    next_after: int = Field(description="Pass as `after` next time (unchanged when empty)")

    @classmethod
    def from_page(cls, page: EventPage) -> EventPageOut:
        """Map a page of events."""
        return cls(items=[StoredEventOut.from_view(e) for e in page.items],
                   next_after=page.next_after)
