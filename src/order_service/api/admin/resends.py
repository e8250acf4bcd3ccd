"""The order page's Resend: ask the email follower to send an event's email again.

The follower sends the resend soon after, to the customer's address as the order has it
now (a corrected email address gets it), and records it like the first send.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Form, Path, Request, Response

from order_service.api.admin import order_actions
from order_service.api.admin.errors import AdminRoute
from order_service.api.admin.flash import Flash
from order_service.api.admin.order_changes import back_to
from order_service.api.admin.order_emails import (
    EMAILS_OFF,
    email_history,
    email_note,
    emails_on,
    event_id,
)
from order_service.api.admin.sessions import CheckedFormDep, SignedIn, command_context
from order_service.api.deps import ShopDep, order_id_from_path
from order_service.application import queries
from order_service.application.access import Permission, require
from order_service.application.handlers import Shop
from order_service.application.ports import IdempotentRequest
from order_service.application.views import OrderView

# Before the fallback, which answers every other /admin address.
router = APIRouter(prefix="/admin/orders", route_class=AdminRoute, include_in_schema=False)

OrderIdPath = Annotated[str, Path()]


@router.post("/{order_id}/emails/resend")
def resend_email(request: Request, order_id: OrderIdPath, *, session: CheckedFormDep,
                 shop: ShopDep, position: Annotated[int, Form()],
                 form_key: Annotated[str, Form(min_length=8, max_length=64)]) -> Response:
    """Queue the email of the order's event at `position` to be sent again."""
    require(session.principal, Permission.MANAGE_ORDERS)
    order = queries.get_order(shop.storage, order_id_from_path(order_id))
    flash = _resend(request, session, shop, order, position=position, form_key=form_key)
    return back_to(request, session, order, flash)


def _resend(request: Request, session: SignedIn, shop: Shop, order: OrderView, *,
            position: int, form_key: str) -> Flash:
    title = f"No email of order #{order.number} was sent again"
    if not emails_on(request):
        return Flash.error(title, EMAILS_OFF)
    found = email_note(request, order.id, queries.order_history(shop.storage, order.id),
                       position)
    if found is None:
        return Flash.error(title, "That entry of the history makes no email.")
    event, note = found
    if not note.records:
        return Flash.error(title, f"The {note.kind} email has not been sent yet; it "
                                  "goes out as soon as the emails reach it.")
    # One key per entry and page: the same button sent twice queues once, while each
    # entry of one page can still be resent.
    once = order_actions.idempotent(session.principal.key_id, f"{form_key}/resend/{position}",
                                    f"resend {order.id} {position}")
    key = event_id(order.id, event)
    history = email_history(request)
    if _first_time(request, session, shop, once) and key not in history.resends_pending(
            order.id):
        history.request_resend(event_id=key, position=position, order_id=order.id,
                               requested_by=session.principal.name, now=shop.clock())
    return Flash.success(f"The {note.kind} email will be sent again to "
                         f"{order.customer.email}")


def _first_time(request: Request, session: SignedIn, shop: Shop, once: IdempotentRequest
                ) -> bool:
    """Whether this form is carried out for the first time; its key is kept at once."""
    # The key commits before the resend is queued, not with it: the ledger writes on a
    # connection of its own, which on SQLite would wait for this transaction's lock
    # until it timed out. So a crash in between loses the request (the page shows no
    # "Resend queued" and the merchant clicks again), and never sends the email twice.
    with shop.storage.transaction(command_context(request, session, once)) as tx:
        if tx.idempotency_keys.claim(once.key, once.fingerprint) is not None:
            return False
        tx.idempotency_keys.remember(once.key, once.record_result(None))
    return True
