"""A real SMTP server in the test process (aiosmtpd), keeping what it receives.

It can refuse an address for good (550), and be stopped and started again on the same
port to play a mail server that is down for a while.
"""

from __future__ import annotations

import email
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from email.message import EmailMessage
from email.policy import default
from typing import Any

from aiosmtpd.controller import Controller

from tests.servers import free_port

TIMEOUT_S = 60.0


class Inbox:
    """The aiosmtpd handler: each message taken, in order; some addresses refused."""

    def __init__(self) -> None:
        self.messages: list[EmailMessage] = []
        self.refused_addresses: set[str] = set()
        # Answered "try again later" (451) for as long as they are in here.
        self.deferred_addresses: set[str] = set()
        self._lock = threading.Lock()

    async def handle_RCPT(self, server: Any, session: Any, envelope: Any, address: str,  # noqa: N802 (aiosmtpd names it)
                          rcpt_options: list[str]) -> str:
        """Refuse an address told to, take any other."""
        if address in self.refused_addresses:
            return "550 5.1.1 No such mailbox here"
        if address in self.deferred_addresses:
            return "451 4.3.0 Mailbox busy, try again later"
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:  # noqa: N802
        """Keep the message."""
        message = email.message_from_bytes(envelope.original_content or envelope.content,
                                           policy=default)
        assert isinstance(message, EmailMessage)
        with self._lock:
            self.messages.append(message)
        return "250 Message accepted for delivery"

    def message_ids(self) -> list[str]:
        """The Message-ID of each message received, in order."""
        with self._lock:
            return [str(message["Message-ID"]) for message in self.messages]

    def wait_for(self, count: int, *, alive: Callable[[], bool] = lambda: True) -> None:
        """Wait until at least `count` messages arrived."""
        deadline = time.monotonic() + TIMEOUT_S
        while len(self.messages) < count:
            assert alive(), "the sender stopped"
            assert time.monotonic() < deadline, (
                f"only {len(self.messages)} of {count} emails arrived in {TIMEOUT_S} s")
            time.sleep(0.05)


class MailServer:
    """An SMTP server on 127.0.0.1 that can go down and come back on its port."""

    def __init__(self) -> None:
        self.inbox = Inbox()
        self.port = free_port()
        self._controller: Controller | None = None

    @property
    def url(self) -> str:
        """Its ORDER_SERVICE_SMTP_URL."""
        return f"smtp://127.0.0.1:{self.port}"

    def start(self) -> None:
        """Listen (again)."""
        self._controller = Controller(self.inbox, hostname="127.0.0.1", port=self.port)
        self._controller.start()

    def stop(self) -> None:
        """Go down: connections are refused until started again."""
        if self._controller is not None:
            self._controller.stop()
            self._controller = None


@contextmanager
def mail_server() -> Iterator[MailServer]:
    """A running mail server of the test's own."""
    server = MailServer()
    server.start()
    try:
        yield server
    finally:
        server.stop()
