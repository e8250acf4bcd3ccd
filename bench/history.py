"""Generated event histories: the events the service would have stored, written fast.

Two uses:

* `shop_history` yields a whole shop's life in the order it happened (the catalogue,
  then orders placed about a minute apart, each paid, shipped or cancelled hours or
  days later, interleaved with later placements, and now and then a restock), for the
  `rebuild-projections` figure. `write_history` sends one pass of it to PostgreSQL
  (COPY) and SQLite (executemany) at once.
* `seed_catalogue` and `seed_pool` put a catalogue and pending or paid orders into a
  live store, events and read-model rows together (in one transaction, numbers taken
  from `order_numbers` like the service takes them, stock taken from `products`), so
  the transition and read figures have orders to act on without placing tens of
  thousands of orders through the API first.

The payloads are the service's own: the fields of each event class in
order_service.domain.events, in their declaration order, timestamps and ids as pydantic
writes them (`2026-01-01T10:00:00.123456Z`); the metadata is what SqlEventStore.append
writes (correlation_id, caused_by, api_key_id). The read-model rows are made by the
service's projectors (order_projector.py and catalogue_projector.py, written as rows
by orders.order_row, products.product_row and shipping_method_row) from those payloads,
decoded as the service decodes them. `event_shape` and `compare_shapes` check the
generated events against events the real API stored in the same run.
"""

# ruff: noqa: S608, PLR0917, PLR0911 (SQL from constant column names; a data generator)
from __future__ import annotations

import heapq
import json
import random
import sqlite3
import uuid
from collections import Counter
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

import psycopg
import seed
from psycopg import sql

from order_service.domain.events import ProductAdded, ShippingMethodAdded
from order_service.eventstore.codec import decode
from order_service.projections.catalogue_projector import added_product
from order_service.projections.history_fold import ReplayedEvent, folded_order
from order_service.projections.orders import order_row
from order_service.projections.products import product_row, shipping_method_row

Product = tuple[str, str, int]  # sku, name, price

EVENT_COLUMNS = ("stream_id", "version", "type", "schema_version", "data", "metadata",
                 "recorded_at")
JSON_ORDER_COLUMNS = frozenset({"lines", "shipping_address", "billing_address",
                                "payment_notifications"})
# A shop's mix for the rebuild history, newest orders aside (they are still pending).
HISTORY_STATUSES = (("shipped", 30), ("paid", 26), ("pending_payment", 22), ("cancelled", 22))
RESTOCK_EVERY = 500  # orders between two restocks in a generated history


@dataclass(frozen=True, slots=True)
class Event:
    """One row of the events table, payload and metadata as JSON-ready dicts."""

    stream_id: str
    version: int
    type: str
    data: dict[str, Any]
    metadata: dict[str, Any]
    recorded_at: datetime


def iso(moment: datetime) -> str:
    """A UTC timestamp as pydantic writes it into a stored payload."""
    text = moment.astimezone(UTC).isoformat()
    return text.removesuffix("+00:00") + "Z"


class Metadata:
    """The metadata SqlEventStore.append writes: one correlation id per command."""

    def __init__(self, rng: random.Random, key_name: str, key_id: str) -> None:
        self._rng = rng
        self._key_name = key_name
        self._key_id = key_id

    def __call__(self, route: str) -> dict[str, Any]:
        return {
            "correlation_id": str(uuid.UUID(int=self._rng.getrandbits(128), version=4)),
            "caused_by": f"api-key {self._key_name}: POST {route}",
            "api_key_id": self._key_id,
        }


# Catalogue events ---------------------------------------------------------------------

def product_added(product: Product, stock: int, at: datetime, metadata: Metadata) -> Event:
    sku, name, price = product
    return Event(f"product-{sku}", 1, "ProductAdded",
                 {"sku": sku, "name": name, "unit_price": price, "currency": seed.CURRENCY,
                  "stock": stock, "added_at": iso(at)},
                 metadata("/v1/products"), at)


def shipping_method_added(method: tuple[str, str, int], at: datetime, metadata: Metadata
                          ) -> Event:
    code, name, price = method
    return Event(f"shipping-method-{code}", 1, "ShippingMethodAdded",
                 {"code": code, "name": name, "price": price, "currency": seed.CURRENCY,
                  "added_at": iso(at)},
                 metadata("/v1/shipping-methods"), at)


def product_restocked(sku: str, version: int, quantity: int, at: datetime,
                      metadata: Metadata) -> Event:
    return Event(f"product-{sku}", version, "ProductRestocked",
                 {"sku": sku, "quantity": quantity, "restocked_at": iso(at)},
                 metadata("/v1/products/{sku}/restock"), at)


