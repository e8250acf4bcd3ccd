"""The email follower's ledger: what it sent (email_log), the resends asked for
(email_resends), and its checkpoint (a row of event_relay), kept together.

An email is recorded and the checkpoint moved past its event in one transaction, and
only while the follower still holds the lease: a follower that lost it records nothing,
and its successor sends from the checkpoint it left.
"""

from __future__ import annotations

from datetime import datetime
from uuid import UUID

from sqlalchemy import Engine, func, insert, select, update

from order_service.adapters.sql.engine import WRITE_OPTION
from order_service.adapters.sql.errors import translated_failures
from order_service.adapters.sql.tables import email_log, email_resends, event_relay
from order_service.application.email_messages import OrderEmail
from order_service.application.emails import EMAIL_STREAM, EmailRecord, ResendRequest
from order_service.application.ports import Clock


class SqlEmailLedger:
    """The EmailLedger port of follower `holder`."""

    def __init__(self, engine: Engine, holder: str, clock: Clock) -> None:
        self._engine = engine
        self._holder = holder
        self._clock = clock

    def record(self, email: OrderEmail, outcome: str, reason: str | None, *,
               checkpoint: int | None, resend: int | None = None) -> bool:
        """Keep what became of `email`, move the checkpoint, mark the resend done: all at
        once, and only while holding the lease (False, nothing kept, otherwise)."""
        now = self._clock()
        with translated_failures(), self._engine.connect() as connection:
            connection.execution_options(**{WRITE_OPTION: True})
            with connection.begin():
                values: dict[str, object] = {"beat": event_relay.c.beat + 1}
                if checkpoint is not None:
                    values["position"] = checkpoint
                held = connection.execute(
                    update(event_relay)
                    .where(event_relay.c.stream == EMAIL_STREAM,
                           event_relay.c.holder == self._holder)
                    .values(values)).rowcount == 1
                if not held:
                    return False
                connection.execute(insert(email_log).values(
                    event_id=email.event_id, position=email.position, order_id=email.order_id,
                    kind=email.kind, recipient=email.to,
                    subject=email.rendered.subject[:300], message_id=email.message_id,
                    outcome=outcome, reason=reason, at=now))
                if resend is not None:
                    connection.execute(update(email_resends)
                                       .where(email_resends.c.id == resend)
                                       .values(done_at=now))
        return True

    def pending_resends(self) -> list[ResendRequest]:
        """Resends asked for and not yet made, oldest first."""
        with translated_failures(), self._engine.connect() as connection:
            rows = connection.execute(
                select(email_resends).where(email_resends.c.done_at.is_(None))
                .order_by(email_resends.c.id))
            return [ResendRequest(row.id, row.event_id, row.position, row.order_id)
                    for row in rows]

    def times_sent(self, event_id: str) -> int:
        """How many emails were recorded for the event (first send and resends)."""
        with translated_failures(), self._engine.connect() as connection:
            return int(connection.execute(
                select(func.count()).select_from(email_log)
                .where(email_log.c.event_id == event_id)).scalar_one())


class SqlEmailHistory:
    """The EmailHistory port: what the back office shows of an order's emails."""

    def __init__(self, engine: Engine) -> None:
        self._engine = engine

    def emails_of(self, order_id: UUID) -> list[EmailRecord]:
        """Every email recorded for the order, oldest first."""
        with translated_failures(), self._engine.connect() as connection:
            rows = connection.execute(select(email_log)
                                      .where(email_log.c.order_id == order_id)
                                      .order_by(email_log.c.id))
            return [EmailRecord(event_id=row.event_id, order_id=row.order_id, kind=row.kind,
                                recipient=row.recipient, subject=row.subject,
                                message_id=row.message_id, outcome=row.outcome,
                                reason=row.reason, at=row.at) for row in rows]

    def resends_pending(self, order_id: UUID) -> list[str]:
        """The event ids of the order whose resend is asked for and not yet made."""
        with translated_failures(), self._engine.connect() as connection:
            return list(connection.scalars(
                select(email_resends.c.event_id).where(
                    email_resends.c.order_id == order_id, email_resends.c.done_at.is_(None))
                .order_by(email_resends.c.id)))

    def request_resend(self, *, event_id: str, position: int, order_id: UUID,
                       requested_by: str, now: datetime) -> None:
        """Ask the follower to send the email of an event again."""
        with translated_failures(), self._engine.connect() as connection:
            connection.execution_options(**{WRITE_OPTION: True})
            with connection.begin():
                connection.execute(insert(email_resends).values(
                    event_id=event_id, position=position, order_id=order_id,
                    requested_by=requested_by, requested_at=now))
