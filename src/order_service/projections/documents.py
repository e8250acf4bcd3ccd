"""Orders as the JSON documents the API sends, read as stored, for GET, lists and exports.

Each order row keeps its document (projections/orders.stored_document: the API's JSON
but for the payment instructions), so a read sends stored text and only appends the
payment instructions, worked out in SQL from the bank settings of the moment
(projections/payment_instructions.py). A page comes through COPY, one row per read, with
no per-row driver work. COPY's text format doubles every backslash, and that is the only
escape JSON text can contain (JSON has no raw control characters), so halving them
restores the JSON.

A whole export (`ndjson_export`) is read on two connections that share one snapshot and
take turns at ranges of order numbers, so two PostgreSQL backends read on two cores
while this process writes.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Iterator
from concurrent.futures import Future, ThreadPoolExecutor
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass
from functools import cache, lru_cache
from typing import TYPE_CHECKING, Any
from uuid import UUID

from sqlalchemy import Connection, Engine, TextClause, Uuid, bindparam, text

from order_service.adapters.sql.column_types import FOLD_CASE
from order_service.application.views import OrderDocument, OrderFilter
from order_service.domain.payment_instructions import TransferTerms
from order_service.projections.payment_instructions import (
    pg_instructions,
    sqlite_instructions,
)

if TYPE_CHECKING:
    from psycopg import Cursor

# Order numbers per query of a whole export: each query's documents (~1.3 KB an order)
# are held in memory until written, and a query's fixed cost is spread over 2,500 rows.
EXPORT_RANGE = 2500
# Connections reading at once: one PostgreSQL backend, one core, builds each one's rows.
EXPORT_CONNECTIONS = 2


def order_document(connection: Connection, order_id: UUID, transfer: TransferTerms
                   ) -> OrderDocument | None:
    """One order's JSON document, its version and the key that placed it: one query."""
    if connection.dialect.name == "postgresql":
        # The statement the event-loop reads send (async_documents.py), bound the same way.
        statement, params = pg_order_document_query(transfer)
        row = connection.exec_driver_sql(statement, (*params, order_id)).first()
    else:
        instructions, named = sqlite_instructions(transfer)
        row = connection.execute(_sqlite_one_order(instructions),
                                 {"order_id": order_id, **named}).first()
    if row is None:
        return None
    document, version, placed_by = row
    body = document if isinstance(document, bytes) else document.encode()
    return OrderDocument(body, version, placed_by)


@cache
def _sqlite_one_order(instructions: str) -> TextClause:
    # Only fixed SQL is joined in: the instructions' text binds its values by name.
    return text(f"SELECT {_sqlite_document(instructions)} AS document, "  # noqa: S608
                "version, placed_by FROM orders WHERE id = :order_id").bindparams(
                    bindparam("order_id", type_=Uuid()))


def order_documents(connection: Connection, after: int, up_to: int | None,
                    where: OrderFilter, transfer: TransferTerms) -> Iterator[bytes]:
    """JSON documents (no trailing newline) of the orders in (after, up_to], by number."""
    if connection.dialect.name == "postgresql":
        return _postgres_documents(connection, after, up_to, where, transfer)
    return _sqlite_documents(connection, after, up_to, where, transfer)


@dataclass(frozen=True)
class NdjsonExport:
    """The orders an export writes: how many, and their NDJSON in blocks of whole lines."""

    orders: int
    blocks: Iterator[bytes]


@contextmanager
def ndjson_export(engine: Engine, where: OrderFilter, transfer: TransferTerms
                  ) -> Iterator[NdjsonExport]:
    """Every order matching `where`, oldest first, counted and read in one snapshot."""
    exporter = _postgres_export if engine.dialect.name == "postgresql" else _sqlite_export
    with exporter(engine, where, transfer) as export:
        yield export


# -- PostgreSQL ---------------------------------------------------------------------------


# What a read appends to a stored document: its last member, the payment instructions.
_INSTRUCTIONS_MEMBER = ',"payment_instructions":'


