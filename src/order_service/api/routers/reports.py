"""Reports: what the shop sold, by status."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Query

from order_service.api import examples as ex
from order_service.api import problem_examples as px
from order_service.api.auth import allowed
from order_service.api.deps import ShopDep, StorageDep
from order_service.api.export_params import require_ordered_period
from order_service.api.schemas.fields import Currency
from order_service.api.schemas.reports import SalesReportOut
from order_service.api.timestamps import Moment
from order_service.application import queries
from order_service.application.access import Permission
from order_service.application.views import OrderFilter

router = APIRouter(prefix="/v1/reports", tags=["reports"],
                   dependencies=[Depends(allowed(Permission.READ_REPORTS))])


@router.get("/sales", summary="Sales by status", response_model_by_alias=True,
            responses={200: ex.answer("The figures, in minor units", ex.SALES_REPORT),
                       422: ex.refusal("A parameter is invalid, or the period is reversed",
                                       px.REVERSED_PERIOD)})
def sales_report(
    storage: StorageDep,
    shop: ShopDep,
    placed_from: Annotated[Moment | None, Query(
        alias="from", description="Orders placed at or after (ISO 8601; UTC if no zone)")] = None,
    placed_to: Annotated[Moment | None, Query(
        alias="to", description="Orders placed before (ISO 8601; UTC if no zone)")] = None,
    currency: Annotated[Currency | None, Query(
        description="Only orders in this currency (default: the shop's)")] = None,
) -> SalesReportOut:
    """For each status, the number of orders, their subtotal, shipping, tax and total, and
    the money refunded on them; plus money collected (paid + shipped, its `total` net of
    their refunds), pending (awaiting payment) and cancelled, and all that was refunded.
    The figures are exact sums over the same orders the export lists: those placed in the
    period, each with every refund it has had so far, whenever that was."""
    require_ordered_period(placed_from, placed_to, "from", "to")
    where = OrderFilter(placed_from=placed_from, placed_to=placed_to)
    report = queries.sales_report(storage, where, currency or shop.terms.currency)
    return SalesReportOut.from_report(report)
