"""A rebuild's batches: whole streams read, decoded, folded and made ready to write.

A batch is a range of stream ids, so each stream is folded whole by one batch. Batches
fold in worker processes when the store is big enough to pay for starting them: each
worker reads its batch on its own connection, and decoding and folding, a rebuild's
main cost, run on every core at once. The process that started the rebuild only writes
what they return and adds up the catalogue.
"""

from __future__ import annotations

import gc
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from functools import cache
from typing import Any

from sqlalchemy import Connection, Engine, Row, Text, bindparam, cast, func, select, text

from order_service.adapters.sql.engine import make_engine
from order_service.eventstore.codec import decode_json
from order_service.eventstore.tables import events
from order_service.projections.history_fold import CatalogueFold, ReplayedEvent, folded_order
from order_service.projections.twin_writes import ReadyRows, ready_rows

# Settings for a rebuild's own transactions on PostgreSQL: statements as long as the
# history is (not the service's 10 s), no JIT (compiling costs more than it saves here).
PG_SETTINGS = ("SET LOCAL statement_timeout = 0", "SET LOCAL jit = off")


@dataclass(frozen=True, slots=True)
class Batch:
    """The events up to position `high` of the streams from `first` up to `end`."""

    database_url: str
    first: str
    end: str | None  # None: every stream from `first` on
    high: int


@dataclass(slots=True)
class FoldedBatch:
    """What a batch made: its order rows, ready to write, and its part of the catalogue."""

    events: int
    orders: ReadyRows
    catalogue: CatalogueFold


@contextmanager
def transaction(connection: Connection) -> Iterator[None]:
    """A transaction with the rebuild's settings."""
    with connection.begin():
        if connection.dialect.name == "postgresql":
            for setting in PG_SETTINGS:
                connection.execute(text(setting))
        yield


def batches(connection: Connection, database_url: str, high: int, size: int) -> list[Batch]:
    """Batches of about `size` events covering every stream, up to position `high`."""
    numbered = (select(events.c.stream_id, func.row_number().over(
        order_by=(events.c.stream_id, events.c.version)).label("n"))
        .where(events.c.position <= high).subquery())
    # Every size-th event's stream starts a batch (a stream is never split).
    starts = sorted(set(connection.scalars(
        select(numbered.c.stream_id).where(numbered.c.n % size == 0))))
    bounds = ["", *starts]
    return [Batch(database_url, first, end, high)
            for first, end in zip(bounds, [*starts, None], strict=True) if first != end]


# A batch's events, each stream's together, oldest first; payloads as JSON text, which
# validates in half the time of parsed objects (codec.decode_json).
COLUMNS = (events.c.stream_id, events.c.version, events.c.position, events.c.type,
           events.c.schema_version, cast(events.c.data, Text), cast(events.c.metadata, Text))
_BATCH = (select(*COLUMNS)
          .where(events.c.stream_id >= bindparam("first"), events.c.position <= bindparam("high"))
          .order_by(events.c.stream_id, events.c.version))
_BOUNDED_BATCH = _BATCH.where(events.c.stream_id < bindparam("end"))


def fold_batch(batch: Batch) -> FoldedBatch:
    """Read, decode and fold one batch on a connection of this (worker) process's own."""
    engine = _engine(batch.database_url)
    with engine.connect() as connection:
        return fold_batch_on(connection, batch)


def fold_batch_on(connection: Connection, batch: Batch) -> FoldedBatch:
    """Read, decode and fold one batch on `connection`."""
    with _collector_paused():
        with transaction(connection):
            rows = connection.execute(
                _BATCH if batch.end is None else _BOUNDED_BATCH,
                {"first": batch.first, "end": batch.end, "high": batch.high}).all()
        catalogue = CatalogueFold()
        orders = []
        for stream in streams(rows):
            for replayed in stream:
                catalogue.apply(replayed)
            order = folded_order(stream)
            if order is not None:
                orders.append(order)
        return FoldedBatch(len(rows), ready_rows(connection.dialect.name, orders), catalogue)


def streams(rows: Sequence[Row[Any]]) -> list[list[ReplayedEvent]]:
    """The rows (COLUMNS, in stream order) decoded and grouped by stream."""
    grouped: list[list[ReplayedEvent]] = []
    for row in rows:
        stream_id, version, position, event_type, schema_version, data, metadata = tuple(row)
        replayed = ReplayedEvent(stream_id, position, version,
                                 decode_json(event_type, schema_version, data), metadata)
        if grouped and grouped[-1][0].stream_id == stream_id:
            grouped[-1].append(replayed)
        else:
            grouped.append([replayed])
    return grouped


@cache
def _engine(database_url: str) -> Engine:
    # One per process for the whole rebuild: a worker folds many batches.
    return make_engine(database_url, pool_size=1)


@contextmanager
def _collector_paused() -> Iterator[None]:
    """Python's cycle collector off while a batch's events are alive.

    A batch holds hundreds of thousands of objects, so the collector, started by every
    few hundred allocations, walks them again and again: that doubled the time to decode
    an event. A rebuild's objects form no cycles; they go as each batch ends.
    """
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was_enabled:
            gc.enable()
