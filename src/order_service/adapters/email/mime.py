"""An email's words as the MIME message a mail server takes: one definition, used by the
SMTP mailer to send and by the preview to show."""

from __future__ import annotations

from datetime import datetime
from email.message import EmailMessage
from email.utils import format_datetime, localtime

from order_service.application.email_messages import RenderedEmail


def mime_message(rendered: RenderedEmail, *, to: str, sender: str, message_id: str,
                 sent_at: datetime | None = None) -> EmailMessage:
    """A multipart/alternative message: the text part, then the HTML part a mail program
    prefers; dated `sent_at` (now if None)."""
    message = EmailMessage()
    message["Subject"] = rendered.subject
    message["From"] = sender
    message["To"] = to
    message["Message-ID"] = message_id
    message["Date"] = format_datetime(sent_at if sent_at is not None else localtime())
    # Tells vacation responders and ticket systems not to answer an automatic message
    # (RFC 3834).
    message["Auto-Submitted"] = "auto-generated"
    # Quoted-printable keeps every line short and 7-bit: a server without 8BITMIME, or
    # an HTML line longer than SMTP's 998 characters, would otherwise mangle the message.
    message.set_content(rendered.text, cte="quoted-printable")
    message.add_alternative(rendered.html, subtype="html", cte="quoted-printable")
    return message
