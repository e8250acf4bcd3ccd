"""Page cursors: only the exact text handed out opens; any alteration is refused."""

from __future__ import annotations

import base64
import hashlib
import hmac

import pytest

from order_service.api.cursors import SIGNATURE_BYTES, CursorCodec
from order_service.api.errors import BadCursor

SECRET = b"a-shops-cursor-secret"
CODEC = CursorCodec(SECRET)
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


@pytest.mark.parametrize("cursor", ["abc", "", ".", "abc.def", "not a cursor!",
                                    "ZXhwb3J0LTE6Mg", "ZXhwb3J0LTE6Mg.", "%00", "é.é", "A" * 5000])
def test_a_garbled_cursor_is_refused(cursor: str) -> None:
    with pytest.raises(BadCursor):
        CODEC.decode(KIND, cursor)


def _b64(raw: bytes) -> str:
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def _signed(payload: str) -> str:
    """A cursor of any payload, signed with the shop's secret as the service signs."""
    raw = payload.encode()
    signature = hmac.new(SECRET, raw, hashlib.sha256).digest()[:SIGNATURE_BYTES]
    return f"{_b64(raw)}.{_b64(signature)}"


@pytest.mark.parametrize("payload", [
    f"{KIND}:", f"{KIND}:-5", f"{KIND}:abc", f"{KIND}:²", f"{KIND}:" + "9" * 19,
    f"{KIND}:1:2", f"{KIND}12",
])
def test_a_signed_cursor_without_a_plain_position_is_refused(payload: str) -> None:
    with pytest.raises(BadCursor):
        CODEC.decode(KIND, _signed(payload))


def test_a_position_of_18_digits_is_the_longest_that_opens() -> None:
    assert CODEC.decode(KIND, _signed(f"{KIND}:" + "9" * 18)) == 10**18 - 1


@pytest.mark.parametrize("payload", [f"{KIND}:0", f"{KIND}:5000", "export-abc:1234"])
def test_a_cursor_edited_to_another_position_or_listing_is_refused(payload: str) -> None:
    _, signature = CODEC.encode(KIND, 1234).split(".")

    with pytest.raises(BadCursor):
        CODEC.decode(KIND, f"{_b64(payload.encode())}.{signature}")


def test_a_cursor_with_the_signature_of_another_cursor_is_refused() -> None:
    first, second = CODEC.encode(KIND, 1), CODEC.encode(KIND, 2)

    with pytest.raises(BadCursor):
        CODEC.decode(KIND, first.split(".")[0] + "." + second.split(".")[1])


def test_a_cursor_of_another_listing_is_refused() -> None:
    with pytest.raises(BadCursor):
        CODEC.decode("export-abc", CODEC.encode(KIND, 1234))


def test_a_cursor_signed_with_another_secret_is_refused() -> None:
    foreign = CursorCodec(b"another-shops-secret").encode(KIND, 1234)

    with pytest.raises(BadCursor):
        CODEC.decode(KIND, foreign)
