"""The payment gateway's signed notifications, end to end over HTTP, on both databases.

Notifications are signed with examples/sign_notification.py, exactly as the README tells
a gateway integrator to do it. That one seen before changes nothing and is answered alike
is tests/unit/test_payment_notification_rules.py's and tests/contract/'s
(test_payment_notification_ids.py).
"""

from __future__ import annotations

import json
import time
import uuid
from collections.abc import Iterator
from typing import Any

import pytest
from fastapi.testclient import TestClient

from order_service.settings import Settings
from tests.api_keys import app_client
from tests.e2e.builders import create_product, create_shipping_method, get_json, line, place_order
from tests.e2e.expectations import assert_problem
from tests.example_scripts import load_example

SECRET = "whsec_test_3f9a1c"
NOTIFICATIONS = "/v1/payment-notifications"


gateway = load_example("sign_notification")


@pytest.fixture
def shop(settings: Settings, merchant_key: str) -> Iterator[TestClient]:
    """The app with the gateway's secret configured, as the merchant."""
    configured = settings.model_copy(update={"payment_gateway_secret": (SECRET,)})
    with app_client(Settings.model_validate(configured.model_dump()), merchant_key) as client:
        yield client


def _order(client: TestClient) -> dict[str, Any]:
    sku = create_product(client, price=4990, stock=5)["sku"]
    return place_order(client, [line(sku, 1)], create_shipping_method(client)["code"])


def _notify(client: TestClient, body: bytes, *, secret: str = SECRET,
            at: int | None = None, header: str | None = None) -> Any:
    signature = header or gateway.signature(body, secret, at or int(time.time()))
    # No API key: the gateway has none, and must not need one.
    return client.post(NOTIFICATIONS, content=body, headers={
        "Content-Type": "application/json", "Signature": signature, "Authorization": ""})


def _body(order: dict[str, Any], **overrides: Any) -> bytes:
    fields = {"amount": order["total"], "currency": order["currency"],
              "notification_id": f"evt_{uuid.uuid4().hex[:12]}"} | overrides
    return gateway.notification_body(order["id"], **fields)


def _history(client: TestClient, order: dict[str, Any]) -> list[str]:
    return [event["type"] for event in get_json(client, f"/v1/orders/{order['id']}/events")]


def test_a_signed_success_for_the_total_pays_the_order(shop: TestClient) -> None:
    order = _order(shop)

    response = _notify(shop, _body(order, payment_reference="pi_42"))

    assert response.status_code == 200, response.text
    assert response.json()["applied"] is True
    paid = get_json(shop, f"/v1/orders/{order['id']}")
    assert paid["status"] == "paid"
    assert paid["payment_reference"] == "pi_42"
    assert _history(shop, order) == ["OrderPlaced", "PaymentNotified", "OrderPaid"]
    history = get_json(shop, f"/v1/orders/{order['id']}/events")
    assert [event["by"] for event in history[1:]] == ["payment gateway", "payment gateway"]


# Every reason a notification is only recorded is the domain's (tests/unit); here, how
# one looks over HTTP, and that the body's status reaches the shop.
@pytest.mark.parametrize(("change", "reason"), [
    ({"amount_delta": -1}, "amount_mismatch"),
    ({"status": "failed"}, "payment_failed"),
])
def test_a_notification_that_does_not_match_is_recorded_and_leaves_the_order_pending(
    shop: TestClient, change: dict[str, Any], reason: str
) -> None:
    order = _order(shop)
    overrides: dict[str, Any] = {k: v for k, v in change.items() if k != "amount_delta"}
    overrides["amount"] = order["total"] + change.get("amount_delta", 0)

    response = _notify(shop, _body(order, **overrides))

    assert response.status_code == 200, response.text
    assert response.json()["applied"] is False
    assert response.json()["reason"] == reason
    seen = get_json(shop, f"/v1/orders/{order['id']}")
    assert seen["status"] == "pending_payment"
    (recorded,) = seen["payment_notifications"]
    assert (recorded["applied"], recorded["reason"]) == (False, reason)
    assert _history(shop, order) == ["OrderPlaced", "PaymentNotified"]


# Which signatures are refused, and why, is tests/unit/test_signatures.py's.
def test_a_notification_not_signed_right_is_refused_401_and_changes_nothing(
    shop: TestClient,
) -> None:
    order = _order(shop)

    response = _notify(shop, _body(order), secret="whsec_other")

    problem = assert_problem(response, 401)
    assert "signature" in problem["detail"].lower()
    assert get_json(shop, f"/v1/orders/{order['id']}")["status"] == "pending_payment"
    assert _history(shop, order) == ["OrderPlaced"]


def test_a_second_signature_from_the_previous_secret_is_accepted_while_rotating(
    settings: Settings, merchant_key: str
) -> None:
    rotating = Settings.model_validate(
        settings.model_dump() | {"payment_gateway_secret": "whsec_new,whsec_old"})
    with app_client(rotating, merchant_key) as client:
        order = _order(client)
        body = _body(order)

        response = _notify(client, body, secret="whsec_old")

        assert response.json()["applied"] is True


def test_a_notification_for_an_unknown_order_is_a_404(shop: TestClient) -> None:
    body = gateway.notification_body(str(uuid.uuid4()), 100, "EUR")

    assert_problem(_notify(shop, body), 404)


def test_a_signed_but_malformed_notification_is_a_422(shop: TestClient) -> None:
    order = _order(shop)
    body = json.dumps({"id": "evt_x", "order_id": order["id"], "status": "maybe",
                       "amount": 1.5, "currency": "EUR"}).encode()

    problem = assert_problem(_notify(shop, body), 422)

    assert {e["pointer"] for e in problem["errors"]} >= {"#/status", "#/amount"}


def test_without_a_configured_secret_every_notification_is_refused(client: TestClient) -> None:
    order = _order(client)

    problem = assert_problem(_notify(client, _body(order)), 503)

    assert "ORDER_SERVICE_PAYMENT_GATEWAY_SECRET" in problem["detail"]


