"""The loops each server worker runs beside the API, until the server stops.

None of them ever raises: a database that is down or busy is expected and logged as
such, and the loop tries again at its next turn. Anything else is a bug, logged with its
traceback, and the loop goes on too: a failing loop must not take the API down with it.
"""

from __future__ import annotations

import logging
import os
from collections.abc import Callable
from typing import TypeVar

import anyio

from order_service.application.errors import ConcurrencyConflict, StorageUnavailable
from order_service.application.expiry import sweep_context
from order_service.application.handlers import Shop
from order_service.domain.payment_hold import PaymentHold

log = logging.getLogger(__name__)

T = TypeVar("T")

# What a database that is down, slow or busy raises through the adapters.
DATABASE_TROUBLE = (StorageUnavailable, ConcurrencyConflict)


async def repeat(job: Callable[[], T], interval_seconds: float, then: Callable[[T], None],
                 *, failing: str, level: int = logging.DEBUG) -> None:
    """Run `job` in a thread now and every `interval_seconds`; `then` gets each result.

    A round the database makes fail is logged at `level` as "could not <failing>".
    """
    while True:
        try:
            result = await anyio.to_thread.run_sync(job)
        except DATABASE_TROUBLE:
            log.log(level, "could not %s; will retry", failing, exc_info=True)
        except Exception:
            log.exception("could not %s (a bug); will retry", failing)
        else:
            then(result)
        await anyio.sleep(interval_seconds)


async def expire_pending_orders_forever(shop: Shop, hold: PaymentHold, interval_seconds: float,
                                        on_sweep: Callable[[int], None]) -> None:
    """Cancel unpaid orders past the hold now and every `interval_seconds`; never raises.

    `on_sweep` hears how many orders each completed sweep cancelled (the metrics).
    """
    # Every worker of every instance sweeps; the sweep's row locks let exactly one of
    # them cancel each order, and the rest find nothing left to do.
    where = f"serve (pid {os.getpid()})"
    # A thread of its own, so a long sweep never takes one of those requests run in.
    thread = anyio.CapacityLimiter(1)
    while True:
        try:
            expired = await _sweep(shop, hold, where, thread)
        except DATABASE_TROUBLE as error:
            log.warning("could not expire unpaid orders (%s); will retry in %g s",
                        type(error).__name__, interval_seconds)
        except Exception:
            # A bug in the sweep must not take the API down with it; say so loudly.
            log.exception("expiring unpaid orders failed; will retry in %g s", interval_seconds)
        else:
            on_sweep(expired)
            if expired:
                log.info("cancelled %d orders still unpaid after the %s payment hold "
                         "(reason payment_timeout)", expired, hold.duration)
        await anyio.sleep(interval_seconds)


async def _sweep(shop: Shop, hold: PaymentHold, where: str,
                 thread: anyio.CapacityLimiter) -> int:
    # A batch per trip to the thread: shutting down waits for one batch, not a backlog.
    batches = shop.expire_pending_batches(hold, sweep_context(where))
    expired = 0
    while (cancelled := await anyio.to_thread.run_sync(next, batches, None,
                                                       limiter=thread)) is not None:
        expired += cancelled
    return expired
