"""The email follower: each order event a customer should hear about, as one email, once.

One follower sends at a time however many run (server workers, instances, the
`send-emails` command): the holder of a lease, as for the NATS relay (leases.py). It
reads the events after its checkpoint with the event feed's own query, and for each one
that makes an email (email_messages.EMAIL_KINDS) renders it and hands it to the mail
server. Only once the server accepted it does the ledger record it and move the
checkpoint past its event, in one transaction; so a crash in between sends that one
message again, with the same Message-ID (derived from the event's id), which mail
programs show once. A server that is down or busy is retried with backoff, for ever,
without skipping; one that refuses an address for good (a 5xx) gets that refusal
recorded, and the follower goes on. The API never waits for any of it.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Protocol, TypeVar
from uuid import UUID

import anyio

from order_service.application.email_messages import (
    EMAIL_KINDS,
    EmailFacts,
    EmailTemplates,
    MailDeferred,
    Mailer,
    MailRefused,
    OrderEmail,
    message_id,
)
from order_service.application.errors import (
    ConcurrencyConflict,
    LeaseLost,
    StorageUnavailable,
)
from order_service.application.leases import RelayCheckpoints, wait_for_lease
from order_service.application.payment_instructions import instructions_of
from order_service.application.ports import Storage
from order_service.application.views import StoredEventView
from order_service.domain.payment_instructions import TransferTerms

log = logging.getLogger(__name__)

T = TypeVar("T")

# The follower's row among the relays' checkpoints (adapters/sql/relay_checkpoints.py).
EMAIL_STREAM = "email"
# Events read at a time; the checkpoint still moves after each email sent.
BATCH_SIZE = 100
POLL_SECONDS = 0.2
FIRST_BACKOFF_SECONDS = 0.5
MAX_BACKOFF_SECONDS = 60.0


@dataclass(frozen=True, slots=True)
class EmailRecord:
    """An email sent to a customer about an event of their order, or refused for good."""

    event_id: str
    order_id: UUID
    kind: str
    recipient: str
    subject: str
    message_id: str
    outcome: str  # "sent" or "refused"
    reason: str | None
    at: datetime


@dataclass(frozen=True, slots=True)
class ResendRequest:
    """A merchant asked to send again the email of an event."""

    request_id: int
    event_id: str
    position: int
    order_id: UUID


class EmailLedger(Protocol):
    """What the follower sent, the resends asked for, and its checkpoint; calls block."""

    def record(self, email: OrderEmail, outcome: str, reason: str | None, *,
               checkpoint: int | None, resend: int | None = None) -> bool:
        """Keep what became of `email` and, at once, move the checkpoint to `checkpoint`
        (None: leave it) and mark resend request `resend` done; False (nothing kept) if
        this follower no longer holds the lease."""
        ...

    def pending_resends(self) -> list[ResendRequest]:
        """Resends asked for and not yet made, oldest first."""
        ...

    def times_sent(self, event_id: str) -> int:
        """How many emails were recorded for the event (first send and resends)."""
        ...


class EmailHistory(Protocol):
    """What the back office shows of an order's emails, and its Resend; calls block."""

    def emails_of(self, order_id: UUID) -> list[EmailRecord]:
        """Every email recorded for the order, oldest first."""
        ...

    def resends_pending(self, order_id: UUID) -> list[str]:
        """The event ids of the order whose resend is asked for and not yet made."""
        ...

    def request_resend(self, *, event_id: str, position: int, order_id: UUID,
                       requested_by: str, now: datetime) -> None:
        """Ask the follower to send the email of an event (at `position`) again."""
        ...


class EmailObserver(Protocol):
    """Told what the follower did (metrics)."""

    def emailed(self, email: OrderEmail, outcome: str) -> None:
        """An email was sent (or refused for good)."""
        ...


class _NobodyWatching:
    def emailed(self, email: OrderEmail, outcome: str) -> None:
        """Ignore it."""


class EmailComposer:
    """Makes the email an event tells the customer, from the order as it is now."""

    def __init__(self, storage: Storage, templates: EmailTemplates,
                 transfer: TransferTerms) -> None:
        self._storage = storage
        self._templates = templates
        self._transfer = transfer

    def compose(self, event: StoredEventView, resend: int = 0) -> OrderEmail | None:
        """The email `event` makes (None for events the customer does not hear about);
        `resend`: the how-manyth resend it is (0: the first send)."""
        kind = EMAIL_KINDS.get(event.type)
        order_id = event.data.get("order_id")
        if kind is None or order_id is None:
            return None
        with self._storage.reading() as read_models:
            order = read_models.order(UUID(str(order_id)))
        if order is None:
            log.warning("no order %s for event %d: no email", order_id, event.position)
            return None
        instructions = instructions_of(order, self._transfer) if kind == "placed" else None
        rendered = self._templates.render(EmailFacts(
            kind=kind, order=order, event=event.data, happened_at=event.recorded_at,
            instructions=instructions))
        return OrderEmail(event_id=event.id, position=event.position, order_id=order.id,
                          order_number=order.number, kind=kind, to=order.customer.email,
                          message_id=message_id(event.id, resend), rendered=rendered)



