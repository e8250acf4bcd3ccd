"""The order history export: every order in full, a page at a time, as JSON, NDJSON or CSV."""

from __future__ import annotations

import hashlib
from collections.abc import Iterator
from typing import Annotated, Literal

from fastapi import APIRouter, Depends, Query, Request
from fastapi.responses import StreamingResponse

from order_service import export
from order_service.api import examples as ex
from order_service.api import problem_examples as px
from order_service.api.auth import allowed
from order_service.api.deps import CursorsDep, StorageDep
from order_service.api.export_params import (
    choose_format,
    parse_statuses,
    require_ordered_period,
)
from order_service.api.timestamps import Moment
from order_service.application import queries
from order_service.application.access import Permission
from order_service.application.ports import Storage
from order_service.application.views import OrderFilter

router = APIRouter(prefix="/v1/orders", tags=["export"],
                   dependencies=[Depends(allowed(Permission.EXPORT))])

EXAMPLE_NDJSON = (
    '{"id":"7d3f1e1a-2b9c-4c55-9a43-2f8c1d5e8a10","number":1,"status":"paid",'
    '"currency":"EUR",...,"total":6637,...}\n'
)
EXAMPLE_CSV = (
    "number,id,status,currency,placed_at,...,line_sku,line_name,line_quantity,...,total,...\r\n"
    "1,7d3f1e1a-2b9c-4c55-9a43-2f8c1d5e8a10,paid,EUR,2026-11-26T09:38:42Z,...,SANDAL-42,"
    "Leather sandals,1,...,6637,...\r\n"
)


@router.get(
    "/export",
    summary="Export the order history",
    response_class=StreamingResponse,
    responses={
        200: {
            "description": "One page of orders, oldest first. The next page's URL is in "
            "the `Link: <...>; rel=\"next\"` header (and `next_cursor` in JSON); no "
            "Link means this was the last page.",
            "content": {
                "application/json": {"schema": {"$ref": "#/components/schemas/OrderPageOut"},
                                     "examples": ex.examples(ex.EXPORT_PAGE)},
                "application/x-ndjson": {"schema": {"type": "string"},
                                         "example": EXAMPLE_NDJSON},
                "text/csv": {"schema": {"type": "string"}, "example": EXAMPLE_CSV},
            },
        },
        406: ex.refusal("No export format matches Accept", px.NOT_ACCEPTABLE),
        422: ex.refusal("A parameter is invalid, or the period is reversed",
                        px.REVERSED_PERIOD),
    },
)
def export_orders(
    *,
    request: Request,
    storage: StorageDep,
    cursors: CursorsDep,
    status: Annotated[list[str] | None, Query(
        description="Only these statuses: repeat the parameter or separate with commas")] = None,
    placed_from: Annotated[Moment | None, Query(
        description="Orders placed at or after (ISO 8601; UTC if no zone)")] = None,
    placed_to: Annotated[Moment | None, Query(
        description="Orders placed before (ISO 8601; UTC if no zone)")] = None,
    updated_since: Annotated[Moment | None, Query(
        description="Orders whose last change is at or after this moment")] = None,
    limit: Annotated[int, Query(ge=1, le=1000, description="Orders per page")] = 100,
    cursor: Annotated[str | None, Query(description="From the previous page's Link")] = None,
    export_format: Annotated[Literal["json", "ndjson", "csv"] | None, Query(
        alias="format", description="Overrides Accept: json, ndjson or csv")] = None,
) -> StreamingResponse:
    """Every order in full (customer, addresses, methods, lines, totals, each status
    change's time, cancel reason), oldest first, a page at a time by a tamper-evident
    cursor (never OFFSET: page 5,000 costs what page 1 does). Walking all pages while
    orders are placed or change state returns every order that existed when the walk
    began exactly once. Choose the format with `Accept` (`application/json`,
    `application/x-ndjson`, `text/csv`) or `format=`."""
    chosen = choose_format(export_format, request.headers.get("accept"))
    require_ordered_period(placed_from, placed_to, "placed_from", "placed_to")
    where = OrderFilter(statuses=parse_statuses(status), placed_from=placed_from,
                        placed_to=placed_to, updated_since=updated_since)
    kind = _cursor_kind(where)
    after = 0 if cursor is None else cursors.decode(kind, cursor)
    page = queries.export_page(storage, where, after=after, limit=limit)
    next_cursor = None if page.next_after is None else cursors.encode(kind, page.next_after)
    headers = {"Vary": "Accept"}
    if next_cursor is not None:
        next_url = request.url.include_query_params(cursor=next_cursor)
        headers["Link"] = f'<{next_url}>; rel="next"'
    body = _body(chosen, storage, where, page, next_cursor)
    return StreamingResponse(export.in_chunks(body), media_type=export.MEDIA_TYPES[chosen],
                             headers=headers)


def _cursor_kind(where: OrderFilter) -> str:
    # A cursor is valid only with the filters it was made for: another filter's cursor
    # would silently skip or repeat orders, so it is refused instead.
    parts = [",".join(sorted(s.value for s in where.statuses)),
             *(str(t) for t in (where.placed_from, where.placed_to, where.updated_since))]
    return "export-" + hashlib.sha256("|".join(parts).encode()).hexdigest()[:16]


def _body(chosen: str, storage: Storage, where: OrderFilter, page: queries.ExportPage,
          next_cursor: str | None) -> Iterator[bytes]:
    if chosen == "csv":
        return export.csv_rows(queries.orders_in(storage, where, page))
    documents = queries.documents_in(storage, where, page)
    if chosen == "json":
        return export.json_page(documents, next_cursor)
    return export.ndjson(documents)
