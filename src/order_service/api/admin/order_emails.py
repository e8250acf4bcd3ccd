"""The emails an order's events made, as its page shows them under its timeline.

The email follower (application/emails.py) records each email it sent, or that the mail
server refused for good, under the id of the event that made it; this module matches
those records to the order's events, so each timeline entry tells what the customer was
sent about it.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from uuid import UUID, uuid5

from fastapi import Request

from order_service.application.email_messages import EMAIL_KINDS
from order_service.application.emails import EmailHistory, EmailRecord
from order_service.application.views import EVENT_ID_NAMESPACE, OrderEventView
from order_service.domain.events import order_stream

EMAILS_OFF = "Order emails are off (ORDER_SERVICE_SMTP_URL is not set)."


@dataclass(frozen=True, slots=True)
class EmailNote:
    """What became of the email one event of the order makes."""

    kind: str
    position: int
    # Oldest first: the first send, then any resends.
    records: tuple[EmailRecord, ...]
    resend_queued: bool

    @property
    def pending(self) -> bool:
        """Whether the follower has not reached the event yet."""
        return not self.records and not self.resend_queued

    @property
    def resendable(self) -> bool:
        """Whether a merchant may ask for it again: it went out (or was refused) and no
        resend is already waiting."""
        return bool(self.records) and not self.resend_queued


def emails_on(request: Request) -> bool:
    """Whether this service sends order emails (an SMTP server is set)."""
    return bool(request.app.state.settings.smtp_url)


def email_history(request: Request) -> EmailHistory:
    """The app's record of the emails sent and the resends asked for."""
    history: EmailHistory = request.app.state.email_history
    return history


def event_id(order_id: UUID, event: OrderEventView) -> str:
    """The id the event feed (and so the email ledger) gives an event of the order."""
    # Must match StoredEventView.id exactly: the same name under the same namespace.
    name = f"{order_stream(order_id)}/{event.version}/{event.recorded_at.isoformat()}"
    return str(uuid5(EVENT_ID_NAMESPACE, name))


def email_notes(request: Request, order_id: UUID, events: Sequence[OrderEventView]
                ) -> list[EmailNote | None]:
    """For each event (in the same order), its email; None for an event that makes none,
    and for every event while emails are off (nothing is then recorded or sent)."""
    if not emails_on(request):
        return [None] * len(events)
    history = email_history(request)
    records: dict[str, list[EmailRecord]] = {}
    for record in history.emails_of(order_id):
        records.setdefault(record.event_id, []).append(record)
    queued = set(history.resends_pending(order_id))
    notes: list[EmailNote | None] = []
    for event in events:
        kind = EMAIL_KINDS.get(event.type)
        key = event_id(order_id, event)
        notes.append(None if kind is None else EmailNote(
            kind, event.position, tuple(records.get(key, ())), key in queued))
    return notes


def email_note(request: Request, order_id: UUID, events: Sequence[OrderEventView],
               position: int) -> tuple[OrderEventView, EmailNote] | None:
    """The order's event at `position` and its email, if it is one that makes an email."""
    for event, note in zip(events, email_notes(request, order_id, events), strict=True):
        if event.position == position and note is not None:
            return event, note
    return None
