"""One order's page: everything about it, its history, and the changes and forms it allows.

The page is drawn from the order as it is now, its forms filled in with the order's
values; a form sent back with a problem is drawn again as the merchant typed it, open,
with the problem above it.
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass, field

from fastapi import Request, Response

from order_service.api.admin import corrections, order_actions, refunds
from order_service.api.admin.addresses import countries
from order_service.api.admin.flash import Flash
from order_service.api.admin.history import timeline
from order_service.api.admin.order_emails import EMAILS_OFF, email_notes, emails_on
from order_service.api.admin.order_map import order_map
from order_service.api.admin.pages import back_office, render
from order_service.api.admin.receipts import instructions_for
from order_service.api.admin.sessions import SignedIn
from order_service.application import queries
from order_service.application.handlers import Shop
from order_service.application.views import OrderView


@dataclass(frozen=True, slots=True)
class Drafts:
    """The page's forms as filled in, and the one to show open (None: all closed)."""

    corrections: dict[str, corrections.Draft]
    refund: refunds.RefundForm = field(default_factory=refunds.RefundForm)
    note: str = ""
    open: str | None = None

    @classmethod
    def of(cls, order: OrderView) -> Drafts:
        """The forms filled in with what the order has now."""
        return cls(corrections.drafts_of(order))


def show_order(request: Request, session: SignedIn, shop: Shop, order: OrderView, *,
               status_code: int = 200, flash: Flash | None = None,
               drafts: Drafts | None = None) -> Response:
    """The order's page; with `flash`, that message instead of the one waiting."""
    now = shop.clock()
    shipping_map = order_map(request, back_office(request).map_tiles, order.shipping_address)
    shown = {} if flash is None else {"flash": flash}
    events = queries.order_history(shop.storage, order.id)
    return render(
        request, "order.html", session, status_code=status_code, order=order,
        history=timeline(events), emails=email_notes(request, order.id, events),
        emails_off=None if emails_on(request) else EMAILS_OFF,
        actions=order_actions.legal_actions(order, now), shipping_map=shipping_map,
        instructions=instructions_for(request, order),
        correctable=corrections.correctable(order, now), refund=refunds.offer(order, now),
        drafts=drafts or Drafts.of(order), parts=corrections.PARTS,
        fields=corrections.fields_of, labels=corrections.FIELD_LABELS,
        optional=corrections.OPTIONAL, countries=countries(),
        form_key=secrets.token_urlsafe(16), **shown)
