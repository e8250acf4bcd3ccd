"""Bodies of the reports."""

from __future__ import annotations

from datetime import datetime

from pydantic import BaseModel, ConfigDict, Field, JsonValue

from order_service.application.views import SalesReport, StatusFigures
from order_service.domain.values import OrderStatus


class FiguresOut(BaseModel):
    """A number of orders, the money they carry and what was refunded on them, in minor
    units."""

    orders: int
    subtotal: int
    shipping: int
    tax: int
    total: int
    refunded: int = Field(description="Money given back on these orders so far")

    @classmethod
    def from_figures(cls, figures: StatusFigures) -> FiguresOut:
        """Map status figures."""
        money = figures.money
        return cls(orders=figures.orders, subtotal=money.subtotal, shipping=money.shipping,
                   tax=money.tax, total=money.total, refunded=figures.refunded)


# November: two orders awaiting payment, and two paid, a pair of sandals of one of them
# sent back and refunded.
_FIGURES: dict[str, JsonValue] = {
    "orders": 2, "subtotal": 9980, "shipping": 990, "tax": 2304, "total": 13274,
    "refunded": 0}
_REFUNDED: dict[str, JsonValue] = {**_FIGURES, "refunded": 4990}
_NONE: dict[str, JsonValue] = {"orders": 0, "subtotal": 0, "shipping": 0, "tax": 0, "total": 0,
                               "refunded": 0}
SALES_REPORT_EXAMPLE: dict[str, JsonValue] = {
    "currency": "EUR", "from": "2026-11-01T00:00:00Z", "to": "2026-12-01T00:00:00Z",
    "by_status": {"pending_payment": _FIGURES, "paid": _REFUNDED, "shipped": _NONE,
                  "cancelled": _NONE},
    "collected": {**_REFUNDED, "total": 8284}, "pending": _FIGURES, "cancelled": _NONE,
    "refunded": 4990,
}


class SalesReportOut(BaseModel):
    """Sales by status for orders placed in [from, to)."""

    model_config = ConfigDict(json_schema_extra={"examples": [SALES_REPORT_EXAMPLE]})

    currency: str
    placed_from: datetime | None = Field(alias="from", serialization_alias="from")
    placed_to: datetime | None = Field(alias="to", serialization_alias="to")
    by_status: dict[OrderStatus, FiguresOut] = Field(
        description="Every status, with zeros where there are no orders")
    collected: FiguresOut = Field(description=(
        "Money in: paid and shipped orders, `total` net of `refunded` (the money given "
        "back on them); subtotal, shipping and tax as sold"))
    pending: FiguresOut = Field(description="Money expected: orders pending payment")
    cancelled: FiguresOut = Field(description="Money that will not come: cancelled orders")
    refunded: int = Field(description=(
        "Money given back on the period's orders, whatever their status now (a refund "
        "counts in the period its order was placed in)"))

    @classmethod
    def from_report(cls, report: SalesReport) -> SalesReportOut:
        """Map a sales report."""
        return cls.model_validate({
            "currency": report.currency,
            "from": report.placed_from,
            "to": report.placed_to,
            "by_status": {status: FiguresOut.from_figures(figures)
                          for status, figures in report.by_status.items()},
            "collected": FiguresOut.from_figures(report.collected),
            "pending": FiguresOut.from_figures(report.pending),
            "cancelled": FiguresOut.from_figures(report.cancelled),
            "refunded": report.refunded,
        })
