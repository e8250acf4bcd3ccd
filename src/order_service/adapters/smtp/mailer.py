"""The Mailer port over SMTP (smtplib): one connection per email, TLS as the URL says.

`smtp://user:password@host:587` upgrades to TLS with STARTTLS whenever the server offers
it (and a server that does not is only accepted on this machine: credentials never
cross a network in clear); `smtps://host:465` speaks TLS from the first byte. What the
server answers decides what the follower does: accepted, a refusal of the address or
the message for good (5xx: recorded, skipped), or anything else, such as a server down,
busy (4xx) or a login refused (retried with backoff until someone fixes it).
"""

from __future__ import annotations

import smtplib
import ssl
from dataclasses import dataclass
from urllib.parse import unquote, urlsplit

from order_service.adapters.email.mime import mime_message
from order_service.application.email_messages import MailDeferred, MailRefused, OrderEmail
from order_service.application.ports import Clock

DEFAULT_PORTS = {"smtp": 587, "smtps": 465}
LOCAL_HOSTS = frozenset({"localhost", "127.0.0.1", "::1"})
TIMEOUT_SECONDS = 15.0


@dataclass(frozen=True, slots=True)
class SmtpServer:
    """Where to send, as ORDER_SERVICE_SMTP_URL says."""

    host: str
    port: int
    implicit_tls: bool
    user: str | None
    password: str | None

    @classmethod
    def from_url(cls, url: str) -> SmtpServer:
        """Read `smtp://user:password@host:port` or `smtps://...`; ValueError if not one."""
        parts = urlsplit(url)
        if parts.scheme not in DEFAULT_PORTS or not parts.hostname:
            raise ValueError("ORDER_SERVICE_SMTP_URL must look like "
                             "smtp://user:password@mail.example.com:587 (STARTTLS) or "
                             "smtps://user:password@mail.example.com:465 (TLS)")
        return cls(host=parts.hostname, port=parts.port or DEFAULT_PORTS[parts.scheme],
                   implicit_tls=parts.scheme == "smtps",
                   user=None if parts.username is None else unquote(parts.username),
                   password=None if parts.password is None else unquote(parts.password))


class SmtpMailer:
    """Sends each email in a connection of its own, from `sender`."""

    def __init__(self, server: SmtpServer, sender: str, clock: Clock, *,
                 tls: ssl.SSLContext | None = None) -> None:
        self._server = server
        self._sender = sender
        self._clock = clock
        self._tls = tls or ssl.create_default_context()

    def send(self, email: OrderEmail) -> None:
        """Hand `email` to the server; MailDeferred or MailRefused if it did not take it."""
        message = mime_message(email.rendered, to=email.to, sender=self._sender,
                               message_id=email.message_id, sent_at=self._clock())
        try:
            with self._connected() as smtp:
                smtp.send_message(message)
        except smtplib.SMTPRecipientsRefused as refused:
            codes = [code for code, _ in refused.recipients.values()]
            error = _deferred_or_refused(min(codes), f"the address was refused: {refused}")
            raise error from refused
        except smtplib.SMTPDataError as refused:
            raise _deferred_or_refused(refused.smtp_code, f"the message was refused: "
                                       f"{refused.smtp_code} {_text(refused.smtp_error)}"
                                       ) from refused
        except (smtplib.SMTPException, OSError) as failure:
            # Down, busy, a login or sender refused: nothing to do with this customer.
            raise MailDeferred(f"{type(failure).__name__}: {failure}") from failure

    def _connected(self) -> smtplib.SMTP:
        server = self._server
        smtp: smtplib.SMTP
        if server.implicit_tls:
            smtp = smtplib.SMTP_SSL(server.host, server.port, timeout=TIMEOUT_SECONDS,
                                    context=self._tls)
        else:
            smtp = smtplib.SMTP(server.host, server.port, timeout=TIMEOUT_SECONDS)
            smtp.ehlo()
            if smtp.has_extn("starttls"):
                smtp.starttls(context=self._tls)
                smtp.ehlo()
            elif server.user is not None and server.host not in LOCAL_HOSTS:
                smtp.close()
                raise MailDeferred(f"{server.host} offers no STARTTLS: the password would "
                                   "cross the network in clear; use smtps:// or a server "
                                   "with STARTTLS")
        if server.user is not None:
            smtp.login(server.user, server.password or "")
        return smtp


def _deferred_or_refused(code: int, why: str) -> MailDeferred | MailRefused:
    return MailRefused(why) if 500 <= code < 600 else MailDeferred(why)


def _text(raw: bytes | str) -> str:
    return raw.decode(errors="replace") if isinstance(raw, bytes) else raw
