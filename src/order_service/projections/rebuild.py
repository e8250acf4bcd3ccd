"""Rebuild every read model from the event store, then swap the result in.

The events are decoded and upcast like every read of them, and folded into rows by the
same projectors the live paths run (projections/projectors.py, history_fold.py). They
are read newest first in large batches: on PostgreSQL one connection reads the next
batch (COPY out) while this one folds the last and writes its rows (COPY in); SQLite
gets many rows per executemany.

The replay runs into temporary twin tables while the service keeps serving. Only the
final step (replaying what arrived meanwhile and copying the twins over the live tables)
holds the write locks, so commands wait seconds at most, and readers never wait.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from dataclasses import dataclass

from pydantic_core import to_json
from sqlalchemy import (
    Column,
    Connection,
    Engine,
    MetaData,
    Table,
    and_,
    bindparam,
    delete,
    func,
    insert,
    or_,
    select,
    text,
    update,
)

from order_service.domain.events import DomainEvent, ProductAdded, ShippingMethodAdded
from order_service.eventstore.codec import EVENT_CLASSES, decode, decode_json
from order_service.eventstore.engine import WRITE_OPTION
from order_service.eventstore.tables import events
from order_service.projections import tables
from order_service.projections.history_fold import BackwardFold, forward_order_row
from order_service.projections.projectors import (
    ORDER_EVENTS,
    Recorded,
    Row,
    product_row,
    shipping_method_row,
    stock_changes,
)
from order_service.projections.swap import lock_read_models, swap_in

# Events per batch: one read, one write, one progress step.
BATCH_SIZE = 50_000
Progress = Callable[[int], None]
# (stream id, version, type, schema version, payload's JSON text, API key id)
StoredRow = tuple[str, int, str, int, str, str | None]

# Settings for the replay's own transactions on PostgreSQL: statements as long as the
# history is (not the service's 10 s), and no JIT (compiling costs more than it saves).
_PG_SETTINGS = ("SET LOCAL statement_timeout = 0", "SET LOCAL jit = off")
_PG_BATCH = ("COPY (SELECT stream_id, version, type, schema_version, data, "
             "metadata->>'api_key_id' FROM events WHERE position > %s AND position <= %s "
             "ORDER BY position DESC) TO STDOUT")
_SQLITE_BATCH = ("SELECT stream_id, version, type, schema_version, data, "
                 "json_extract(metadata, '$.api_key_id') FROM events "
                 "WHERE position > ? AND position <= ? ORDER BY position DESC")
_JSON_COLUMNS = ("lines", "shipping_address", "billing_address", "payment_notifications")


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
        with _transaction(connection):
            _refuse_unknown_events(connection, after=0)
            # A pooled connection may still hold twins from a rebuild that failed.
            twins.drop_all(connection)
            twins.create_all(connection)
            high = int(connection.execute(
                select(func.coalesce(func.max(events.c.position), 0))).scalar_one())
        replayed = _replay(engine, connection, twins, high, progress)
        connection.execution_options(**{WRITE_OPTION: True})
        with _transaction(connection):
            lock_read_models(connection)
            caught_up = _catch_up(connection, twins, after=high)
            if progress is not None and caught_up:
                progress(caught_up)
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


def _replay(engine: Engine, connection: Connection, twins: MetaData, high: int,
            progress: Progress | None) -> int:
    """Fold every event up to position `high` into the twins; how many there were."""
    fold = BackwardFold()
    replayed = 0
    for batch in _batches(engine, high):
        rows = []
        for stream_id, version, event_type, schema_version, data, api_key_id in batch:
            event = decode_json(event_type, schema_version, data)
            row = fold.feed(stream_id, Recorded(event, version, api_key_id))
            if row is not None:
                rows.append(row)
        with _transaction(connection):
            _write_orders(connection, twins, rows)
        replayed += len(batch)
        if progress is not None and batch:
            progress(len(batch))
    with _transaction(connection):
        _insert(connection, twins.tables["rebuild_products"], list(fold.products()))
        _insert(connection, twins.tables["rebuild_shipping_methods"], fold.shipping_methods)
        if connection.dialect.name == "sqlite":  # the catch-up and the swap look rows up
            connection.execute(text("CREATE INDEX rebuild_orders_id ON rebuild_orders (id)"))
    return replayed


def _batches(engine: Engine, high: int) -> Iterator[list[StoredRow]]:
    """The events up to `high`, newest first, BATCH_SIZE positions at a time.

    On PostgreSQL the next batch is read on a second connection while the caller works.
    Each read runs in its own snapshot: every position up to `high` is already committed
    (appends commit in position order), and none holds a lock between batches.
    """
    ranges = [(max(upto - BATCH_SIZE, 0), upto) for upto in range(high, 0, -BATCH_SIZE)]
    if engine.dialect.name != "postgresql":
        for low, upto in ranges:
            with engine.connect() as reader, reader.begin():
                # The driver's own fetchall: SQLAlchemy's rows cost more than reading.
                raw = reader.connection.driver_connection
                assert raw is not None
                yield raw.execute(_SQLITE_BATCH, (low, upto)).fetchall()
        return
    with engine.connect() as reader, ThreadPoolExecutor(1, "rebuild-reader") as pool:
        raw = reader.connection.driver_connection
        assert raw is not None

        def read(low: int, upto: int) -> list[StoredRow]:
            with raw.transaction(), raw.cursor() as cursor:
                cursor.execute("SET LOCAL statement_timeout = 0")
                with cursor.copy(_PG_BATCH, (low, upto)) as copy:
                    copy.set_types(["text", "int4", "text", "int4", "text", "text"])
                    return list(copy.rows())

        reading = pool.submit(read, *ranges[0]) if ranges else None
        for index in range(len(ranges)):
            assert reading is not None
            batch = reading.result()
            if index + 1 < len(ranges):
                reading = pool.submit(read, *ranges[index + 1])
            yield batch


def _write_orders(connection: Connection, twins: MetaData, rows: Sequence[Row]) -> None:
    twin = twins.tables["rebuild_orders"]
    if connection.dialect.name != "postgresql":
        _insert_many(connection, twin, rows)
        return
    names = [column.name for column in twin.columns]
    json_at = [names.index(name) for name in _JSON_COLUMNS]
    cursor = connection.connection.driver_connection.cursor()  # type: ignore[union-attr]
    with cursor.copy(f"COPY rebuild_orders ({', '.join(names)}) FROM STDIN") as copy:
        for row in rows:
            values = list(map(row.__getitem__, names))
            for at in json_at:
                values[at] = to_json(values[at]).decode()
            copy.write_row(values)


def _insert_many(connection: Connection, table: Table, rows: Sequence[Row]) -> None:
    """INSERT every row in one executemany of the driver, the columns converted by their
    types' own bind processors (the values SQLAlchemy would send, without its per-row
    overhead)."""
    if not rows:
        return
    dialect = connection.dialect
    names = [column.name for column in table.columns]
    processors = [column.type.dialect_impl(dialect).bind_processor(dialect)
                  for column in table.columns]
    converting = [(at, process) for at, process in enumerate(processors) if process]
    values = []
    for row in rows:
        converted = list(map(row.__getitem__, names))
        for at, process in converting:
            converted[at] = process(converted[at])
        values.append(tuple(converted))
    connection.exec_driver_sql(
        f"INSERT INTO {table.name} ({', '.join(names)}) "  # noqa: S608 (the twin's names)
        f"VALUES ({', '.join('?' * len(names))})", values)


def _insert(connection: Connection, table: Table, rows: Sequence[Row]) -> None:
    if rows:
        connection.execute(insert(table), rows)


def _catch_up(connection: Connection, twins: MetaData, *, after: int) -> int:
    """Fold the events stored after `after` into the twins; how many there were."""
    _refuse_unknown_events(connection, after=after)
    found = connection.execute(
        select(events.c.stream_id, events.c.type, events.c.schema_version, events.c.data)
        .where(events.c.position > after).order_by(events.c.position)).all()
    products = twins.tables["rebuild_products"]
    streams: set[str] = set()
    for row in found:
        event = decode(row.type, row.schema_version, row.data)
        if isinstance(event, ORDER_EVENTS):
            streams.add(row.stream_id)
        if isinstance(event, ProductAdded):
            _insert(connection, products, [product_row(event)])
        elif isinstance(event, ShippingMethodAdded):
            _insert(connection, twins.tables["rebuild_shipping_methods"],
                    [shipping_method_row(event)])
        for change in stock_changes(event):
            connection.execute(
                update(products).where(products.c.sku == change.sku)
                .values(available=products.c.available + change.change,
                        updated_at=change.at))
    _refold_orders(connection, twins.tables["rebuild_orders"], streams)
    return len(found)


def _refold_orders(connection: Connection, twin: Table, streams: set[str]) -> None:
    """Make each of these order streams' twin row again, from its first event."""
    history: dict[str, list[tuple[DomainEvent, int, str | None]]] = {}
    for row in connection.execute(
            select(events.c.stream_id, events.c.version, events.c.type,
                   events.c.schema_version, events.c.data, events.c.metadata)
            .where(events.c.stream_id.in_(bindparam("streams", expanding=True)))
            .order_by(events.c.stream_id, events.c.version), {"streams": sorted(streams)}):
        event = decode(row.type, row.schema_version, row.data)
        history.setdefault(row.stream_id, []).append(
            (event, row.version, row.metadata.get("api_key_id")))
    for stream_events in history.values():
        order = forward_order_row(stream_events)
        if order is not None:
            connection.execute(delete(twin).where(twin.c.id == order["id"]))
            _insert(connection, twin, [order])

