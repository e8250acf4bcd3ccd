"""The order page's emails: each timeline entry shows the email its event made (or why
none went out, or that it is still to come), and its Resend queues the email again.

No mail server takes these emails: the follower the app runs keeps retrying the unreachable
one and records nothing, so what the page shows comes from the rows each test writes into
the ledger itself, under the event ids the event feed gives.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Engine, insert, select, update

from order_service.adapters.sql.tables import email_log, email_resends
from order_service.api.admin.formatting import moment
from order_service.application.access import Role
from order_service.settings import Settings
from tests.api_keys import app_client, create_key_on, key_name
from tests.e2e.back_office import Page, get, sign_in, submit
from tests.e2e.builders import create_product, create_shipping_method, get_json, line, place_order

ON_SQLITE = pytest.mark.parametrize("backend", ["sqlite"], indirect=True)
Json = dict[str, Any]
CUSTOMER = "ana@example.com"
SENT_AT = datetime(2026, 11, 26, 15, 12, tzinfo=UTC)


@dataclass
class Merchant:
    """A signed-in back office, the name of its key, and the shop's settings."""

    client: TestClient
    name: str
    settings: Settings


def _signed_in(settings: Settings, engine: Engine) -> Iterator[Merchant]:
    name = key_name(Role.MERCHANT)
    token = create_key_on(engine, Role.MERCHANT, name)
    with app_client(settings, token) as client:
        sign_in(client, token)
        yield Merchant(client, name, settings)


@pytest.fixture
def mailing(settings: Settings, engine: Engine) -> Iterator[Merchant]:
    """The back office of a shop that sends order emails (through a server that is down)."""
    sending = settings.model_copy(update={"smtp_url": "smtp://127.0.0.1:1",
                                          "mail_from": "shop@example.com"})
    yield from _signed_in(sending, engine)


@pytest.fixture
def silent(settings: Settings, engine: Engine) -> Iterator[Merchant]:
    """The back office of a shop that sends no emails (no SMTP server set)."""
    yield from _signed_in(settings, engine)


def _shipped_order(client: TestClient) -> Json:
    sku = create_product(client, stock=5)["sku"]
    order = place_order(client, [line(sku, 1)], create_shipping_method(client)["code"])
    assert client.post(f"/v1/orders/{order['id']}/pay").status_code == 200
    assert client.post(f"/v1/orders/{order['id']}/ship").status_code == 200
    return order


def _event(client: TestClient, order: Json, event_type: str) -> Json:
    """The order's event of `event_type` as the event feed gives it (its id, position)."""
    feed = get_json(client, "/v1/events", params={"limit": 1000})["items"]
    found = [event for event in feed if event["type"] == event_type
             and event["data"].get("order_id") == order["id"]]
    assert len(found) == 1, found
    event: Json = found[0]
    return event


def _record(engine: Engine, order: Json, event: Json, *, kind: str, subject: str,
            outcome: str = "sent", reason: str | None = None) -> None:
    """What the follower would have recorded for the email of `event`."""
    with engine.begin() as connection:
        connection.execute(insert(email_log).values(
            event_id=event["id"], position=event["position"], order_id=uuid.UUID(order["id"]),
            kind=kind, recipient=CUSTOMER, subject=subject,
            message_id=f"<{event['id']}@order-service>", outcome=outcome, reason=reason,
            at=SENT_AT))


def _resends(engine: Engine, event: Json) -> list[Any]:
    with engine.connect() as connection:
        return list(connection.execute(
            select(email_resends).where(email_resends.c.event_id == event["id"])))


def _entry(page: Page, title: str) -> str:
    """The text of the timeline entry titled `title`, its emails included."""
    found = [text for text in page.texts("timeline-entry") if text.startswith(title)]
    assert len(found) == 1, page.texts("timeline-entry")
    return found[0]


def _resend_forms(page: Page, order: Json) -> list[str]:
    """The positions of the entries that offer a Resend."""
    action = f"/admin/orders/{order['id']}/emails/resend"
    return [form.fields["position"] for form in page.forms() if form.action == action]


def test_a_sent_email_shows_under_its_timeline_entry_with_its_subject_and_time(
        mailing: Merchant, engine: Engine) -> None:
    order = _shipped_order(mailing.client)
    shipped = _event(mailing.client, order, "OrderShipped")
    subject = f"Your order #{order['number']} has shipped"
    _record(engine, order, shipped, kind="shipped", subject=subject)

    page = get(mailing.client, f"/admin/orders/{order['id']}")

    when = moment(SENT_AT, mailing.settings.zone())
    assert _entry(page, "Shipped").endswith(f"Email sent to {CUSTOMER}: '{subject}' · {when} "
                                            "Resend")
    assert _resend_forms(page, order) == [str(shipped["position"])]


def test_a_refused_email_shows_the_reason_the_mail_server_gave(mailing: Merchant,
                                                                engine: Engine) -> None:
    order = _shipped_order(mailing.client)
    placed = _event(mailing.client, order, "OrderPlaced")
    _record(engine, order, placed, kind="placed", subject="Thank you for your order",
            outcome="refused", reason="550 5.1.1 <ana@example.com>: no such user")

    page = get(mailing.client, f"/admin/orders/{order['id']}")

    assert "Email not sent: 550 5.1.1 <ana@example.com>: no such user · " in _entry(
        page, "Order placed")
    assert _resend_forms(page, order) == [str(placed["position"])]