@lru_cache(maxsize=8)
def _pg_document(transfer: TransferTerms) -> tuple[str, tuple[Any, ...]]:
    """The document's SQL under `transfer`, and the parameters it binds first."""
    instructions, params = pg_instructions(transfer)
    # The stored document without its closing brace, then the instructions, then it.
    return (f"left(document, -1) || '{_INSTRUCTIONS_MEMBER}' || "
            f"COALESCE(({instructions})::text, 'null') || '}}'"), tuple(params)


def pg_order_document_query(transfer: TransferTerms) -> tuple[str, tuple[Any, ...]]:
    """The SQL that reads one order's document, version and placer by its id (the last
    parameter), and the parameters it binds before the id."""
    document, params = _pg_document(transfer)
    return (f"SELECT {document}, version, placed_by FROM orders "  # noqa: S608 (bound)
            "WHERE id = %s"), params


def pg_order_documents_query(transfer: TransferTerms) -> tuple[str, tuple[Any, ...]]:
    """The SQL that reads the documents, versions and placers of the orders whose ids are
    in an array (the last parameter), as (id, document, version, placed_by) rows, and the
    parameters it binds before the array."""
    document, params = _pg_document(transfer)
    return (f"SELECT id, {document}, version, placed_by FROM orders "  # noqa: S608 (bound)
            "WHERE id = ANY(%s::uuid[])"), params


def pg_newest_first_query(where: OrderFilter, before_number: int | None, limit: int,
                          transfer: TransferTerms) -> tuple[str, list[Any]]:
    """The SQL that reads up to `limit` orders numbered below `before_number` matching
    `where`, newest first, as (number, document) rows, with all its parameters."""
    document, document_params = _pg_document(transfer)
    up_to = None if before_number is None else before_number - 1
    conditions, params = _pg_conditions(0, up_to, where)
    return (f"SELECT number, {document} FROM orders "  # noqa: S608 (values are bound)
            f"WHERE {' AND '.join(conditions)} ORDER BY number DESC LIMIT %s",
            [*document_params, *params, limit])


def _postgres_documents(connection: Connection, after: int, up_to: int | None,
                        where: OrderFilter, transfer: TransferTerms) -> Iterator[bytes]:
    document, document_params = _pg_document(transfer)
    conditions, params = _pg_conditions(after, up_to, where)
    # Only fixed SQL fragments are joined here; every value goes in as a parameter.
    statement = (f"COPY (SELECT {document} FROM orders "  # noqa: S608
                 f"WHERE {' AND '.join(conditions)} ORDER BY number) TO STDOUT")
    cursor = connection.connection.driver_connection.cursor()  # type: ignore[union-attr]
    with cursor.copy(statement, [*document_params, *params]) as copy:
        for row in copy:
            yield bytes(row)[:-1].replace(b"\\\\", b"\\")


@contextmanager
def _postgres_export(engine: Engine, where: OrderFilter, transfer: TransferTerms
                     ) -> Iterator[NdjsonExport]:
    with ExitStack() as stack:
        cursors = _cursors_sharing_a_snapshot(
            [stack.enter_context(engine.connect()) for _ in range(EXPORT_CONNECTIONS)])
        orders, ranges = _count_and_ranges(cursors[0], where)
        pool = ThreadPoolExecutor(len(cursors), "order-export")
        # Closed before the connections: a query still running ends, none pending starts.
        stack.callback(pool.shutdown, wait=True, cancel_futures=True)
        yield NdjsonExport(orders, _read_in_turns(pool, cursors, ranges, where, transfer))


def _read_in_turns(pool: ThreadPoolExecutor, cursors: list[Cursor[Any]],
                   ranges: list[tuple[int, int]], where: OrderFilter,
                   transfer: TransferTerms) -> Iterator[bytes]:
    # Range i is read on connection i mod 2, so each connection runs one query at a time;
    # the next range goes to a connection as soon as its last one has been read.
    reading: deque[Future[bytes]] = deque(
        pool.submit(_lines, cursors[index], *ranges[index], where, transfer)
        for index in range(min(len(cursors), len(ranges))))
    for index in range(len(ranges)):
        block = reading.popleft().result()
        if index + len(cursors) < len(ranges):
            reading.append(pool.submit(_lines, cursors[index % len(cursors)],
                                       *ranges[index + len(cursors)], where, transfer))
        if block:
            yield block


