"""The PostgreSQL engine replaces connections the server dropped while they sat idle.

It pings only connections that were idle a while (a ping on every checkout costs a
round trip per query under load); these tests drop a pooled connection's server process
the way a database restart or an idle-connection reaper would.
"""

from __future__ import annotations

import time

import pytest
from sqlalchemy import Engine, text
from sqlalchemy.exc import DBAPIError

from order_service.adapters.sql.engine import PING_AFTER_IDLE_SECONDS, make_engine


def _backend_pid(engine: Engine) -> int:
    with engine.connect() as connection:
        return int(connection.execute(text("SELECT pg_backend_pid()")).scalar_one())


def _terminate(engine: Engine, pid: int) -> None:
    with engine.connect() as connection:
        assert connection.execute(text("SELECT pg_terminate_backend(:pid)"),
                                  {"pid": pid}).scalar_one()


@pytest.mark.parametrize("backend", ["postgresql"])
def test_a_connection_dropped_while_idle_in_the_pool_is_replaced_before_use(
    database_url_for_test: str, engine: Engine
) -> None:
    pooled = make_engine(database_url_for_test, pool_size=1)
    try:
        dropped = _backend_pid(pooled)
        _terminate(engine, dropped)
        time.sleep(PING_AFTER_IDLE_SECONDS + 0.2)

        assert _backend_pid(pooled) != dropped  # no error: a fresh connection served it
    finally:
        pooled.dispose()


@pytest.mark.parametrize("backend", ["postgresql"])
def test_a_connection_dropped_between_busy_uses_fails_once_then_the_pool_recovers(
    database_url_for_test: str, engine: Engine
) -> None:
    pooled = make_engine(database_url_for_test, pool_size=2)
    try:
        with pooled.connect() as first, pooled.connect() as second:
            pids = {int(c.execute(text("SELECT pg_backend_pid()")).scalar_one())
                    for c in (first, second)}
        for pid in pids:
            _terminate(engine, pid)

        # Checked out at once, not pinged: the first use meets the dead connection...
        with pytest.raises(DBAPIError) as broken:
            _backend_pid(pooled)
        assert broken.value.connection_invalidated
        # ...which invalidates the whole pool, so the next use is on a fresh connection.
        assert _backend_pid(pooled) not in pids
    finally:
        pooled.dispose()
