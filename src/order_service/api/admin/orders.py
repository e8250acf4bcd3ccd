"""The back office's orders: the list, one order's page, and changing its status."""

from __future__ import annotations

import secrets
from dataclasses import replace
from typing import Annotated

from fastapi import APIRouter, Form, Path, Request, Response
from fastapi.responses import RedirectResponse
from pydantic import ValidationError

from order_service.api.admin import order_actions
from order_service.api.admin.errors import AdminRoute
from order_service.api.admin.flash import Flash
from order_service.api.admin.order_actions import ACTIONS, Action, Change, Outcome
from order_service.api.admin.order_page import show_order
from order_service.api.admin.pages import render
from order_service.api.admin.sessions import (
    CheckedFormDep,
    SignedInDep,
    command_context,
    sessions_of,
)
from order_service.api.cursors import CursorCodec
from order_service.api.deps import ShopDep, order_id_from_path
from order_service.api.errors import BadInput, PageNotFound
from order_service.application import queries
from order_service.application.access import Permission, require
from order_service.application.errors import AlreadyHandled
from order_service.application.handlers import Shop
from order_service.application.views import OrderFilter, OrderView
from order_service.domain.errors import NotFound, OrderServiceError
from order_service.domain.values import OrderStatus

router = APIRouter(prefix="/admin/orders", route_class=AdminRoute, include_in_schema=False)

PAGE_SIZE = 25
CURSOR_KIND = "admin-orders-before"
OrderIdPath = Annotated[str, Path()]


def _action(slug: str) -> Action:
    action = ACTIONS.get(slug)
    if action is None:
        raise PageNotFound
    return action


@router.get("")
def orders_page(request: Request, *, session: SignedInDep, shop: ShopDep,
                status: str | None = None, q: str = "", cursor: str | None = None) -> Response:
    """Orders newest first, by status tab, found by number or customer email or name."""
    chosen = _status(status)
    q = q.strip()[:320]
    codec: CursorCodec = request.app.state.cursors
    before = None if cursor is None else codec.decode(CURSOR_KIND, cursor)
    where = OrderFilter(search=q or None)
    page = queries.list_orders(shop.storage, _narrowed(where, chosen), limit=PAGE_SIZE,
                               before_number=before)
    counts = queries.count_by_status(shop.storage, where)
    next_cursor = (None if page.next_before is None
                   else codec.encode(CURSOR_KIND, page.next_before))
    return render(request, "orders.html", session, orders=page.orders, counts=counts,
                  total_count=sum(counts.values()), chosen=chosen, q=q,
                  first_page=before is None, next_cursor=next_cursor,
                  statuses=list(OrderStatus))


def _narrowed(where: OrderFilter, status: OrderStatus | None) -> OrderFilter:
    return where if status is None else replace(where, statuses=frozenset({status}))


def _status(raw: str | None) -> OrderStatus | None:
    if not raw:
        return None
    try:
        return OrderStatus(raw)
    except ValueError:
        raise BadInput(f"there is no order status {raw[:40]!r}") from None


@router.get("/{order_id}")
def order_page(request: Request, order_id: OrderIdPath, session: SignedInDep,
               shop: ShopDep) -> Response:
    """Everything about one order, its history, and the changes it allows."""
    order = queries.get_order(shop.storage, order_id_from_path(order_id))
    return show_order(request, session, shop, order)


@router.get("/{order_id}/{slug}")
def confirm_page(request: Request, order_id: OrderIdPath, slug: str, session: SignedInDep,
                 shop: ShopDep) -> Response:
    """Ask before changing the order: what will happen, and an optional note."""
    action = _action(slug)
    order = queries.get_order(shop.storage, order_id_from_path(order_id))
    legal = action in order_actions.legal_actions(order, shop.clock())
    return render(request, "confirm.html", session, status_code=200 if legal else 409,
                  order=order, action=action, legal=legal,
                  form_key=secrets.token_urlsafe(16))


@router.post("/{order_id}/{slug}")
def change_order(request: Request, order_id: OrderIdPath, slug: str, *,
                 session: CheckedFormDep, shop: ShopDep, version: Annotated[int, Form()],
                 form_key: Annotated[str, Form(min_length=8, max_length=64)],
                 note: Annotated[str, Form(max_length=2000)] = "") -> Response:
    """Carry out the confirmed change, then show the order with what came of it."""
    action = _action(slug)
    require(session.principal, Permission.MANAGE_ORDERS)
    order = queries.get_order(shop.storage, order_id_from_path(order_id))
    try:
        text = order_actions.checked_note(action, note)
    except ValidationError as error:
        flash = order_actions.refused(order, action, order_actions.note_problem(error))
    else:
        context = command_context(request, session, order_actions.idempotent(
            session.principal.key_id, form_key, f"{slug} {order.id} {version} {text}"))
        flash = _perform(shop, order, action, Change(text, version, context))
    sessions_of(request).leave_flash(session.token, flash.to_json())
    return RedirectResponse(f"/admin/orders/{order.id}", status_code=303)


def _perform(shop: Shop, order: OrderView, action: Action, change: Change) -> Flash:
    try:
        changed = action.perform(shop, order.id, change)
    except AlreadyHandled as repeat:
        outcome = Outcome.replayed(repeat.recording)
        if not outcome.done:
            return order_actions.refused(order, action, outcome.refusal or "")
        changed = queries.get_order(shop.storage, order.id)
    except NotFound:
        raise
    except OrderServiceError as refusal:
        return order_actions.refused(order, action, refusal)
    return order_actions.done(shop, changed, action)
