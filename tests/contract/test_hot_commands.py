"""The hot commands awaited on the event loop decide, store and refuse exactly as Shop does.

On PostgreSQL they run over asyncpg (each step one statement, no thread hop); on SQLite
and in memory over the blocking storage on worker threads. Either way the rows, the
events, the receipt numbers and the idempotency answers are the ones Shop would write.
"""

from __future__ import annotations

import asyncio
import json
import uuid
from collections.abc import Awaitable, Callable
from typing import TypeVar

import pytest

from order_service.application.commands import CancelOrder, PayOrder, ShipOrder
from order_service.application.errors import AlreadyHandled, IdempotencyKeyReused
from order_service.application.handlers import Shop
from order_service.application.hot_commands import HotCommands
from order_service.application.ports import CommandContext, IdempotentRequest
from order_service.application.queries import get_order
from order_service.application.views import OrderDocument
from order_service.bootstrap import EventLoopPath, opened_event_loop_path
from order_service.domain.errors import (
    IllegalTransition,
    OrderNotFound,
    OrderServiceError,
    OutOfStock,
    StaleOrderVersion,
    UnknownShippingMethod,
)
from order_service.domain.values import OrderStatus
from order_service.settings import Settings
from tests.conftest import STORAGES
from tests.integration.builders import (
    add_product,
    add_shipping_method,
    available,
    order_of,
    stored_events,
    unique,
)
from tests.jetstream import run_async

pytestmark = pytest.mark.parametrize("backend", STORAGES)

T = TypeVar("T")


@pytest.fixture
def api_settings(backend: str, request: pytest.FixtureRequest) -> Settings:
    """The database's settings, for the event loop's own pool on PostgreSQL."""
    return Settings() if backend == "memory" else request.getfixturevalue("settings")


def awaited(settings: Settings, shop: Shop, use: Callable[[HotCommands], Awaitable[T]]) -> T:
    """`use` the hot commands the API would use over this shop's storage."""
    async def run() -> T:
        async with opened_event_loop_path(settings, shop) as event_loop:
            return await use(event_loop.commands)
    return run_async(run())


def keyed(context: CommandContext, key: str, fingerprint: str = "body-1") -> CommandContext:
    """The context of a request sent with an idempotency key (answers recorded as repr)."""
    request = IdempotentRequest(key=key, fingerprint=fingerprint, record_result=repr,
                                record_refusal=lambda error: f"refused: {error}")
    return CommandContext(context.correlation_id, context.caused_by, idempotency=request)


def test_placing_takes_the_stock_and_numbers_the_order_as_shop_would(
    shop: Shop, context: CommandContext, api_settings: Settings
) -> None:
    sku, method = add_product(shop, context, stock=5), add_shipping_method(shop, context)
    by_shop = shop.place_order(order_of([(sku, 1)], method), context)

    placed = awaited(api_settings, shop, lambda hot: hot.place_order(
        order_of([(sku, 2)], method), context))

    assert (by_shop.number, placed.number) == (1, 2)
    assert get_order(shop.storage, placed.id) == placed
    assert available(shop, sku) == 2
    assert [e.data["number"] for e in stored_events(shop.storage, type="OrderPlaced")] == [1, 2]


def test_pay_ship_and_cancel_move_the_order_and_give_stock_back_on_cancel(
    shop: Shop, context: CommandContext, api_settings: Settings
) -> None:
    sku, method = add_product(shop, context, stock=5), add_shipping_method(shop, context)
    shipped = shop.place_order(order_of([(sku, 1)], method), context)
    cancelled = shop.place_order(order_of([(sku, 2)], method), context)

    async def changes(hot: HotCommands) -> list[OrderStatus]:
        paid = await hot.pay_order(PayOrder(shipped.id, "bank-ref-1"), context)
        sent = await hot.ship_order(ShipOrder(shipped.id, "TRACK-1", paid.version), context)
        gone = await hot.cancel_order(CancelOrder(cancelled.id, "changed my mind"), context)
        return [paid.status, sent.status, gone.status]

    assert awaited(api_settings, shop, changes) == [
        OrderStatus.PAID, OrderStatus.SHIPPED, OrderStatus.CANCELLED]
    assert get_order(shop.storage, shipped.id).tracking_number == "TRACK-1"
    assert available(shop, sku) == 4


