"""The back office's sales summary: the sales report's figures, by status."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from typing import Annotated
from zoneinfo import ZoneInfo

from fastapi import APIRouter, Query, Request, Response

from order_service.api.admin.errors import AdminRoute
from order_service.api.admin.pages import back_office, render
from order_service.api.admin.sessions import SignedInDep
from order_service.api.deps import ShopDep
from order_service.api.errors import BadInput
from order_service.api.export_params import require_ordered_period
from order_service.application import queries
from order_service.application.access import Permission, require
from order_service.application.views import OrderFilter
from order_service.domain.values import OrderStatus

router = APIRouter(prefix="/admin/sales", route_class=AdminRoute, include_in_schema=False)


@router.get("")
def sales_page(request: Request, session: SignedInDep, shop: ShopDep,
               placed_from: Annotated[str, Query(alias="from")] = "",
               placed_to: Annotated[str, Query(alias="to")] = "") -> Response:
    """Orders and money per status, and what was collected, is pending or was cancelled.

    The days are whole days in the shop's time zone, both included: the report covers
    [from 00:00, the day after to 00:00), however long DST makes those days.
    """
    zone = back_office(request).zone
    start = _day(placed_from, "from", zone)
    end_exclusive = _day(placed_to, "to", zone, days_later=1)
    require_ordered_period(start, end_exclusive, "from", "to")
    require(session.principal, Permission.READ_REPORTS)
    where = OrderFilter(placed_from=start, placed_to=end_exclusive)
    report = queries.sales_report(shop.storage, where, shop.terms.currency)
    return render(request, "sales.html", session, report=report, statuses=list(OrderStatus),
                  placed_from=placed_from.strip(), placed_to=placed_to.strip())


def _day(raw: str, name: str, zone: ZoneInfo, days_later: int = 0) -> datetime | None:
    """The midnight that starts the day (`days_later` days after it) in `zone`, in UTC."""
    if not raw.strip():
        return None
    try:
        day = date.fromisoformat(raw.strip())
    except ValueError:
        raise BadInput(f"{name} must be a date like 2026-11-30, not {raw[:40]!r}") from None
    try:
        return datetime.combine(day + timedelta(days=days_later), time(), zone).astimezone(UTC)
    except OverflowError:
        # A day at an end of the calendar (to=9999-12-31, or 0001-01-01 east of UTC) whose
        # midnight falls outside it in UTC: the nearest moment there is bounds the period
        # just as well, since no order can be placed beyond it.
        return datetime.min.replace(tzinfo=UTC) if day.year == 1 else \
            datetime.max.replace(tzinfo=UTC)
