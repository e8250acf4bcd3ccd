"""Authentication by API key (Authorization: Bearer) and the permission each route needs."""

from __future__ import annotations

import time
from collections.abc import Awaitable, Callable
from typing import Annotated

import anyio
from fastapi import Depends, Request, Security
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer

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
    limiter: KeyRateLimiter | None = request.app.state.rate_limiter
    if limiter is not None:
        limiter.take(principal.key_id)
    await _mark_used_now_and_then(request, keys, principal)
    return principal


async def _mark_used_now_and_then(request: Request, keys: ApiKeys, principal: Principal
                                  ) -> None:
    last_marked: dict[str, float] = request.app.state.keys_marked_used
    now = time.monotonic()
    if now - last_marked.get(principal.key_id, -MARK_USED_EVERY_SECONDS) >= MARK_USED_EVERY_SECONDS:
        last_marked[principal.key_id] = now
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