def test_orders_changed_together_are_each_read_and_moved_alone(
    shop: Shop, context: CommandContext, api_settings: Settings
) -> None:
    sku, method = add_product(shop, context, stock=20), add_shipping_method(shop, context)
    orders = [shop.place_order(order_of([(sku, 1)], method), context) for _ in range(8)]
    paid_before = orders[0]
    shop.pay_order(PayOrder(paid_before.id, "earlier"), context)

    async def together(hot: HotCommands) -> list[object]:
        # Sent at once: on PostgreSQL their reads and writes go out in shared statements.
        changes: list[Awaitable[object]] = [
            *(hot.pay_order(PayOrder(order.id, f"ref-{n}"), context)
              for n, order in enumerate(orders)),
            hot.cancel_order(CancelOrder(uuid.uuid4()), context),
        ]
        return list(await asyncio.gather(*changes, return_exceptions=True))

    answers = awaited(api_settings, shop, together)

    assert type(answers[-1]) is OrderNotFound
    # Paid already: answered as it stands, nothing written (still version 2).
    for order, answer in zip(orders, answers[:-1], strict=True):
        assert not isinstance(answer, BaseException)
        assert (answer.id, answer.status, answer.version) == (  # type: ignore[attr-defined]
            order.id, OrderStatus.PAID, 2)
    assert {get_order(shop.storage, order.id).payment_reference for order in orders} == {
        "earlier", *(f"ref-{n}" for n in range(1, 8))}


def test_refusals_are_the_domains_and_store_nothing(
    shop: Shop, context: CommandContext, api_settings: Settings
) -> None:
    sku, method = add_product(shop, context, stock=1), add_shipping_method(shop, context)
    order = shop.place_order(order_of([(sku, 1)], method), context)
    events_before = len(stored_events(shop.storage))

    async def refusals(hot: HotCommands) -> list[type[Exception]]:
        attempts: list[Awaitable[object]] = [
            hot.place_order(order_of([(sku, 1)], method), context),
            hot.place_order(order_of([(sku, 1)], "no-such-method"), context),
            hot.ship_order(ShipOrder(order.id), context),
            hot.pay_order(PayOrder(order.id, None, expected_version=7), context),
            hot.cancel_order(CancelOrder(uuid.uuid4()), context),
        ]
        refused = []
        for attempt in attempts:
            with pytest.raises(OrderServiceError) as caught:
                await attempt
            refused.append(type(caught.value))
        return refused

    assert awaited(api_settings, shop, refusals) == [
        OutOfStock, UnknownShippingMethod, IllegalTransition, StaleOrderVersion, OrderNotFound]
    assert len(stored_events(shop.storage)) == events_before
    assert available(shop, sku) == 0


def test_a_repeated_key_gets_the_first_answer_and_places_nothing_more(
    shop: Shop, context: CommandContext, api_settings: Settings
) -> None:
    sku, method = add_product(shop, context, stock=5), add_shipping_method(shop, context)
    key = unique("key")
    command = order_of([(sku, 1)], method)

    async def twice(hot: HotCommands) -> tuple[str, str]:
        first = await hot.place_order(command, keyed(context, key))
        with pytest.raises(AlreadyHandled) as repeat:
            await hot.place_order(command, keyed(context, key))
        return repr(first), repeat.value.recording

    first, repeated = awaited(api_settings, shop, twice)

    assert repeated == first
    assert available(shop, sku) == 4


def test_one_key_sent_twice_at_once_places_one_order_and_answers_both_alike(
    shop: Shop, context: CommandContext, api_settings: Settings
) -> None:
    sku, method = add_product(shop, context, stock=5), add_shipping_method(shop, context)
    key = unique("key")
    command = order_of([(sku, 1)], method)

    async def at_once(hot: HotCommands) -> list[str]:
        async def send() -> str:
            try:
                return repr(await hot.place_order(command, keyed(context, key)))
            except AlreadyHandled as repeat:
                return repeat.recording
        return await asyncio.gather(send(), send(), send())

    answers = awaited(api_settings, shop, at_once)

    assert len(set(answers)) == 1
    assert len(stored_events(shop.storage, type="OrderPlaced")) == 1
    assert available(shop, sku) == 4


