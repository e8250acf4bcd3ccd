"""Commands racing on one real database from many threads at once."""

from __future__ import annotations

import random
import threading
import time
from collections import Counter
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import replace
from datetime import UTC, datetime
from functools import partial
from typing import Any

import pytest
from sqlalchemy import Engine, select, text

from order_service.application.commands import (
    CancelOrder,
    PayOrder,
    RefundOrder,
    RestockProduct,
    ShipOrder,
)
from order_service.application.handlers import Shop
from order_service.application.ports import CommandContext
from order_service.application.queries import get_order
from order_service.application.views import OrderView
from order_service.domain.errors import (
    IllegalTransition,
    OrderChangedMeanwhile,
    OutOfStock,
    RefundExceedsTotal,
    UnknownProducts,
    UnknownShippingMethod,
)
from order_service.domain.events import order_stream
from order_service.domain.values import OrderStatus, StockQuantity
from order_service.eventstore.tables import events
from order_service.projections.tables import products
from tests.integration.builders import (
    add_product,
    add_shipping_method,
    available,
    count_events,
    event_types,
    place,
)

# Generous: a deadlock or a lost wake-up fails the test instead of hanging the run.
TIMEOUT_S = 60


def race(*commands: Callable[[], Any]) -> list[Any]:
    """Run the commands in threads released together; each one's result or exception."""
    start = threading.Barrier(len(commands))

    def run(command: Callable[[], Any]) -> Any:
        start.wait(timeout=TIMEOUT_S)
        try:
            return command()
        except Exception as error:  # the outcome, refusal or not, is what the test checks
            return error

    with ThreadPoolExecutor(max_workers=len(commands)) as pool:
        futures = [pool.submit(run, command) for command in commands]
        return [future.result(timeout=TIMEOUT_S) for future in futures]


def placed_numbers(engine: Engine) -> list[int]:
    query = select(events.c.data).where(events.c.type == "OrderPlaced")
    with engine.connect() as connection:
        return sorted(data["number"] for data in connection.scalars(query))


def test_concurrent_buyers_of_the_last_items_never_oversell(
    shop: Shop, context: CommandContext, engine: Engine
) -> None:
    stock = 5
    sku = add_product(shop, context, stock=stock)
    postnl = add_shipping_method(shop, context)

    outcomes = race(*[lambda: place(shop, context, [(sku, 1)], postnl)] * 40)

    sold = [outcome for outcome in outcomes if isinstance(outcome, OrderView)]
    refused = [outcome for outcome in outcomes if not isinstance(outcome, OrderView)]
    assert len(sold) == stock
    assert all(isinstance(outcome, OutOfStock) for outcome in refused), refused
    assert available(shop, sku) == 0
    assert count_events(engine, type="OrderPlaced") == stock
    assert sorted(order.number for order in sold) == list(range(1, stock + 1))
    assert placed_numbers(engine) == list(range(1, stock + 1))


def test_orders_naming_two_skus_in_opposite_orders_neither_deadlock_nor_take_half(
    shop: Shop, context: CommandContext, engine: Engine
) -> None:
    stock = 6
    left, right = add_product(shop, context, stock=stock), add_product(shop, context, stock=stock)
    postnl = add_shipping_method(shop, context)
    forwards = [lambda: place(shop, context, [(left, 1), (right, 1)], postnl)] * 8
    backwards = [lambda: place(shop, context, [(right, 1), (left, 1)], postnl)] * 8

    outcomes = race(*[command for pair in zip(forwards, backwards, strict=True)
                      for command in pair])

    sold = [outcome for outcome in outcomes if isinstance(outcome, OrderView)]
    refused = [outcome for outcome in outcomes if not isinstance(outcome, OrderView)]
    assert len(sold) == stock
    assert all(isinstance(outcome, OutOfStock) for outcome in refused), refused
    assert all(sorted(line.quantity for line in order.lines) == [1, 1] for order in sold)
    assert (available(shop, left), available(shop, right)) == (0, 0)
    assert placed_numbers(engine) == list(range(1, stock + 1))


