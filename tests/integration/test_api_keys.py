"""API keys in SQL (SqlApiKeys), on both databases: made, found, listed, used and revoked.

What `order-service api-key` prints, and that a key works over HTTP until revoked, is
tests/e2e/test_api_key_cli.py's; which routes each role may use, tests/e2e/test_auth.py's.
"""

from __future__ import annotations

import hashlib
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import Engine, select

from order_service.adapters.sql.api_keys import SqlApiKeys
from order_service.adapters.sql.engine import Timeouts, make_engine
from order_service.adapters.sql.tables import api_keys
from order_service.application.access import SHOWN_PREFIX_LENGTH, Role
from order_service.application.errors import KeyNameTaken, StorageUnavailable, UnknownKeyName
from tests.api_keys import key_name
from tests.clocks import StoppedClock

MADE_AT = datetime(2026, 11, 26, 9, 0, tzinfo=UTC)


@pytest.fixture
def clock() -> StoppedClock:
    return StoppedClock(MADE_AT)


@pytest.fixture
def keys(engine: Engine, clock: StoppedClock) -> SqlApiKeys:
    return SqlApiKeys(engine, clock)


@pytest.mark.parametrize("role", list(Role))
def test_a_new_key_authenticates_as_the_role_it_was_made_for(keys: SqlApiKeys,
                                                              role: Role) -> None:
    name = key_name(role)

    token, made = keys.create(name, role)

    principal = keys.authenticate(token)
    assert principal is not None
    assert (principal.key_id, principal.name, principal.role) == (made.key_id, name, role)


def test_an_unknown_key_authenticates_nobody(keys: SqlApiKeys) -> None:
    keys.create(key_name(Role.MERCHANT), Role.MERCHANT)

    assert keys.authenticate("os_live_" + "x" * 43) is None


def test_a_name_an_active_key_has_is_refused_and_nothing_is_added(keys: SqlApiKeys) -> None:
    name = key_name(Role.MERCHANT)
    keys.create(name, Role.MERCHANT)

    with pytest.raises(KeyNameTaken, match=name):
        keys.create(name, Role.STOREFRONT)

    assert [(info.name, info.role) for info in keys.list()] == [(name, Role.MERCHANT)]


def test_a_revoked_key_authenticates_nobody_and_is_listed_as_revoked(
    keys: SqlApiKeys, clock: StoppedClock,
) -> None:
    name = key_name(Role.MERCHANT)
    token, _ = keys.create(name, Role.MERCHANT)
    clock.now += timedelta(hours=1)

    keys.revoke(name)

    assert keys.authenticate(token) is None
    (listed,) = keys.list()
    assert (listed.name, listed.revoked_at) == (name, clock.now)


def test_revoking_a_name_no_active_key_has_is_refused_naming_it(keys: SqlApiKeys) -> None:
    revoked = key_name(Role.MERCHANT)
    keys.create(revoked, Role.MERCHANT)
    keys.revoke(revoked)

    for name in (key_name(Role.MERCHANT), revoked):
        with pytest.raises(UnknownKeyName, match=name):
            keys.revoke(name)


def test_a_revoked_name_may_be_given_to_a_new_key_and_only_the_new_one_works(
    keys: SqlApiKeys,
) -> None:
    name = key_name(Role.STOREFRONT)
    old, _ = keys.create(name, Role.STOREFRONT)
    keys.revoke(name)

    new, made = keys.create(name, Role.STOREFRONT)

    assert new != old
    assert keys.authenticate(old) is None
    principal = keys.authenticate(new)
    assert principal is not None
    assert principal.key_id == made.key_id


def test_the_database_keeps_a_hash_of_each_key_and_only_its_shown_prefix(
    keys: SqlApiKeys, engine: Engine,
) -> None:
    tokens = [keys.create(key_name(role), role)[0] for role in Role]

    with engine.connect() as connection:
        rows = [tuple(row) for row in connection.execute(select(api_keys))]

    stored = " ".join(str(value) for row in rows for value in row)
    for token in tokens:
        assert token not in stored
        assert token[SHOWN_PREFIX_LENGTH:][:8] not in stored
        assert hashlib.sha256(token.encode()).hexdigest() in stored
        assert token[:SHOWN_PREFIX_LENGTH] in stored


def test_a_key_is_listed_as_never_used_until_marked_used(
    keys: SqlApiKeys, clock: StoppedClock,
) -> None:
    _, made = keys.create(key_name(Role.MERCHANT), Role.MERCHANT)
    assert [info.last_used_at for info in keys.list()] == [None]
    clock.now += timedelta(minutes=5)

    keys.mark_used(made.key_id)

    (listed,) = keys.list()
    assert (listed.created_at, listed.last_used_at) == (MADE_AT, clock.now)


def test_listing_or_revoking_with_the_database_down_says_it_is_unavailable(
    clock: StoppedClock,
) -> None:
    # Nothing listens on port 1: each call fails to connect, as with the server down.
    engine = make_engine("postgresql://postgres@127.0.0.1:1/none",
                         timeouts=Timeouts(connect_seconds=1))
    keys = SqlApiKeys(engine, clock)
    try:
        with pytest.raises(StorageUnavailable):
            keys.list()
        with pytest.raises(StorageUnavailable):
            keys.revoke("till-1")
    finally:
        engine.dispose()
