"""The per-key rate limit (api.rate_limit.KeyRateLimiter): a token bucket for each key.

That a key over its limit gets a 429 problem with Retry-After, and that no limit is the
default, is tests/e2e/test_edge.py's.
"""

from __future__ import annotations

import pytest

from order_service.api.errors import RateLimited
from order_service.api.rate_limit import KeyRateLimiter


def test_a_key_may_make_its_limit_in_a_burst_and_is_refused_the_next() -> None:
    limiter = KeyRateLimiter(per_minute=3)
    for _ in range(3):
        limiter.take("key-till")

    with pytest.raises(RateLimited):
        limiter.take("key-till")


def test_the_limit_is_each_keys_own() -> None:
    limiter = KeyRateLimiter(per_minute=3)
    for _ in range(3):
        limiter.take("key-till")

    limiter.take("key-web")  # not refused: the till spent only its own allowance


# 60 a minute refill one a second; 6 a minute, one every 10 s.
@pytest.mark.parametrize(("per_minute", "seconds"), [(60, 1), (6, 10)])
def test_a_refused_key_is_told_to_retry_once_a_request_is_refilled(per_minute: int,
                                                                   seconds: int) -> None:
    limiter = KeyRateLimiter(per_minute=per_minute)
    for _ in range(per_minute):
        limiter.take("key-till")

    with pytest.raises(RateLimited) as refused:
        limiter.take("key-till")

    assert refused.value.retry_after_seconds == seconds
    assert f"retry in {seconds} s" in str(refused.value)


def test_a_refused_key_may_send_again_once_its_allowance_has_refilled() -> None:
    now = [100.0]
    limiter = KeyRateLimiter(per_minute=6, monotonic=lambda: now[0])
    for _ in range(6):
        limiter.take("key-till")
    with pytest.raises(RateLimited):
        limiter.take("key-till")

    now[0] += 10  # one request refilled
    limiter.take("key-till")
    with pytest.raises(RateLimited):
        limiter.take("key-till")
