"""API keys in SQL: each operation its own short transaction."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import Any
from uuid import uuid4

from sqlalchemy import Engine, Row, bindparam, func, insert, select, update
from sqlalchemy.exc import IntegrityError

from order_service.adapters.sql.engine import statement_at_a_time
from order_service.adapters.sql.errors import is_unique_violation, translated_failures
from order_service.adapters.sql.tables import api_keys
from order_service.application.access import (
    SHOWN_PREFIX_LENGTH,
    ApiKeyInfo,
    Principal,
    Role,
    key_hash,
    new_api_key,
)
from order_service.application.errors import KeyNameTaken, UnknownKeyName

Clock = Callable[[], datetime]

# Every request looks its key up: built once, so only the bound hash changes.
_ACTIVE_KEY = (
    select(api_keys.c.id, api_keys.c.name, api_keys.c.role)
    .where(api_keys.c.key_hash == bindparam("key_hash"), api_keys.c.revoked_at.is_(None))
)

# Keys are revoked, never deleted, so this count changes exactly when a key is revoked.
_REVOCATIONS = select(func.count()).select_from(api_keys).where(api_keys.c.revoked_at.isnot(None))


class SqlApiKeys:
    """Create, find, list and revoke API keys."""

    def __init__(self, engine: Engine, clock: Clock) -> None:
        self._engine = engine
        self._clock = clock

    def create(self, name: str, role: Role) -> tuple[str, ApiKeyInfo]:
        """A new key (returned once, never stored) and what may be shown of it."""
        token = new_api_key()
        row = {"id": str(uuid4()), "name": name, "role": role.value, "key_hash": key_hash(token),
               "shown_prefix": token[:SHOWN_PREFIX_LENGTH], "created_at": self._clock()}
        try:
            with translated_failures(), self._engine.begin() as connection:
                connection.execute(insert(api_keys).values(row))
        except IntegrityError as error:
            if is_unique_violation(error):
                raise KeyNameTaken(name) from error
            raise
        return token, _info({**row, "last_used_at": None, "revoked_at": None})

    def authenticate(self, token: str) -> Principal | None:
        """The active key `token` is, if any."""
        return self.authenticate_hash(key_hash(token))

    def authenticate_hash(self, hashed: str) -> Principal | None:
        """The active key whose SHA-256 is `hashed`, if any."""
        with translated_failures(), self._engine.connect() as connection:
            row = statement_at_a_time(connection).execute(
                _ACTIVE_KEY, {"key_hash": hashed}).first()
        return None if row is None else Principal(row.id, row.name, Role(row.role))

    def revocations(self) -> int:
        """How many keys were ever revoked: it grows with every revocation, never shrinks."""
        with translated_failures(), self._engine.connect() as connection:
            return int(statement_at_a_time(connection).execute(_REVOCATIONS).scalar_one())

    def mark_used(self, key_id: str) -> None:
        """Record that a key was just used."""
        with translated_failures(), self._engine.begin() as connection:
            connection.execute(
                update(api_keys).where(api_keys.c.id == key_id)
                .values(last_used_at=self._clock())
            )

    def list(self) -> list[ApiKeyInfo]:
        """Every key, active and revoked, oldest first."""
        with translated_failures(), self._engine.connect() as connection:
            rows = connection.execute(select(api_keys).order_by(api_keys.c.created_at))
            return [_info(row._asdict()) for row in rows]

    def revoke(self, name: str) -> ApiKeyInfo:
        """Revoke the active key called `name`; it stops working at once everywhere."""
        with translated_failures(), self._engine.begin() as connection:
            row = connection.execute(
                update(api_keys)
                .where(api_keys.c.name == name, api_keys.c.revoked_at.is_(None))
                .values(revoked_at=self._clock())
                .returning(*api_keys.c)
            ).first()
        if row is None:
            raise UnknownKeyName(name)
        return _info(row._asdict())


def _info(row: dict[str, Any] | Row[Any]) -> ApiKeyInfo:
    values = row if isinstance(row, dict) else row._asdict()
    return ApiKeyInfo(
        key_id=values["id"], name=values["name"], role=Role(values["role"]),
        shown_prefix=values["shown_prefix"], created_at=values["created_at"],
        last_used_at=values["last_used_at"], revoked_at=values["revoked_at"],
    )
