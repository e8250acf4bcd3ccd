"""The stored places of addresses, in SQL: each call its own short transaction."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import Connection, Engine, insert, select, update
from sqlalchemy.exc import IntegrityError

from order_service.adapters.sql.engine import WRITE_OPTION
from order_service.adapters.sql.errors import is_unique_violation, translated_failures
from order_service.adapters.sql.tables import address_locations as table
from order_service.geocoding.places import Location, LookupState, Point, retry_after


class SqlAddressLocations:
    """Find, claim and record the lookups of addresses, by their key."""

    def __init__(self, engine: Engine) -> None:
        self._engine = engine

    def find(self, key: str) -> Location | None:
        """What is known of the address, if it was ever asked about."""
        with translated_failures(), self._engine.connect() as connection:
            row = connection.execute(select(table).where(table.c.address_key == key)).first()
        if row is None:
            return None
        found = row.latitude is not None and row.longitude is not None
        return Location(state=LookupState(row.state),
                        point=Point(row.latitude, row.longitude) if found else None,
                        attempts=row.attempts, retry_at=row.retry_at)

    def claim(self, key: str, now: datetime, lease: timedelta) -> bool:
        """Whether this process may ask the geocoder about the address now.

        True for one caller only (across processes): the address is marked as being
        looked up for `lease`, after which a caller that died mid-lookup is replaced.
        """
        with translated_failures():
            try:
                with self._writing() as connection:
                    connection.execute(insert(table).values(
                        address_key=key, state=LookupState.PENDING.value, attempts=0,
                        looked_up_at=now, retry_at=now + lease))
                return True
            except IntegrityError as error:
                if not is_unique_violation(error):
                    raise
            with self._writing() as connection:
                taken = connection.execute(
                    update(table)
                    .where(table.c.address_key == key,
                           table.c.state != LookupState.FOUND.value,
                           table.c.retry_at <= now)
                    .values(retry_at=now + lease))
                return taken.rowcount == 1

    def record(self, key: str, point: Point | None, now: datetime, *,
               answered: bool = True) -> Location:
        """Keep what the geocoder answered (a point, or no such place) or, with
        `answered=False`, that it did not answer; the outcome and when to ask again."""
        state = (LookupState.FAILED if not answered
                 else LookupState.NOT_FOUND if point is None else LookupState.FOUND)
        with translated_failures(), self._writing() as connection:
            attempts = 1 + int(connection.execute(
                select(table.c.attempts).where(table.c.address_key == key)).scalar_one())
            delay = retry_after(state, attempts)
            values: dict[str, Any] = {
                "state": state.value, "attempts": attempts, "looked_up_at": now,
                "latitude": point.latitude if point else None,
                "longitude": point.longitude if point else None,
                "retry_at": None if delay is None else now + delay,
            }
            connection.execute(update(table).where(table.c.address_key == key).values(values))
        return Location(state, point, attempts, values["retry_at"])

    @contextmanager
    def _writing(self) -> Iterator[Connection]:
        with self._engine.connect() as connection:
            connection.execution_options(**{WRITE_OPTION: True})
            with connection.begin():
                yield connection
