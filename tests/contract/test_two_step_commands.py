"""The hot commands' storage: one read, one atomic write that refuses what changed meanwhile."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from order_service.application.commands import PayOrder
from order_service.application.errors import ConcurrencyConflict, IdempotencyKeyReused
from order_service.application.handlers import Shop
from order_service.application.ports import (
    NUMBER_AT_COMMIT,
    CommandContext,
    IdempotentRequest,
    Outcome,
)
from order_service.application.queries import get_order
from order_service.domain.events import order_stream
from order_service.domain.order import Order
from order_service.domain.pricing import quote_order
from order_service.domain.values import OrderStatus
from tests.conftest import STORAGES
from tests.integration.builders import (
    ADDRESS,
    CUSTOMER,
    add_product,
    add_shipping_method,
    available,
    order_of,
    place,
    stored_events,
    unique,
)

pytestmark = pytest.mark.parametrize("backend", STORAGES)

NOW = datetime(2026, 5, 1, 12, 0, tzinfo=UTC)


def keyed(context: CommandContext, key: str, fingerprint: str = "body-1") -> CommandContext:
    """The context of a request sent with an idempotency key (answers recorded as repr)."""
    request = IdempotentRequest(key=key, fingerprint=fingerprint, record_result=repr,
                                record_refusal=repr)
    return CommandContext(context.correlation_id, context.caused_by, idempotency=request)


def placement(shop: Shop, sku: str, quantity: int, method: str, context: CommandContext
              ) -> Outcome:
    """A placement decided on what the storage reads now, not yet written."""
    command = order_of([(sku, quantity)], method)
    inputs = shop.storage.read_for_placement({sku: quantity}, method, context.idempotency)
    assert inputs.shipping is not None
    quote = quote_order(customer=CUSTOMER, lines=command.lines, catalogue=inputs.catalogue,
                        shipping_address=ADDRESS, shipping=inputs.shipping,
                        billing_address=ADDRESS, payment_method="card", terms=shop.terms)
    placed = quote.place(order_id=command.order_id, number=NUMBER_AT_COMMIT, now=NOW)
    return Outcome(order_stream(command.order_id), [placed], expected_version=0)


def test_a_placement_is_numbered_as_it_is_written(shop: Shop, context: CommandContext) -> None:
    sku, method = add_product(shop, context, stock=3), add_shipping_method(shop, context)
    place(shop, context, [(sku, 1)], method)

    written = shop.storage.write(placement(shop, sku, 1, method, context), context, None)

    assert written.number == 2
    assert get_order(shop.storage, written.id) == written
    assert stored_events(shop.storage, type="OrderPlaced")[-1].data["number"] == 2


def test_a_placement_whose_stock_ran_short_meanwhile_is_refused_whole(
    shop: Shop, context: CommandContext
) -> None:
    sku, method = add_product(shop, context, stock=2), add_shipping_method(shop, context)
    late = placement(shop, sku, 2, method, context)
    place(shop, context, [(sku, 1)], method)

    with pytest.raises(ConcurrencyConflict):
        shop.storage.write(late, context, None)

    assert available(shop, sku) == 1
    assert len(stored_events(shop.storage, type="OrderPlaced")) == 1
    assert place(shop, context, [(sku, 1)], method).number == 2  # no number was lost


def test_a_change_decided_on_an_order_that_moved_on_is_refused(
    shop: Shop, context: CommandContext
) -> None:
    sku, method = add_product(shop, context, stock=2), add_shipping_method(shop, context)
    order = place(shop, context, [(sku, 2)], method)
    inputs = shop.storage.read_order(order.id, None)
    cancelled = Order.from_history(order.id, inputs.history).cancel(reason=None, now=NOW)
    shop.pay_order(PayOrder(order.id), context)

    with pytest.raises(ConcurrencyConflict):
        shop.storage.write(Outcome(order_stream(order.id), cancelled, expected_version=1),
                           context, inputs.view)

    assert get_order(shop.storage, order.id).status == OrderStatus.PAID
    assert available(shop, sku) == 0


def test_the_read_returns_the_answer_a_key_got_and_the_write_of_a_taken_key_is_refused(
    shop: Shop, context: CommandContext
) -> None:
    sku, method = add_product(shop, context, stock=5), add_shipping_method(shop, context)
    with_key = keyed(context, unique("key"))
    first, second = (placement(shop, sku, 1, method, with_key) for _ in range(2))
    written = shop.storage.write(first, with_key, None)

    with pytest.raises(ConcurrencyConflict):
        shop.storage.write(second, with_key, None)

    answer = shop.storage.read_for_placement({sku: 1}, method, with_key.idempotency)
    assert answer.earlier_answer == repr(written)
    assert written.number == 1
    assert str(NUMBER_AT_COMMIT) not in (answer.earlier_answer or "")
    assert available(shop, sku) == 4


def test_a_key_read_back_with_another_request_is_refused(
    shop: Shop, context: CommandContext
) -> None:
    sku, method = add_product(shop, context, stock=5), add_shipping_method(shop, context)
    key = unique("key")
    order = shop.place_order(order_of([(sku, 1)], method), keyed(context, key))

    with pytest.raises(IdempotencyKeyReused):
        shop.storage.read_order(order.id, keyed(context, key, "body-2").idempotency)


def test_a_keyed_change_that_changes_nothing_keeps_only_its_answer(
    shop: Shop, context: CommandContext
) -> None:
    sku, method = add_product(shop, context, stock=5), add_shipping_method(shop, context)
    order = shop.pay_order(PayOrder(place(shop, context, [(sku, 1)], method).id), context)
    with_key = keyed(context, unique("key"))
    events_before = len(stored_events(shop.storage))

    again = shop.pay_order(PayOrder(order.id), with_key)

    assert again == order
    assert len(stored_events(shop.storage)) == events_before
    assert shop.storage.read_order(order.id, with_key.idempotency).earlier_answer == repr(order)
