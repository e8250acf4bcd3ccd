"""The order emails against a real SMTP server (aiosmtpd) and a real database.

The follower runs in a thread of its own, as in a server worker; the test's mail server
keeps what it receives.
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import replace
from email.message import EmailMessage
from uuid import UUID, uuid4

import pytest
from sqlalchemy import Engine, select

from order_service.adapters.smtp.mailer import SmtpMailer, SmtpServer
from order_service.adapters.sql.email_ledger import SqlEmailHistory
from order_service.adapters.sql.relay_checkpoints import SqlRelayCheckpoints, relay_lag
from order_service.adapters.sql.tables import email_log
from order_service.application.commands import PayOrder
from order_service.application.email_messages import (
    EMAIL_KINDS,
    MailDeferred,
    MailRefused,
    OrderEmail,
    RenderedEmail,
    message_id,
)
from order_service.application.emails import EMAIL_STREAM
from order_service.application.handlers import Shop
from order_service.application.ports import CommandContext
from order_service.application.queries import get_order
from order_service.application.views import OrderView, StoredEventView
from order_service.bootstrap import build_email_follower, utc_now
from order_service.settings import Settings
from tests.integration.builders import add_product, add_shipping_method, order_of, place
from tests.integration.test_event_relay import RelayThread
from tests.integration.test_rebuild import every_kind_of_event
from tests.jetstream import stored_events
from tests.mail_server import MailServer, mail_server

SHOP = "Tienda Sol <pedidos@tiendasol.example>"


@pytest.fixture
def mail() -> Iterator[MailServer]:
    """A mail server of this test's own."""
    with mail_server() as server:
        yield server


def email_settings(settings: Settings, mail: MailServer) -> Settings:
    """The test's settings, sending through `mail`."""
    return Settings.model_validate({**settings.model_dump(), "smtp_url": mail.url,
                                    "mail_from": SHOP, "relay_lease_seconds": 1.0,
                                    "shop_name": "Tienda Sol"})


@contextmanager
def sending(settings: Settings, engine: Engine, mail: MailServer) -> Iterator[RelayThread]:
    """An email follower sending through `mail` while the block runs."""
    follower = build_email_follower(email_settings(settings, mail), engine)
    running = RelayThread(follower).start()  # type: ignore[arg-type]
    try:
        yield running
    finally:
        running.stop()


def emails_from_here(engine: Engine) -> None:
    """Turn the emails on now: the follower's row, made as its first start makes it (at
    the newest stored event), so that what the test stores next is emailed."""
    SqlRelayCheckpoints(engine, EMAIL_STREAM, "test", from_now=True).observe()


def emailed_events(engine: Engine) -> list[StoredEventView]:
    """The stored events that each make an email, in position order."""
    return [event for event in stored_events(engine) if event.type in EMAIL_KINDS]


def parts(message: EmailMessage) -> list[str]:
    """The content types of a multipart message's parts."""
    return [part.get_content_type() for part in message.iter_parts()]


def test_each_order_event_makes_one_email_to_its_customer_with_both_parts(
    shop: Shop, context: CommandContext, engine: Engine, settings: Settings, mail: MailServer
) -> None:
    emails_from_here(engine)
    every_kind_of_event(shop, context)
    expected = emailed_events(engine)
    assert {EMAIL_KINDS[event.type] for event in expected} == set(EMAIL_KINDS.values())

    with sending(settings, engine, mail) as follower:
        mail.inbox.wait_for(len(expected), alive=follower.alive)
        time.sleep(0.3)  # long enough for a duplicate to show up

    received = mail.inbox.messages
    assert [str(m["Message-ID"]) for m in received] == [message_id(e.id) for e in expected]
    for message, event in zip(received, expected, strict=True):
        order = get_order(shop.storage, UUID(event.data["order_id"]))
        assert message["To"] == order.customer.email
        assert message["From"] == SHOP
        assert f"#{order.number}" in str(message["Subject"])
        assert message.get_content_type() == "multipart/alternative"
        assert parts(message) == ["text/plain", "text/html"]
    with engine.connect() as connection:
        outcomes = connection.execute(select(email_log.c.outcome, email_log.c.kind)).all()
    assert len(outcomes) == len(expected)
    assert {outcome for outcome, _ in outcomes} == {"sent"}


