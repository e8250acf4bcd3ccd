"""Rebuild every read model from the event store, then swap the result in.

The replay runs into temporary twin tables while the service keeps serving. Only the
final step (replaying what arrived meanwhile and copying the twins over the live tables)
holds the write locks, so commands wait seconds at most, and readers never wait.

The replay is set-based (see `replay`): the database folds the events itself, a batch of
positions at a time, instead of sending each event through Python.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

from sqlalchemy import (
    Column,
    Connection,
    Engine,
    MetaData,
    String,
    Table,
    and_,
    func,
    or_,
    select,
    text,
)

from order_service.adapters.sql.engine import WRITE_OPTION
from order_service.eventstore.codec import EVENT_CLASSES
from order_service.eventstore.tables import events
from order_service.projections import replay_catalogue, replay_orders, tables
from order_service.projections.replay import Dialect, dialect_of, outdated_event_types
from order_service.projections.replay_orders import CHANGED_COLUMNS
from order_service.projections.swap import lock_read_models, swap_in

# Events per replayed batch: one progress step, one short transaction.
BATCH_SIZE = 200_000
Progress = Callable[[int], None]

# Settings for the replay's own transactions on PostgreSQL: statements as long as the
# history is (not the service's 10 s), no JIT (compiling costs more than it saves here),
# and enough memory to sort a batch without spilling to disk.
_PG_SETTINGS = ("SET LOCAL statement_timeout = 0", "SET LOCAL jit = off",
                "SET LOCAL work_mem = '256MB'")


class OutdatedEvents(Exception):
    """Stored events need an upcaster, which the set-based replay cannot apply."""


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
    with engine.connect() as connection:
        dialect = dialect_of(connection)
        with _transaction(connection):
            _refuse_unknown_events(connection, after=0)
            _refuse_outdated_events(connection)
            # A pooled connection may still hold twins from a rebuild that failed.
            twins.drop_all(connection)
            twins.create_all(connection)
        replayed, high = _replay(connection, dialect, progress)
        connection.execution_options(**{WRITE_OPTION: True})
        with _transaction(connection):
            lock_read_models(connection)
            caught_up = _catch_up(connection, dialect, after=high)
            if progress is not None and caught_up:
                progress(caught_up)
            last_number, products = swap_in(connection, dialect)
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
    changed = {column.name: column.type for column in tables.orders.columns}
    # Indexed only after it is filled (see _replay): one sort beats 300,000 insertions.
    Table("rebuild_changes", twins, Column("stream_id", String(200), nullable=False),
          *(Column(name, changed[name]) for name in CHANGED_COLUMNS), prefixes=["TEMPORARY"])
    Table("rebuild_streams", twins, Column("stream_id", String(200), primary_key=True),
          prefixes=["TEMPORARY"])
    return twins


@contextmanager
def _transaction(connection: Connection) -> Iterator[None]:
    with connection.begin():
        if connection.dialect.name == "postgresql":
            for setting in _PG_SETTINGS:
                connection.execute(text(setting))
        yield


def _refuse_outdated_events(connection: Connection) -> None:
    for event_type, version in outdated_event_types():
        found = connection.execute(
            select(events.c.position).where(events.c.type == event_type,
                                            events.c.schema_version == version).limit(1)
        ).first()
        if found is not None:
            raise OutdatedEvents(
                f"{event_type} events of schema version {version} are stored; the rebuild "
                f"reads payloads as stored, so teach replay.py the upcaster first")


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


def _execute(connection: Connection, statement: str, **params: Any) -> None:
    connection.execute(text(statement), params)


def _replay(connection: Connection, d: Dialect, progress: Progress | None) -> tuple[int, int]:
    """Fold every event stored now into the twins; (events replayed, last position)."""
    with _transaction(connection):
        low, high = (int(position) for position in connection.execute(
            select(func.coalesce(func.min(events.c.position) - 1, 0),
                   func.coalesce(func.max(events.c.position), 0))).one())
        _execute(connection, replay_orders.fold_changes(d, "e.position <= :hi"), hi=high)
        _fold_catalogue(connection, d, after=0, high=high)
        if d.name == "postgresql":
            # Temporary tables are never analysed by autovacuum; the joins below need it.
            _execute(connection, "ANALYZE rebuild_changes")
        else:
            # SQLite joins by looking rows up, so the batches below need an index.
            _execute(connection, "CREATE INDEX rebuild_changes_stream ON rebuild_changes "
                     "(stream_id)")
    replayed = 0
    for after in range(low, high, BATCH_SIZE):
        with _transaction(connection):
            upto = min(after + BATCH_SIZE, high)
            _execute(connection, replay_orders.fold_orders(
                d, "e.position > :lo AND e.position <= :hi"), lo=after, hi=upto)
            batch = _count_between(connection, after, upto)
        replayed += batch
        if progress is not None and batch:
            progress(batch)
    if d.name == "sqlite":
        with _transaction(connection):  # for the catch-up and the swap, as above
            _execute(connection, "CREATE INDEX rebuild_orders_id ON rebuild_orders (id)")
    return replayed, high


def _fold_catalogue(connection: Connection, d: Dialect, *, after: int, high: int) -> None:
    for statement in (replay_catalogue.add_products(d), replay_catalogue.add_shipping_methods(d),
                      replay_catalogue.change_stock(d)):
        _execute(connection, statement, lo=after, hi=high)


def _count_between(connection: Connection, low: int, high: int) -> int:
    return int(connection.execute(
        select(func.count()).select_from(events)
        .where(events.c.position > low, events.c.position <= high)
    ).scalar_one())


def _catch_up(connection: Connection, d: Dialect, *, after: int) -> int:
    """Fold the events stored after `after` into the twins; how many there were."""
    high = int(connection.execute(select(func.coalesce(func.max(events.c.position), after))
                                  ).scalar_one())
    if high == after:
        return 0
    _refuse_unknown_events(connection, after=after)
    # Each order stream with a new event is folded again from its first event.
    _execute(connection, "INSERT INTO rebuild_streams (stream_id) SELECT DISTINCT stream_id "
             "FROM events WHERE position > :lo AND position <= :hi", lo=after, hi=high)
    in_streams = "e.stream_id IN (SELECT stream_id FROM rebuild_streams)"
    _execute(connection, "DELETE FROM rebuild_changes WHERE stream_id IN "
             "(SELECT stream_id FROM rebuild_streams)")
    _execute(connection, "DELETE FROM rebuild_orders WHERE id IN (SELECT "  # noqa: S608
             f"{d.uuid(d.text('e.data', 'order_id'))} FROM events e "
             f"WHERE e.type = 'OrderPlaced' AND {in_streams})")
    scope = f"e.position <= :hi AND {in_streams}"
    _execute(connection, replay_orders.fold_changes(d, scope), hi=high)
    _execute(connection, replay_orders.fold_orders(d, scope), hi=high)
    _fold_catalogue(connection, d, after=after, high=high)
    return _count_between(connection, after, high)
