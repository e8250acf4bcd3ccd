"""FastAPI dependencies: what a route gets handed, built once per app in its lifespan."""

from __future__ import annotations

import re
from typing import Annotated
from uuid import UUID, uuid4

from fastapi import Depends, Request
from starlette.requests import HTTPConnection

from order_service.api.cursors import CursorCodec
from order_service.application.access import Principal
from order_service.application.actors import by_key
from order_service.application.handlers import Shop
from order_service.application.hot_commands import HotCommands
from order_service.application.ports import OrderDocuments, Storage
from order_service.domain.errors import OrderNotFound
from order_service.domain.payment_instructions import TransferTerms
from order_service.settings import Settings

REQUEST_ID_HEADER = "X-Request-ID"
_SAFE_REQUEST_ID = re.compile(r"^[A-Za-z0-9._:\-]{1,128}$")


async def get_shop(request: Request) -> Shop:
    """The shop's use cases for this app."""
    shop: Shop = request.app.state.shop
    return shop


async def get_hot_commands(request: Request) -> HotCommands:
    """Place, pay, ship and cancel, awaited on the event loop."""
    commands: HotCommands = request.app.state.hot_commands
    return commands


async def get_storage(request: Request) -> Storage:
    """The storage the read routes query."""
    storage: Storage = request.app.state.shop.storage
    return storage


async def get_order_documents(request: Request) -> OrderDocuments:
    """The hot reads of the app serving this request."""
    documents: OrderDocuments = request.app.state.order_documents
    return documents


async def get_cursors(request: Request) -> CursorCodec:
    """The app's cursor codec."""
    cursors: CursorCodec = request.app.state.cursors
    return cursors


async def get_app_settings(request: Request) -> Settings:
    """The settings this app was made with."""
    settings: Settings = request.app.state.settings
    return settings


async def get_transfer_terms(request: Request) -> TransferTerms:
    """Where bank-transfer customers pay now: every order's instructions follow it."""
    transfer: TransferTerms = request.app.state.settings.transfer_terms()
    return transfer


def request_id(request: HTTPConnection) -> str:
    """The caller's X-Request-ID if it is sane, else a fresh one."""
    given = request.headers.get(REQUEST_ID_HEADER, "")
    return given if _SAFE_REQUEST_ID.match(given) else str(uuid4())


def order_id_from_path(raw: str) -> UUID:
    """The order id in a path; one that is not even a UUID names no order (404)."""
    # A 404, not a form error: to a client, a bad id and an unknown one are alike.
    try:
        return UUID(raw)
    except ValueError:
        raise OrderNotFound.unparsable(raw) from None


def caused_by(request: Request, principal: Principal) -> str:
    """Who caused a command, as its events' metadata says: the key, the method, the route."""
    route = getattr(request.scope.get("route"), "path", request.url.path)
    return by_key(principal.name, f"{request.method} {route}")


ShopDep = Annotated[Shop, Depends(get_shop)]
HotCommandsDep = Annotated[HotCommands, Depends(get_hot_commands)]
StorageDep = Annotated[Storage, Depends(get_storage)]
OrderDocumentsDep = Annotated[OrderDocuments, Depends(get_order_documents)]
CursorsDep = Annotated[CursorCodec, Depends(get_cursors)]
SettingsDep = Annotated[Settings, Depends(get_app_settings)]
TransferTermsDep = Annotated[TransferTerms, Depends(get_transfer_terms)]