def test_a_key_sent_again_with_another_request_is_refused(
    shop: Shop, context: CommandContext, api_settings: Settings
) -> None:
    sku, method = add_product(shop, context, stock=5), add_shipping_method(shop, context)
    key = unique("key")
    order = shop.place_order(order_of([(sku, 1)], method), keyed(context, key))

    with pytest.raises(IdempotencyKeyReused):
        awaited(api_settings, shop, lambda hot: hot.pay_order(
            PayOrder(order.id), keyed(context, key, "body-2")))


def test_a_refusal_is_kept_as_the_answer_to_its_key(
    shop: Shop, context: CommandContext, api_settings: Settings
) -> None:
    sku, method = add_product(shop, context, stock=0), add_shipping_method(shop, context)
    key = unique("key")
    command = order_of([(sku, 1)], method)

    async def twice(hot: HotCommands) -> str:
        with pytest.raises(OutOfStock):
            await hot.place_order(command, keyed(context, key))
        with pytest.raises(AlreadyHandled) as repeat:
            await hot.place_order(command, keyed(context, key))
        return repeat.value.recording

    assert awaited(api_settings, shop, twice).startswith("refused: ")


def test_buyers_racing_for_the_last_items_never_oversell_and_leave_no_gap(
    shop: Shop, context: CommandContext, api_settings: Settings
) -> None:
    sku, method = add_product(shop, context, stock=5), add_shipping_method(shop, context)

    async def race(hot: HotCommands) -> list[int | None]:
        async def buy() -> int | None:
            try:
                return (await hot.place_order(order_of([(sku, 1)], method), context)).number
            except OutOfStock:
                return None
        return await asyncio.gather(*(buy() for _ in range(20)))

    numbers = awaited(api_settings, shop, race)

    assert sorted(n for n in numbers if n is not None) == [1, 2, 3, 4, 5]
    assert available(shop, sku) == 0
    assert [e.data["number"] for e in stored_events(shop.storage, type="OrderPlaced")] == [
        1, 2, 3, 4, 5]


def test_orders_placed_together_are_numbered_in_turn_and_each_stands_alone(
    shop: Shop, context: CommandContext, api_settings: Settings
) -> None:
    plenty, scarce = (add_product(shop, context, stock=stock) for stock in (100, 2))
    method = add_shipping_method(shop, context)

    async def together(hot: HotCommands) -> list[int | None]:
        async def buy(sku: str) -> int | None:
            try:
                return (await hot.place_order(order_of([(sku, 1)], method), context)).number
            except OutOfStock:
                return None
        return await asyncio.gather(*(buy(scarce if i % 3 == 0 else plenty)
                                      for i in range(30)))

    numbers = awaited(api_settings, shop, together)

    placed = sorted(n for n in numbers if n is not None)
    assert placed == list(range(1, 23))  # 20 of plenty, 2 of scarce: no number lost
    assert (available(shop, plenty), available(shop, scarce)) == (80, 0)
    orders = [get_order(shop.storage, uuid.UUID(e.data["order_id"]))
              for e in stored_events(shop.storage, type="OrderPlaced")]
    assert sorted(order.number for order in orders) == placed


def test_orders_read_together_each_get_their_own_document(
    shop: Shop, context: CommandContext, api_settings: Settings
) -> None:
    product = add_product(shop, context, stock=100)
    method = add_shipping_method(shop, context)
    placed = [shop.place_order(order_of([(product, 1)], method), context) for _ in range(5)]
    unknown = uuid.uuid4()
    # Read together: on PostgreSQL those that wait for a read in flight go out as one.
    asked = [*(order.id for order in placed), unknown, placed[0].id] * 4

    async def read_all(event_loop: EventLoopPath) -> list[OrderDocument | None]:
        transfer = api_settings.transfer_terms()
        return await asyncio.gather(*(event_loop.documents.order_document(order_id, transfer)
                                      for order_id in asked))

    async def run() -> list[OrderDocument | None]:
        async with opened_event_loop_path(api_settings, shop) as event_loop:
            return await read_all(event_loop)
    documents = run_async(run())

    for order_id, document in zip(asked, documents, strict=True):
        if order_id == unknown:
            assert document is None
            continue
        assert document is not None
        shown = json.loads(document.document)
        assert (shown["id"], shown["number"]) == (
            str(order_id), next(o.number for o in placed if o.id == order_id))
        assert document.version == 1
