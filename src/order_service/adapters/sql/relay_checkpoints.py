"""The event relay's checkpoint and lease: one `event_relay` row per JetStream stream.

Every change to the row bumps `beat`, so "the row is still as I saw it" is one compare
of `beat`: that is how a standby takes a silent relay's lease without racing another
standby, and how a relay that lost its lease finds out at its next write.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass

from sqlalchemy import ColumnElement, Connection, Engine, func, select, true, update
from sqlalchemy.dialects import postgresql, sqlite

from order_service.adapters.sql.engine import WRITE_OPTION
from order_service.adapters.sql.errors import translated_failures
from order_service.adapters.sql.tables import event_relay
from order_service.application.leases import RelayState
from order_service.eventstore.tables import events

_CREATE = {
    dialect.dialect.name: dialect.insert(event_relay).on_conflict_do_nothing(
        index_elements=["stream"])
    for dialect in (postgresql, sqlite)
}


class SqlRelayCheckpoints:
    """The RelayCheckpoints port of relay `holder` publishing to `stream`.

    A follower's row is made the first time one looks: at position 0 (the whole history
    follows), or with `from_now` at the newest stored event (only what happens from
    then on: customers are not emailed about orders of years past).
    """

    def __init__(self, engine: Engine, stream: str, holder: str, *,
                 from_now: bool = False) -> None:
        self._engine = engine
        self._stream = stream
        self._holder = holder
        self._from_now = from_now

    @property
    def holder(self) -> str:
        """Who this relay is, in the lease."""
        return self._holder

    def observe(self) -> RelayState:
        """The row as it is now; made (held by nobody) the first time."""
        state = self._read()
        if state is None:
            with translated_failures(), self._writing() as connection:
                start = connection.execute(select(func.max(events.c.position))).scalar_one() \
                    if self._from_now else 0
                connection.execute(_CREATE[connection.dialect.name],
                                   {"stream": self._stream, "position": start or 0, "beat": 0})
            state = self._read()
        assert state is not None, "the relay row was just made"
        return state

    def take_over(self, seen: RelayState) -> bool:
        """Become the holder if nobody changed the row since `seen`."""
        return self._update(event_relay.c.beat == seen.beat, holder=self._holder)

    def renew(self) -> bool:
        """Beat, while still the holder."""
        return self._update(event_relay.c.holder == self._holder)

    def advance(self, position: int) -> bool:
        """Record that every event up to `position` is published, while still the holder."""
        return self._update(event_relay.c.holder == self._holder, position=position)

    def release(self) -> None:
        """Hold the lease no more, so that a standby takes over at once."""
        self._update(event_relay.c.holder == self._holder, holder=None)

    def claim(self, position: int) -> None:
        """Hold the lease whoever holds it, with the checkpoint at `position`.

        An operator's republish: the relay that held the lease finds out at its next write
        and stands by.
        """
        self.observe()
        self._update(true(), holder=self._holder, position=position)

    def events_up_to(self, position: int) -> int:
        """How many stored events lie at or below `position`."""
        with translated_failures(), self._engine.connect() as connection:
            return int(connection.execute(
                select(func.count()).select_from(events).where(events.c.position <= position)
            ).scalar_one())

    def position_of(self, count: int) -> int:
        """The position of the `count`-th stored event (0 for none)."""
        if count <= 0:
            return 0
        with translated_failures(), self._engine.connect() as connection:
            position = connection.execute(
                select(events.c.position).order_by(events.c.position)
                .offset(count - 1).limit(1)
            ).scalar_one_or_none()
        return 0 if position is None else int(position)

    def _read(self) -> RelayState | None:
        with translated_failures(), self._engine.connect() as connection:
            row = connection.execute(
                select(event_relay.c.position, event_relay.c.holder, event_relay.c.beat)
                .where(event_relay.c.stream == self._stream)
            ).first()
        return None if row is None else RelayState(row.position, row.holder, row.beat)

    def _update(self, condition: ColumnElement[bool], **values: object) -> bool:
        statement = (
            update(event_relay)
            .where(event_relay.c.stream == self._stream, condition)
            .values(beat=event_relay.c.beat + 1, **values)
        )
        with translated_failures(), self._writing() as connection:
            return connection.execute(statement).rowcount == 1

    @contextmanager
    def _writing(self) -> Iterator[Connection]:
        with self._engine.connect() as connection:
            connection.execution_options(**{WRITE_OPTION: True})
            with connection.begin():
                yield connection


@dataclass(frozen=True, slots=True)
class RelayLag:
    """How far the relay to one stream trails the store."""

    last_stored: int
    published: int

    @property
    def events_behind(self) -> int:
        """Positions stored but not yet published (an upper bound: positions may skip)."""
        return max(0, self.last_stored - self.published)


def relay_lag(engine: Engine, stream: str) -> RelayLag:
    """The newest stored position and the relay's checkpoint for `stream` (0 if none)."""
    with translated_failures(), engine.connect() as connection:
        last_stored = connection.execute(select(func.max(events.c.position))).scalar_one()
        published = connection.execute(
            select(event_relay.c.position).where(event_relay.c.stream == stream)
        ).scalar_one_or_none()
    return RelayLag(last_stored=last_stored or 0, published=published or 0)
