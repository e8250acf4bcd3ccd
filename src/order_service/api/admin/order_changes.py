"""What every change of an order made from the back office shares: the idempotent form,
the refusal in the page's words, and the message the order page shows afterwards."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace

from fastapi import Request, Response
from fastapi.responses import RedirectResponse

from order_service.api.admin import order_actions, refunds
from order_service.api.admin.flash import Flash
from order_service.api.admin.order_actions import Outcome
from order_service.api.admin.sessions import SignedIn, command_context, sessions_of
from order_service.application import queries
from order_service.application.errors import AlreadyHandled, IdempotencyKeyReused
from order_service.application.handlers import Shop
from order_service.application.ports import CommandContext
from order_service.application.views import OrderEventView, OrderView
from order_service.domain.errors import NotFound, OrderServiceError

# What a change after the sale was decided on: the order as its form showed it.
OPENED = "the form"


def why(order: OrderView, error: Exception) -> str:
    """Why the order refused a change made on its form, as a sentence about order #number."""
    if isinstance(error, OrderServiceError):
        return order_actions.refusal_reason(order, refunds.in_words(order, error), OPENED)
    return order_actions.refusal_reason(order, str(error), OPENED)


def in_session_context(request: Request, session: SignedIn, order: OrderView, form_key: str,
                       fingerprint: str) -> CommandContext:
    """The command's context: the session's key, and the form carried out once however
    often it is sent (a double click), answered alike each time."""
    idempotency = order_actions.idempotent(session.principal.key_id, form_key,
                                           f"{order.id} {fingerprint}")
    # A refusal is recorded as the page words it, so a repeat reads the same.
    worded = replace(idempotency, record_refusal=lambda error: Outcome(
        False, why(order, error)).recording())
    return command_context(request, session, worded)


def carried_out(order: OrderView, title: str, change: Callable[[], object],
                done: Callable[[], Flash]) -> Flash:
    """The message of a change: `done()` once made (or made before by the same form), or
    `title` and the order's reason when refused."""
    try:
        change()
    except AlreadyHandled as repeat:
        outcome = Outcome.replayed(repeat.recording)
        if not outcome.done:
            return Flash.error(title, outcome.refusal or "")
    except IdempotencyKeyReused:
        return Flash.error(title, "This form was sent before with other values; open the "
                                  "order again and fill the form in anew.")
    except NotFound:
        raise
    except OrderServiceError as refusal:
        return Flash.error(title, why(order, refusal))
    return done()


def event_at(shop: Shop, order: OrderView, version: int, event_type: str
             ) -> OrderEventView | None:
    """The order's event of `event_type` that made `version`, if the change made one."""
    return next((event for event in queries.order_history(shop.storage, order.id)
                 if event.version == version and event.type == event_type), None)


def back_to(request: Request, session: SignedIn, order: OrderView, flash: Flash) -> Response:
    """Show the order with `flash` (Post/Redirect/Get)."""
    sessions_of(request).leave_flash(session.token, flash.to_json())
    return RedirectResponse(f"/admin/orders/{order.id}", status_code=303)
