"""Authentication by API key (Authorization: Bearer) and the permission each route needs."""

from __future__ import annotations

import time
from collections.abc import Awaitable, Callable
from typing import Annotated

import anyio
from fastapi import Depends, Request, Security
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer
from starlette.applications import Starlette

from order_service.api.errors import Unauthenticated
from order_service.api.rate_limit import KeyRateLimiter
from order_service.application.access import ApiKeys, Permission, Principal, require

bearer = HTTPBearer(
    auto_error=False,
    scheme_name="ApiKey",
    description="An API key (`os_live_...`), sent as `Authorization: Bearer <key>`. "
    "Create one with `order-service api-key create --role merchant|storefront --name NAME`.",
)

# Writing last_used_at on every request would turn every read into a write; once a
# minute per key and worker is plenty for "when was this key last used".
MARK_USED_EVERY_SECONDS = 60.0

# The scope key naming the key a request was already admitted with (see admit), by a
# layer that answers some requests before routing and passes the others on.
ADMITTED = "order_service.admitted_key"


async def authenticate(
    request: Request,
    credentials: Annotated[HTTPAuthorizationCredentials | None, Security(bearer)],
) -> Principal:
    """The API key the request was made with, or Unauthenticated (401)."""
    if credentials is None:
        raise Unauthenticated(key_given=False)
    keys: ApiKeys = request.app.state.key_cache
    # A key verified recently is answered from memory, on the event loop; only an
    # unknown one costs a thread and a database round trip.
    principal = keys.cached(credentials.credentials)
    if principal is None:
        principal = await anyio.to_thread.run_sync(keys.authenticate, credentials.credentials)
    if principal is None:
        raise Unauthenticated(key_given=True)
    if request.scope.get(ADMITTED) != principal.key_id:
        await admit(request.app, principal)
    return principal


def remembered(app: Starlette, authorization: str | None) -> Principal | None:
    """The key an Authorization header names, if this worker verified it recently."""
    scheme, _, token = (authorization or "").partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        return None
    keys: ApiKeys = app.state.key_cache
    return keys.cached(token.strip())


async def admit(app: Starlette, principal: Principal) -> None:
    """What every authenticated request pays: its key's rate limit, and now and then a
    note of when the key was last used. Raises RateLimited (429)."""
    limiter: KeyRateLimiter | None = app.state.rate_limiter
    if limiter is not None:
        limiter.take(principal.key_id)
    last_marked: dict[str, float] = app.state.keys_marked_used
    now = time.monotonic()
    if now - last_marked.get(principal.key_id, -MARK_USED_EVERY_SECONDS) >= MARK_USED_EVERY_SECONDS:
        last_marked[principal.key_id] = now
        keys: ApiKeys = app.state.key_cache
        await anyio.to_thread.run_sync(keys.mark_used, principal.key_id)


PrincipalDep = Annotated[Principal, Depends(authenticate)]


def allowed(permission: Permission) -> Callable[[Principal], Awaitable[Principal]]:
    """A dependency that lets the request through only if its key grants `permission`."""

    async def check(principal: PrincipalDep) -> Principal:
        require(principal, permission)
        return principal

    check.permission = permission  # type: ignore[attr-defined]
    check.__name__ = f"allowed_to_{permission.name.lower()}"
    return check
