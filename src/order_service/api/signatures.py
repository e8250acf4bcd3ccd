"""Stripe-style signatures on payment-gateway notifications.

The gateway sends `Signature: t=<unix seconds>,v1=<hex>`, where the hex is
HMAC-SHA256(secret, "<t>." + raw body). The timestamp is signed too, so a captured
notification cannot be replayed after the tolerance window; several `v1=` values (and
several configured secrets) let the shared secret be rotated without downtime.
"""

from __future__ import annotations

import hashlib
import hmac
import re
from collections.abc import Sequence

from order_service.api.errors import BadSignature

SIGNATURE_HEADER = "Signature"
DEFAULT_TOLERANCE_SECONDS = 300
# A v1 value is a hex SHA-256 digest; anything else (other characters, non-ASCII bytes)
# could never match, and compare_digest refuses non-ASCII text with a TypeError.
_HEX_DIGEST = re.compile(r"[0-9a-f]{64}")


def sign(body: bytes, secret: str, timestamp: int) -> str:
    """The Signature header value a gateway sends for `body` at `timestamp`."""
    return f"t={timestamp},v1={_digest(body, secret, timestamp)}"


def verify(header: str | None, body: bytes, secrets: Sequence[str], *, now: float,
           tolerance_seconds: int = DEFAULT_TOLERANCE_SECONDS) -> None:
    """Return if `header` signs `body` with one of `secrets` within the tolerance."""
    if not header:
        raise BadSignature(f"the {SIGNATURE_HEADER} header is missing: a payment notification "
                           "must be signed by the gateway (t=<unix>,v1=<hex>)")
    timestamp, signatures = _parse(header)
    if abs(now - timestamp) > tolerance_seconds:
        raise BadSignature(f"the signature's timestamp is more than {tolerance_seconds} s "
                           "from now; check the gateway's clock, or this is a replay")
    expected = [_digest(body, secret, timestamp) for secret in secrets]
    # Compare every pair in constant time: which one failed must not leak through timing.
    matched = False
    for candidate in signatures:
        for digest in expected:
            matched |= hmac.compare_digest(candidate, digest)
    if not matched:
        raise BadSignature("the signature does not match: check the shared secret "
                           "(ORDER_SERVICE_PAYMENT_GATEWAY_SECRET) and that the raw body "
                           "is signed unchanged")


def _parse(header: str) -> tuple[int, list[str]]:
    timestamp: int | None = None
    signatures: list[str] = []
    for part in header.split(","):
        name, _, value = part.strip().partition("=")
        if name == "t" and value.isascii() and value.isdigit() and len(value) <= 12:
            timestamp = int(value)
        elif name == "v1" and _HEX_DIGEST.fullmatch(value.strip().lower()):
            signatures.append(value.strip().lower())
    if timestamp is None or not signatures:
        raise BadSignature(f"the {SIGNATURE_HEADER} header must look like t=<unix>,v1=<hex>, "
                           "the hex being the 64 digits of an HMAC-SHA256")
    return timestamp, signatures


def _digest(body: bytes, secret: str, timestamp: int) -> str:
    signed = str(timestamp).encode() + b"." + body
    return hmac.new(secret.encode(), signed, hashlib.sha256).hexdigest()
