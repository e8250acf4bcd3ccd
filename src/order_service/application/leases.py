"""Leases: one follower of the event store at a time, however many run.

A follower (the NATS relay, the email sender) keeps its checkpoint and lease in one row
(adapters/sql/relay_checkpoints.py). Every change to the row bumps its heartbeat, so a
standby sees a silent holder and takes over, and a holder that lost the lease finds out
at its next write.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any, Protocol

import anyio

log = logging.getLogger(__name__)

# Runs a blocking call of the checkpoints in the follower's own thread.
Blocking = Callable[..., Awaitable[Any]]


@dataclass(frozen=True, slots=True)
class RelayState:
    """How far the relay has published, who publishes, and that one's heartbeat."""

    position: int
    holder: str | None
    beat: int


class RelayCheckpoints(Protocol):
    """The checkpoint and lease of one destination; calls block (run them in a thread)."""

    @property
    def holder(self) -> str:
        """Who this relay is, in the lease."""
        ...

    def observe(self) -> RelayState:
        """The current state (made at position 0 the first time)."""
        ...

    def take_over(self, seen: RelayState) -> bool:
        """Become the holder if the state is still `seen`; whether it worked."""
        ...

    def renew(self) -> bool:
        """Beat while holding the lease; False once another relay took it."""
        ...

    def advance(self, position: int) -> bool:
        """Record that every event up to `position` is published (and beat)."""
        ...

    def claim(self, position: int) -> None:
        """Hold the lease whoever holds it, with the checkpoint at `position`."""
        ...

    def events_up_to(self, position: int) -> int:
        """How many stored events lie at or below `position`."""
        ...

    def position_of(self, count: int) -> int:
        """The position of the `count`-th stored event (0 for none)."""
        ...

    def release(self) -> None:
        """Give the lease up, so a standby takes over at once."""
        ...


async def wait_for_lease(checkpoints: RelayCheckpoints, lease_seconds: float,
                         blocking: Blocking, *, doing: str) -> None:
    """Return once this follower holds the lease: at once if nobody does, else once the
    holder fell silent for `lease_seconds` (`doing`: what the holder does, for logs)."""
    seen: tuple[str | None, int] | None = None
    seen_since = time.monotonic()
    while True:
        state: RelayState = await blocking(checkpoints.observe)
        if state.holder == checkpoints.holder:
            return
        heartbeat = (state.holder, state.beat)
        silent = heartbeat == seen and time.monotonic() - seen_since >= lease_seconds
        if state.holder is None or silent:
            if await blocking(checkpoints.take_over, state):
                log.info("%s now %s", checkpoints.holder, doing)
                return
        elif heartbeat != seen:
            if seen is None or state.holder != seen[0]:
                log.info("standing by: %s %s", state.holder, doing)
            seen, seen_since = heartbeat, time.monotonic()
        await anyio.sleep(min(1.0, lease_seconds / 4))
