"""Page cursors: only the exact text handed out opens; any alteration is refused."""

from __future__ import annotations

import base64

import pytest

from order_service.api.cursors import CursorCodec
from order_service.api.errors import BadCursor

CODEC = CursorCodec(b"a-shops-cursor-secret")
KIND = "orders-before"


def _same_bytes_other_last_character(part: str) -> list[str]:
    """Spellings of `part` whose last character differs only in bits base64 ignores."""
    decoded = base64.urlsafe_b64decode(part + "=" * (-len(part) % 4))
    alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_"
    others = [part[:-1] + letter for letter in alphabet if letter != part[-1]]
    return [other for other in others
            if base64.urlsafe_b64decode(other + "=" * (-len(other) % 4)) == decoded]


def test_a_cursor_opens_at_the_position_it_was_made_for() -> None:
    assert CODEC.decode(KIND, CODEC.encode(KIND, 1234)) == 1234


@pytest.mark.parametrize("alter", [
    pytest.param(lambda cursor: cursor + "=", id="padding-appended"),
    pytest.param(lambda cursor: cursor + "==", id="two-paddings-appended"),
    pytest.param(lambda cursor: cursor.replace(".", "=."), id="padding-inside"),
    pytest.param(lambda cursor: cursor + "A", id="letter-appended"),
    pytest.param(lambda cursor: cursor + " ", id="space-appended"),
    pytest.param(lambda cursor: cursor + ".", id="dot-appended"),
    pytest.param(lambda cursor: cursor.replace(".", ".."), id="dot-doubled"),
    pytest.param(lambda cursor: cursor.replace("-", "+").replace("_", "/") + "+/",
                 id="standard-base64-alphabet"),
])
def test_a_cursor_with_anything_added_or_changed_is_refused(alter: object) -> None:
    cursor = CODEC.encode(KIND, 1234)

    with pytest.raises(BadCursor):
        CODEC.decode(KIND, alter(cursor))  # type: ignore[operator]


def test_a_cursor_whose_last_character_differs_only_in_ignored_bits_is_refused() -> None:
    # "orders-before:12345" is 19 bytes: its last base64 character holds 4 unused bits.
    cursor = CODEC.encode(KIND, 12345)
    payload, signature = cursor.split(".")
    respelled = _same_bytes_other_last_character(payload)
    assert respelled, "the payload's last character must carry unused bits for this test"

    for other in respelled:
        with pytest.raises(BadCursor):
            CODEC.decode(KIND, f"{other}.{signature}")
