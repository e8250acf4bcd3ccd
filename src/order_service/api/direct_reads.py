"""The two hottest reads, answered before routing when nothing about the request is unusual.

`GET /v1/orders/{id}` and `GET /v1/orders` are most of a shop's traffic: storefronts
showing customers their orders, the back office paging through them. Through FastAPI
each pays for route matching, two app-wide and four route dependencies, exit stacks and
parameter checks: about half of a worker's CPU for such a request, measured (issue 13).
This layer, the innermost middleware, answers the plain case itself: a key this worker
verified recently, an id that is a UUID, query parameters it knows, an order that is there.

Everything else goes on to the declared route unchanged: no key, a key not in memory, a
refused permission, an odd or unknown parameter, an order that is not there (or not this
storefront's). So every refusal is still answered by one code path, and what is answered
here is built by the same functions the route uses (`tests/e2e/test_direct_reads.py`
holds the two side by side). The routes stay declared as they are: they are what the
OpenAPI document shows, and a client cannot tell the two paths apart.
"""

from __future__ import annotations

import re
from collections.abc import Awaitable, Callable
from urllib.parse import parse_qsl
from uuid import UUID

from fastapi import FastAPI
from fastapi.routing import APIRoute
from starlette.datastructures import Headers
from starlette.responses import Response
from starlette.types import ASGIApp, Receive, Scope, Send

from order_service.api.auth import ADMITTED, admit, remembered
from order_service.api.errors import BadCursor, RateLimited
from order_service.api.routers import orders
from order_service.application import queries
from order_service.application.access import Permission, Principal
from order_service.application.views import OrderFilter
from order_service.domain.errors import OrderNotFound
from order_service.domain.values import OrderStatus

# Lower-case hex only, as str(UUID) writes it: any other spelling takes the declared path.
_ORDER_PATH = re.compile(r"/v1/orders/([0-9a-f]{8}-(?:[0-9a-f]{4}-){3}[0-9a-f]{12})")
_LIST_PATH = "/v1/orders"
_LIMIT = re.compile(r"[1-9][0-9]{0,2}")
_STATUSES = frozenset(status.value for status in OrderStatus)

Read = Callable[[FastAPI, Principal, Scope], Awaitable[Response | None]]


class DirectReadsMiddleware:
    """Answer plain GETs of one order or of the order list without the router."""

    def __init__(self, app: ASGIApp, fastapi: FastAPI) -> None:
        self.app = app
        self.fastapi = fastapi
        self._get_order = _route_of(orders.get_order)
        self._list_orders = _route_of(orders.list_orders)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http" and scope["method"] == "GET":
            response = await self._answer(scope)
            if response is not None:
                await response(scope, receive, send)
                return
        await self.app(scope, receive, send)

    async def _answer(self, scope: Scope) -> Response | None:
        path: str = scope["path"]
        read: Read
        if path == _LIST_PATH:
            route, read = self._list_orders, _order_page
        elif (found := _ORDER_PATH.fullmatch(path)) is not None and not scope["query_string"]:
            route, read = self._get_order, _one_order
            scope["path_params"] = {"order_id": found.group(1)}
        else:
            return None
        viewer = remembered(self.fastapi, Headers(scope=scope).get("authorization"))
        if viewer is None or not viewer.may(Permission.READ_OWN_ORDERS):
            return None
        try:
            await admit(self.fastapi, viewer)
        except RateLimited:
            return None  # the route answers the 429 (a refused take spends nothing)
        # Charged once: should the route answer after all, it does not admit the key again.
        scope[ADMITTED] = viewer.key_id
        # The request log names the route's template in metrics and access lines.
        scope["route"] = route
        return await read(self.fastapi, viewer, scope)


def _route_of(endpoint: object) -> APIRoute:
    return next(route for route in orders.router.routes
                if isinstance(route, APIRoute) and route.endpoint is endpoint)


async def _one_order(app: FastAPI, viewer: Principal, scope: Scope) -> Response | None:
    state = app.state
    try:
        order = await queries.read_order_document(
            state.order_documents, UUID(scope["path_params"]["order_id"]), viewer,
            state.settings.transfer_terms())
    except OrderNotFound:
        return None  # the route answers the 404
    return orders.order_response(order)


async def _order_page(app: FastAPI, viewer: Principal, scope: Scope) -> Response | None:
    state = app.state
    limit, before, statuses = orders.DEFAULT_PAGE_SIZE, None, set()
    seen: set[str] = set()
    for name, value in parse_qsl(scope["query_string"].decode("latin-1"),
                                 keep_blank_values=True):
        if name == "status" and value in _STATUSES:
            statuses.add(OrderStatus(value))
        elif name in seen:
            return None
        elif name == "limit" and _LIMIT.fullmatch(value) and int(value) <= orders.MAX_PAGE_SIZE:
            limit = int(value)
        elif name == "cursor":
            try:
                before = state.cursors.decode(orders.ORDERS_CURSOR, value)
            except BadCursor:
                return None
        else:
            return None  # a search, a refusal or a parameter the route alone knows
        seen.add(name)
    page = await queries.read_order_documents(
        state.order_documents, OrderFilter(statuses=frozenset(statuses)), viewer=viewer,
        limit=limit, before_number=before, transfer=state.settings.transfer_terms())
    return orders.page_response(page, state.cursors)
