"""An order's sales receipt, one A4 page to print, and the payment instructions the back
office shows (the same the API sends)."""

from __future__ import annotations

import re
from typing import Annotated

from fastapi import APIRouter, Path, Request, Response

from order_service.api.admin.errors import AdminRoute
from order_service.api.admin.pages import render
from order_service.api.admin.sessions import SignedInDep
from order_service.api.deps import ShopDep, order_id_from_path
from order_service.application import queries
from order_service.application.payment_instructions import instructions_of
from order_service.application.views import OrderView
from order_service.domain.payment_instructions import PaymentInstructions
from order_service.settings import Settings

# Before the order router, whose /{order_id}/{slug} would take "receipt" for an action.
router = APIRouter(prefix="/admin/orders", route_class=AdminRoute, include_in_schema=False)

# A shop address is one setting: a line feed or " | " starts a new line of it.
_ADDRESS_BREAKS = re.compile(r"\s*(?:\n|\s\|\s)\s*")


def instructions_for(request: Request, order: OrderView) -> PaymentInstructions | None:
    """The order's payment instructions under the shop's current bank settings."""
    settings: Settings = request.app.state.settings
    return instructions_of(order, settings.transfer_terms())


@router.get("/{order_id}/receipt")
def receipt_page(request: Request, order_id: Annotated[str, Path()], _session: SignedInDep,
                 shop: ShopDep) -> Response:
    """The order's sales receipt: the shop, the customer, the lines, the money, the payment."""
    order = queries.get_order(shop.storage, order_id_from_path(order_id))
    settings: Settings = request.app.state.settings
    # Rendered without the session: the receipt has no navigation bar, and must leave a
    # message waiting for the order page alone.
    return render(request, "receipt.html", None, order=order,
                  instructions=instructions_for(request, order),
                  shop_name=settings.shop_name, shop_address=_lines(settings.shop_address))


def _lines(address: str | None) -> list[str]:
    return [] if address is None else [part for part in _ADDRESS_BREAKS.split(address) if part]
