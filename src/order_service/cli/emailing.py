"""`send-emails` (the order emails, in the foreground) and `preview-email` (one email,
rendered, on stdout)."""

from __future__ import annotations

import argparse
import asyncio
import logging
import sys

from order_service.adapters.email.preview import preview
from order_service.application.email_messages import EMAIL_KINDS, OrderEmail
from order_service.application.ports import Storage
from order_service.application.views import StoredEventView
from order_service.bootstrap import bootstrap
from order_service.cli.errors import fail
from order_service.cli.relaying import until_stopped, without_credentials
from order_service.settings import get_settings

KINDS = sorted(set(EMAIL_KINDS.values()))


def add_commands(commands: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """Register `send-emails` and `preview-email`."""
    send = commands.add_parser(
        "send-emails",
        help="send the order emails (ORDER_SERVICE_SMTP_URL) until stopped; with other "
        "senders running (server workers), one sends and the rest stand by")
    send.set_defaults(run=_send)
    show = commands.add_parser(
        "preview-email", help="print the email an order's event makes, as it would be sent")
    show.add_argument("--order", type=int, required=True, metavar="N",
                      help="the order's number (its receipt number)")
    show.add_argument("--event", choices=KINDS, default="placed",
                      help="which of its events (the latest of that kind)")
    show.add_argument("--raw", action="store_true",
                      help="the whole MIME message as the mail server gets it (encoded)")
    show.set_defaults(run=_preview)


class Progress:
    """The command's email observer: one line on stderr per email."""

    def __init__(self) -> None:
        self.count = 0

    def emailed(self, email: OrderEmail, outcome: str) -> None:
        """Say what was sent."""
        self.count += 1
        print(f"{outcome}: the {email.kind} email of order #{email.order_number} to "
              f"{email.to} ({email.message_id})", file=sys.stderr, flush=True)


def _send(_args: argparse.Namespace) -> int:
    settings = get_settings()
    if not settings.smtp_url:
        return fail("set ORDER_SERVICE_SMTP_URL (e.g. smtp://user:password@mail.internal:587) "
                    "and ORDER_SERVICE_MAIL_FROM to send the order emails")
    progress = Progress()
    with bootstrap(settings, pool_size=2) as service:
        try:
            service.require_schema()
            logging.basicConfig(level=logging.INFO, stream=sys.stderr,
                                format="%(asctime)s %(levelname)s %(message)s")
            print(f"sending the order emails through {without_credentials(settings.smtp_url)} "
                  f"as {settings.mail_from}; Ctrl-C stops", file=sys.stderr, flush=True)
            asyncio.run(until_stopped(service.email_follower(progress)))
        except (KeyboardInterrupt, asyncio.CancelledError):
            print(f"stopped; {progress.count} email{'' if progress.count == 1 else 's'} sent",
                  file=sys.stderr)
    return 0


def _preview(args: argparse.Namespace) -> int:
    settings = get_settings()
    with bootstrap(settings, pool_size=1) as service:
        service.require_schema()
        event = _latest_event(service.storage, args.order, args.event)
        if event is None:
            return fail(f"order #{args.order} has no {args.event} event (or no such order): "
                        "see its history with GET /v1/orders/{id}/events")
        email = service.email_composer().compose(event)
        if email is None:  # only if the order vanished meanwhile
            return fail(f"order #{args.order}'s {args.event} event makes no email")
    sender = settings.mail_from or "shop@example.com (set ORDER_SERVICE_MAIL_FROM)"
    if args.raw:
        sys.stdout.write(preview(email.rendered, to=email.to, sender=sender,
                                 message_id=email.message_id))
    else:
        sys.stdout.write(_readable(email, sender))
    return 0


def _readable(email: OrderEmail, sender: str) -> str:
    """The email as a merchant checks it: headers and both parts, nothing encoded."""
    rendered = email.rendered
    return (f"Subject: {rendered.subject}\nFrom: {sender}\nTo: {email.to}\n"
            f"Message-ID: {email.message_id}\n"
            "Content-Type: multipart/alternative (a text/plain part, then a text/html part)\n"
            f"\n--- text/plain ---\n{rendered.text}\n--- text/html ---\n{rendered.html}\n")


def _latest_event(storage: Storage, number: int, kind: str) -> StoredEventView | None:
    types = {event_type for event_type, its_kind in EMAIL_KINDS.items() if its_kind == kind}
    with storage.reading() as read_models:
        order = read_models.order_numbered(number)
        history = [] if order is None else read_models.order_history(order.id)
        positions = [event.position for event in history if event.type in types]
        found = read_models.events_after(positions[-1] - 1, 1) if positions else []
    return found[0] if found else None