class EmailFollower:
    """Sends while it holds the lease, stands by while another follower does."""

    def __init__(self, storage: Storage, checkpoints: RelayCheckpoints, ledger: EmailLedger,
                 mailer: Mailer, composer: EmailComposer, *, lease_seconds: float,
                 observer: EmailObserver | None = None) -> None:
        self._storage = storage
        self._checkpoints = checkpoints
        self._ledger = ledger
        self._mailer = mailer
        self._composer = composer
        self._lease_seconds = lease_seconds
        self._observer = observer or _NobodyWatching()
        self._limiter = anyio.CapacityLimiter(1)
        self._backoff = FIRST_BACKOFF_SECONDS
        self._beat_at = time.monotonic()

    async def run(self) -> None:
        """Send until cancelled; waits out any outage of the database or the mail server."""
        try:
            while True:
                try:
                    await wait_for_lease(self._checkpoints, self._lease_seconds,
                                         self._blocking, doing="sends the order emails")
                    await self._lead()
                except LeaseLost:
                    log.warning("another process took over sending the order emails; "
                                "standing by")
                    continue
                except (StorageUnavailable, ConcurrencyConflict) as error:
                    log.warning("order emails paused (%s: %s); retrying in %g s",
                                type(error).__name__, error, self._backoff)
                except Exception:
                    log.exception("the email follower failed; retrying in %g s", self._backoff)
                await anyio.sleep(self._backoff)
                self._backoff = min(self._backoff * 2, MAX_BACKOFF_SECONDS)
        finally:
            with anyio.CancelScope(shield=True):
                try:
                    with anyio.fail_after(5):
                        await self._blocking(self._checkpoints.release)
                except Exception as error:  # shutting down: the lease then simply expires
                    log.warning("could not give up the email lease (%s)", type(error).__name__)

    async def _lead(self) -> None:
        """Send until the lease is lost (LeaseLost) or something fails."""
        position = (await self._blocking(self._checkpoints.observe)).position
        self._beat_at = time.monotonic()
        while True:
            await self._resend_requested()
            batch = await self._blocking(self._events_after, position)
            for event in batch:
                email = await self._blocking(self._composer.compose, event)
                if email is not None:
                    await self._deliver(email, checkpoint=event.position)
                position = event.position
            if batch:
                await self._advance(position)
                self._backoff = FIRST_BACKOFF_SECONDS
                continue
            await self._keep_lease()
            await anyio.sleep(POLL_SECONDS)

    async def _deliver(self, email: OrderEmail, *, checkpoint: int | None,
                       resend: int | None = None) -> None:
        """Send `email` until the server takes it or refuses it for good; record which."""
        outcome, reason = await self._sent(email)
        recorded = await self._blocking(self._record, email, outcome, reason, checkpoint,
                                        resend)
        if not recorded:
            raise LeaseLost
        self._beat_at = time.monotonic()
        self._observer.emailed(email, outcome)

    async def _sent(self, email: OrderEmail) -> tuple[str, str | None]:
        """("sent", None) once the server took `email`, ("refused", why) if it never will."""
        backoff = FIRST_BACKOFF_SECONDS
        while True:
            try:
                await self._blocking(self._mailer.send, email)
            except MailDeferred as error:
                log.warning("the mail server did not take the %s email of order #%d (%s); "
                            "retrying in %g s", email.kind, email.order_number, error, backoff)
                await self._keep_lease()
                await anyio.sleep(backoff)
                backoff = min(backoff * 2, MAX_BACKOFF_SECONDS)
            except MailRefused as error:
                reason = str(error)[:500]
                log.warning("the mail server refused the %s email of order #%d to %s for "
                            "good (%s); recorded, and going on", email.kind,
                            email.order_number, email.to, reason)
                return "refused", reason
            else:
                return "sent", None

    def _record(self, email: OrderEmail, outcome: str, reason: str | None,
                checkpoint: int | None, resend: int | None) -> bool:
        return self._ledger.record(email, outcome, reason, checkpoint=checkpoint,
                                   resend=resend)

    async def _resend_requested(self) -> None:
        for request in await self._blocking(self._ledger.pending_resends):
            event = await self._blocking(self._event, request.position)
            sent = await self._blocking(self._ledger.times_sent, request.event_id)
            email = None if event is None else await self._blocking(
                self._composer.compose, event, sent)
            if email is None:
                log.warning("cannot resend the email of event %s: it makes none",
                            request.event_id)
                continue
            await self._deliver(email, checkpoint=None, resend=request.request_id)

    def _event(self, position: int) -> StoredEventView | None:
        with self._storage.reading() as read_models:
            found = read_models.events_after(position - 1, 1)
        return found[0] if found and found[0].position == position else None

    async def _keep_lease(self) -> None:
        if time.monotonic() - self._beat_at >= self._lease_seconds / 3:
            if not await self._blocking(self._checkpoints.renew):
                raise LeaseLost
            self._beat_at = time.monotonic()

    async def _advance(self, position: int) -> None:
        if not await self._blocking(self._checkpoints.advance, position):
            raise LeaseLost
        self._beat_at = time.monotonic()

    def _events_after(self, position: int) -> Sequence[StoredEventView]:
        with self._storage.reading() as read_models:
            return read_models.events_after(position, BATCH_SIZE)

    async def _blocking(self, call: Callable[..., T], *args: object) -> T:
        return await anyio.to_thread.run_sync(call, *args, limiter=self._limiter)
