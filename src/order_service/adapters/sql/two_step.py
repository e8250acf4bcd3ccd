"""The hot commands in two round trips: read what the decision needs, write its outcome.

Placing, paying, shipping and cancelling orders are what a flash sale hammers. Each
reads everything its decision needs in one snapshot, with no lock held; the domain
decides in Python; then the whole outcome (idempotency key and answer, stock, the order's
read-model row, its receipt number, the events) is written in one atomic step:

* On PostgreSQL both steps are pipelines: every statement is sent at once and the client
  waits once. The write ends in COMMIT inside its pipeline, so what serialises all
  writers (the receipt-number row, and the append lock that makes positions commit in
  order) is held only while the server runs the last few statements, never while a
  client round trip or Python runs.
* Nothing read is trusted. Taking stock relies on CHECK (available >= 0) and the events'
  unique (stream_id, version) refuses a stream that moved on: either aborts the whole
  write, and the command is decided again from a fresh read (ConcurrencyConflict).
* SQLite runs the same steps one after another inside its single-writer transaction.
"""

from __future__ import annotations

from collections.abc import Collection, Iterator, Mapping
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta
from typing import Any
from uuid import UUID

import psycopg
from psycopg.rows import dict_row
from sqlalchemy import (
    Connection,
    Engine,
    bindparam,
    delete,
    func,
    insert,
    select,
    update,
)
from sqlalchemy.dialects.postgresql import psycopg as postgresql_psycopg
from sqlalchemy.exc import IntegrityError
from sqlalchemy.sql.elements import ClauseElement

from order_service.adapters.sql import outcome_plan
from order_service.adapters.sql.engine import WRITE_OPTION, statement_at_a_time
from order_service.adapters.sql.errors import is_unique_violation, translated_failures
from order_service.adapters.sql.outcome_plan import Plan
from order_service.adapters.sql.tables import idempotency_keys
from order_service.application.errors import (
    ConcurrencyConflict,
    StorageUnavailable,
)
from order_service.application.ports import (
    Clock,
    CommandContext,
    IdempotentRequest,
    OrderInputs,
    Outcome,
    PlacementInputs,
)
from order_service.application.views import OrderView
from order_service.domain.events import OrderPlaced, order_stream
from order_service.domain.values import CatalogueEntry, ShippingOption
from order_service.eventstore.codec import decode
from order_service.eventstore.store import APPEND_LOCK_KEY
from order_service.eventstore.tables import events
from order_service.projections.orders import order_view
from order_service.projections.tables import order_numbers, orders, products, shipping_methods