def test_orders_mixing_three_skus_in_any_line_order_are_served_whole_or_not_at_all(
    shop: Shop, context: CommandContext
) -> None:
    opening = {add_product(shop, context, stock=stock): stock for stock in (6, 9, 12)}
    postnl = add_shipping_method(shop, context)
    rng = random.Random(20240611)
    wanted = [[(sku, rng.randint(1, 2)) for sku in rng.sample(sorted(opening), k=rng.randint(2, 3))]
              for _ in range(40)]

    outcomes = race(*[partial(place, shop, context, lines, postnl) for lines in wanted])

    sold: Counter[str] = Counter()
    for lines, outcome in zip(wanted, outcomes, strict=True):
        if isinstance(outcome, OrderView):
            assert {line.sku: line.quantity for line in outcome.lines} == dict(lines)
            sold.update(dict(lines))
        else:
            assert isinstance(outcome, OutOfStock), outcome
    assert 0 < sum(isinstance(outcome, OrderView) for outcome in outcomes) < len(wanted)
    assert {sku: available(shop, sku) for sku in opening} == {
        sku: stock - sold[sku] for sku, stock in opening.items()}


def test_order_numbers_are_exactly_1_to_n_after_a_race_with_refusals(
    shop: Shop, context: CommandContext, engine: Engine
) -> None:
    scarce, plenty = add_product(shop, context, stock=6), add_product(shop, context, stock=99)
    postnl = add_shipping_method(shop, context)
    kinds = {"scarce": ([(scarce, 1)], postnl), "both": ([(plenty, 1), (scarce, 1)], postnl),
             "plenty": ([(plenty, 1)], postnl), "unknown sku": ([("NO-SUCH-SKU", 1)], postnl),
             "unknown method": ([(plenty, 1)], "no-such-method")}
    plan = ["scarce"] * 10 + ["both"] * 6 + ["plenty"] * 6 + ["unknown sku", "unknown method"] * 4
    random.Random(7).shuffle(plan)

    outcomes = race(*[partial(place, shop, context, *kinds[kind]) for kind in plan])

    refusals = {(kind, type(outcome)) for kind, outcome in zip(plan, outcomes, strict=True)
                if not isinstance(outcome, OrderView)}
    assert refusals <= {("scarce", OutOfStock), ("both", OutOfStock),
                                     ("unknown sku", UnknownProducts),
                                     ("unknown method", UnknownShippingMethod)}, refusals
    numbers = sorted(o.number for o in outcomes if isinstance(o, OrderView))
    assert numbers == placed_numbers(engine) == list(range(1, len(numbers) + 1))
    assert available(shop, scarce) == 0


def test_forty_restocks_of_one_product_at_once_are_all_added(
    shop: Shop, context: CommandContext
) -> None:
    sku = add_product(shop, context, stock=0)

    outcomes = race(*[lambda: shop.restock_product(RestockProduct(sku, 1), context)] * 40)

    assert [o for o in outcomes if isinstance(o, Exception)] == []
    assert available(shop, sku) == 40


def test_paying_and_cancelling_a_pending_order_at_once_leaves_a_legal_history(
    shop: Shop, context: CommandContext, engine: Engine
) -> None:
    sku = add_product(shop, context, stock=10)
    postnl = add_shipping_method(shop, context)
    orders = [place(shop, context, [(sku, 2)], postnl) for _ in range(5)]

    for order in orders:
        paid, cancelled = race(partial(shop.pay_order, PayOrder(order.id), context),
                               partial(shop.cancel_order, CancelOrder(order.id), context))

        history = event_types(engine, order_stream(order.id))
        if not isinstance(cancelled, OrderView):  # paid while the cancel was decided
            assert isinstance(cancelled, OrderChangedMeanwhile), cancelled
            assert cancelled.current == OrderStatus.PAID
            assert history == ["OrderPlaced", "OrderPaid"]
        elif isinstance(paid, OrderView):  # one after the other: paid, then cancelled
            assert history == ["OrderPlaced", "OrderPaid", "OrderCancelled"]
        else:  # cancelled first, so the payment came too late
            assert isinstance(paid, IllegalTransition | OrderChangedMeanwhile), paid
            assert paid.current == OrderStatus.CANCELLED
            assert history == ["OrderPlaced", "OrderCancelled"]
    still_held = sum(get_order(shop.storage, o.id).status != OrderStatus.CANCELLED
                     for o in orders)
    assert available(shop, sku) == 10 - 2 * still_held


