"""The hottest routes, answered before routing when nothing about the request is unusual.

Placing an order, reading one and listing them are most of a shop's traffic. Through
FastAPI each pays for route matching, its dependencies (two app-wide and three to six of
its own), exit stacks and parameter checks: measured, about half of a worker's CPU for a
read and a quarter for a placement (issue 13). This layer, the innermost middleware,
answers the plain case itself: a key this worker verified recently that the route
allows, a lower-case UUID id, query parameters it knows, a JSON body that validates.

Everything else goes on to the declared route unchanged: no key, a key not in memory, a
refused permission, an odd or unknown parameter, a body that does not validate, an order
that is not there (or not this storefront's). What this layer answers it builds with the
functions the routes use, and a refusal raised on the way (out of stock, a reused
Idempotency-Key) is answered by the app's own exception handlers, so a client cannot
tell the two paths apart (`tests/e2e/test_direct_routes.py` compares them case by case).
The routes stay declared as they are: they are what the OpenAPI document shows.
"""

from __future__ import annotations

import inspect
import re
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any, cast
from urllib.parse import parse_qsl
from uuid import UUID

from fastapi import FastAPI
from fastapi.routing import APIRoute
from pydantic import ValidationError
from starlette.concurrency import run_in_threadpool
from starlette.datastructures import Headers
from starlette.requests import Request
from starlette.responses import Response
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from order_service.api.auth import ADMITTED, admit, remembered
from order_service.api.errors import BadCursor, RateLimited
from order_service.api.idempotency import command_request
from order_service.api.routers import orders
from order_service.api.schemas.orders import CancelIn, PayIn, PlaceOrderIn, ShipIn
from order_service.application import queries
from order_service.application.access import Permission, Principal
from order_service.application.hot_commands import HotCommands
from order_service.application.ports import CommandContext
from order_service.application.views import OrderFilter, OrderView
from order_service.domain.errors import OrderNotFound
from order_service.domain.values import OrderStatus

# Lower-case hex only, as str(UUID) writes it: any other spelling takes the declared path.
_ORDER_ID = r"(?P<order_id>[0-9a-f]{8}-(?:[0-9a-f]{4}-){3}[0-9a-f]{12})"
_LIMIT = re.compile(r"[1-9][0-9]{0,2}")
_STATUSES = frozenset(status.value for status in OrderStatus)

Answer = Callable[[FastAPI, Principal, Request], Awaitable[Response | None]]


@dataclass(frozen=True, slots=True)
class DirectRoute:
    """The plain case of a declared route, answered by `answer` (None: not plain after all)."""

    method: str
    path: re.Pattern[str]
    endpoint: Callable[..., Any]  # the declared route's: its template names metrics and logs
    permission: Permission
    answer: Answer


class DirectRoutesMiddleware:
    """Answer the plain requests of the hottest routes without the router."""

    def __init__(self, app: ASGIApp, fastapi: FastAPI) -> None:
        self.app = app
        self.fastapi = fastapi
        self._routes = [(direct, _declared(direct.endpoint)) for direct in DIRECT_ROUTES]
        # Looked up as Starlette's ExceptionMiddleware does. The handler of Exception is
        # the server's 500, which an unexpected error still reaches from here.
        self._handlers = {cls: handler for cls, handler in fastapi.exception_handlers.items()
                          if isinstance(cls, type) and cls is not Exception}

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http":
            for direct, declared in self._routes:
                if scope["method"] == direct.method and (
                        found := direct.path.fullmatch(scope["path"])) is not None:
                    scope["path_params"] = found.groupdict()
                    await self._serve(direct, declared, scope, receive, send)
                    return
        await self.app(scope, receive, send)

    async def _serve(self, direct: DirectRoute, declared: APIRoute, scope: Scope,
                     receive: Receive, send: Send) -> None:
        recorded = _Recorded(receive)
        request = Request(scope, recorded)
        viewer = remembered(self.fastapi, request.headers.get("authorization"))
        response = None
        if viewer is not None and viewer.may(direct.permission):
            response = await self._answer(direct, declared, viewer, request)
        if response is None:
            await self.app(scope, recorded.replayed(), send)
        else:
            await response(scope, receive, send)

    async def _answer(self, direct: DirectRoute, declared: APIRoute, viewer: Principal,
                      request: Request) -> Response | None:
        try:
            await admit(self.fastapi, viewer)
        except RateLimited:
            return None  # the route answers the 429 (a refused take spends nothing)
        # Charged once: should the route answer after all, it does not admit the key again.
        request.scope[ADMITTED] = viewer.key_id
        # The request log names the route's template; commands name it as their cause.
        request.scope["route"] = declared
        try:
            return await direct.answer(self.fastapi, viewer, request)
        except Exception as error:
            return await self._refusal(request, error)

    async def _refusal(self, request: Request, error: Exception) -> Response:
        handler = next((self._handlers[cls] for cls in type(error).__mro__
                        if cls in self._handlers), None)
        if handler is None:
            raise error
        # Sync handlers run on a thread, as Starlette runs them (one looks a key up).
        if inspect.iscoroutinefunction(handler):
            return cast(Response, await handler(request, error))
        return cast(Response, await run_in_threadpool(handler, request, error))