# Order events -------------------------------------------------------------------------

def order_events(told: seed.Story, metadata: Metadata) -> list[Event]:
    """The events of one order's stream, oldest first."""
    stream = f"order-{told.id}"
    order_id = str(told.id)
    placed = {
        "order_id": order_id, "number": told.number, "customer": told.customer,
        "lines": told.lines, "shipping_address": told.shipping_address,
        "billing_address": told.billing_address, "payment_method": told.payment_method,
        "shipping_method": told.shipping_method,
        "shipping_method_name": told.shipping_method_name, "currency": seed.CURRENCY,
        "subtotal": told.subtotal, "shipping": told.shipping, "tax_rate": seed.TAX_RATE,
        "tax": told.tax, "total": told.total, "placed_at": iso(told.placed_at),
    }
    events = [Event(stream, 1, "OrderPlaced", placed, metadata("/v1/orders"), told.placed_at)]
    if told.paid_at is not None:
        events.append(Event(stream, len(events) + 1, "OrderPaid",
                            {"order_id": order_id, "payment_reference": told.payment_reference,
                             "paid_at": iso(told.paid_at)},
                            metadata("/v1/orders/{order_id}/pay"), told.paid_at))
    if told.shipped_at is not None:
        events.append(Event(stream, len(events) + 1, "OrderShipped",
                            {"order_id": order_id, "tracking_number": told.tracking_number,
                             "shipped_at": iso(told.shipped_at)},
                            metadata("/v1/orders/{order_id}/ship"), told.shipped_at))
    if told.cancelled_at is not None:
        returned = [{"sku": line["sku"], "quantity": line["quantity"]} for line in told.lines]
        events.append(Event(stream, len(events) + 1, "OrderCancelled",
                            {"order_id": order_id, "reason": told.cancel_reason,
                             "returned_stock": returned, "cancelled_at": iso(told.cancelled_at)},
                            metadata("/v1/orders/{order_id}/cancel"), told.cancelled_at))
    return events


def projected_order_row(events: Sequence[Event]) -> dict[str, Any]:
    """The orders row the service's projection makes of one order's events (folded as a
    rebuild folds a stream)."""
    view = folded_order([
        ReplayedEvent(event.stream_id, 0, event.version,
                      decode(event.type, 1, event.data), json.dumps(event.metadata))
        for event in events])
    assert view is not None, "an order's stream starts with OrderPlaced"
    return order_row(view)


# A whole history ----------------------------------------------------------------------

@dataclass(frozen=True)
class HistoryPlan:
    """How many of what a generated history holds."""

    orders: int
    events: int
    products: int

    @property
    def restocks(self) -> int:
        return self.orders // RESTOCK_EVERY

    @property
    def catalogue_events(self) -> int:
        return self.products + len(seed.SHIPPING_METHODS) + self.restocks

    @property
    def transitions(self) -> int:
        """Paid, shipped and cancelled events needed to reach `events` exactly."""
        return self.events - self.catalogue_events - self.orders


def shop_history(plan: HistoryPlan, products: list[Product], stock: int,
                 metadata: Metadata, rng: random.Random) -> Iterator[Event]:
    """Every event of a shop with `plan.orders` orders, exactly `plan.events` events,
    in the order they happened (so positions follow time)."""
    if not 0 <= plan.transitions <= 2 * plan.orders:
        raise ValueError(f"{plan.events:,} events cannot come from {plan.orders:,} orders")
    opened = seed.FIRST_PLACED_AT - timedelta(days=30)
    for product in products:
        yield product_added(product, stock, opened, metadata)
    for method in seed.SHIPPING_METHODS:
        yield shipping_method_added(method, opened, metadata)
    product_versions = dict.fromkeys((sku for sku, _, _ in products), 1)
    later: list[tuple[datetime, int, Event]] = []  # transitions waiting for their time
    budget = plan.transitions
    sequence = 0
    for number in range(1, plan.orders + 1):
        placed_at = seed.FIRST_PLACED_AT + timedelta(seconds=number * 60 + rng.randrange(60))
        while later and later[0][0] <= placed_at:
            yield heapq.heappop(later)[2]
        status = seed.random_status(rng, HISTORY_STATUSES)
        after_pay = status == "cancelled" and rng.random() < 0.3
        extra = {"pending_payment": 0, "paid": 1, "shipped": 2}.get(status, 1 + after_pay)
        left_after = plan.orders - number
        if extra > budget:  # the budget is spent: the newest orders are still pending
            status, extra = "pending_payment", 0
        elif budget - extra > 2 * left_after:  # too few orders left to spend it: ship
            status, extra = "shipped", 2
        told = seed.story(rng, products, number, placed_at, status,
                          cancel_after_pay=float(after_pay))
        assert told.version - 1 == extra
        budget -= extra
        events = order_events(told, metadata)
        yield events[0]
        for event in events[1:]:
            sequence += 1
            heapq.heappush(later, (event.recorded_at, sequence, event))
        if number % RESTOCK_EVERY == 0:
            sku = products[rng.randrange(len(products))][0]
            product_versions[sku] += 1
            yield product_restocked(sku, product_versions[sku], rng.randrange(10, 100),
                                    placed_at, metadata)
    while later:
        yield heapq.heappop(later)[2]
    assert budget == 0, budget