class HeldClock:
    """A clock whose first `parties` readings wait for each other.

    Handlers read the clock after loading an order and before appending, so commands
    using it have all read the same version before any of them writes.
    """

    def __init__(self, parties: int) -> None:
        self._barrier = threading.Barrier(parties)
        self._held = parties
        self._lock = threading.Lock()

    def __call__(self) -> datetime:
        with self._lock:
            hold, self._held = self._held > 0, self._held - 1
        if hold:
            self._barrier.wait(timeout=TIMEOUT_S)
        return datetime.now(UTC)


@pytest.mark.parametrize("backend", ["postgresql"])  # SQLite never lets two writers decide at once
def test_a_pay_and_a_cancel_decided_on_the_same_version_let_exactly_one_win(
    shop: Shop, context: CommandContext, engine: Engine, backend: str
) -> None:
    sku = add_product(shop, context, stock=4)
    order = place(shop, context, [(sku, 4)], add_shipping_method(shop, context))
    held = replace(shop, clock=HeldClock(2))

    paid, cancelled = race(partial(held.pay_order, PayOrder(order.id), context),
                           partial(held.cancel_order, CancelOrder(order.id), context))

    winners = [o for o in (paid, cancelled) if isinstance(o, OrderView)]
    (loser,) = [o for o in (paid, cancelled) if not isinstance(o, OrderView)]
    assert len(winners) == 1
    # A losing cancel would now cancel a paid order: refused as changed meanwhile. A
    # losing payment finds a cancelled order, which no payment may change.
    expected = OrderChangedMeanwhile if loser is cancelled else IllegalTransition
    assert isinstance(loser, expected), loser
    assert loser.current == winners[0].status
    assert str(loser.current.value) in str(loser)
    assert len(event_types(engine, order_stream(order.id))) == 2
    assert available(shop, sku) == (4 if winners[0].status == OrderStatus.CANCELLED else 0)


def test_paying_one_order_twice_at_once_records_one_payment_and_answers_both(
    shop: Shop, context: CommandContext, engine: Engine
) -> None:
    order = place(shop, context, [(add_product(shop, context, stock=1), 1)],
                  add_shipping_method(shop, context))
    held = replace(shop, clock=HeldClock(2)) if engine.dialect.name == "postgresql" else shop

    outcomes = race(*[partial(held.pay_order, PayOrder(order.id), context)] * 2)

    assert all(isinstance(o, OrderView) and o.status == OrderStatus.PAID for o in outcomes)
    assert count_events(engine, type="OrderPaid") == 1


def test_shipping_and_cancelling_a_paid_order_at_once_lets_exactly_one_win(
    shop: Shop, context: CommandContext, engine: Engine
) -> None:
    sku = add_product(shop, context, stock=10)
    postnl = add_shipping_method(shop, context)
    orders = [place(shop, context, [(sku, 2)], postnl) for _ in range(5)]
    shipped_count = 0

    for order in orders:
        shop.pay_order(PayOrder(order.id), context)
        outcomes = race(partial(shop.ship_order, ShipOrder(order.id), context),
                        partial(shop.cancel_order, CancelOrder(order.id), context))

        winners = [outcome for outcome in outcomes if isinstance(outcome, OrderView)]
        losers = [outcome for outcome in outcomes if not isinstance(outcome, OrderView)]
        assert len(winners) == 1
        assert all(isinstance(loser, IllegalTransition) for loser in losers), losers
        final = get_order(shop.storage, order.id).status
        last_event = event_types(engine, order_stream(order.id))[-1]
        assert (final, last_event) in {(OrderStatus.SHIPPED, "OrderShipped"),
                                       (OrderStatus.CANCELLED, "OrderCancelled")}
        shipped_count += final == OrderStatus.SHIPPED
    assert available(shop, sku) == 10 - 2 * shipped_count


def test_cancelling_one_order_twice_at_once_gives_its_stock_back_once(
    shop: Shop, context: CommandContext, engine: Engine
) -> None:
    sku = add_product(shop, context, stock=3)
    order = place(shop, context, [(sku, 3)], add_shipping_method(shop, context))

    outcomes = race(*[lambda: shop.cancel_order(CancelOrder(order.id), context)] * 4)

    assert all(isinstance(outcome, OrderView) for outcome in outcomes), outcomes
    assert count_events(engine, type="OrderCancelled") == 1
    assert available(shop, sku) == 3


