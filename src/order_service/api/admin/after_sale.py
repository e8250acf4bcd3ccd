"""Changes to an order after the sale, from its page: correct its details, refund it, and
write notes on it.

A correction and a refund are confirmed before they are made, like a status change: the
order page's form posts to a page that says what will be recorded, in the words the
history will use, and only its "Yes" makes the change, on the version of the order the
form was filled in on (so a form older than a colleague's change is refused). A note is
added straight away: it changes nothing but the history, and asking twice would only
slow down writing one.
"""

from __future__ import annotations

import secrets
from collections.abc import Callable
from dataclasses import replace
from typing import Annotated

from fastapi import APIRouter, Form, Path, Request, Response

from order_service.api.admin.amounts import in_code
from order_service.api.admin.corrections import FIELD_LABELS, PARTS, DetailsForm
from order_service.api.admin.errors import AdminRoute, form_problem, refusal_status
from order_service.api.admin.flash import Flash
from order_service.api.admin.history import foreseen, timeline
from order_service.api.admin.order_actions import aggregate
from order_service.api.admin.order_changes import back_to, carried_out, event_at, why
from order_service.api.admin.order_changes import in_session_context as context
from order_service.api.admin.order_page import Drafts, show_order
from order_service.api.admin.pages import render
from order_service.api.admin.refunds import RefundForm, stock_back
from order_service.api.admin.sessions import CheckedFormDep, SignedIn
from order_service.api.deps import ShopDep, order_id_from_path
from order_service.api.schemas.after_sale import NoteIn
from order_service.application import queries
from order_service.application.access import Permission, require
from order_service.application.handlers import Shop
from order_service.application.views import OrderView
from order_service.domain.errors import OrderServiceError
from order_service.domain.events import DomainEvent
from order_service.domain.order import Order

# Before the order router, whose /{order_id}/{slug} would take these for status changes.
router = APIRouter(prefix="/admin/orders", route_class=AdminRoute, include_in_schema=False)

OrderIdPath = Annotated[str, Path()]
VersionField = Annotated[int, Form()]
FormKeyField = Annotated[str, Form(min_length=8, max_length=64)]
Details = Annotated[DetailsForm, Form()]
Refund = Annotated[RefundForm, Form()]


def _order(shop: Shop, session: SignedIn, order_id: str) -> OrderView:
    require(session.principal, Permission.MANAGE_ORDERS)
    return queries.get_order(shop.storage, order_id_from_path(order_id))


def _tried(order: OrderView, version: int, decide: Callable[[Order], list[DomainEvent]]
           ) -> list[DomainEvent]:
    """The events the change would record now, or the order's refusal (nothing stored)."""
    trial = aggregate(order)
    trial.require_version(version)
    return decide(trial)


def _sent_back(request: Request, session: SignedIn, shop: Shop, order: OrderView, *,
               drafts: Drafts, title: str, problem: ValueError | OrderServiceError
               ) -> Response:
    """The order page again with the form as sent, open, under why it was not taken."""
    if isinstance(problem, OrderServiceError):
        status, reason = refusal_status(problem), why(order, problem)
    else:
        status, reason = 422, form_problem(problem, FIELD_LABELS)
    return show_order(request, session, shop, order, status_code=status,
                      flash=Flash.error(title, reason), drafts=drafts)


@router.post("/{order_id}/correct/review")
def review_correction(request: Request, order_id: OrderIdPath, *, session: CheckedFormDep,
                      shop: ShopDep, version: VersionField, form: Details) -> Response:
    """Show what the correction will change, and ask before making it."""
    order = _order(shop, session, order_id)
    part = form.checked_part()
    drafts = Drafts.of(order)
    drafts = replace(drafts, corrections={**drafts.corrections, part: form.draft()}, open=part)
    title = f"No correction was made to order #{order.number}"
    try:
        asked = form.to_command(order.id, version)
        events = _tried(order, version, lambda trial: trial.correct_details(
            customer=asked.customer, shipping_address=asked.shipping_address,
            billing_address=asked.billing_address, now=shop.clock()))
    except (ValueError, OrderServiceError) as problem:
        return _sent_back(request, session, shop, order, drafts=drafts, title=title,
                          problem=problem)
    if not events:
        return show_order(request, session, shop, order, drafts=drafts, flash=Flash.error(
            title, "What was sent is what the order has already: nothing to correct."))
    return render(request, "confirm_correction.html", session, order=order, part=part,
                  entry=foreseen(events[0], shop.clock(), session.principal.name),
                  label=PARTS[part], sent=form.draft(), version=version,
                  form_key=secrets.token_urlsafe(16))


