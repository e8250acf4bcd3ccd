"""Refunding an order from the back office: the form as typed, what is left to refund,
and what a refund gave back, in the shop's major units."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from pydantic import BaseModel

from order_service.api.admin.amounts import NotAnAmount, in_code, minor_units
from order_service.api.admin.order_actions import aggregate
from order_service.api.schemas.after_sale import RefundIn
from order_service.application import queries
from order_service.application.commands import RefundOrder
from order_service.application.handlers import Shop
from order_service.application.views import OrderView
from order_service.domain.errors import IllegalTransition, OrderServiceError, RefundExceedsTotal


class RefundForm(BaseModel):
    """A refund form as the browser sends it: the amount as typed, why, how many of each
    product (one `sku` and one `quantity` per line), and whether they go back to stock."""

    amount: str = ""
    reason: str = ""
    sku: list[str] = []
    quantity: list[str] = []
    restock: str = ""

    def quantities(self) -> dict[str, str]:
        """Each product's quantity as typed, to show the form again as it was sent."""
        return dict(zip(self.sku, self.quantity, strict=False))

    def to_command(self, order: OrderView, version: int) -> RefundOrder:
        """The refund the form asks for, on `version`; ValueError (NotAnAmount, or the
        API's ValidationError) for what no refund can be."""
        amount = minor_units(self.amount, order.currency)
        if amount == 0:
            raise NotAnAmount("the amount to refund must be more than 0")
        lines = [{"sku": sku, "quantity": _count(sku, typed)}
                 for sku, typed in self.quantities().items() if typed.strip() not in ("", "0")]
        body = RefundIn.model_validate({"amount": amount, "reason": self.reason,
                                        "lines": lines, "restock": bool(self.restock)})
        return body.to_command(order.id, version)


def _count(sku: str, typed: str) -> int:
    try:
        return int(typed.strip())
    except ValueError:
        raise ValueError(f"the quantity of {sku} must be a whole number, not "
                         f"{typed.strip()[:20]!r}") from None


@dataclass(frozen=True, slots=True)
class RefundableLine:
    """A product of the order: how many were sold, and how many are left to refund."""

    sku: str
    name: str
    sold: int
    left: int


@dataclass(frozen=True, slots=True)
class RefundOffer:
    """What the order lets a merchant refund now: money (minor units) and goods."""

    left: int
    lines: tuple[RefundableLine, ...]


def offer(order: OrderView, now: datetime) -> RefundOffer | None:
    """What is left to refund, or None while the order's status allows no refund."""
    try:
        # Asked of the aggregate, so the page never restates which statuses refund.
        aggregate(order).refund(amount=1, reason="trial", now=now)
    except IllegalTransition:
        return None
    except RefundExceedsTotal:
        pass  # refunded in full: the page says so instead of offering a form
    refunded: dict[str, int] = {}
    for refund in order.refunds:
        for item in refund.lines:
            refunded[item.sku] = refunded.get(item.sku, 0) + item.quantity
    sold: dict[str, RefundableLine] = {}
    for line in order.lines:
        before = sold.get(line.sku, RefundableLine(line.sku, line.name, 0, 0))
        sold[line.sku] = RefundableLine(line.sku, before.name, before.sold + line.quantity, 0)
    return RefundOffer(order.total - order.refunded, tuple(
        RefundableLine(item.sku, item.name, item.sold, item.sold - refunded.get(item.sku, 0))
        for item in sold.values()))


def in_words(order: OrderView, error: OrderServiceError) -> OrderServiceError | str:
    """A refusal of a refund with its money in major units rather than minor ones."""
    if isinstance(error, RefundExceedsTotal):
        return (f"order #{order.number} has {in_code(error.refundable, error.currency)} left "
                f"to refund, less than the {in_code(error.amount, error.currency)} asked for")
    return error


def goods(items: Iterable[Mapping[str, Any]]) -> str:
    """Products and quantities as the timeline lists them: each SKU, a times sign, a count."""
    return ", ".join(f"{item['sku']} × {item['quantity']}" for item in items)  # noqa: RUF001


def stock_back(shop: Shop, returned: Iterable[Mapping[str, Any]]) -> list[str]:
    """Each product a refund put back in stock, with what is available now."""
    return [f"Stock back: {item['sku']} +{item['quantity']}, now "
            f"{queries.get_product(shop.storage, item['sku']).available} available"
            for item in returned]