def wait_until_another_transaction_waits_for_a_lock(engine: Engine) -> None:
    """Poll PostgreSQL until some session of this test's database is blocked on a lock."""
    query = text("SELECT count(*) FROM pg_stat_activity "
                 "WHERE datname = current_database() AND wait_event_type = 'Lock'")
    deadline = time.monotonic() + TIMEOUT_S
    with engine.connect() as connection:
        while connection.execute(query).scalar_one() == 0:
            assert time.monotonic() < deadline, "the command never waited for the lock"
            time.sleep(0.01)
            connection.rollback()


@pytest.mark.parametrize("backend", ["postgresql"])  # SQLite runs one writer at a time
def test_a_cancel_queues_behind_a_placement_of_the_same_products_instead_of_deadlocking(
    shop: Shop, context: CommandContext, engine: Engine, backend: str
) -> None:
    # Made deterministic: `placing` does what a placement's SELECT ... FOR UPDATE does (lock
    # the products in SKU order) and pauses between the two rows while the cancel runs.
    first, second = sorted([add_product(shop, context, stock=5),
                            add_product(shop, context, stock=5)])
    order = place(shop, context, [(second, 1), (first, 1)], add_shipping_method(shop, context))
    lock = select(products.c.sku).with_for_update()

    with ThreadPoolExecutor(max_workers=1) as pool, engine.connect() as placing:
        # A placement locks its products in SKU order; this one is between its two rows.
        with placing.begin():
            placing.execute(lock.where(products.c.sku == first))
            cancelling = pool.submit(shop.cancel_order, CancelOrder(order.id), context)
            wait_until_another_transaction_waits_for_a_lock(engine)
            placing.execute(lock.where(products.c.sku == second))
        outcome = cancelling.exception(timeout=TIMEOUT_S)

    assert outcome is None, outcome
    assert (available(shop, first), available(shop, second)) == (5, 5)


@pytest.mark.parametrize("backend", ["postgresql"])  # SQLite never lets two writers decide at once
def test_two_refunds_decided_on_the_same_version_never_exceed_the_total(
    shop: Shop, context: CommandContext, engine: Engine, backend: str
) -> None:
    order = place(shop, context, [(add_product(shop, context, stock=1), 1)],
                  add_shipping_method(shop, context))
    shop.pay_order(PayOrder(order.id), context)
    most = order.total * 6 // 10
    # Both read the order before either appends: the second append conflicts, and the
    # refund decided again on the fresh history finds too little left.
    held = replace(shop, clock=HeldClock(2))

    outcomes = race(*[partial(held.refund_order, RefundOrder(order.id, most, "twice?"),
                              context)] * 2)

    refunded = [o for o in outcomes if isinstance(o, OrderView)]
    (refused,) = [o for o in outcomes if not isinstance(o, OrderView)]
    assert len(refunded) == 1
    assert isinstance(refused, RefundExceedsTotal), refused
    assert refused.refundable == order.total - most
    assert get_order(shop.storage, order.id).refunded == most
    assert count_events(engine, type="OrderRefunded") == 1


def test_many_refunds_at_once_add_up_to_at_most_the_total_and_restock_once_each(
    shop: Shop, context: CommandContext, engine: Engine
) -> None:
    sku = add_product(shop, context, stock=10)
    order = place(shop, context, [(sku, 10)], add_shipping_method(shop, context))
    shop.pay_order(PayOrder(order.id), context)
    share = order.total // 4  # four may pass, the fifth and later find too little left

    outcomes = race(*[partial(shop.refund_order, RefundOrder(
        order.id, share, "one back", (StockQuantity(sku, 1),), restock=True), context)] * 12)

    passed = [o for o in outcomes if isinstance(o, OrderView)]
    assert len(passed) == 4, outcomes
    assert all(isinstance(o, RefundExceedsTotal) for o in outcomes if o not in passed)
    final = get_order(shop.storage, order.id)
    assert (final.refunded, len(final.refunds)) == (4 * share, 4)
    assert available(shop, sku) == 4
    assert count_events(engine, type="OrderRefunded") == 4
