"""A per-key rate limit: a token bucket for each API key, in each worker process.

Kept in the process rather than the database so that it costs nothing per request; with
N workers (or instances) a key can make up to N times the limit, which is what the
README tells operators to size it for.
"""

from __future__ import annotations

import math
import threading
import time
from collections.abc import Callable

from order_service.api.errors import RateLimited


class KeyRateLimiter:
    """Allow `per_minute` requests per key, refilled continuously, in bursts up to that."""

    def __init__(self, per_minute: int,
                 monotonic: Callable[[], float] = time.monotonic) -> None:
        self._monotonic = monotonic
        self._capacity = float(per_minute)
        self._refill_per_second = per_minute / 60.0
        self._buckets: dict[str, tuple[float, float]] = {}
        self._lock = threading.Lock()

    def take(self, key_id: str) -> None:
        """Spend one request of `key_id`'s allowance, or raise RateLimited."""
        now = self._monotonic()
        with self._lock:
            tokens, then = self._buckets.get(key_id, (self._capacity, now))
            tokens = min(self._capacity, tokens + (now - then) * self._refill_per_second)
            if tokens < 1.0:
                self._buckets[key_id] = (tokens, now)
                wait = (1.0 - tokens) / self._refill_per_second
                raise RateLimited(max(1, math.ceil(wait)))
            self._buckets[key_id] = (tokens - 1.0, now)
