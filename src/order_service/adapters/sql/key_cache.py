"""Verified API keys kept per worker, so that a known key costs no database round trip.

A revocation must still stop a key everywhere within REVOCATION_TAKES_EFFECT_WITHIN: each
worker asks the database every REFRESH_SECONDS how many keys were ever revoked, and drops
every cached key when that count moved. If it cannot ask (the database is slow or down),
it stops trusting its cache once the last answer is older than the bound, and every
request looks its key up again.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable

from order_service.adapters.sql.api_keys import SqlApiKeys
from order_service.application.access import Principal, key_hash

REFRESH_SECONDS = 0.25
REVOCATION_TAKES_EFFECT_WITHIN = 1.0
# A worker sees a few hundred keys at most; the bound only stops a flood of valid keys
# from growing memory without limit.
MAX_CACHED_KEYS = 10_000


class CachedApiKeys:
    """SqlApiKeys' authenticate, answered from memory for keys seen since the last revocation."""

    def __init__(self, keys: SqlApiKeys, monotonic: Callable[[], float] = time.monotonic
                 ) -> None:
        self.keys = keys
        self._monotonic = monotonic
        self._verified: dict[str, Principal] = {}
        self._lock = threading.Lock()
        # Bumped whenever the cache is dropped: a lookup that started before the drop
        # must not put back a key that may have been revoked meanwhile.
        self._epoch = 0
        self._revocations: int | None = None
        self._confirmed_at = float("-inf")

    def cached(self, token: str) -> Principal | None:
        """The key `token` is, if verified recently enough; None means: look it up."""
        return self._remembered(key_hash(token))

    def authenticate(self, token: str) -> Principal | None:
        """The active key `token` is, from memory or from the database."""
        hashed = key_hash(token)
        principal = self._remembered(hashed)
        if principal is not None:
            return principal
        epoch = self._epoch
        principal = self.keys.authenticate_hash(hashed)
        if principal is not None:
            with self._lock:
                if epoch == self._epoch and len(self._verified) < MAX_CACHED_KEYS:
                    self._verified[hashed] = principal
        return principal

    def _remembered(self, hashed: str) -> Principal | None:
        if self._monotonic() - self._confirmed_at > REVOCATION_TAKES_EFFECT_WITHIN:
            return None
        return self._verified.get(hashed)

    def refresh(self) -> None:
        """Ask the database whether any key was revoked; drop the cache if one was."""
        asked_at = self._monotonic()
        revocations = self.keys.revocations()
        with self._lock:
            if revocations != self._revocations:
                self._verified.clear()
                self._epoch += 1
                self._revocations = revocations
            self._confirmed_at = asked_at

    def mark_used(self, key_id: str) -> None:
        """Record that a key was just used."""
        self.keys.mark_used(key_id)
