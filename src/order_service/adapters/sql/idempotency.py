"""Idempotency keys: each request sent with a key is carried out once.

The key is written in the same transaction as the command's events, so "done" and
"remembered" commit together: a crash leaves either both or neither, and a retry can
never place a second order. A duplicate arriving while the first is in flight waits on
the key's row and then gets the first one's answer.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime, timedelta

from sqlalchemy import Connection, Engine, bindparam, delete, select, update
from sqlalchemy.dialects import postgresql, sqlite

from order_service.adapters.sql.errors import translated_failures
from order_service.adapters.sql.tables import idempotency_keys
from order_service.application.errors import ConcurrencyConflict, IdempotencyKeyReused

Clock = Callable[[], datetime]


# Every keyed command sends both: built once, only the bound values change.
_REMEMBER = (
    update(idempotency_keys).where(idempotency_keys.c.key == bindparam("claimed"))
    .values(recording=bindparam("answer"))
)
# ON CONFLICT DO NOTHING waits for a transaction holding the same key to end, then
# inserts nothing if it committed; a plain INSERT would abort ours on PostgreSQL.
# RETURNING, not rowcount: drivers may report -1 for INSERT .. ON CONFLICT.
_CLAIM = {
    dialect.dialect.name: (
        dialect.insert(idempotency_keys)
        .values(key=bindparam("claimed"), fingerprint=bindparam("fingerprint_of"),
                created_at=bindparam("at"))
        .on_conflict_do_nothing(index_elements=["key"])
        .returning(idempotency_keys.c.key)
    )
    for dialect in (postgresql, sqlite)
}


class SqlIdempotencyKeys:
    """The IdempotencyKeys port over one open transaction."""

    def __init__(self, connection: Connection, clock: Clock, ttl: timedelta) -> None:
        self._connection = connection
        self._clock = clock
        self._ttl = ttl

    def claim(self, key: str, fingerprint: str) -> str | None:
        """Hold `key` for this transaction, or return the recording of its earlier answer."""
        now = self._clock()
        if self._insert(key, fingerprint, now):
            return None
        row = self._connection.execute(
            select(idempotency_keys.c.fingerprint, idempotency_keys.c.recording,
                   idempotency_keys.c.created_at)
            .where(idempotency_keys.c.key == key)
        ).first()
        if row is None or row.recording is None:
            # Purged between our insert and our read: decide again from the start.
            raise ConcurrencyConflict(f"idempotency-key {key}", 0)
        if row.created_at < now - self._ttl:
            self._connection.execute(
                delete(idempotency_keys).where(idempotency_keys.c.key == key)
            )
            self._insert(key, fingerprint, now)
            return None
        if row.fingerprint != fingerprint:
            raise IdempotencyKeyReused(key)
        recording: str = row.recording
        return recording

    def remember(self, key: str, recording: str) -> None:
        """Store the answer that repeats of `key` get."""
        self._connection.execute(_REMEMBER, {"claimed": key, "answer": recording})

    def _insert(self, key: str, fingerprint: str, now: datetime) -> bool:
        # ON CONFLICT DO NOTHING waits for a transaction holding the same key to end, then
        # inserts nothing if it committed; a plain INSERT would abort ours on PostgreSQL.
        statement = _CLAIM[self._connection.dialect.name]
        return self._connection.execute(
            statement, {"claimed": key, "fingerprint_of": fingerprint, "at": now}
        ).first() is not None


def purge_expired_keys(engine: Engine, now: datetime, ttl: timedelta) -> int:
    """Forget keys older than `ttl`; returns how many were removed."""
    with translated_failures(), engine.begin() as connection:
        result = connection.execute(
            delete(idempotency_keys).where(idempotency_keys.c.created_at < now - ttl)
        )
    return int(result.rowcount)
