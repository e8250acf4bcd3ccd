"""Rebuild every read model from the event store, then swap the result in.

The rebuild runs the live projections' own projectors (history_fold.py) over every
stored event, decoded and upcast as any reader gets it, into temporary twin tables while
the service keeps serving. Events are read in batches of whole streams, each in a short
transaction of its own, so no lock is held between batches, and a big store's batches
are folded by worker processes on every core (rebuild_batches.py). Every order is
compared with its twin before any lock is taken; only the final step (folding what
arrived meanwhile and writing the orders that differ) holds the write locks, so
commands wait for the few that differ (none, in a sound store), and readers never wait.
"""

from __future__ import annotations

import os
from collections import deque
from collections.abc import Callable, Iterator
from concurrent.futures import Future, ProcessPoolExecutor
from dataclasses import dataclass
from multiprocessing import get_context

from sqlalchemy import (
    Column,
    Connection,
    Engine,
    MetaData,
    Table,
    and_,
    delete,
    func,
    insert,
    or_,
    select,
    text,
)

from order_service.adapters.sql.engine import WRITE_OPTION
from order_service.eventstore.codec import EVENT_CLASSES
from order_service.eventstore.tables import events
from order_service.projections import tables
from order_service.projections.history_fold import CatalogueFold, folded_order
from order_service.projections.products import product_row, shipping_method_row
from order_service.projections.rebuild_batches import (
    COLUMNS,
    Batch,
    FoldedBatch,
    batches,
    fold_batch,
    fold_batch_on,
    streams,
    transaction,
)
from order_service.projections.swap import lock_read_models, note_differing_orders, swap_in
from order_service.projections.twin_writes import ready_rows, write_rows

# Events per batch: one progress step, one short transaction, bounded memory.
BATCH_SIZE = 50_000
# Worker processes fold the batches of a store with at least this many events: starting
# them costs about a second, folding 100,000 events here about three.
WORKERS_FROM_EVENTS = 200_000
WORKERS = max(2, min(4, os.cpu_count() or 2))
Progress = Callable[[int], None]


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
    with engine.connect() as connection:
        with transaction(connection):
            _refuse_unknown_events(connection, after=0)
            # A pooled connection may still hold twins from a rebuild that failed.
            twins.drop_all(connection)
            twins.create_all(connection)
            high = _last_position(connection)
            planned = batches(connection, engine.url.render_as_string(hide_password=False),
                              high, BATCH_SIZE)
        replayed = _replay(connection, twins, planned, catalogue, progress)
        with transaction(connection):
            # Made once the twin is full (one sort, not an insertion per row), before the
            # locks: under them the catch-up and the swap find twins by id.
            connection.execute(text("CREATE INDEX rebuild_orders_id ON rebuild_orders (id)"))
            note_differing_orders(connection)
            if connection.dialect.name == "postgresql":
                # Temporary tables are never analysed by autovacuum; the locked step's
                # plans need to know how few orders differ.
                connection.execute(text("ANALYZE rebuild_orders, rebuild_differing"))
        connection.execution_options(**{WRITE_OPTION: True})
        with transaction(connection):
            lock_read_models(connection)
            caught_up = _catch_up(connection, twins, catalogue, after=high)
            if progress is not None and caught_up:
                progress(caught_up)
            _write_catalogue(connection, twins, catalogue)
            last_number, products = swap_in(connection)
        with transaction(connection):
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
    # The orders the swap writes (swap.py).
    Table("rebuild_differing", twins, Column("id", tables.orders.c.id.type),
          prefixes=["TEMPORARY"])
    return twins


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


def _replay(connection: Connection, twins: MetaData, planned: list[Batch],
            catalogue: CatalogueFold, progress: Progress | None) -> int:
    """Fold the planned batches into the twins (orders) and `catalogue`; how many events
    they held. `connection` holds the twins."""
    replayed = 0
    for folded in _folded(connection, planned):
        with transaction(connection):
            write_rows(connection, twins.tables["rebuild_orders"], folded.orders)
        catalogue.merge(folded.catalogue)
        replayed += folded.events
        if progress is not None and folded.events:
            progress(folded.events)
    return replayed


def _folded(connection: Connection, planned: list[Batch]) -> Iterator[FoldedBatch]:
    """Each batch folded, in order: by worker processes when there are enough events to
    pay for starting them (and a database they can open), else here, on `connection`."""
    in_memory = connection.dialect.name == "sqlite" and connection.engine.url.database in (
        None, "", ":memory:")
    if len(planned) * BATCH_SIZE < WORKERS_FROM_EVENTS or in_memory:
        for batch in planned:
            yield fold_batch_on(connection, batch)
        return
    # Spawned, not forked: a fork would share this process's database connections.
    with ProcessPoolExecutor(WORKERS, mp_context=get_context("spawn")) as pool:
        # A few batches ahead of the writes, so memory holds only those.
        ahead: deque[Future[FoldedBatch]] = deque()
        for batch in planned:
            ahead.append(pool.submit(fold_batch, batch))
            if len(ahead) > 2 * WORKERS:
                yield ahead.popleft().result()
        while ahead:
            yield ahead.popleft().result()


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
    arrived = connection.execute(select(*COLUMNS).where(events.c.position > after)
                                 .order_by(events.c.position)).all()
    for stream in streams(arrived):
        for replayed in stream:
            catalogue.apply(replayed)
    touched = sorted({row[0] for row in arrived})
    rows = connection.execute(select(*COLUMNS).where(events.c.stream_id.in_(touched))
                              .order_by(events.c.stream_id, events.c.version)).all()
    orders = [order for stream in streams(rows) if (order := folded_order(stream))]
    twin = twins.tables["rebuild_orders"]
    if orders:
        connection.execute(delete(twin).where(twin.c.id.in_([o.id for o in orders])))
        write_rows(connection, twin, ready_rows(connection.dialect.name, orders))
    return len(arrived)
