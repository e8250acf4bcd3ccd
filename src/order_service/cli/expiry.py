"""`expire-pending`: cancel the orders left unpaid past the payment hold, once (for cron)."""

from __future__ import annotations

import argparse
import sys

from order_service.application.errors import ConcurrencyConflict, StorageUnavailable
from order_service.application.expiry import BATCH_SIZE, sweep_context
from order_service.application.handlers import Shop
from order_service.bootstrap import bootstrap
from order_service.cli.errors import fail
from order_service.domain.payment_hold import PaymentHold
from order_service.settings import MAX_PAYMENT_HOLD_HOURS, get_settings


def add_commands(commands: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """Register `expire-pending`."""
    expire = commands.add_parser(
        "expire-pending",
        help="cancel orders still unpaid after the payment hold (reason payment_timeout) "
        "and return their stock; the server also does this every "
        "ORDER_SERVICE_EXPIRY_SWEEP_SECONDS",
    )
    expire.add_argument(
        "--hold-hours", type=float, default=None, metavar="HOURS",
        help="the hold to apply this time, instead of ORDER_SERVICE_PAYMENT_HOLD_HOURS",
    )
    expire.add_argument(
        "--batch-size", type=int, default=BATCH_SIZE, metavar="N",
        help=f"orders per transaction (default {BATCH_SIZE}); smaller batches hold the "
        "stock rows of their orders for less time",
    )
    expire.set_defaults(run=_expire_pending)


def _expire_pending(args: argparse.Namespace) -> int:
    settings = get_settings()
    hours = settings.payment_hold_hours if args.hold_hours is None else args.hold_hours
    if not 0 <= hours <= MAX_PAYMENT_HOLD_HOURS:
        return fail(f"--hold-hours must be between 0 and {MAX_PAYMENT_HOLD_HOURS} "
                    f"(0: unpaid orders never expire), not {hours:g}")
    if args.batch_size < 1:
        return fail(f"--batch-size must be at least 1, not {args.batch_size}")
    hold = PaymentHold.of_hours(hours)
    if not hold.enabled:
        print("the payment hold is 0 (unpaid orders never expire): nothing to do; set "
              "ORDER_SERVICE_PAYMENT_HOLD_HOURS or --hold-hours", file=sys.stderr)
        return 0
    with bootstrap(settings, pool_size=1) as service:
        service.require_schema()
        try:
            expired = _expire(service.shop, hold, args.batch_size)
        except (StorageUnavailable, ConcurrencyConflict) as error:
            # Each batch commits on its own: what was cancelled before this stays cancelled.
            return fail(f"the sweep stopped part-way: {error}; run it again (orders already "
                        "cancelled are not touched twice)")
    print(f"cancelled {expired} orders unpaid after the {hold.duration} payment hold")
    return 0


def _expire(shop: Shop, hold: PaymentHold, batch_size: int) -> int:
    expired = 0
    batches = shop.expire_pending_batches(hold, sweep_context("expire-pending"),
                                          batch_size=batch_size)
    for number, cancelled in enumerate(batches, start=1):
        expired += cancelled
        if number > 1:  # a backlog: show that it is moving
            print(f"... {expired} cancelled so far", file=sys.stderr)
    return expired
