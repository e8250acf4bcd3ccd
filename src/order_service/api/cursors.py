"""Opaque page cursors for keyset pagination."""

from __future__ import annotations

import base64
import binascii


class BadCursor(Exception):
    """A cursor this service did not hand out."""

    def __init__(self) -> None:
        super().__init__("the cursor is not one this service handed out; start from the first page")


def encode_cursor(before_number: int) -> str:
    """A cursor that resumes below order number `before_number`."""
    return base64.urlsafe_b64encode(f"o1:{before_number}".encode()).decode().rstrip("=")


def decode_cursor(cursor: str) -> int:
    """The order number a cursor resumes below, or BadCursor."""
    try:
        raw = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)).decode()
    except (binascii.Error, UnicodeDecodeError, ValueError) as error:
        raise BadCursor from error
    prefix, _, number = raw.partition(":")
    if prefix != "o1" or not number.isdigit() or len(number) > 18:
        raise BadCursor
    return int(number)
