"""Back-office sessions in SQL (SqlAdminSessions), on both databases: how long one lives.

Signing in and out, the cookie and CSRF are tests/e2e/test_admin_sessions.py's.
"""

from __future__ import annotations

import hashlib
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import Engine, select

from order_service.adapters.sql.admin_sessions import SqlAdminSessions
from order_service.adapters.sql.api_keys import SqlApiKeys
from order_service.adapters.sql.tables import admin_sessions
from order_service.application.access import Principal, Role
from tests.api_keys import key_name, utc_now
from tests.clocks import StoppedClock

LIFETIME = timedelta(hours=12)
IDLE = timedelta(hours=2)


@pytest.fixture
def clock() -> StoppedClock:
    return StoppedClock(datetime(2026, 11, 26, 9, 0, tzinfo=UTC))


@pytest.fixture
def sessions(engine: Engine, clock: StoppedClock) -> SqlAdminSessions:
    return SqlAdminSessions(engine, clock, lifetime=LIFETIME, idle=IDLE)


@pytest.fixture
def merchant_name() -> str:
    return key_name(Role.MERCHANT)


@pytest.fixture
def merchant(engine: Engine, merchant_name: str) -> Principal:
    """A merchant key's principal, as signing in finds it."""
    keys = SqlApiKeys(engine, utc_now)
    principal = keys.authenticate(keys.create(merchant_name, Role.MERCHANT)[0])
    assert principal is not None
    return principal


def test_a_session_used_every_hour_lives_until_its_lifetime_ends(
    sessions: SqlAdminSessions, clock: StoppedClock, merchant: Principal,
) -> None:
    sessions.start("token", merchant)

    for _ in range(11):  # used every hour: 11 h
        clock.now += timedelta(hours=1)
        assert sessions.find("token") is not None, clock.now
    clock.now += timedelta(hours=1, minutes=1)  # 12 h 1 min after signing in

    assert sessions.find("token") is None


def test_a_session_left_idle_longer_than_the_idle_timeout_ends(
    sessions: SqlAdminSessions, clock: StoppedClock, merchant: Principal,
) -> None:
    sessions.start("token", merchant)

    clock.now += IDLE + timedelta(minutes=1)

    assert sessions.find("token") is None


def test_a_live_session_is_found_as_the_key_that_signed_in(
    sessions: SqlAdminSessions, merchant: Principal,
) -> None:
    sessions.start("token", merchant)

    found = sessions.find("token")

    assert found is not None
    assert found.principal == merchant


def test_only_a_hash_of_the_session_token_is_stored(
    sessions: SqlAdminSessions, engine: Engine, merchant: Principal,
) -> None:
    sessions.start("the-cookies-token", merchant)

    with engine.connect() as connection:
        stored = connection.execute(select(admin_sessions)).all()

    assert [row.token_hash for row in stored] == [
        hashlib.sha256(b"the-cookies-token").hexdigest()]
    assert "the-cookies-token" not in " ".join(str(value) for value in stored[0])


def test_an_ended_session_is_found_no_more(
    sessions: SqlAdminSessions, merchant: Principal,
) -> None:
    sessions.start("token", merchant)

    sessions.end("token")

    assert sessions.find("token") is None


def test_revoking_the_key_ends_its_sessions(
    sessions: SqlAdminSessions, engine: Engine, merchant: Principal, merchant_name: str,
) -> None:
    sessions.start("token", merchant)
    assert sessions.find("token") is not None

    SqlApiKeys(engine, utc_now).revoke(merchant_name)

    assert sessions.find("token") is None
