"""What the customer is told by email, event by event: which events make an email, what
one holds, and the ports that write and send it.

The follower (application/emails.py) reads the event feed; for each order event that
tells the customer something it asks `EmailTemplates` for the words and `Mailer` to send
them. Templates live with the adapters (Jinja2); nothing here knows SMTP or Jinja2.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any, Protocol
from uuid import UUID

from order_service.application.views import OrderView
from order_service.domain.payment_instructions import PaymentInstructions

# The events a customer hears about, and the template each one is told with.
EMAIL_KINDS: dict[str, str] = {
    "OrderPlaced": "placed",
    "OrderPaid": "paid",
    "OrderShipped": "shipped",
    "OrderCancelled": "cancelled",
    "OrderRefunded": "refunded",
    "OrderDetailsCorrected": "corrected",
}

# Never change: mail programs recognise a message they already have by its Message-ID,
# and a resent message must carry the one it was first sent with.
MESSAGE_ID_DOMAIN = "order-service"


def message_id(event_id: str, resend: int = 0) -> str:
    """The Message-ID of the email an event makes (a merchant's resend gets its own)."""
    suffix = "" if resend == 0 else f".resend-{resend}"
    return f"<{event_id}{suffix}@{MESSAGE_ID_DOMAIN}>"


@dataclass(frozen=True, slots=True)
class EmailFacts:
    """Everything a template may tell about one event of an order.

    `event` is the event's data as the feed gives it (e.g. `tracking_number` of an
    OrderShipped, `amount` and `reason` of an OrderRefunded, `shipping_address`
    `{old, new}` of an OrderDetailsCorrected); `order` the order as it is now (its
    number, lines, totals, addresses and the customer's contact details);
    `instructions` what a bank-transfer or cash-on-delivery customer must do to pay.
    """

    kind: str
    order: OrderView
    event: dict[str, Any]
    happened_at: datetime
    instructions: PaymentInstructions | None


@dataclass(frozen=True, slots=True)
class RenderedEmail:
    """An email's words: its subject line, a plain-text part and an HTML part."""

    subject: str
    text: str
    html: str


class EmailTemplates(Protocol):
    """Turns the facts of an event into an email in the shop's language."""

    def render(self, facts: EmailFacts) -> RenderedEmail:
        """The subject, text and HTML of the email `facts.kind` makes."""
        ...


@dataclass(frozen=True, slots=True)
class OrderEmail:
    """An email to a customer about one event of their order, ready to send."""

    event_id: str
    position: int
    order_id: UUID
    order_number: int
    kind: str
    to: str
    message_id: str
    rendered: RenderedEmail


class MailDeferred(Exception):
    """The mail server could not take the message now (down, busy, a 4xx): retry later."""


class MailRefused(Exception):
    """The mail server refused the message for good (a 5xx, such as an unknown address)."""


class Mailer(Protocol):
    """Where emails go (an SMTP server); calls block (run them in a thread)."""

    def send(self, email: OrderEmail) -> None:
        """Hand `email` to the server; return once it accepted it.

        Raises MailDeferred when it could not take it now, MailRefused when it never will.
        """
        ...