# Writing events -----------------------------------------------------------------------

def sqlite_timestamp(moment: datetime) -> str:
    """A timestamp as the service's UtcDateTime stores it in SQLite (naive UTC)."""
    return moment.astimezone(UTC).strftime("%Y-%m-%d %H:%M:%S.%f")


def write_history(events: Iterable[Event], *, postgres_url: str | None,
                  sqlite_path: str | None, progress: Any = None) -> Counter[str]:
    """Store `events` in the events table of either or both databases, in one pass:
    COPY for PostgreSQL, executemany for SQLite. Returns the count of each type."""
    counts: Counter[str] = Counter()
    insert = (f"INSERT INTO events ({', '.join(EVENT_COLUMNS)}) "
              f"VALUES ({', '.join('?' * len(EVENT_COLUMNS))})")
    batch: list[tuple[object, ...]] = []
    lite = sqlite3.connect(sqlite_path) if sqlite_path else None
    pg = psycopg.connect(postgres_url) if postgres_url else None
    try:
        cursor = pg.cursor() if pg else None
        copy_statement = f"COPY events ({', '.join(EVENT_COLUMNS)}) FROM STDIN"
        with cursor.copy(copy_statement) if cursor else _Nothing() as copy:
            for event in events:
                # json.dumps as SQLAlchemy's JSON type writes it (ASCII escapes); JSONB
                # reads the same values from it.
                data = json.dumps(event.data)
                metadata = json.dumps(event.metadata)
                if copy is not None:
                    copy.write_row((event.stream_id, event.version, event.type, 1, data,
                                    metadata, event.recorded_at))
                if lite is not None:
                    batch.append((event.stream_id, event.version, event.type, 1, data,
                                  metadata, sqlite_timestamp(event.recorded_at)))
                    if len(batch) == 10_000:
                        lite.executemany(insert, batch)
                        batch.clear()
                counts[event.type] += 1
                if progress is not None and counts.total() % 10_000 == 0:
                    progress(10_000)
        if lite is not None and batch:
            lite.executemany(insert, batch)
        if lite is not None:
            lite.commit()
        if pg is not None:
            pg.commit()
    finally:
        if lite is not None:
            lite.close()
        if pg is not None:
            pg.close()
    return counts


class _Nothing:
    def __enter__(self) -> None:
        return None

    def __exit__(self, *_: object) -> None:
        return None


def _copy_events(cursor: psycopg.Cursor[Any], events: Iterable[Event]) -> None:
    with cursor.copy(f"COPY events ({', '.join(EVENT_COLUMNS)}) FROM STDIN") as copy:
        for event in events:
            copy.write_row((event.stream_id, event.version, event.type, 1,
                            json.dumps(event.data), json.dumps(event.metadata),
                            event.recorded_at))


def _copy_rows(cursor: psycopg.Cursor[Any], table: str, rows: Sequence[dict[str, Any]]) -> None:
    if not rows:
        return
    columns = list(rows[0])
    statement = sql.SQL("COPY {} ({}) FROM STDIN").format(
        sql.Identifier(table), sql.SQL(", ").join(sql.Identifier(c) for c in columns))
    with cursor.copy(statement) as copy:
        for row in rows:
            copy.write_row([json.dumps(row[c]) if c in JSON_ORDER_COLUMNS else row[c]
                            for c in columns])


# Seeding a live store -----------------------------------------------------------------

def seed_catalogue(url: str, products: list[Product], stock: int, metadata: Metadata) -> None:
    """ProductAdded and ShippingMethodAdded events with their read-model rows."""
    at = datetime.now(UTC) - timedelta(days=1)
    events = [product_added(p, stock, at, metadata) for p in products]
    events += [shipping_method_added(m, at, metadata) for m in seed.SHIPPING_METHODS]
    with psycopg.connect(url) as connection, connection.cursor() as cursor:
        _copy_events(cursor, events)
        decoded = [decode(e.type, 1, e.data) for e in events]
        _copy_rows(cursor, "products", [product_row(added_product(e)) for e in decoded
                                        if isinstance(e, ProductAdded)])
        _copy_rows(cursor, "shipping_methods", [shipping_method_row(e) for e in decoded
                                                if isinstance(e, ShippingMethodAdded)])


