"""Signed-in sessions of the merchant back office, in SQL: each call its own transaction."""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from datetime import datetime, timedelta

from sqlalchemy import ColumnElement, Engine, delete, insert, or_, select, update

from order_service.adapters.sql.errors import translated_failures
from order_service.adapters.sql.tables import admin_sessions, api_keys
from order_service.application.access import AdminSession, Principal, Role

Clock = Callable[[], datetime]

# Writing last_seen_at on every page would make every read a write; a minute late is
# nothing next to an idle timeout of hours.
TOUCH_EVERY = timedelta(minutes=1)


def token_hash(token: str) -> str:
    """What is stored of a session token: its SHA-256, never the token."""
    return hashlib.sha256(token.encode()).hexdigest()


class SqlAdminSessions:
    """Start, find and end sessions; they expire `lifetime` after sign-in or when idle."""

    def __init__(self, engine: Engine, clock: Clock, *, lifetime: timedelta,
                 idle: timedelta) -> None:
        self._engine = engine
        self._clock = clock
        self._lifetime = lifetime
        self._idle = min(idle, lifetime)

    def start(self, token: str, principal: Principal) -> None:
        """Record a new session of `principal`, and forget the expired ones."""
        now = self._clock()
        with translated_failures(), self._engine.begin() as connection:
            connection.execute(delete(admin_sessions).where(self._expired(now)))
            connection.execute(insert(admin_sessions).values(
                token_hash=token_hash(token), api_key_id=principal.key_id, created_at=now,
                last_seen_at=now, flash=None))

    def find(self, token: str) -> AdminSession | None:
        """The live session `token` names, if any; its key must still be active."""
        now = self._clock()
        query = (
            select(api_keys.c.id, api_keys.c.name, api_keys.c.role, admin_sessions.c.created_at,
                   admin_sessions.c.last_seen_at, admin_sessions.c.flash)
            .join(api_keys, api_keys.c.id == admin_sessions.c.api_key_id)
            .where(admin_sessions.c.token_hash == token_hash(token),
                   api_keys.c.revoked_at.is_(None), ~self._expired(now))
        )
        with translated_failures(), self._engine.begin() as connection:
            row = connection.execute(query).first()
            if row is not None and now - row.last_seen_at >= TOUCH_EVERY:
                connection.execute(update(admin_sessions)
                                   .where(admin_sessions.c.token_hash == token_hash(token))
                                   .values(last_seen_at=now))
        if row is None:
            return None
        return AdminSession(Principal(row.id, row.name, Role(row.role)), row.created_at,
                            row.flash)

    def leave_flash(self, token: str, flash: str | None) -> None:
        """Keep `flash` for the session's next page (None: nothing to show)."""
        with translated_failures(), self._engine.begin() as connection:
            connection.execute(update(admin_sessions)
                               .where(admin_sessions.c.token_hash == token_hash(token))
                               .values(flash=flash))

    def end(self, token: str) -> None:
        """Forget the session: its cookie signs nobody in any more."""
        with translated_failures(), self._engine.begin() as connection:
            connection.execute(delete(admin_sessions)
                               .where(admin_sessions.c.token_hash == token_hash(token)))

    def _expired(self, now: datetime) -> ColumnElement[bool]:
        return or_(admin_sessions.c.created_at < now - self._lifetime,
                   admin_sessions.c.last_seen_at < now - self._idle)
