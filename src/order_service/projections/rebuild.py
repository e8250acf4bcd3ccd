"""Rebuild every read model from the event store, then swap the result in.

The rebuild runs the live projections' own projectors (history_fold.py) over every
stored event, decoded and upcast as any reader gets it, into temporary twin tables while
the service keeps serving. Events are read stream by stream in batches of short
transactions, so no lock is held between batches; only the final step (folding what
arrived meanwhile and copying the twins over the live tables) holds the write locks, so
commands wait seconds at most, and readers never wait.
"""

from __future__ import annotations

import gc
from collections.abc import Callable, Iterator, Sequence
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

from sqlalchemy import (
    Column,
    Connection,
    Engine,
    MetaData,
    Row,
    Table,
    Text,
    and_,
    bindparam,
    cast,
    delete,
    func,
    insert,
    or_,
    select,
    text,
    tuple_,
)

from order_service.adapters.sql.engine import WRITE_OPTION
from order_service.application.views import OrderView
from order_service.eventstore.codec import EVENT_CLASSES, decode_json
from order_service.eventstore.tables import events
from order_service.projections import tables
from order_service.projections.history_fold import CatalogueFold, ReplayedEvent, folded_order
from order_service.projections.products import product_row, shipping_method_row
from order_service.projections.swap import lock_read_models, swap_in
from order_service.projections.twin_writes import write_orders

# Events per batch read: one progress step, one short transaction, bounded memory.
BATCH_SIZE = 50_000
Progress = Callable[[int], None]

# Settings for the rebuild's own transactions on PostgreSQL: statements as long as the
# history is (not the service's 10 s), no JIT (compiling costs more than it saves here).
_PG_SETTINGS = ("SET LOCAL statement_timeout = 0", "SET LOCAL jit = off")


class UnknownEvents(Exception):
    """The store holds an event of a type (or schema version) this version does not know.

    Replaying without it would build read models that silently leave out whatever it did;
    only the version that wrote it can rebuild.
    """


@dataclass(frozen=True, slots=True)
class RebuildReport:
    """What a rebuild did."""

    events: int
    orders: int
    products: int


def count_events(engine: Engine) -> int:
    """How many events the store holds (for progress bars)."""
    with engine.connect() as connection:
        return int(connection.execute(select(func.count()).select_from(events)).scalar_one())


def rebuild_projections(engine: Engine, progress: Progress | None = None) -> RebuildReport:
    """Replay every event into fresh read models and swap them in atomically."""
    twins = _twins()
    catalogue = CatalogueFold()
    with engine.connect() as connection, engine.connect() as reader:
        with _transaction(connection):
            _refuse_unknown_events(connection, after=0)
            # A pooled connection may still hold twins from a rebuild that failed.
            twins.drop_all(connection)
            twins.create_all(connection)
            high = _last_position(connection)
        with _collector_paused():
            replayed = _replay(connection, reader, twins, catalogue=catalogue, high=high,
                               progress=progress)
        connection.execution_options(**{WRITE_OPTION: True})
        with _transaction(connection):
            lock_read_models(connection)
            caught_up = _catch_up(connection, twins, catalogue, after=high)
            if progress is not None and caught_up:
                progress(caught_up)
            _write_catalogue(connection, twins, catalogue)
            last_number, products = swap_in(connection)
        with _transaction(connection):
            twins.drop_all(connection)
    return RebuildReport(events=replayed + caught_up, orders=last_number, products=products)


def _twins() -> MetaData:
    twins = MetaData()
    # No keys on the orders twin: the swap copies it into the live table, whose keys
    # check every row once, and loading an unindexed table is much faster.
    Table("rebuild_orders", twins, *(Column(c.name, c.type) for c in tables.orders.columns),
          prefixes=["TEMPORARY"])
    tables.define_products(twins, "rebuild_products", temporary=True)
    tables.define_shipping_methods(twins, "rebuild_shipping_methods", temporary=True)
    return twins


@contextmanager
def _transaction(connection: Connection) -> Iterator[None]:
    with connection.begin():
        if connection.dialect.name == "postgresql":
            for setting in _PG_SETTINGS:
                connection.execute(text(setting))
        yield


def _refuse_unknown_events(connection: Connection, *, after: int) -> None:
    current = {cls.TYPE: cls.SCHEMA_VERSION for cls in EVENT_CLASSES.values()}
    unknown = or_(events.c.type.not_in(list(current)), *(
        and_(events.c.type == name, events.c.schema_version > version)
        for name, version in current.items()))
    found = connection.execute(
        select(events.c.position, events.c.type, events.c.schema_version)
        .where(events.c.position > after, unknown).order_by(events.c.position).limit(1)
    ).first()
    if found is not None:
        raise UnknownEvents(
            f"the event at position {found.position} has the type {found.type!r} (schema "
            f"version {found.schema_version}), which this version of order-service does not "
            "know: a newer version stored it. Rebuild with that version (upgrade this "
            "installation first); nothing was changed")


def _last_position(connection: Connection) -> int:
    return int(connection.execute(select(func.coalesce(func.max(events.c.position), 0))
                                  ).scalar_one())