def _cursors_sharing_a_snapshot(connections: list[Connection]) -> list[Cursor[Any]]:
    """Binary cursors, one per connection, all seeing the first one's snapshot."""
    # Imported here: a shop on SQLite never loads the PostgreSQL driver.
    from psycopg import sql  # noqa: PLC0415
    from psycopg.types.string import ByteaBinaryLoader  # noqa: PLC0415

    cursors: list[Cursor[Any]] = []
    for connection in connections:
        connection.execution_options(isolation_level="REPEATABLE READ")
        cursor = connection.connection.driver_connection.cursor(  # type: ignore[union-attr]
            binary=True)
        # The document as it arrives (UTF-8 bytes), not decoded into a str and back.
        cursor.adapters.register_loader("text", ByteaBinaryLoader)
        cursors.append(cursor)
    row = cursors[0].execute("SELECT pg_export_snapshot()").fetchone()
    assert row is not None
    snapshot = row[0].decode()  # text, read as bytes like every text here
    for cursor in cursors[1:]:
        cursor.execute(sql.SQL("SET TRANSACTION SNAPSHOT {}").format(snapshot))
    return cursors


def _count_and_ranges(cursor: Cursor[Any], where: OrderFilter
                      ) -> tuple[int, list[tuple[int, int]]]:
    """How many orders match, and (after, up_to] ranges of numbers that cover them."""
    conditions, params = _pg_conditions(0, None, where)
    # One scan: min and max alone would make PostgreSQL walk the number index until a row
    # matches, the whole index when a filter on a column without an index matches few.
    row = cursor.execute(f"SELECT count(*), min(number), max(number) FROM orders "  # noqa: S608
                         f"WHERE {' AND '.join(conditions)}", params).fetchone()
    if row is None or not row[0]:
        return 0, []
    orders, lowest, highest = row
    return orders, [(after, min(after + EXPORT_RANGE, highest))
                    for after in range(lowest - 1, highest, EXPORT_RANGE)]


def _lines(cursor: Cursor[Any], after: int, up_to: int, where: OrderFilter,
           transfer: TransferTerms) -> bytes:
    """The orders numbered in (after, up_to] matching `where`, one NDJSON line each."""
    document, document_params = _pg_document(transfer)
    conditions, params = _pg_conditions(after, up_to, where)
    rows = cursor.execute(
        f"SELECT {document} || chr(10) FROM orders "  # noqa: S608  (values are bound)
        f"WHERE {' AND '.join(conditions)} ORDER BY number",
        [*document_params, *params]).fetchall()
    return b"".join([line for (line,) in rows])


def _pg_conditions(after: int, up_to: int | None, where: OrderFilter
                   ) -> tuple[list[str], list[Any]]:
    conditions: list[str] = ["number > %s"]
    params: list[Any] = [after]
    if up_to is not None:
        conditions.append("number <= %s")
        params.append(up_to)
    if where.statuses:
        conditions.append("status = ANY(%s)")
        params.append(sorted(status.value for status in where.statuses))
    for column, operator, moment in (("placed_at", ">=", where.placed_from),
                                     ("placed_at", "<", where.placed_to),
                                     ("updated_at", ">=", where.updated_since)):
        if moment is not None:
            conditions.append(f"{column} {operator} %s")
            params.append(moment)
    if where.email_contains:
        conditions.append("lower(customer_email) LIKE %s ESCAPE '!'")
        params.append(_containing(where.email_contains))
    if where.search:
        found = ["lower(customer_email) LIKE %s ESCAPE '!'",
                 "lower(customer_name) LIKE %s ESCAPE '!'"]
        params += [_containing(where.search.strip())] * 2
        if where.searched_number is not None:
            found.append("number = %s")
            params.append(where.searched_number)
        conditions.append(f"({' OR '.join(found)})")
    if where.customer_email:
        conditions.append("lower(customer_email) = %s")
        params.append(where.customer_email.lower())
    if where.placed_by is not None:
        conditions.append("placed_by = %s")
        params.append(where.placed_by)
    return conditions, params