def seed_pool(url: str, products: list[Product], count: int, status: str,
              metadata: Metadata, rng: random.Random, *, ids_from_numbers: bool = False
              ) -> list[tuple[uuid.UUID, int]]:
    """`count` orders in `status` (pending_payment or paid), as if placed (and paid)
    through the API just now: events, orders rows, stock taken and numbers handed out in
    one transaction. Returns (id, number) of each. With `ids_from_numbers` an order's id
    is UUID(int=number), which a pgbench script can compute from the number."""
    assert status in ("pending_payment", "paid")
    with psycopg.connect(url) as connection, connection.cursor() as cursor:
        last = cursor.execute(
            "UPDATE order_numbers SET last_number = last_number + %s WHERE id = 1 "
            "RETURNING last_number", (count,)).fetchone()
        assert last is not None
        first = int(last[0]) - count + 1
        now = datetime.now(UTC)
        events: list[Event] = []
        rows: list[dict[str, Any]] = []
        taken: Counter[str] = Counter()
        for number in range(first, first + count):
            placed_at = now - timedelta(seconds=count - (number - first), microseconds=7)
            told = seed.story(rng, products, number, placed_at, status,
                              order_id=uuid.UUID(int=number) if ids_from_numbers else None)
            if told.paid_at is not None:  # paid a moment later, not days later
                told.paid_at = placed_at + timedelta(milliseconds=rng.randrange(1, 900))
            stream = order_events(told, metadata)
            events += stream
            rows.append(projected_order_row(stream))
            for line in told.lines:
                taken[str(line["sku"])] += int(line["quantity"])  # type: ignore[call-overload]
        _copy_events(cursor, events)
        _copy_rows(cursor, "orders", rows)
        cursor.executemany(
            "UPDATE products SET available = available - %s, updated_at = %s WHERE sku = %s",
            [(quantity, now, sku) for sku, quantity in sorted(taken.items())])
    return [(row["id"], row["number"]) for row in rows]


# Comparing with what the real API stored ----------------------------------------------

def event_shape(value: Any) -> Any:
    """The structure of a JSON value: keys and JSON types, not the values themselves
    (a timestamp string is told apart from other strings)."""
    if isinstance(value, dict):
        return {key: event_shape(item) for key, item in sorted(value.items())}
    if isinstance(value, list):
        shapes = {json.dumps(event_shape(item), sort_keys=True) for item in value}
        return [json.loads(s) for s in sorted(shapes)]
    if isinstance(value, bool):
        return "bool"
    if isinstance(value, int):
        return "int"
    if isinstance(value, str):
        try:
            datetime.fromisoformat(value)
        except ValueError:
            return "str"
        return "timestamp" if "T" in value and value.endswith("Z") else "str"
    return "null" if value is None else type(value).__name__


def merge_shapes(shapes: Iterable[Any]) -> dict[str, set[str]]:
    """Every JSON path seen in `shapes`, with the types seen there (null counts as a
    type: an optional field is str-or-null)."""
    paths: dict[str, set[str]] = {}

    def walk(shape: Any, path: str) -> None:
        if isinstance(shape, dict):
            paths.setdefault(path, set()).add("object")
            for key, item in shape.items():
                walk(item, f"{path}.{key}")
        elif isinstance(shape, list):
            paths.setdefault(path, set()).add("array")
            for item in shape:
                walk(item, f"{path}[]")
        else:
            paths.setdefault(path, set()).add(shape)

    for shape in shapes:
        walk(shape, "$")
    return paths


def compare_shapes(real: Iterable[Any], generated: Iterable[Any]) -> list[str]:
    """Differences between the payloads the API stored and generated ones: paths that
    only one side has, and types the generated side has that the real one never showed.
    (The real sample may show fewer types: an optional field that was null there.)"""
    real_paths = merge_shapes(event_shape(v) for v in real)
    made_paths = merge_shapes(event_shape(v) for v in generated)
    problems = [f"only the API writes {path}" for path in sorted(real_paths.keys()
                                                                 - made_paths.keys())]
    problems += [f"only the generator writes {path}" for path in sorted(made_paths.keys()
                                                                        - real_paths.keys())]
    for path in sorted(real_paths.keys() & made_paths.keys()):
        odd = made_paths[path] - real_paths[path] - {"null"}
        if odd and not (real_paths[path] <= {"null"}):
            problems.append(f"{path}: generated {sorted(odd)}, API {sorted(real_paths[path])}")
    return problems
