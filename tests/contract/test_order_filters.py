"""Which orders a time or status filter takes, and what the sales report sums, on every storage.

The HTTP tests check how the parameters are spelled and refused; these check what they mean.
"""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime, timedelta
from uuid import UUID

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


@pytest.mark.parametrize("ends", [
    OrderFilter(placed_from=datetime(1, 1, 1, tzinfo=UTC)),
    OrderFilter(placed_from=datetime(999, 6, 1, tzinfo=UTC)),
    OrderFilter(placed_to=datetime(9999, 12, 31, 23, 59, 59, 999_999, tzinfo=UTC)),
    OrderFilter(updated_since=datetime(500, 1, 1, 14, tzinfo=UTC)),
], ids=["placed-from-year-1", "placed-from-year-999", "placed-to-the-last-instant",
        "updated-since-year-500"])
def test_a_filter_near_the_ends_of_the_calendar_takes_every_order(
    ticking: Shop, context: CommandContext, ends: OrderFilter
) -> None:
    placed(ticking, context, 2)

    assert exported(ticking, ends) == [1, 2]


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


def test_an_export_page_that_ends_at_the_last_order_leads_nowhere(
    shop: Shop, context: CommandContext
) -> None:
    placed(shop, context, 4)

    first = queries.export_page(shop.storage, OrderFilter(), after=0, limit=2)
    last = queries.export_page(shop.storage, OrderFilter(), after=first.next_after or 0, limit=2)
    with queries.orders_in(shop.storage, OrderFilter(), last) as orders:
        numbers = [order.number for order in orders]

    assert (numbers, last.next_after) == ([3, 4], None)


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


def _walk_while_changing(shop: Shop, context: CommandContext, where: OrderFilter
                         ) -> tuple[list[OrderView], list[OrderView], set[UUID]]:
    """Walk the export 7 a page; between pages, place an order and change old ones.

    Returns the orders walked, those that existed before the walk, and the ids changed.
    """
    existing = placed(shop, context, 20)
    sku, method = existing[0].lines[0].sku, existing[0].shipping_method
    pending = [o.id for o in existing]
    paid: list[UUID] = []
    changed: set[UUID] = set()
    walked: list[OrderView] = []
    after: int | None = 0
    while after is not None:
        page = queries.export_page(shop.storage, where, after=after, limit=7)
        with queries.orders_in(shop.storage, where, page) as orders:
            walked += orders
        after = page.next_after
        pending.append(shop.place_order(order_of([(sku, 1)], method), context).id)
        # Pay one behind the walk and cancel one ahead of it; ship or cancel a paid one.
        paid.append(shop.pay_order(PayOrder(pending.pop(0)), context).id)
        cancelled = shop.cancel_order(CancelOrder(pending.pop(len(pending) // 2)), context)
        changed |= {paid[-1], cancelled.id}
        if len(paid) > 1:
            old = paid.pop(0)
            if len(walked) % 2:
                shop.ship_order(ShipOrder(old), context)
            else:
                shop.cancel_order(CancelOrder(old), context)
            changed.add(old)
    return walked, existing, changed


def test_walking_the_export_while_orders_are_placed_and_change_gives_each_order_once(
    shop: Shop, context: CommandContext
) -> None:
    walked, existing, changed = _walk_while_changing(shop, context, OrderFilter())

    ids = [order.id for order in walked]
    assert len(ids) == len(set(ids)), "an order was exported twice"
    assert {o.id for o in existing} <= set(ids), "an order that existed was skipped"
    assert [o.number for o in walked] == sorted(o.number for o in walked)
    assert len(changed & {o.id for o in existing}) >= 6  # the walk met several rounds


def test_walking_a_status_filter_while_orders_leave_it_skips_none_that_stayed(
    shop: Shop, context: CommandContext
) -> None:
    where = OrderFilter(statuses=frozenset({OrderStatus.PENDING_PAYMENT}))

    walked, existing, changed = _walk_while_changing(shop, context, where)

    ids = [order.id for order in walked]
    assert len(ids) == len(set(ids)), "an order was exported twice"
    assert {o.id for o in existing} - changed <= set(ids), "an order that stayed was skipped"
    assert {order.status for order in walked} == {OrderStatus.PENDING_PAYMENT}
    assert changed & {o.id for o in existing}