def _containing(fragment: str) -> str:
    """A LIKE pattern (escaped with !) matching any text that contains `fragment`, any case."""
    escaped = fragment.lower().replace("!", "!!").replace("%", "!%").replace("_", "!_")
    return f"%{escaped}%"


# -- SQLite -------------------------------------------------------------------------------


def _sqlite_document(instructions: str) -> str:
    """The SQL of a stored document with the payment instructions appended."""
    return (f"substr(document, 1, length(document) - 1) || '{_INSTRUCTIONS_MEMBER}' || "
            f"COALESCE(json(({instructions})), 'null') || '}}'")


def _sqlite_documents(connection: Connection, after: int, up_to: int | None,
                      where: OrderFilter, transfer: TransferTerms) -> Iterator[bytes]:
    instructions, instruction_params = sqlite_instructions(transfer)
    conditions, params = _sqlite_conditions(after, up_to, where)
    statement = text(f"SELECT {_sqlite_document(instructions)} FROM orders "  # noqa: S608
                     f"WHERE {' AND '.join(conditions)} ORDER BY number")
    for (document,) in connection.execution_options(stream_results=True).execute(
            statement, {**instruction_params, **params}):
        yield document.encode()


def _sqlite_conditions(after: int, up_to: int | None, where: OrderFilter
                       ) -> tuple[list[str], dict[str, Any]]:
    conditions = ["number > :after"]
    params: dict[str, Any] = {"after": after}
    if up_to is not None:
        conditions.append("number <= :up_to")
        params["up_to"] = up_to
    for index, status in enumerate(sorted(s.value for s in where.statuses)):
        params[f"status_{index}"] = status
    if where.statuses:
        names = ", ".join(f":status_{i}" for i in range(len(where.statuses)))
        conditions.append(f"status IN ({names})")
    for column, operator, name, moment in (
            ("placed_at", ">=", "placed_from", where.placed_from),
            ("placed_at", "<", "placed_to", where.placed_to),
            ("updated_at", ">=", "updated_since", where.updated_since)):
        if moment is not None:
            conditions.append(f"{column} {operator} :{name}")
            # isoformat, not strftime: %Y leaves years before 1000 unpadded ("999-..."),
            # which sorts after "2026-..." and silently empties the answer.
            params[name] = moment.replace(tzinfo=None).isoformat(" ", "microseconds")
    if where.email_contains:
        conditions.append("lower(customer_email) LIKE :email ESCAPE '!'")
        params["email"] = _containing(where.email_contains)
    if where.search:
        found = [f"{FOLD_CASE}(customer_email) LIKE :search ESCAPE '!'",
                 f"{FOLD_CASE}(customer_name) LIKE :search ESCAPE '!'"]
        params["search"] = _containing(where.search.strip())
        if where.searched_number is not None:
            found.append("number = :searched_number")
            params["searched_number"] = where.searched_number
        conditions.append(f"({' OR '.join(found)})")
    if where.customer_email:
        conditions.append("lower(customer_email) = :customer_email")
        params["customer_email"] = where.customer_email.lower()
    if where.placed_by is not None:
        conditions.append("placed_by = :placed_by")
        params["placed_by"] = where.placed_by
    return conditions, params


@contextmanager
def _sqlite_export(engine: Engine, where: OrderFilter, transfer: TransferTerms
                   ) -> Iterator[NdjsonExport]:
    # One connection: SQLite builds the documents on this process's own core anyway.
    with engine.connect() as connection, connection.begin():
        conditions, params = _sqlite_conditions(0, None, where)
        orders = connection.execute(text(
            f"SELECT count(*) FROM orders WHERE {' AND '.join(conditions)}"),  # noqa: S608
            params).scalar_one()
        yield NdjsonExport(orders, _sqlite_blocks(connection, where, transfer))


def _sqlite_blocks(connection: Connection, where: OrderFilter, transfer: TransferTerms
                   ) -> Iterator[bytes]:
    block: list[bytes] = []
    for document in _sqlite_documents(connection, 0, None, where, transfer):
        block.append(document + b"\n")
        if len(block) == EXPORT_RANGE:
            yield b"".join(block)
            block.clear()
    if block:
        yield b"".join(block)
