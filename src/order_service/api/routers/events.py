"""The event feed: every stored event in order, for systems that follow the store."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Query, Request, Response

from order_service.api import examples as ex
from order_service.api.auth import allowed
from order_service.api.deps import StorageDep
from order_service.api.schemas.events import EventPageOut, StoredEventPage
from order_service.application import queries
from order_service.application.access import Permission
from order_service.observability.metrics import Metrics

router = APIRouter(prefix="/v1/events", tags=["events"],
                   dependencies=[Depends(allowed(Permission.FOLLOW_EVENTS))])


@router.get("", summary="Follow the event store", response_model=EventPageOut,
            responses={200: ex.answer("Events after `after`, oldest first", ex.EVENT_PAGE,
                                      ex.UNKNOWN_EVENT, ex.NO_NEW_EVENTS)})
def follow_events(
    request: Request,
    storage: StorageDep,
    after: Annotated[int, Query(ge=0, le=2**63 - 1,
                                description="Position already processed; 0 for the start")] = 0,
    limit: Annotated[int, Query(ge=1, le=1000)] = 100,
) -> Response:
    """Events after `after`, in the order they were stored. Poll with the returned
    `next_after` to see every event exactly once: an event never appears later below a
    position you have passed, however its transaction was delayed. An event of a type
    not listed here was stored by a newer version of the service: it comes as stored;
    skip it (and say so) rather than stop."""
    page = queries.follow_events(storage, after=after, limit=limit)
    metrics: Metrics = request.app.state.metrics
    metrics.passed_on("feed", page.items)
    # Sent as built, not through EventPageOut: every event's `data` goes out as stored.
    return Response(StoredEventPage.from_page(page).model_dump_json(),
                    media_type="application/json")
