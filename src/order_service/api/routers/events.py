"""The event feed: every stored event in order, for systems that follow the store."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Query

from order_service.api import examples as ex
from order_service.api.auth import allowed
from order_service.api.deps import StorageDep
from order_service.api.schemas.events import EventPageOut
from order_service.application import queries
from order_service.application.access import Permission

router = APIRouter(prefix="/v1/events", tags=["events"],
                   dependencies=[Depends(allowed(Permission.FOLLOW_EVENTS))])


@router.get("", summary="Follow the event store",
            responses={200: ex.answer("Events after `after`, oldest first", ex.EVENT_PAGE,
                                      ex.NO_NEW_EVENTS)})
def follow_events(
    storage: StorageDep,
    after: Annotated[int, Query(ge=0, le=2**63 - 1,
                                description="Position already processed; 0 for the start")] = 0,
    limit: Annotated[int, Query(ge=1, le=1000)] = 100,
) -> EventPageOut:
    """Events after `after`, in the order they were stored. Poll with the returned
    `next_after` to see every event exactly once: an event never appears later below a
    position you have passed, however its transaction was delayed."""
    return EventPageOut.from_page(queries.follow_events(storage, after=after, limit=limit))