class _Recorded:
    """A receive that keeps what it handed out, to hand it out again to the route."""

    def __init__(self, receive: Receive) -> None:
        self._receive = receive
        self._messages: list[Message] = []

    async def __call__(self) -> Message:
        message = await self._receive()
        self._messages.append(message)
        return message

    def replayed(self) -> Receive:
        """The request's messages from the start: those already read, then the rest."""
        pending = list(self._messages)

        async def receive() -> Message:
            return pending.pop(0) if pending else await self._receive()

        return receive


def _declared(endpoint: Callable[..., Any]) -> APIRoute:
    return next(route for route in orders.router.routes
                if isinstance(route, APIRoute) and route.endpoint is endpoint)


def _json_body(headers: Headers) -> bool:
    media_type = headers.get("content-type", "").partition(";")[0].strip().lower()
    return media_type == "application/json" and "content-length" in headers


async def _one_order(app: FastAPI, viewer: Principal, request: Request) -> Response | None:
    state = app.state
    if request.scope["query_string"]:
        return None
    try:
        order = await queries.read_order_document(
            state.order_documents, UUID(request.path_params["order_id"]), viewer,
            state.settings.transfer_terms())
    except OrderNotFound:
        return None  # the route answers the 404
    return orders.order_response(order)


async def _order_page(app: FastAPI, viewer: Principal, request: Request) -> Response | None:
    state = app.state
    limit, before, statuses = orders.DEFAULT_PAGE_SIZE, None, set()
    seen: set[str] = set()
    for name, value in parse_qsl(request.scope["query_string"].decode("latin-1"),
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


async def _placement(app: FastAPI, viewer: Principal, request: Request) -> Response | None:
    if request.scope["query_string"] or not _json_body(request.headers):
        return None
    try:
        body = PlaceOrderIn.model_validate_json(await request.body())
    except ValidationError:
        return None  # the route answers the 422, pointing at each mistake
    command = await command_request(request, viewer)
    return await orders.place(app.state.hot_commands, body, command,
                              app.state.settings.transfer_terms())


def _changing(schema: type[PayIn | ShipIn | CancelIn],
              run: Callable[[HotCommands], Callable[[Any, CommandContext], Awaitable[OrderView]]],
              ) -> Answer:
    """The direct answer of pay, ship or cancel, whose optional body is a `schema`."""

    async def answer(app: FastAPI, viewer: Principal, request: Request) -> Response | None:
        headers = request.headers
        if request.scope["query_string"] or "transfer-encoding" in headers:
            return None
        body = schema()
        if headers.get("content-length", "0") != "0":
            if not _json_body(headers):
                return None
            try:
                body = schema.model_validate_json(await request.body())
            except ValidationError:
                return None  # the route answers the 422, pointing at each mistake
        command = body.to_command(UUID(request.path_params["order_id"]),
                                  await orders.if_match(headers.get("if-match")))
        return await orders.change(run(app.state.hot_commands), command,
                                   await command_request(request, viewer),
                                   app.state.settings.transfer_terms())

    return answer


DIRECT_ROUTES = (
    DirectRoute("GET", re.compile(rf"/v1/orders/{_ORDER_ID}"), orders.get_order,
                Permission.READ_OWN_ORDERS, _one_order),
    DirectRoute("GET", re.compile("/v1/orders"), orders.list_orders,
                Permission.READ_OWN_ORDERS, _order_page),
    DirectRoute("POST", re.compile("/v1/orders"), orders.place_order,
                Permission.PLACE_ORDERS, _placement),
    DirectRoute("POST", re.compile(rf"/v1/orders/{_ORDER_ID}/pay"), orders.pay_order,
                Permission.MANAGE_ORDERS, _changing(PayIn, lambda shop: shop.pay_order)),
    DirectRoute("POST", re.compile(rf"/v1/orders/{_ORDER_ID}/ship"), orders.ship_order,
                Permission.MANAGE_ORDERS, _changing(ShipIn, lambda shop: shop.ship_order)),
    DirectRoute("POST", re.compile(rf"/v1/orders/{_ORDER_ID}/cancel"), orders.cancel_order,
                Permission.MANAGE_ORDERS, _changing(CancelIn, lambda shop: shop.cancel_order)),
)
