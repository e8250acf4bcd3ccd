"""API keys for tests: every /v1 route needs `Authorization: Bearer <key>`.

Keys are made the way the service makes them (SqlApiKeys on the test's own database),
under generated names, so a test never shares a key with another. Clients built here
send their key on every request by default; a request may still replace or drop it.
"""

from __future__ import annotations

import uuid
from datetime import UTC, datetime

from fastapi.testclient import TestClient
from sqlalchemy import Engine

from order_service.adapters.sql.api_keys import SqlApiKeys
from order_service.adapters.sql.engine import make_engine
from order_service.api.app import create_app
from order_service.application.access import Role
from order_service.settings import Settings

AUTHORIZATION = "Authorization"


def utc_now() -> datetime:
    """The clock keys are stamped with."""
    return datetime.now(UTC)


def key_name(role: Role) -> str:
    """A key name no other key in any test uses."""
    return f"test-{role.value}-{uuid.uuid4().hex[:10]}"


def create_key_on(engine: Engine, role: Role = Role.MERCHANT, name: str | None = None) -> str:
    """A new active key of `role` in the database of `engine`; the token."""
    token, _ = SqlApiKeys(engine, utc_now).create(name or key_name(role), role)
    return token


def create_key(database_url: str, role: Role = Role.MERCHANT, name: str | None = None) -> str:
    """A new active key of `role` in the database at `database_url`; the token."""
    engine = make_engine(database_url, pool_size=1)
    try:
        return create_key_on(engine, role, name)
    finally:
        engine.dispose()


def bearer(token: str) -> dict[str, str]:
    """The header that authenticates a request with `token`."""
    return {AUTHORIZATION: f"Bearer {token}"}


def app_client(settings: Settings, token: str) -> TestClient:
    """An in-process client on a fresh app with `settings`, sending `token` by default.

    Use it as a context manager (`with app_client(...) as client:`) so the app's
    lifespan (its engine) runs.
    """
    return TestClient(create_app(settings), raise_server_exceptions=False,
                      headers=bearer(token))
