"""A clock for tests that decide when time passes."""

from __future__ import annotations

from datetime import datetime


class StoppedClock:
    """A clock that stands still until the test sets `now`."""

    def __init__(self, now: datetime) -> None:
        self.now = now

    def __call__(self) -> datetime:
        return self.now
