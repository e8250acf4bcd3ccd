"""Opaque, tamper-evident page cursors for keyset pagination.

A cursor is the position to resume from plus an HMAC of it, so a client cannot edit one
into another position unnoticed; a cursor from another service or a garbled one is a
400, never a silently wrong page.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import re

from order_service.api.errors import BadCursor

SIGNATURE_BYTES = 12


class CursorCodec:
    """Seals and opens cursors with the service's secret."""

    def __init__(self, secret: bytes) -> None:
        self._secret = secret

    def encode(self, kind: str, position: int) -> str:
        """A cursor that resumes at `position` of a listing of `kind`."""
        payload = f"{kind}:{position}".encode()
        return f"{_b64(payload)}.{_b64(self._sign(payload))}"

    def decode(self, kind: str, cursor: str) -> int:
        """The position a cursor of `kind` resumes at, or BadCursor."""
        encoded, _, signature = cursor.partition(".")
        try:
            payload = _unb64(encoded)
            given = _unb64(signature)
        except (binascii.Error, ValueError) as error:
            raise BadCursor from error
        if not hmac.compare_digest(given, self._sign(payload)):
            raise BadCursor
        prefix, _, number = payload.decode(errors="replace").partition(":")
        # isascii: str.isdigit() also accepts digits like '²' that int() refuses.
        if prefix != kind or not (number.isascii() and number.isdigit()) or len(number) > 18:
            raise BadCursor
        return int(number)

    def _sign(self, payload: bytes) -> bytes:
        return hmac.new(self._secret, payload, hashlib.sha256).digest()[:SIGNATURE_BYTES]


def _b64(raw: bytes) -> str:
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


_BASE64URL = re.compile(r"[A-Za-z0-9_-]+")


def _unb64(text: str) -> bytes:
    # Strict: only the alphabet, no padding, and exactly the text _b64 gives for the bytes.
    # The decoder alone would take a cursor with '=' or junk appended, or a last character
    # whose unused bits differ, as the same cursor: any altered cursor is refused instead.
    if not _BASE64URL.fullmatch(text):
        raise ValueError("not base64url")
    raw = base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))
    if _b64(raw) != text:
        raise ValueError("not the canonical base64url of its bytes")
    return raw
