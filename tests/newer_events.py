"""Events stored as a newer version of the service would: types this version does not know.

During a rolling upgrade a newer version may already store an event type (or a schema
version) the running one has never heard of. Tests put such a row straight into the
events table, as that newer version's event store would, to check that every follower
passes over it and that a rebuild refuses it.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from sqlalchemy import Engine, func, insert, select

from order_service.eventstore.tables import events

NEWER_TYPE = "OrderGiftWrapped"


def store_newer_event(engine: Engine, stream_id: str, *, event_type: str = NEWER_TYPE,
                      data: dict[str, Any] | None = None, schema_version: int = 1) -> int:
    """Append an event of `event_type` to `stream_id` (after its last one); its position."""
    with engine.begin() as connection:
        last = connection.execute(select(func.max(events.c.version))
                                  .where(events.c.stream_id == stream_id)).scalar_one()
        position: int = connection.execute(insert(events).values(
            stream_id=stream_id, version=(last or 0) + 1, type=event_type,
            schema_version=schema_version,
            data=data if data is not None else {"message": "Happy birthday!", "paper": "red"},
            metadata={"correlation_id": "newer-version", "caused_by": "order-service 9.9"},
            recorded_at=datetime.now(UTC),
        ).returning(events.c.position)).scalar_one()
    return position
