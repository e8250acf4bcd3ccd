"""The per-worker cache of verified API keys, on a real database."""

from __future__ import annotations

from sqlalchemy import Engine

from order_service.adapters.sql.api_keys import SqlApiKeys
from order_service.adapters.sql.key_cache import REVOCATION_TAKES_EFFECT_WITHIN, CachedApiKeys
from order_service.application.access import Role
from tests.api_keys import create_key_on, key_name, utc_now


class Clock:
    """A monotonic clock the test moves by hand."""

    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def test_a_verified_key_is_answered_from_memory_until_a_revocation_is_seen(
    engine: Engine,
) -> None:
    clock = Clock()
    keys = SqlApiKeys(engine, utc_now)
    cache = CachedApiKeys(keys, monotonic=clock)
    cache.refresh()
    name = key_name(Role.MERCHANT)
    token = create_key_on(engine, Role.MERCHANT, name)
    principal = cache.authenticate(token)
    assert principal is not None

    keys.revoke(name)

    assert cache.cached(token) == principal  # not seen yet: the cache still answers
    cache.refresh()
    assert cache.cached(token) is None
    assert cache.authenticate(token) is None


def test_a_cache_that_could_not_check_for_revocations_stops_answering_after_the_bound(
    engine: Engine,
) -> None:
    clock = Clock()
    cache = CachedApiKeys(SqlApiKeys(engine, utc_now), monotonic=clock)
    cache.refresh()
    token = create_key_on(engine, Role.STOREFRONT, key_name(Role.STOREFRONT))
    assert cache.authenticate(token) is not None

    clock.now += REVOCATION_TAKES_EFFECT_WITHIN + 0.01

    assert cache.cached(token) is None


def test_an_unknown_key_is_not_remembered(engine: Engine) -> None:
    cache = CachedApiKeys(SqlApiKeys(engine, utc_now), monotonic=Clock())
    cache.refresh()

    assert cache.authenticate("os_live_" + "x" * 43) is None
    assert cache.cached("os_live_" + "x" * 43) is None