def test_a_mail_server_down_for_a_while_gets_every_email_in_order_once_back(
    shop: Shop, context: CommandContext, engine: Engine, settings: Settings, mail: MailServer
) -> None:
    emails_from_here(engine)
    sku, method = add_product(shop, context, stock=20), add_shipping_method(shop, context)
    for _ in range(3):
        place(shop, context, [(sku, 1)], method)
    mail.stop()

    with sending(settings, engine, mail) as follower:
        time.sleep(1.5)  # the follower tries, fails and backs off
        orders = [place(shop, context, [(sku, 1)], method) for _ in range(3)]
        shop.pay_order(PayOrder(orders[0].id), context)
        assert mail.inbox.messages == []
        mail.start()
        expected = emailed_events(engine)
        mail.inbox.wait_for(len(expected), alive=follower.alive)

    assert mail.inbox.message_ids() == [message_id(event.id) for event in expected]


def test_an_address_refused_for_good_is_recorded_and_the_other_emails_go_out(
    shop: Shop, context: CommandContext, engine: Engine, settings: Settings, mail: MailServer
) -> None:
    emails_from_here(engine)
    sku, method = add_product(shop, context, stock=5), add_shipping_method(shop, context)
    refused = place(shop, context, [(sku, 1)], method)
    mail.inbox.refused_addresses.add(refused.customer.email)
    other = place_for(shop, context, sku, method, "other@example.org")

    with sending(settings, engine, mail) as follower:
        mail.inbox.wait_for(1, alive=follower.alive)
        wait_for_log(engine, 2)

    assert [m["To"] for m in mail.inbox.messages] == [other.customer.email]
    with engine.connect() as connection:
        rows = connection.execute(select(email_log.c.order_id, email_log.c.outcome,
                                         email_log.c.reason).order_by(email_log.c.id)).all()
    assert [(row.order_id, row.outcome) for row in rows] == [(refused.id, "refused"),
                                                              (other.id, "sent")]
    assert "550" in rows[0].reason


def test_of_two_followers_on_one_database_one_sends_each_email(
    shop: Shop, context: CommandContext, engine: Engine, settings: Settings, mail: MailServer
) -> None:
    emails_from_here(engine)
    sku, method = add_product(shop, context, stock=20), add_shipping_method(shop, context)
    with sending(settings, engine, mail) as first, sending(settings, engine, mail) as second:
        for _ in range(8):
            place(shop, context, [(sku, 1)], method)
        expected = emailed_events(engine)
        mail.inbox.wait_for(len(expected), alive=lambda: first.alive() and second.alive())
        time.sleep(0.3)

    assert mail.inbox.message_ids() == [message_id(event.id) for event in expected]


def place_for(shop: Shop, context: CommandContext, sku: str, method: str, email: str
              ) -> OrderView:
    """An order of one `sku` placed by a customer with this `email`."""
    command = order_of([(sku, 1)], method)
    return shop.place_order(replace(command, customer=replace(command.customer, email=email)),
                            context)


def wait_for_log(engine: Engine, count: int) -> None:
    """Wait until the ledger holds `count` emails."""
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        with engine.connect() as connection:
            if len(connection.execute(select(email_log.c.id)).all()) >= count:
                return
        time.sleep(0.05)
    raise AssertionError(f"the ledger never held {count} emails")


# -- the SMTP mailer: what the server's answers mean -------------------------------------


def an_email(to: str) -> OrderEmail:
    return OrderEmail(event_id="e1", position=1, order_id=uuid4(), order_number=7,
                      kind="paid", to=to, message_id=message_id("e1"),
                      rendered=RenderedEmail("Your order #7 is paid", "Paid.", "<p>Paid.</p>"))


def mailer_of(mail: MailServer) -> SmtpMailer:
    return SmtpMailer(SmtpServer.from_url(mail.url), SHOP, utc_now)


def test_the_mailer_hands_over_the_message_with_its_message_id(mail: MailServer) -> None:
    mailer_of(mail).send(an_email("ana@example.com"))

    [message] = mail.inbox.messages
    assert (message["Message-ID"], message["To"]) == (message_id("e1"), "ana@example.com")


