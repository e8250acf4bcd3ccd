"""How long every storage remembers an Idempotency-Key: its time to live, then a new key.

That the time to live is the setting ORDER_SERVICE_IDEMPOTENCY_KEY_TTL_SECONDS, and that
the purge command uses it, is tests/e2e/test_idempotency.py's; which keys a purge forgets,
tests/integration/test_idempotency_purge.py's.
"""

from __future__ import annotations

from datetime import timedelta

import pytest

from order_service.adapters.memory import MemoryStorage
from order_service.adapters.sql.storage import SqlStorage
from order_service.application.commands import RestockProduct
from order_service.application.errors import AlreadyHandled
from order_service.application.handlers import Shop
from order_service.application.ports import CommandContext, IdempotentRequest
from order_service.settings import Settings
from tests.conftest import STORAGES
from tests.integration.builders import add_product, add_shipping_method, order_of, unique
from tests.unit.shop_given import Clock

pytestmark = pytest.mark.parametrize("backend", STORAGES)

TTL = timedelta(hours=1)


@pytest.fixture
def clock() -> Clock:
    """The storage's and the shop's clock, standing still until moved."""
    return Clock()


@pytest.fixture
def aging(backend: str, request: pytest.FixtureRequest, clock: Clock) -> Shop:
    """A shop whose storage remembers keys for an hour of `clock`'s time."""
    storage = (MemoryStorage(clock, idempotency_ttl=TTL) if backend == "memory" else
               SqlStorage(request.getfixturevalue("engine"), clock, idempotency_ttl=TTL))
    return Shop(storage, Settings(geocoder_url=None).shop_terms(), clock)


def keyed(context: CommandContext, key: str, fingerprint: str) -> CommandContext:
    """The context of a request sent with a key (answers recorded as repr)."""
    return CommandContext(context.correlation_id, context.caused_by, idempotency=(
        IdempotentRequest(key=key, fingerprint=fingerprint, record_result=repr,
                          record_refusal=repr)))


def test_a_placements_key_within_its_time_to_live_is_answered_from_its_recording(
    aging: Shop, clock: Clock, context: CommandContext
) -> None:
    sku, method = add_product(aging, context, stock=5), add_shipping_method(aging, context)
    key = unique("key")
    first = aging.place_order(order_of([(sku, 1)], method), keyed(context, key, "body-1"))
    clock.move(TTL - timedelta(minutes=1))

    with pytest.raises(AlreadyHandled) as repeated:
        aging.place_order(order_of([(sku, 1)], method), keyed(context, key, "body-1"))

    assert repeated.value.recording == repr(first)


def test_a_placements_key_past_its_time_to_live_is_a_new_key(
    aging: Shop, clock: Clock, context: CommandContext
) -> None:
    sku, method = add_product(aging, context, stock=5), add_shipping_method(aging, context)
    key = unique("key")
    first = aging.place_order(order_of([(sku, 1)], method), keyed(context, key, "body-1"))
    clock.move(TTL + timedelta(minutes=1))

    again = aging.place_order(order_of([(sku, 2)], method), keyed(context, key, "body-2"))

    assert (first.number, again.number) == (1, 2)
    with pytest.raises(AlreadyHandled) as repeated:
        aging.place_order(order_of([(sku, 2)], method), keyed(context, key, "body-2"))
    assert repeated.value.recording == repr(again)


def test_a_catalogue_commands_key_within_its_time_to_live_is_answered_from_its_recording(
    aging: Shop, clock: Clock, context: CommandContext
) -> None:
    sku = add_product(aging, context, stock=0)
    key = unique("key")
    first = aging.restock_product(RestockProduct(sku, 1), keyed(context, key, "body-1"))
    clock.move(TTL - timedelta(minutes=1))

    with pytest.raises(AlreadyHandled) as repeated:
        aging.restock_product(RestockProduct(sku, 1), keyed(context, key, "body-1"))

    assert repeated.value.recording == repr(first)


def test_a_catalogue_commands_key_past_its_time_to_live_is_a_new_key(
    aging: Shop, clock: Clock, context: CommandContext
) -> None:
    sku = add_product(aging, context, stock=0)
    key = unique("key")
    aging.restock_product(RestockProduct(sku, 1), keyed(context, key, "body-1"))
    clock.move(TTL + timedelta(minutes=1))

    later = aging.restock_product(RestockProduct(sku, 2), keyed(context, key, "body-2"))

    assert later.available == 3
