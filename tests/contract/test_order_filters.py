"""Which orders a time or status filter takes, and what the sales report sums, on every storage.

The HTTP tests check how the parameters are spelled and refused; these check what they mean.
"""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime, timedelta

import pytest

from order_service.application import queries
from order_service.application.commands import CancelOrder, PayOrder, ShipOrder
from order_service.application.handlers import Shop
from order_service.application.ports import CommandContext
from order_service.application.views import Amounts, OrderFilter, OrderView, StatusFigures
from order_service.domain.values import OrderStatus
from tests.conftest import STORAGES
from tests.integration.builders import add_product, add_shipping_method, order_of

pytestmark = pytest.mark.parametrize("backend", STORAGES)

START = datetime(2026, 3, 1, 9, 0, tzinfo=UTC)
PAID, SHIPPED, CANCELLED = OrderStatus.PAID, OrderStatus.SHIPPED, OrderStatus.CANCELLED


class Ticking:
    """A clock that moves on a minute each time it is read: every event has its own moment."""

    def __init__(self) -> None:
        self.now = START

    def __call__(self) -> datetime:
        self.now += timedelta(minutes=1)
        return self.now


@pytest.fixture
def ticking(shop: Shop) -> Shop:
    """The shop on a clock where no two events share a moment."""
    return replace(shop, clock=Ticking())


def placed(shop: Shop, context: CommandContext, count: int) -> list[OrderView]:
    """`count` orders of one product, each placed a minute after the one before."""
    sku, method = add_product(shop, context, stock=50), add_shipping_method(shop, context)
    return [shop.place_order(order_of([(sku, 1 + n % 3)], method), context)
            for n in range(count)]


def exported(shop: Shop, where: OrderFilter) -> list[int]:
    """The numbers of every order an export with `where` walks, a page of two at a time."""
    numbers: list[int] = []
    after: int | None = 0
    while after is not None:
        page = queries.export_page(shop.storage, where, after=after, limit=2)
        with queries.orders_in(shop.storage, where, page) as orders:
            numbers += [order.number for order in orders]
        after = page.next_after
    return numbers


def test_placed_from_takes_the_order_placed_at_that_instant_and_placed_to_leaves_it_out(
    ticking: Shop, context: CommandContext
) -> None:
    orders = placed(ticking, context, 5)

    between = OrderFilter(placed_from=orders[1].placed_at, placed_to=orders[3].placed_at)

    assert exported(ticking, between) == [2, 3]


def test_an_instant_just_after_an_order_was_placed_leaves_it_out_of_placed_from(
    ticking: Shop, context: CommandContext
) -> None:
    orders = placed(ticking, context, 3)

    later = OrderFilter(placed_from=orders[1].placed_at + timedelta(microseconds=1))

    assert exported(ticking, later) == [3]


def test_updated_since_takes_the_orders_changed_at_or_after_the_moment(
    ticking: Shop, context: CommandContext
) -> None:
    orders = placed(ticking, context, 4)
    paid = ticking.pay_order(PayOrder(orders[1].id), context)
    ticking.cancel_order(CancelOrder(orders[3].id), context)

    assert exported(ticking, OrderFilter(updated_since=paid.updated_at)) == [2, 4]
    assert exported(ticking, OrderFilter(
        updated_since=paid.updated_at + timedelta(microseconds=1))) == [4]


def test_the_filters_combine(ticking: Shop, context: CommandContext) -> None:
    orders = placed(ticking, context, 6)
    for order in orders[:5]:
        ticking.pay_order(PayOrder(order.id), context)
    ticking.ship_order(ShipOrder(orders[1].id), context)
    moment = ticking.cancel_order(CancelOrder(orders[2].id), context).updated_at
    ticking.ship_order(ShipOrder(orders[3].id), context)

    where = OrderFilter(statuses=frozenset({SHIPPED, CANCELLED}),
                        placed_from=orders[1].placed_at, placed_to=orders[5].placed_at,
                        updated_since=moment)

    assert exported(ticking, where) == [3, 4]


def test_a_list_page_that_ends_at_the_last_order_leads_nowhere(
    shop: Shop, context: CommandContext
) -> None:
    placed(shop, context, 4)

    first = queries.list_orders(shop.storage, OrderFilter(), limit=2, before_number=None)
    last = queries.list_orders(shop.storage, OrderFilter(), limit=2,
                               before_number=first.next_before)

    assert ([o.number for o in last.orders], last.next_before) == ([2, 1], None)


def _figures(orders: list[OrderView]) -> StatusFigures:
    return StatusFigures(len(orders), sum(
        (Amounts(o.subtotal, o.shipping, o.tax, o.total) for o in orders), Amounts()))


def test_the_report_sums_each_status_and_what_was_collected_pending_and_cancelled(
    ticking: Shop, context: CommandContext
) -> None:
    orders = placed(ticking, context, 8)
    for order in orders[2:]:
        ticking.pay_order(PayOrder(order.id), context)
    for order in orders[4:6]:
        ticking.ship_order(ShipOrder(order.id), context)
    for order in (orders[1], orders[6], orders[7]):
        ticking.cancel_order(CancelOrder(order.id), context)

    report = queries.sales_report(ticking.storage, OrderFilter(), "EUR")

    assert report.by_status == {
        OrderStatus.PENDING_PAYMENT: _figures(orders[:1]), PAID: _figures(orders[2:4]),
        SHIPPED: _figures(orders[4:6]), CANCELLED: _figures([orders[1], *orders[6:]])}
    assert report.collected == _figures(orders[2:6])
    assert (report.pending, report.cancelled) == (_figures(orders[:1]),
                                                  _figures([orders[1], *orders[6:]]))


def test_a_report_over_no_orders_has_every_status_at_zero(shop: Shop) -> None:
    report = queries.sales_report(shop.storage, OrderFilter(), "EUR")

    assert report.by_status == dict.fromkeys(OrderStatus, StatusFigures(0, Amounts()))


def test_a_report_counts_only_the_orders_in_its_currency(
    shop: Shop, context: CommandContext
) -> None:
    placed(shop, context, 2)

    report = queries.sales_report(shop.storage, OrderFilter(), "USD")

    assert report.by_status == dict.fromkeys(OrderStatus, StatusFigures(0, Amounts()))


def test_a_report_for_a_period_counts_the_orders_placed_in_it(
    ticking: Shop, context: CommandContext
) -> None:
    orders = placed(ticking, context, 5)

    report = queries.sales_report(ticking.storage, OrderFilter(
        placed_from=orders[1].placed_at, placed_to=orders[4].placed_at), "EUR")

    assert report.pending == _figures(orders[1:4])


def test_a_payment_moves_an_order_from_pending_to_collected(
    shop: Shop, context: CommandContext
) -> None:
    order = placed(shop, context, 1)[0]

    shop.pay_order(PayOrder(order.id), context)

    report = queries.sales_report(shop.storage, OrderFilter(), "EUR")
    assert (report.pending, report.collected) == (_figures([]), _figures([order]))
