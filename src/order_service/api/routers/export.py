"""The order history export: every order in full, a page at a time, as JSON, NDJSON or CSV."""

from __future__ import annotations

import hashlib
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Annotated, Literal

from fastapi import APIRouter, Depends, Query, Request

from order_service.api import examples as ex
from order_service.api import problem_examples as px
from order_service.api.auth import allowed
from order_service.api.deps import CursorsDep, SettingsDep, StorageDep
from order_service.api.export_params import (
    choose_format,
    parse_statuses,
    require_ordered_period,
)
from order_service.api.middleware import DEADLINE_STATE
from order_service.api.spooled import SpooledResponse, spooled
from order_service.api.timestamps import Moment
from order_service.application import export, queries
from order_service.application.access import Permission
from order_service.application.ports import Storage
from order_service.application.views import OrderFilter
from order_service.domain.payment_instructions import TransferTerms

router = APIRouter(prefix="/v1/orders", tags=["export"],
                   dependencies=[Depends(allowed(Permission.EXPORT))])

EXAMPLE_NDJSON = (
    '{"id":"7d3f1e1a-2b9c-4c55-9a43-2f8c1d5e8a10","number":1,"status":"paid",'
    '"currency":"EUR",...,"total":6637,...}\n'
    '{"complete":true,"count":1}\n'
)
EXAMPLE_CSV = (
    "number,id,status,currency,placed_at,...,line_sku,line_name,line_quantity,...,total,...\r\n"
    "1,7d3f1e1a-2b9c-4c55-9a43-2f8c1d5e8a10,paid,EUR,2026-11-26T09:38:42Z,...,SANDAL-42,"
    "Leather sandals,1,...,6637,...\r\n"
    "#complete,1\r\n"
)
PAGE_DESCRIPTION = (
    "One page of orders, oldest first. The next page's URL is in the "
    "`Link: <...>; rel=\"next\"` header (and `next_cursor` in JSON); no Link means this "
    "was the last page.\n\n"
    "**Check that the page is whole before using it.** The page is read from the "
    "database in full before the status line is sent (a 503 with `Retry-After` if it "
    "cannot be, within `ORDER_SERVICE_REQUEST_TIMEOUT_SECONDS`), and is sent with its "
    "`Content-Length`. A page cut short (the connection dropped, the server stopped, or "
    "the client read nothing for `ORDER_SERVICE_STREAM_IDLE_TIMEOUT_SECONDS`, 30 by "
    "default) ends early, so that no client can take it for a whole page:\n\n"
    "- JSON: the page is valid JSON only when whole (it ends with `next_cursor`).\n"
    "- NDJSON: the last line of a whole page is the trailer `{\"complete\":true,"
    "\"count\":N}`, N being the number of orders on the lines before it.\n"
    "- CSV: the last line of a whole page is the trailer `#complete,N`, N being the "
    "number of orders (not rows) before it; no order row starts with `#`.\n\n"
    "A page without its ending is incomplete: fetch the same URL again."
)


@router.get(
    "/export",
    summary="Export the order history",
    response_class=SpooledResponse,
    status_code=200,  # FastAPI reads it from the response class's signature otherwise
    responses={
        200: {
            "description": PAGE_DESCRIPTION,
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
    settings: SettingsDep,
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
) -> SpooledResponse:
    """Every order in full (customer, addresses, methods, lines, totals, each status
    change's time, cancel reason), oldest first, a page at a time by a tamper-evident
    cursor (never OFFSET: page 5,000 costs what page 1 does). Walking all pages while
    orders are placed or change state returns every order that existed when the walk
    began exactly once. Choose the format with `Accept` (`application/json`,
    `application/x-ndjson`, `text/csv`) or `format=`. NDJSON and CSV pages end with a
    trailer line, and only a whole page does: see the 200 answer."""
    chosen = choose_format(export_format, request.headers.get("accept"))
    require_ordered_period(placed_from, placed_to, "placed_from", "placed_to")
    where = OrderFilter(statuses=parse_statuses(status), placed_from=placed_from,
                        placed_to=placed_to, updated_since=updated_since)
    kind = cursor_kind(where)
    after = 0 if cursor is None else cursors.decode(kind, cursor)
    page = queries.export_page(storage, where, after=after, limit=limit)
    next_cursor = None if page.next_after is None else cursors.encode(kind, page.next_after)
    headers = {"Vary": "Accept"}
    if next_cursor is not None:
        next_url = request.url.include_query_params(cursor=next_cursor)
        headers["Link"] = f'<{next_url}>; rel="next"'
    # Read whole here, on the worker thread: the connection is back in the pool before
    # the status line goes out, and a client that stops reading holds only the spool.
    with _body(chosen, storage, where, page, next_cursor=next_cursor,
               transfer=settings.transfer_terms()) as body:
        spool = spooled(body, deadline=getattr(request.state, DEADLINE_STATE, None))
    return SpooledResponse(spool, idle_seconds=settings.stream_idle_timeout_seconds,
                           media_type=export.MEDIA_TYPES[chosen], headers=headers)


def cursor_kind(where: OrderFilter) -> str:
    """What an export cursor is bound to: the filters it was made for."""
    # A cursor is valid only with the filters it was made for: another filter's cursor
    # would silently skip or repeat orders, so it is refused instead.
    parts = [",".join(sorted(s.value for s in where.statuses)),
             *(str(t) for t in (where.placed_from, where.placed_to, where.updated_since))]
    return "export-" + hashlib.sha256("|".join(parts).encode()).hexdigest()[:16]


@contextmanager
def _body(chosen: str, storage: Storage, where: OrderFilter, page: queries.ExportPage, *,
          next_cursor: str | None, transfer: TransferTerms) -> Iterator[Iterator[bytes]]:
    if chosen == "csv":
        with queries.orders_in(storage, where, page) as orders:
            yield export.csv_page(orders, transfer)
        return
    with queries.documents_in(storage, where, page, transfer) as documents:
        yield (export.json_page(documents, next_cursor) if chosen == "json"
               else export.ndjson_page(documents))