# The columns a rebuild reads, payloads as JSON text: validating text costs half of
# parsing it into Python objects first (codec.decode_json).
_COLUMNS = (events.c.stream_id, events.c.version, events.c.position, events.c.type,
            events.c.schema_version, cast(events.c.data, Text), cast(events.c.metadata, Text))
# The next batch of events in stream order, after the last one read: the (stream_id,
# version) key's own index gives them in order, each stream's events together.
_NEXT_BATCH = (
    select(*_COLUMNS)
    .where(tuple_(events.c.stream_id, events.c.version)
           > tuple_(bindparam("stream_id"), bindparam("version")),
           events.c.position <= bindparam("high"))
    .order_by(events.c.stream_id, events.c.version)
    .limit(bindparam("size"))
)


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


def _replay(connection: Connection, reader: Connection, twins: MetaData, *,
            catalogue: CatalogueFold, high: int, progress: Progress | None) -> int:
    """Fold every event up to position `high` into the twins (orders) and `catalogue`;
    how many there were. `reader` reads them, `connection` holds the twins."""
    replayed = 0
    unfinished: list[ReplayedEvent] = []  # the last stream of a batch may go on
    # The next batch is read while this one is folded: waiting on the database and
    # folding in Python then overlap instead of taking turns.
    with ThreadPoolExecutor(max_workers=1, thread_name_prefix="rebuild-reader") as ahead:
        next_rows = ahead.submit(_read_batch, reader, ("", 0), high)
        while rows := next_rows.result():
            last = rows[-1]
            next_rows = ahead.submit(_read_batch, reader, (last.stream_id, last.version), high)
            streams = _streams(rows, unfinished)
            unfinished = streams.pop() if len(rows) == BATCH_SIZE else []
            with _transaction(connection):
                _fold(connection, twins, catalogue, streams)
            replayed += len(rows)
            if progress is not None:
                progress(len(rows))
    if unfinished:
        with _transaction(connection):
            _fold(connection, twins, catalogue, [unfinished])
    return replayed


def _read_batch(reader: Connection, after: tuple[str, int], high: int) -> list[Row[Any]]:
    with _transaction(reader):
        return list(reader.execute(_NEXT_BATCH, {
            "stream_id": after[0], "version": after[1], "high": high, "size": BATCH_SIZE}))


def _streams(rows: Sequence[Row[Any]], unfinished: list[ReplayedEvent]
             ) -> list[list[ReplayedEvent]]:
    """The rows (in stream order) decoded and grouped by stream, `unfinished` (the last
    stream of the batch before, which these rows may go on with) first."""
    streams: list[list[ReplayedEvent]] = [unfinished] if unfinished else []
    for row in rows:
        replayed = _replayed(row)
        if streams and streams[-1][0].stream_id == replayed.stream_id:
            streams[-1].append(replayed)
        else:
            streams.append([replayed])
    return streams


def _replayed(row: Row[Any]) -> ReplayedEvent:
    stream_id, version, position, event_type, schema_version, data, metadata = tuple(row)
    return ReplayedEvent(stream_id, position, version,
                         decode_json(event_type, schema_version, data), metadata)


def _fold(connection: Connection, twins: MetaData, catalogue: CatalogueFold,
          streams: Sequence[Sequence[ReplayedEvent]]) -> None:
    """Fold whole streams: their orders written to the twin, the catalogue kept."""
    orders: list[OrderView] = []
    for stream in streams:
        for replayed in stream:
            catalogue.apply(replayed)
        order = folded_order(stream)
        if order is not None:
            orders.append(order)
    write_orders(connection, twins.tables["rebuild_orders"], orders)


def _write_catalogue(connection: Connection, twins: MetaData, catalogue: CatalogueFold) -> None:
    products = [product_row(product) for product in catalogue.products()]
    if products:
        connection.execute(insert(twins.tables["rebuild_products"]), products)
    methods = [shipping_method_row(added) for added in catalogue.shipping_methods()]
    if methods:
        connection.execute(insert(twins.tables["rebuild_shipping_methods"]), methods)


def _catch_up(connection: Connection, twins: MetaData, catalogue: CatalogueFold, *,
              after: int) -> int:
    """Fold the events stored after `after` into the twins; how many there were.

    Runs under the write locks, so nothing is stored meanwhile. Each stream with a new
    event is folded again from its first event, its order row replaced.
    """
    high = _last_position(connection)
    if high == after:
        return 0
    _refuse_unknown_events(connection, after=after)
    arrived = connection.execute(select(*_COLUMNS).where(events.c.position > after)
                                 .order_by(events.c.position)).all()
    for row in arrived:
        catalogue.apply(_replayed(row))
    touched = sorted({row[0] for row in arrived})
    rows = connection.execute(select(*_COLUMNS).where(events.c.stream_id.in_(touched))
                              .order_by(events.c.stream_id, events.c.version)).all()
    orders = [order for stream in _streams(rows, []) if (order := folded_order(stream))]
    twin = twins.tables["rebuild_orders"]
    if orders:
        connection.execute(delete(twin).where(twin.c.id.in_([o.id for o in orders])))
        write_orders(connection, twin, orders)
    return len(arrived)