class SqlTwoStepCommands:
    """The TwoStepCommands port over one engine (PostgreSQL pipelines, or SQLite)."""

    def __init__(self, engine: Engine, clock: Clock, idempotency_ttl: timedelta) -> None:
        self._engine = engine
        self._clock = clock
        self._ttl = idempotency_ttl
        self._postgres = engine.dialect.name == "postgresql"

    # -- step one: read ----------------------------------------------------------------

    def read_for_placement(self, skus: Collection[str], shipping_code: str,
                           request: IdempotentRequest | None) -> PlacementInputs:
        """Products, shipping method and any earlier answer to the key, in one round trip."""
        if self._postgres:
            with self._raw() as raw:
                with _pipeline(raw):
                    product_rows = _query(raw, _PG_PRODUCTS, skus=sorted(skus))
                    shipping_rows = _query(raw, _PG_SHIPPING_METHOD, code=shipping_code)
                    key_rows = self._pg_key_lookup(raw, request)
                found = product_rows.fetchall()
                shipping_row = shipping_rows.fetchone()
                key_row = key_rows.fetchone() if key_rows is not None else None
        else:
            with translated_failures(), self._engine.connect() as connection, connection.begin():
                found = [row._asdict() for row in connection.execute(
                    _PRODUCTS, {"skus": sorted(skus)})]
                shipping_found = connection.execute(
                    _SHIPPING_METHOD, {"code": shipping_code}).first()
                shipping_row = None if shipping_found is None else shipping_found._asdict()
                key_row = self._key_row(connection, request)
        shipping = None if shipping_row is None else ShippingOption(
            shipping_row["code"], shipping_row["name"], shipping_row["price"],
            shipping_row["currency"])
        return PlacementInputs(
            catalogue={row["sku"]: CatalogueEntry(row["sku"], row["name"], row["price"],
                                                  row["currency"], row["available"],
                                                  retired=row["retired_at"] is not None)
                       for row in found},
            shipping=shipping,
            shipping_codes=[] if shipping is not None else self._shipping_codes(),
            earlier_answer=self._earlier_answer(request, key_row),
        )

    def read_order(self, order_id: UUID, request: IdempotentRequest | None) -> OrderInputs:
        """An order's history, its view and any earlier answer to the key."""
        stream = order_stream(order_id)
        if self._postgres:
            with self._raw() as raw:
                with _pipeline(raw):
                    history_rows = _query(raw, _PG_HISTORY, stream=stream)
                    order_rows = _query(raw, _PG_ORDER, order_id=order_id)
                    key_rows = self._pg_key_lookup(raw, request)
                history = history_rows.fetchall()
                row = order_rows.fetchone()
                key_row = key_rows.fetchone() if key_rows is not None else None
        else:
            with translated_failures(), self._engine.connect() as connection, connection.begin():
                history = [r._asdict() for r in connection.execute(_HISTORY, {"stream": stream})]
                found = connection.execute(_ORDER, {"order_id": order_id}).first()
                row = None if found is None else dict(found._mapping)
                key_row = self._key_row(connection, request)
        if row is not None and row["version"] != len(history):
            # Read a moment apart, and the order changed in between: read again.
            raise ConcurrencyConflict(stream, len(history))
        return OrderInputs(
            history=[decode(r["type"], r["schema_version"], r["data"]) for r in history],
            view=None if row is None else order_view(_utc(row)),
            earlier_answer=self._earlier_answer(request, key_row),
        )

    # -- step two: write ---------------------------------------------------------------

    def write(self, outcome: Outcome, context: CommandContext, current: OrderView | None
              ) -> OrderView:
        """Store the outcome atomically; the order view after it (numbered, if placed)."""
        made = outcome_plan.plan(outcome, context, current, self._clock())
        return made.written(self._write_postgres(made) if self._postgres
                            else self._write_sqlite(made))

    def _write_postgres(self, plan: Plan) -> int | None:
        # The event loop's batch function, with a batch of one, committed as it ends
        # (autocommit): one way to write, one order of locks (outcome_plan).
        function, item = outcome_plan.function_call(plan, self._clock())
        with self._raw() as raw:
            try:
                row = raw.execute(function, (f"[{item}]", APPEND_LOCK_KEY)).fetchone()
            except psycopg.Error as error:
                if isinstance(error, psycopg.OperationalError):
                    raise  # _raw drops the broken connection
                raise _translated(error, plan) from error
        assert row is not None  # one row per item
        return outcome_plan.written(plan, row[1])

    def _write_sqlite(self, plan: Plan) -> int | None:
        number = None
        try:
            with translated_failures(), self._engine.connect() as connection:
                connection.execution_options(**{WRITE_OPTION: True})
                with connection.begin():
                    recording = self._sqlite_remember_key(connection, plan)
                    for change in plan.stock:
                        connection.execute(_CHANGE_STOCK, {
                            "b_sku": change["sku"], "b_change": change["change"],
                            "b_at": change["at"]})
                    if plan.order_changes is not None and plan.view is not None:
                        connection.execute(
                            update(orders).where(
                                orders.c.id == plan.view.id,
                                orders.c.version == plan.order_changes["version"] - 1)
                            .values(plan.order_changes))
                    if plan.placed_order is not None:
                        number = connection.execute(_TAKE_NUMBER).scalar_one()
                        connection.execute(insert(orders), {
                            **plan.placed_order, "number": number, "document":
                            outcome_plan.numbered(plan.placed_order["document"], number)})
                        if recording is not None:
                            connection.execute(_REMEMBER, {
                                "claimed": plan.remembered[0],  # type: ignore[index]
                                "answer": outcome_plan.numbered(recording, number)})
                    if plan.events:  # a keyed no-op keeps only its answer
                        connection.execute(insert(events), [
                            {**event, "data": {**event["data"], "number": number}}
                            if event["type"] == OrderPlaced.TYPE else event
                            for event in plan.events])
        except IntegrityError as error:
            if is_unique_violation(error) or _is_check_violation(error):
                raise outcome_plan.conflict(plan) from error
            raise
        return None if number is None else int(number)

    # -- idempotency keys --------------------------------------------------------------

    def _pg_key_lookup(self, raw: psycopg.Connection[Any], request: IdempotentRequest | None
                       ) -> psycopg.Cursor[dict[str, Any]] | None:
        if request is None:
            return None
        return _query(raw, _PG_KEY, key=request.key)

    def _key_row(self, connection: Connection, request: IdempotentRequest | None
                 ) -> dict[str, Any] | None:
        if request is None:
            return None
        found = connection.execute(_KEY, {"key": request.key}).first()
        return None if found is None else found._asdict()

    def _earlier_answer(self, request: IdempotentRequest | None, row: dict[str, Any] | None
                        ) -> str | None:
        if request is None or row is None:
            return None
        if row["created_at"] < self._expired_before():
            # An expired key is a new one: forget it now, so that the write can claim it.
            self._forget_expired_key(request.key)
            return None
        return outcome_plan.key_answer(request, row["fingerprint"], row["recording"])

    def _forget_expired_key(self, key: str) -> None:
        with translated_failures(), self._engine.begin() as connection:
            connection.execute(delete(idempotency_keys).where(
                idempotency_keys.c.key == key,
                idempotency_keys.c.created_at < self._expired_before()))

    def _expired_before(self) -> datetime:
        return self._clock() - self._ttl

    def _sqlite_remember_key(self, connection: Connection, plan: Plan) -> str | None:
        if plan.remembered is None:
            return None
        key, fingerprint, recording = plan.remembered
        connection.execute(insert(idempotency_keys), {
            "key": key, "fingerprint": fingerprint, "created_at": self._clock(),
            "recording": None if plan.numbered else recording})
        return recording if plan.numbered else None

    # -- plumbing ----------------------------------------------------------------------

    def _shipping_codes(self) -> list[str]:
        with translated_failures(), self._engine.connect() as connection:
            return list(connection.scalars(
                select(shipping_methods.c.code).order_by(shipping_methods.c.code)))

    @contextmanager
    def _raw(self) -> Iterator[psycopg.Connection[Any]]:
        """A pooled connection's psycopg connection in autocommit: no BEGIN to wait for."""
        with translated_failures(), self._engine.connect() as connection:
            statement_at_a_time(connection)
            raw: psycopg.Connection[Any] = connection.connection.driver_connection  # type: ignore[assignment]
            try:
                yield raw
            except psycopg.OperationalError as error:
                connection.invalidate()
                raise StorageUnavailable(str(error).strip().splitlines()[0]) from error