def test_a_5xx_for_the_address_is_a_refusal_for_good(mail: MailServer) -> None:
    mail.inbox.refused_addresses.add("gone@example.com")

    with pytest.raises(MailRefused, match="550"):
        mailer_of(mail).send(an_email("gone@example.com"))


def test_a_4xx_or_a_server_down_is_deferred(mail: MailServer) -> None:
    mail.inbox.deferred_addresses.add("busy@example.com")
    mailer = mailer_of(mail)

    with pytest.raises(MailDeferred, match="451"):
        mailer.send(an_email("busy@example.com"))
    mail.stop()
    with pytest.raises(MailDeferred):
        mailer.send(an_email("ana@example.com"))
    assert mail.inbox.messages == []


@pytest.mark.parametrize("url", ["http://mail.example.com", "smtp://", "mail.example.com:25"])
def test_a_url_that_is_no_smtp_server_is_refused_saying_how_to_write_one(url: str) -> None:
    with pytest.raises(ValueError, match="smtp://user:password@"):
        SmtpServer.from_url(url)


def test_an_smtp_url_gives_host_port_tls_and_credentials() -> None:
    server = SmtpServer.from_url("smtps://shop%40example.com:p%3Ass@mail.example.com")

    assert server == SmtpServer(host="mail.example.com", port=465, implicit_tls=True,
                                user="shop@example.com", password="p:ss")


def test_a_customer_named_like_a_script_gets_an_escaped_name_in_the_html_part(
    shop: Shop, context: CommandContext, engine: Engine, settings: Settings, mail: MailServer
) -> None:
    emails_from_here(engine)
    sku, method = add_product(shop, context, stock=5), add_shipping_method(shop, context)
    command = order_of([(sku, 1)], method)
    shop.place_order(replace(command, customer=replace(
        command.customer, name="<script>alert(1)</script>")), context)

    with sending(settings, engine, mail) as follower:
        mail.inbox.wait_for(1, alive=follower.alive)

    [message] = mail.inbox.messages
    text, html = (part.get_content() for part in message.iter_parts())
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html
    assert "<script>" not in html
    assert "<script>alert(1)</script>" in text


def test_a_resend_asked_for_goes_out_once_with_a_message_id_of_its_own(
    shop: Shop, context: CommandContext, engine: Engine, settings: Settings, mail: MailServer
) -> None:
    emails_from_here(engine)
    sku, method = add_product(shop, context, stock=5), add_shipping_method(shop, context)
    order = place(shop, context, [(sku, 1)], method)
    [placed] = emailed_events(engine)

    with sending(settings, engine, mail) as follower:
        mail.inbox.wait_for(1, alive=follower.alive)
        SqlEmailHistory(engine).request_resend(
            event_id=placed.id, position=placed.position, order_id=order.id,
            requested_by="back-office", now=utc_now())
        mail.inbox.wait_for(2, alive=follower.alive)
        time.sleep(0.3)

    assert mail.inbox.message_ids() == [message_id(placed.id), message_id(placed.id, 1)]
    history = SqlEmailHistory(engine)
    assert [record.message_id for record in history.emails_of(order.id)] == [
        message_id(placed.id), message_id(placed.id, 1)]
    assert history.resends_pending(order.id) == []


def test_the_first_start_emails_only_what_happens_from_then_on(
    shop: Shop, context: CommandContext, engine: Engine, settings: Settings, mail: MailServer
) -> None:
    sku, method = add_product(shop, context, stock=5), add_shipping_method(shop, context)
    place(shop, context, [(sku, 1)], method)  # before the emails were turned on
    before = emailed_events(engine)

    with sending(settings, engine, mail) as follower:
        wait_for_checkpoint(engine)
        place(shop, context, [(sku, 1)], method)
        mail.inbox.wait_for(1, alive=follower.alive)
        time.sleep(0.3)

    after = [event for event in emailed_events(engine) if event not in before]
    assert mail.inbox.message_ids() == [message_id(event.id) for event in after]


def wait_for_checkpoint(engine: Engine) -> None:
    """Wait until the follower made its row (on its first start)."""
    deadline = time.monotonic() + 30
    while relay_lag(engine, EMAIL_STREAM).published == 0:
        assert time.monotonic() < deadline, "the follower never made its checkpoint"
        time.sleep(0.05)
