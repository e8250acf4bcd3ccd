"""Forgetting expired Idempotency-Keys in SQL (purge_expired_keys), on both databases.

What a key past its time to live means to the shop is tests/contract/test_idempotency_keys.py's;
that `order-service purge-idempotency-keys` purges with the configured time to live and
says how many went, tests/e2e/test_idempotency.py's.
"""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import Engine, select

from order_service.adapters.sql.idempotency import purge_expired_keys
from order_service.adapters.sql.storage import SqlStorage
from order_service.adapters.sql.tables import idempotency_keys
from order_service.application.commands import RestockProduct
from order_service.application.errors import AlreadyHandled
from order_service.application.handlers import Shop
from order_service.application.ports import CommandContext, IdempotentRequest
from order_service.settings import Settings
from tests.integration.builders import add_product
from tests.unit.shop_given import Clock

TTL = timedelta(hours=1)


@pytest.fixture
def clock() -> Clock:
    """The storage's and the shop's clock, standing still until moved."""
    return Clock()


@pytest.fixture
def aging(engine: Engine, clock: Clock) -> Shop:
    """A shop whose storage remembers keys for an hour of `clock`'s time."""
    storage = SqlStorage(engine, clock, idempotency_ttl=TTL)
    return Shop(storage, Settings(geocoder_url=None).shop_terms(), clock)


def keyed(context: CommandContext, key: str) -> CommandContext:
    """The context of a request sent with `key` (answers recorded as repr)."""
    return CommandContext(context.correlation_id, context.caused_by, idempotency=(
        IdempotentRequest(key=key, fingerprint="body-1", record_result=repr,
                          record_refusal=repr)))


def _stored_keys(engine: Engine) -> list[str]:
    with engine.connect() as connection:
        return list(connection.execute(
            select(idempotency_keys.c.key).order_by(idempotency_keys.c.key)).scalars())


def test_purging_forgets_the_keys_past_their_time_to_live_and_counts_them(
    aging: Shop, clock: Clock, engine: Engine, context: CommandContext,
) -> None:
    sku = add_product(aging, context, stock=0)
    for key in ("old-1", "old-2", "old-3"):
        aging.restock_product(RestockProduct(sku, 1), keyed(context, key))
    clock.move(TTL + timedelta(minutes=1))
    aging.restock_product(RestockProduct(sku, 1), keyed(context, "fresh"))

    purged = purge_expired_keys(engine, clock.now, TTL)

    assert purged == 3
    assert _stored_keys(engine) == ["fresh"]


def test_a_key_purged_within_its_time_to_live_is_kept_and_still_answered(
    aging: Shop, clock: Clock, engine: Engine, context: CommandContext,
) -> None:
    sku = add_product(aging, context, stock=0)
    first = aging.restock_product(RestockProduct(sku, 1), keyed(context, "fresh"))
    clock.move(TTL - timedelta(minutes=1))

    assert purge_expired_keys(engine, clock.now, TTL) == 0

    with pytest.raises(AlreadyHandled) as repeated:
        aging.restock_product(RestockProduct(sku, 1), keyed(context, "fresh"))
    assert repeated.value.recording == repr(first)
