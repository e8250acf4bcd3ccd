"""What the database's backends were doing during a load: pg_stat_activity, sampled.

Issue 13 found placements serialised on one row lock by sampling `pg_stat_activity`
while wrk ran; the bench does the same on every run, so that the figure sits next to
the throughput it explains. Every ~150 ms a thread reads the state and wait event of
each client backend of one database (its own backend excluded). A backend that is
`idle` holds no transaction and serves no request (a pooled connection at rest), so
it is left out; every other sample (active, or idle in transaction) is one "backend
state", and the shares below are of those.
"""

from __future__ import annotations

import threading
import time
from collections import Counter
from dataclasses import dataclass, field
from typing import Any

import psycopg

INTERVAL_SECONDS = 0.15
# A backend waiting for a row another transaction holds first takes (or waits for) a
# tuple lock on that row's table: its name says which rows the wait is for.
SAMPLE = """
    SELECT a.state, a.wait_event_type, a.wait_event,
           (SELECT string_agg(DISTINCT c.relname, ', ') FROM pg_locks AS l
            JOIN pg_class AS c ON c.oid = l.relation
            WHERE l.pid = a.pid AND l.locktype = 'tuple') AS rows_of
    FROM pg_stat_activity AS a
    WHERE a.datname = %s AND a.backend_type = 'client backend'
      AND a.pid <> pg_backend_pid() AND a.state IS DISTINCT FROM 'idle'
"""


@dataclass
class Waits:
    """Counts over every sample taken (one sampler may run over several loads)."""

    ticks: int = 0
    states: int = 0
    events: Counter[str] = field(default_factory=Counter)
    idle_in_transaction: int = 0

    def count(self, rows: list[tuple[Any, ...]]) -> None:
        self.ticks += 1
        for state, wait_type, wait_event, rows_of in rows:
            self.states += 1
            if state and state.startswith("idle in transaction"):
                self.idle_in_transaction += 1
            name = f"{wait_type}:{wait_event}" if wait_type else "running"
            self.events[f"{name} ({rows_of} rows)" if rows_of else name] += 1

    def share(self, wait_type: str) -> float:
        """The share of backend states waiting on `wait_type` (Lock, LWLock, Client ...)."""
        waiting = sum(n for name, n in self.events.items()
                      if name.split(":")[0] == wait_type)
        return waiting / self.states if self.states else 0.0

    @property
    def idle_in_transaction_share(self) -> float:
        return self.idle_in_transaction / self.states if self.states else 0.0

    def top(self, count: int = 5) -> str:
        """The most frequent wait events (or running), with their shares."""
        return ", ".join(f"{name} {n / self.states:.0%}"
                         for name, n in self.events.most_common(count))

    def summary(self) -> str:
        """One line: Lock, LWLock and idle-in-transaction shares, the top events."""
        if not self.states:
            return f"no busy backend seen in {self.ticks} samples"
        return (f"Lock {self.share('Lock'):.0%}, LWLock {self.share('LWLock'):.0%}, idle in "
                f"transaction {self.idle_in_transaction_share:.0%} of {self.states:,} "
                f"backend states ({self.ticks} samples, every {INTERVAL_SECONDS * 1000:.0f} "
                f"ms); top: {self.top()}")


class Sampler:
    """Samples one database's backends on a thread while `sampling()` is on."""

    def __init__(self, admin_url: str, database: str) -> None:
        self.admin_url = admin_url
        self.database = database
        self.waits = Waits()
        self._on = threading.Event()
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self.error: str | None = None

    def __enter__(self) -> Sampler:
        self._thread = threading.Thread(target=self._run, name="waits", daemon=True)
        self._thread.start()
        return self

    def __exit__(self, *_exc: object) -> None:
        self._stop.set()
        self._on.set()
        if self._thread is not None:
            self._thread.join(timeout=10)

    def sampling(self, on: bool) -> None:
        """Start or pause the sampling (the connection stays open meanwhile)."""
        if on:
            self._on.set()
        else:
            self._on.clear()

    def _run(self) -> None:
        try:
            # In the sampled database itself, where its tables' names resolve.
            with psycopg.connect(self.admin_url, dbname=self.database,
                                 autocommit=True) as connection:
                while not self._stop.is_set():
                    self._on.wait()
                    if self._stop.is_set():
                        return
                    started = time.monotonic()
                    self.waits.count(connection.execute(SAMPLE, (self.database,)).fetchall())
                    time.sleep(max(0.0, INTERVAL_SECONDS - (time.monotonic() - started)))
        except psycopg.Error as error:
            self.error = str(error)
