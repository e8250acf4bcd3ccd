"""The payment gateway's signatures: what proves a notification came from the gateway.

Notifications are signed with examples/sign_notification.py, exactly as the README tells
a gateway integrator to do it. That a refused signature is a 401 problem and changes
nothing is tests/e2e/test_payment_notifications.py's.
"""

from __future__ import annotations

import uuid

import pytest

from order_service.api.errors import BadSignature
from order_service.api.signatures import sign, verify
from tests.example_scripts import load_example

SECRET = "whsec_test_3f9a1c"
NOW = 1_773_480_413
BODY = b'{"id":"evt_1","order_id":"o-1","status":"succeeded","amount":6637,"currency":"EUR"}'


gateway = load_example("sign_notification")


def test_a_body_signed_by_the_example_with_the_shared_secret_is_accepted() -> None:
    header = gateway.signature(BODY, SECRET, NOW)

    verify(header, BODY, [SECRET], now=NOW)
    assert header == sign(BODY, SECRET, NOW)


@pytest.mark.parametrize(("header", "complaint"), [
    (gateway.signature(BODY, "whsec_other", NOW), "does not match"),
    (gateway.signature(BODY.replace(b'"EUR"', b'"EUR" '), SECRET, NOW), "does not match"),
    (None, "missing"),
    ("", "missing"),
    ("t=abc,v1=zz", "must look like"),
    (f"t={NOW}", "must look like"),
    (f"v1={'0' * 64}", "must look like"),
    (f"t={NOW},v1=" + "é" * 64, "must look like"),
    (f"t={NOW},v1=" + "ab" * 31 + "éé", "must look like"),
    (f"t={NOW},v1=zz-not-hex", "must look like"),
    (f"t={NOW},v1=" + "ab" * 33, "must look like"),
    (gateway.signature(BODY, SECRET, NOW - 301), "more than 300 s"),
    (gateway.signature(BODY, SECRET, NOW + 301), "more than 300 s"),
], ids=["wrong-secret", "body-changed", "no-header", "empty-header", "garbled",
        "no-signature", "no-timestamp", "non-ascii", "non-ascii-in-a-digest", "not-hex",
        "too-long", "stale", "future"])
def test_a_notification_not_signed_right_is_refused_saying_why(header: str | None,
                                                               complaint: str) -> None:
    with pytest.raises(BadSignature, match=complaint):
        verify(header, BODY, [SECRET], now=NOW)


@pytest.mark.parametrize("age", [-300, 0, 300])
def test_a_signature_within_five_minutes_of_now_either_way_is_accepted(age: int) -> None:
    verify(gateway.signature(BODY, SECRET, NOW - age), BODY, [SECRET], now=NOW)


def test_while_rotating_a_signature_with_the_previous_secret_is_accepted() -> None:
    verify(gateway.signature(BODY, "whsec_old", NOW), BODY, ["whsec_new", "whsec_old"],
           now=NOW)


def test_a_header_with_several_signatures_is_accepted_if_one_matches() -> None:
    old, new = (sign(BODY, secret, NOW).split(",")[1] for secret in ("whsec_old", SECRET))

    verify(f"t={NOW},{old},{new}", BODY, [SECRET], now=NOW)


def test_the_example_prints_a_curl_that_carries_the_signature(
    capsys: pytest.CaptureFixture[str],
) -> None:
    assert gateway.main(["--order-id", str(uuid.uuid4()), "--amount", "6637",
                         "--secret", SECRET]) == 0

    printed = capsys.readouterr().out
    assert printed.startswith("curl -s -X POST")
    assert "Signature: t=" in printed
    assert ",v1=" in printed
