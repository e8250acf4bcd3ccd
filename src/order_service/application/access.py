"""Who may do what: roles, the permissions they grant, and the check.

A route states the permission it needs; the check lives here, not in the route, so a
route that forgets to state one is caught by the test that walks every route.
"""

from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum
from typing import Protocol

from order_service.application.errors import Forbidden


class Role(StrEnum):
    """What an API key is for."""

    MERCHANT = "merchant"
    STOREFRONT = "storefront"


class Permission(StrEnum):
    """One kind of access a route needs."""

    READ_CATALOGUE = "read the catalogue"
    MANAGE_CATALOGUE = "change the catalogue"
    PLACE_ORDERS = "place orders"
    READ_OWN_ORDERS = "read the orders it placed"
    READ_ALL_ORDERS = "read every order"
    MANAGE_ORDERS = "pay, ship or cancel orders"
    EXPORT = "export the order history"
    READ_REPORTS = "read reports"
    FOLLOW_EVENTS = "read the event feed"


ROLE_PERMISSIONS: dict[Role, frozenset[Permission]] = {
    Role.MERCHANT: frozenset(Permission),
    Role.STOREFRONT: frozenset({
        Permission.READ_CATALOGUE, Permission.PLACE_ORDERS, Permission.READ_OWN_ORDERS,
    }),
}


@dataclass(frozen=True, slots=True)
class Principal:
    """The API key a request was made with."""

    key_id: str
    name: str
    role: Role

    def may(self, permission: Permission) -> bool:
        """Whether this key's role grants `permission`."""
        return permission in ROLE_PERMISSIONS[self.role]

    def sees_every_order(self) -> bool:
        """Merchants see every order; a storefront only those it placed."""
        return self.may(Permission.READ_ALL_ORDERS)


def require(principal: Principal, permission: Permission) -> None:
    """Refuse the request unless the principal's role grants `permission`."""
    if not principal.may(permission):
        roles = sorted(role.value for role, granted in ROLE_PERMISSIONS.items()
                       if permission in granted)
        raise Forbidden(principal, permission, roles)


# -- API keys ---------------------------------------------------------------------------

KEY_PREFIX = "os_live_"
# 32 random bytes: far beyond guessing, so a fast hash (SHA-256) is enough to store them;
# slow password hashes exist for low-entropy secrets that people choose.
KEY_BYTES = 32
SHOWN_PREFIX_LENGTH = len(KEY_PREFIX) + 4


def new_api_key() -> str:
    """A fresh key: the recognisable prefix and 256 random bits, URL-safe."""
    return KEY_PREFIX + secrets.token_urlsafe(KEY_BYTES)


def key_hash(token: str) -> str:
    """What is stored of a key: its SHA-256, never the key itself."""
    return hashlib.sha256(token.encode()).hexdigest()


@dataclass(frozen=True, slots=True)
class ApiKeyInfo:
    """What may be shown of a key after it is created: never the key."""

    key_id: str
    name: str
    role: Role
    shown_prefix: str
    created_at: datetime
    last_used_at: datetime | None
    revoked_at: datetime | None


class ApiKeys(Protocol):
    """What a request needs of the API keys: which key a token is, and that it was used."""

    def cached(self, token: str) -> Principal | None:
        """The key `token` is, if known without asking the store; None: authenticate it."""
        ...

    def authenticate(self, token: str) -> Principal | None:
        """The active key `token` is, or None."""
        ...

    def mark_used(self, key_id: str) -> None:
        """Record that a key was just used."""
        ...


@dataclass(frozen=True, slots=True)
class AdminSession:
    """A live session: the key it was signed in with, and the message waiting for it."""

    principal: Principal
    created_at: datetime
    flash: str | None


class AdminSessions(Protocol):
    """Signed-in sessions of the merchant back office, found by their cookie's token."""

    def start(self, token: str, principal: Principal) -> None:
        """Record a new session of `principal`."""
        ...

    def find(self, token: str) -> AdminSession | None:
        """The live session `token` names, if any."""
        ...

    def leave_flash(self, token: str, flash: str | None) -> None:
        """Keep `flash` for the session's next page (None: nothing to show)."""
        ...

    def end(self, token: str) -> None:
        """Forget the session."""
        ...