@contextmanager
def _pipeline(raw: psycopg.Connection[Any]) -> Iterator[None]:
    """Reads sent as one pipeline: every statement at once, one wait for all answers.

    Each runs in its own snapshot (autocommit): nothing read is trusted anyway, since the
    write checks the stock and the order's version itself.
    """
    try:
        with raw.pipeline():
            yield
    except psycopg.Error as error:
        raise _translated(error, None) from error


def _query(raw: psycopg.Connection[Any], statement: str, **values: Any
           ) -> psycopg.Cursor[dict[str, Any]]:
    return raw.cursor(row_factory=dict_row).execute(statement, values)


# -- statements ---------------------------------------------------------------------------

_PRODUCTS = (select(products.c.sku, products.c.name, products.c.price, products.c.currency,
                    products.c.available, products.c.retired_at)
             .where(products.c.sku.in_(bindparam("skus", expanding=True))))
_SHIPPING_METHOD = select(shipping_methods).where(shipping_methods.c.code == bindparam("code"))
_KEY = select(idempotency_keys).where(idempotency_keys.c.key == bindparam("key"))
_HISTORY = (select(events.c.type, events.c.schema_version, events.c.data)
            .where(events.c.stream_id == bindparam("stream")).order_by(events.c.version))
_ORDER = select(orders).where(orders.c.id == bindparam("order_id"))
_CHANGE_STOCK = (update(products).where(products.c.sku == bindparam("b_sku"))
                 .values(available=products.c.available + bindparam("b_change"),
                         updated_at=bindparam("b_at")))
_TAKE_NUMBER = (update(order_numbers).where(order_numbers.c.id == 1)
                .values(last_number=order_numbers.c.last_number + 1)
                .returning(order_numbers.c.last_number))
_REMEMBER = (update(idempotency_keys).where(idempotency_keys.c.key == bindparam("claimed"))
             .values(recording=bindparam("answer")))


_PG_DIALECT = postgresql_psycopg.dialect()  # type: ignore[no-untyped-call]


def _pg(statement: ClauseElement) -> str:
    """A Core statement as psycopg's SQL, with %(name)s parameters: compiled once."""
    return str(statement.compile(dialect=_PG_DIALECT))


_PG_PRODUCTS = _pg(select(products.c.sku, products.c.name, products.c.price,
                          products.c.currency, products.c.available, products.c.retired_at)
                   .where(products.c.sku == func.any(bindparam("skus"))))
_PG_SHIPPING_METHOD = _pg(
    select(shipping_methods.c.code, shipping_methods.c.name, shipping_methods.c.price,
           shipping_methods.c.currency).where(shipping_methods.c.code == bindparam("code")))
_PG_KEY = _pg(select(idempotency_keys.c.fingerprint, idempotency_keys.c.recording,
                     idempotency_keys.c.created_at)
              .where(idempotency_keys.c.key == bindparam("key")))
_PG_HISTORY = _pg(_HISTORY)
_PG_ORDER = _pg(_ORDER)


def _utc(row: Mapping[str, Any]) -> dict[str, Any]:
    # psycopg hands timestamps back in the session's zone; the views are in UTC.
    return {name: value.astimezone(UTC) if isinstance(value, datetime) else value
            for name, value in row.items()}


def _is_check_violation(error: IntegrityError) -> bool:
    original = error.orig
    return (getattr(original, "sqlstate", None) == "23514"
            or getattr(original, "sqlite_errorname", "") == "SQLITE_CONSTRAINT_CHECK")


def _translated(error: psycopg.Error, plan: Plan | None) -> Exception:
    sqlstate = error.sqlstate or ""
    if sqlstate in ("23505", "23514"):  # unique or check: someone got there first
        return outcome_plan.conflict(plan)
    if sqlstate in ("40P01", "40001"):
        return ConcurrencyConflict.aborted(str(error))
    if isinstance(error, psycopg.OperationalError):
        return StorageUnavailable(str(error).strip().splitlines()[0])
    return error