@router.post("/{order_id}/correct")
def correct_order(request: Request, order_id: OrderIdPath, *, session: CheckedFormDep,
                  shop: ShopDep, version: VersionField, form_key: FormKeyField,
                  form: Details) -> Response:
    """Make the confirmed correction, then show the order with what came of it."""
    order = _order(shop, session, order_id)
    part = form.checked_part()
    title = f"No correction was made to order #{order.number}"
    try:
        asked = form.to_command(order.id, version)
    except ValueError as problem:
        return back_to(request, session, order, Flash.error(title, form_problem(problem)))
    sent = context(request, session, order, form_key, f"correct {version} {form.model_dump_json()}")
    flash = carried_out(order, title, lambda: shop.correct_order(asked, sent),
                        lambda: _corrected(shop, order, part, version))
    return back_to(request, session, order, flash)


def _corrected(shop: Shop, order: OrderView, part: str, version: int) -> Flash:
    corrected = event_at(shop, order, version + 1, "OrderDetailsCorrected")
    if corrected is None:
        return Flash.success(f"{PARTS[part]} unchanged", "The order already had it as sent.")
    told = timeline([corrected])[0]
    return Flash.success(told.title, *told.details)


@router.post("/{order_id}/refund/review")
def review_refund(request: Request, order_id: OrderIdPath, *, session: CheckedFormDep,
                  shop: ShopDep, version: VersionField, form: Refund) -> Response:
    """Show what the refund will record and put back in stock, and ask before making it."""
    order = _order(shop, session, order_id)
    drafts = replace(Drafts.of(order), refund=form, open="refund")
    title = f"Order #{order.number} was not refunded"
    try:
        asked = form.to_command(order, version)
        events = _tried(order, version, lambda trial: trial.refund(
            amount=asked.amount, reason=asked.reason, lines=asked.lines,
            restock=asked.restock, now=shop.clock()))
    except (ValueError, OrderServiceError) as problem:
        return _sent_back(request, session, shop, order, drafts=drafts, title=title,
                          problem=problem)
    shelves = {line.sku: queries.get_product(shop.storage, line.sku).available
               for line in asked.lines}
    return render(request, "confirm_refund.html", session, order=order, asked=asked,
                  entry=foreseen(events[0], shop.clock(), session.principal.name),
                  shelves=shelves, sent=form, version=version,
                  form_key=secrets.token_urlsafe(16))


@router.post("/{order_id}/refund")
def refund_order(request: Request, order_id: OrderIdPath, *, session: CheckedFormDep,
                 shop: ShopDep, version: VersionField, form_key: FormKeyField,
                 form: Refund) -> Response:
    """Make the confirmed refund, then show the order with the money and stock it gave back."""
    order = _order(shop, session, order_id)
    title = f"Order #{order.number} was not refunded"
    try:
        asked = form.to_command(order, version)
    except ValueError as problem:
        return back_to(request, session, order, Flash.error(title, form_problem(problem)))
    sent = context(request, session, order, form_key, f"refund {version} {form.model_dump_json()}")
    flash = carried_out(order, title, lambda: shop.refund_order(asked, sent),
                        lambda: _refunded(shop, order, version))
    return back_to(request, session, order, flash)


def _refunded(shop: Shop, order: OrderView, version: int) -> Flash:
    refunded = event_at(shop, order, version + 1, "OrderRefunded")
    now = queries.get_order(shop.storage, order.id)
    left = f"Left to refund: {in_code(now.total - now.refunded, now.currency)}"
    if refunded is None:
        return Flash.success(f"Order #{order.number} refunded", left)
    data = refunded.data
    return Flash.success(f"Refunded {in_code(int(data['amount']), order.currency)}",
                         *stock_back(shop, data.get("returned_stock", [])), left)


@router.post("/{order_id}/note")
def add_order_note(request: Request, order_id: OrderIdPath, *, session: CheckedFormDep,
                   shop: ShopDep, form_key: FormKeyField,
                   text: Annotated[str, Form(max_length=20_000)] = "") -> Response:
    """Write a note on the order for colleagues; it shows in the order's history."""
    order = _order(shop, session, order_id)
    text = text.replace("\r\n", "\n")  # as browsers send a textarea's line breaks
    title = f"No note was added to order #{order.number}"
    try:
        asked = NoteIn.model_validate({"text": text}).to_command(order.id)
    except ValueError as problem:
        drafts = replace(Drafts.of(order), note=text, open="note")
        return _sent_back(request, session, shop, order, drafts=drafts, title=title,
                          problem=problem)
    sent = context(request, session, order, form_key, f"note {text}")
    flash = carried_out(order, title, lambda: shop.add_order_note(asked, sent),
                        lambda: Flash.success("Note added"))
    return back_to(request, session, order, flash)
