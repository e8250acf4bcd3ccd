"""Order emails from real `order-service` processes to a real SMTP server (aiosmtpd in the
test process): a server killed mid-way, and the commands `send-emails` and
`preview-email`. The follower's own rules are tests/integration/test_order_emails.py's."""

from __future__ import annotations

import os
import signal
import subprocess
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Engine

from order_service.application.email_messages import EMAIL_KINDS, message_id
from tests.e2e.builders import create_product, create_shipping_method, line, place_order
from tests.e2e.live import SERVER_SETTINGS
from tests.e2e.test_event_relay import holder_pid
from tests.integration.test_order_emails import SHOP, emails_from_here, wait_for_log
from tests.jetstream import stored_events
from tests.mail_server import MailServer, mail_server
from tests.servers import COMMAND, Server

TIMEOUT_S = 60.0


@pytest.fixture
def mail() -> Iterator[MailServer]:
    """A mail server of this test's own."""
    with mail_server() as server:
        yield server


def emailing_server(database_url: str, workdir: Path, mail: MailServer) -> Server:
    """A one-worker server sending the order emails through `mail`, with a 1 s lease."""
    return Server(database_url, workdir, settings={
        **SERVER_SETTINGS, "smtp_url": mail.url, "mail_from": SHOP,
        "relay_lease_seconds": "1", "shop_name": "Tienda Sol", "locale": "es"})


def expected_ids(engine: Engine) -> list[str]:
    """The Message-ID of the email of each stored event that makes one, in order."""
    return [message_id(event.id) for event in stored_events(engine)
            if event.type in EMAIL_KINDS]


def place_orders(client: httpx.Client, count: int) -> None:
    sku = create_product(client, stock=count)["sku"]
    shipping = create_shipping_method(client)["code"]
    for _ in range(count):
        place_order(client, [line(sku)], shipping)


def test_a_server_killed_mid_way_and_restarted_sends_every_email_and_no_second_id(
    database_url_for_test: str, tmp_path: Path, engine: Engine, mail: MailServer
) -> None:
    emails_from_here(engine)
    server = emailing_server(database_url_for_test, tmp_path / "server", mail)
    try:
        server.start()
        place_orders(server.client, 30)
        mail.inbox.wait_for(3)
        server.kill()
        assert len(mail.inbox.messages) < 30, "the server sent everything before the kill"

        server.start()
        place_orders(server.client, 3)
        expected = expected_ids(engine)
        mail.inbox.wait_for(len(expected))
        _wait_until_the_metric_reads_zero(server, "order_service_email_lag_events")
    finally:
        server.close()

    received = mail.inbox.message_ids()
    # Every event's email arrived, each with the one Message-ID of its event: a message
    # sent just before the kill may arrive twice, as the same message.
    assert sorted(set(received)) == sorted(expected)
    assert len(received) - len(set(received)) <= 1


def test_of_two_servers_on_one_database_one_sends_and_the_other_takes_over_when_killed(
    database_url_for_test: str, tmp_path: Path, engine: Engine, mail: MailServer
) -> None:
    emails_from_here(engine)
    servers = [emailing_server(database_url_for_test, tmp_path / f"server-{n}", mail)
               for n in (1, 2)]
    try:
        for server in servers:
            server.start()
        place_orders(servers[0].client, 4)
        place_orders(servers[1].client, 4)
        mail.inbox.wait_for(len(expected_ids(engine)))
        # Recorded too: a kill between the server taking one and its record would send
        # that one again (the same message, which the kill test allows for).
        wait_for_log(engine, len(expected_ids(engine)))
        sending = next(s for s in servers
                       if s.process is not None and s.process.pid == holder_pid(engine, "email"))
        standby = next(s for s in servers if s is not sending)
        sending.kill()
        place_orders(standby.client, 3)
        expected = expected_ids(engine)
        mail.inbox.wait_for(len(expected))
        time.sleep(0.5)
    finally:
        for server in servers:
            server.close()

    assert mail.inbox.message_ids() == expected


def test_preview_email_prints_the_placed_email_as_it_would_be_sent(
    database_url_for_test: str, client: TestClient
) -> None:
    place_orders(client, 1)

    shown = _command(database_url_for_test, "preview-email", "--order", "1", "--event", "placed")
    raw = _command(database_url_for_test, "preview-email", "--order", "1", "--raw")
    missing = _command(database_url_for_test, "preview-email", "--order", "99")

    assert shown.returncode == 0, shown.stderr
    assert "#1" in shown.stdout.splitlines()[0]  # the subject, as the customer reads it
    assert "Message-ID: <" in shown.stdout
    assert "--- text/plain ---" in shown.stdout
    assert "--- text/html ---" in shown.stdout
    assert raw.returncode == 0, raw.stderr
    assert "Content-Type: multipart/alternative" in raw.stdout
    assert "MIME-Version: 1.0" in raw.stdout
    assert missing.returncode != 0
    assert "order #99" in missing.stderr


def test_send_emails_sends_in_the_foreground_and_stops_on_ctrl_c(
    database_url_for_test: str, client: TestClient, engine: Engine, mail: MailServer
) -> None:
    emails_from_here(engine)
    place_orders(client, 2)
    env = _env(database_url_for_test, smtp_url=mail.url, mail_from=SHOP)
    process = subprocess.Popen([str(COMMAND), "send-emails"], env=env, text=True,
                               stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    try:
        mail.inbox.wait_for(2, alive=lambda: process.poll() is None)
        wait_for_log(engine, 2)  # recorded too, not only taken by the server
    finally:
        process.send_signal(signal.SIGINT)
        _, stderr = process.communicate(timeout=TIMEOUT_S)

    assert process.returncode == 0, stderr
    assert mail.inbox.message_ids() == expected_ids(engine)
    assert "sent: the placed email of order #1" in stderr
    assert "stopped; 2 emails sent" in stderr


def test_send_emails_without_a_mail_server_names_the_setting(database_url_for_test: str
                                                             ) -> None:
    refused = _command(database_url_for_test, "send-emails")

    assert refused.returncode != 0
    assert "ORDER_SERVICE_SMTP_URL" in refused.stderr


def _env(database_url: str, **settings: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("ORDER_SERVICE_")}
    env["ORDER_SERVICE_DATABASE_URL"] = database_url
    env.update({f"ORDER_SERVICE_{name.upper()}": value for name, value in settings.items()})
    return env


def _command(database_url: str, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([str(COMMAND), *args], env=_env(database_url), text=True,
                          capture_output=True, timeout=TIMEOUT_S, check=False)


def _wait_until_the_metric_reads_zero(server: Server, name: str) -> None:
    deadline = time.monotonic() + TIMEOUT_S
    while _metric(server, name) != 0:
        assert time.monotonic() < deadline, f"{name} never read 0"
        time.sleep(0.2)


def _metric(server: Server, name: str) -> float:
    for text_line in server.client.get("/metrics").text.splitlines():
        if text_line.startswith(f"{name} ") or text_line.startswith(f"{name}{{"):
            return float(text_line.rsplit(" ", 1)[1])
    raise AssertionError(f"{name} is not in /metrics")