def test_an_email_the_follower_has_not_reached_shows_as_pending(mailing: Merchant) -> None:
    order = _shipped_order(mailing.client)

    page = get(mailing.client, f"/admin/orders/{order['id']}")

    for title in ("Order placed", "Paid", "Shipped"):
        assert _entry(page, title).endswith("Email pending"), title
    assert _resend_forms(page, order) == []
    assert page.texts("emails-off") == []


def test_with_emails_off_the_page_says_so_once_and_nothing_else_about_emails(
        silent: Merchant) -> None:
    order = _shipped_order(silent.client)

    page = get(silent.client, f"/admin/orders/{order['id']}")

    assert page.texts("timeline-email") == []
    assert _resend_forms(page, order) == []
    assert page.texts("emails-off") == [
        "Order emails are off (ORDER_SERVICE_SMTP_URL is not set)."]


def test_resend_queues_the_email_once_and_the_entry_shows_it_queued(
        mailing: Merchant, engine: Engine) -> None:
    order = _shipped_order(mailing.client)
    shipped = _event(mailing.client, order, "OrderShipped")
    _record(engine, order, shipped, kind="shipped", subject="Shipped")
    path = f"/admin/orders/{order['id']}"

    done = submit(mailing.client, get(mailing.client, path), f"{path}/emails/resend",
                  holding={"position": str(shipped["position"])})

    assert done.response.url.path == path
    assert done.flash() == f"The shipped email will be sent again to {CUSTOMER}"
    assert [(row.position, row.order_id, row.requested_by, row.done_at)
            for row in _resends(engine, shipped)] == [
        (shipped["position"], uuid.UUID(order["id"]), mailing.name, None)]
    assert _entry(done, "Shipped").endswith("Resend queued")
    assert _resend_forms(done, order) == []


def test_the_same_resend_form_sent_twice_queues_once(mailing: Merchant,
                                                     engine: Engine) -> None:
    order = _shipped_order(mailing.client)
    paid = _event(mailing.client, order, "OrderPaid")
    _record(engine, order, paid, kind="paid", subject="Paid")
    path = f"/admin/orders/{order['id']}"
    action = f"{path}/emails/resend"
    form = get(mailing.client, path).form(action, position=str(paid["position"]))

    first = mailing.client.post(action, data=form.data(), follow_redirects=True)
    with engine.begin() as connection:  # as the follower marks it once it sent it
        connection.execute(update(email_resends).values(done_at=SENT_AT))
    again = mailing.client.post(action, data=form.data(), follow_redirects=True)

    assert [Page(answer).flash() for answer in (first, again)] == [
        f"The paid email will be sent again to {CUSTOMER}"] * 2
    assert len(_resends(engine, paid)) == 1


def test_an_email_not_sent_yet_cannot_be_resent(mailing: Merchant, engine: Engine) -> None:
    order = _shipped_order(mailing.client)
    shipped = _event(mailing.client, order, "OrderShipped")
    path = f"/admin/orders/{order['id']}"
    page = get(mailing.client, path)
    form = {"csrf_token": page.form("/admin/sign-out").fields["csrf_token"],
            "form_key": uuid.uuid4().hex, "position": str(shipped["position"])}

    refused = Page(mailing.client.post(f"{path}/emails/resend", data=form,
                                       follow_redirects=True))

    assert refused.flash().startswith(f"No email of order #{order['number']} was sent again")
    assert _resends(engine, shipped) == []


@ON_SQLITE
def test_with_emails_off_a_resend_is_refused(silent: Merchant, engine: Engine) -> None:
    order = _shipped_order(silent.client)
    shipped = _event(silent.client, order, "OrderShipped")
    path = f"/admin/orders/{order['id']}"
    form = {"csrf_token": get(silent.client, path).form("/admin/sign-out").fields["csrf_token"],
            "form_key": uuid.uuid4().hex, "position": str(shipped["position"])}

    refused = Page(silent.client.post(f"{path}/emails/resend", data=form,
                                      follow_redirects=True))

    assert refused.flash() == (f"No email of order #{order['number']} was sent again "
                               "Order emails are off (ORDER_SERVICE_SMTP_URL is not set).")
    assert _resends(engine, shipped) == []


@ON_SQLITE
def test_a_storefront_or_a_browser_without_a_session_cannot_resend(
        mailing: Merchant, engine: Engine) -> None:
    order = _shipped_order(mailing.client)
    shipped = _event(mailing.client, order, "OrderShipped")
    _record(engine, order, shipped, kind="shipped", subject="Shipped")
    action = f"/admin/orders/{order['id']}/emails/resend"
    form = get(mailing.client, f"/admin/orders/{order['id']}").form(action).data()
    storefront = create_key_on(engine, Role.STOREFRONT)

    with app_client(mailing.settings, storefront) as stranger:
        # A storefront key may not sign in, and a key alone (without a session) is no
        # session; neither is the merchant's form with its CSRF token.
        refused = [stranger.post(action, data=form, follow_redirects=False),
                   stranger.post(action, data=form, headers={"Authorization": ""},
                                 follow_redirects=False)]
        assert sign_in(stranger, storefront).response.status_code == 403

    assert [(answer.status_code, answer.headers["location"].split("?")[0])
            for answer in refused] == [(303, "/admin/sign-in")] * 2
    assert _resends(engine, shipped) == []
