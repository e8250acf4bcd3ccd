"""The yardstick of issue 13: what a typical team ships, a plain FastAPI app.

    PLAIN_APP_DATABASE_URL=postgresql://... .venv/bin/python bench/plain_app.py --port 8100

FastAPI with SQLAlchemy 2 async over psycopg 3 (`postgresql+psycopg://`), the engine's
default pool, one AsyncSession per request. The routes use the service's paths and
bodies, so the same wrk scripts drive both:

- POST /v1/orders: the Bearer key looked up in the database, then in the same
  transaction one conditional `UPDATE stock ... WHERE available >= q RETURNING` per
  line (409 when one finds no row), the read-model INSERT (its number from a sequence)
  and an event INSERT; 201 with the order.
- POST /v1/orders/{id}/pay | ship | cancel: the key, then one conditional UPDATE (the
  status transition, `WHERE status = ...`) and an event INSERT; 200 with the order. As
  the issue defines this yardstick, a cancel does not hand its stock back.
- GET /noop: nothing at all (no key, no database): the HTTP ceiling.

It has no idempotency, no gap-free numbers, no optimistic concurrency and no feed: it
is a yardstick, not a peer in features. It is served as `order-service serve` is
(uvicorn, the same workers, proxy headers, log configuration and no access log).
"""

from __future__ import annotations

import argparse
import asyncio
import hashlib
import json
import os
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from datetime import datetime
from pathlib import Path
from typing import Annotated, Any, Literal
from uuid import UUID, uuid4

import asyncpg
import uvicorn
from fastapi import Depends, FastAPI, HTTPException, Request, Response
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer
from pydantic import BaseModel, EmailStr, Field
from sqlalchemy import (
    BigInteger,
    CheckConstraint,
    Column,
    DateTime,
    ForeignKey,
    Index,
    MetaData,
    Sequence,
    String,
    Table,
    Uuid,
    func,
    insert,
    select,
    update,
)
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker, create_async_engine

from order_service.observability.logs import log_config

DATABASE_URL_VARIABLE = "PLAIN_APP_DATABASE_URL"
TAX_RATE_PERCENT = 21
SHIPPING_PRICES = {"standard": 495, "express": 995, "pickup": 0}

# The schema ---------------------------------------------------------------------------

metadata = MetaData()
order_numbers = Sequence("order_numbers", metadata=metadata)
api_keys = Table(
    "api_keys", metadata,
    Column("id", String, primary_key=True),
    Column("key_hash", String, nullable=False, unique=True),
    Column("revoked_at", DateTime(timezone=True)),
)
stock = Table(
    "stock", metadata,
    Column("sku", String, primary_key=True),
    Column("name", String, nullable=False),
    Column("price", BigInteger, nullable=False),
    Column("available", BigInteger, nullable=False),
    # Never reached by the plain placement's conditional UPDATE; what makes the bare
    # placement all or nothing.
    CheckConstraint("available >= 0", name="stock_available_not_negative"),
)
orders = Table(
    "orders", metadata,
    Column("id", Uuid, primary_key=True),
    Column("number", BigInteger, server_default=order_numbers.next_value(), nullable=False,
           unique=True),
    Column("status", String, nullable=False),
    Column("customer", JSONB, nullable=False),
    Column("lines", JSONB, nullable=False),
    Column("shipping_address", JSONB, nullable=False),
    Column("billing_address", JSONB, nullable=False),
    Column("payment_method", String, nullable=False),
    Column("shipping_method", String, nullable=False),
    Column("subtotal", BigInteger, nullable=False),
    Column("shipping", BigInteger, nullable=False),
    Column("tax", BigInteger, nullable=False),
    Column("total", BigInteger, nullable=False),
    Column("detail", String),  # payment reference, tracking number or cancel reason
    Column("placed_by", String, ForeignKey("api_keys.id"), nullable=False),
    Column("placed_at", DateTime(timezone=True), nullable=False, server_default=func.now()),
    Column("updated_at", DateTime(timezone=True), nullable=False, server_default=func.now()),
)
# Only the bare placement's gap-free variant uses this: one row, the last number given,
# counting from far above anything the plain app's sequence gives.
GAP_FREE_FIRST_NUMBER = 10**12
gap_free_numbers = Table(
    "gap_free_numbers", metadata,
    Column("id", BigInteger, primary_key=True),
    Column("last_number", BigInteger, nullable=False),
)
events = Table(
    "events", metadata,
    Column("position", BigInteger, primary_key=True, autoincrement=True),
    Column("order_id", Uuid, nullable=False),
    Column("type", String, nullable=False),
    Column("data", JSONB, nullable=False),
    Column("recorded_at", DateTime(timezone=True), nullable=False, server_default=func.now()),
    Index("events_order_id", "order_id"),
)


def key_hash(token: str) -> str:
    """How a key is stored: its SHA-256, never the key itself."""
    return hashlib.sha256(token.encode()).hexdigest()


# HTTP schemas -------------------------------------------------------------------------

class Address(BaseModel):
    name: str = Field(min_length=1, max_length=200)
    line1: str = Field(min_length=1, max_length=200)
    line2: str | None = None
    city: str = Field(min_length=1, max_length=200)
    region: str | None = None
    postal_code: str = Field(min_length=1, max_length=20)
    country: str = Field(pattern=r"^[A-Z]{2}$")


class Customer(BaseModel):
    name: str = Field(min_length=1, max_length=200)
    email: EmailStr
    phone: str | None = None


class LineIn(BaseModel):
    sku: str = Field(min_length=1, max_length=64)
    quantity: int = Field(strict=True, ge=1, le=1_000_000)


class PlaceOrderIn(BaseModel):
    customer: Customer
    lines: list[LineIn] = Field(min_length=1, max_length=100)
    shipping_address: Address
    billing_address: Address
    payment_method: Literal["card", "paypal", "bank_transfer", "cash_on_delivery"]
    shipping_method: Literal["standard", "express", "pickup"]


class PayIn(BaseModel):
    payment_reference: str | None = None


class ShipIn(BaseModel):
    tracking_number: str | None = None


class CancelIn(BaseModel):
    reason: str | None = None


class LineOut(BaseModel):
    sku: str
    name: str
    quantity: int
    unit_price: int
    line_total: int


class OrderOut(BaseModel):
    id: UUID
    number: int
    status: str
    customer: Customer
    lines: list[LineOut]
    shipping_address: Address
    billing_address: Address
    payment_method: str
    shipping_method: str
    subtotal: int
    shipping: int
    tax: int
    total: int
    detail: str | None
    placed_at: datetime
    updated_at: datetime


# The app ------------------------------------------------------------------------------

def create_app() -> FastAPI:
    """The plain app on the database named by PLAIN_APP_DATABASE_URL."""
    url = os.environ[DATABASE_URL_VARIABLE].replace("postgresql://", "postgresql+psycopg://", 1)

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        engine = create_async_engine(url)  # the default pool: 5 connections + 10 overflow
        app.state.sessions = async_sessionmaker(engine, expire_on_commit=False)
        # The bare reads: their own asyncpg pool, and the keys read once, at start.
        app.state.reads = await asyncpg.create_pool(os.environ[DATABASE_URL_VARIABLE],
                                                    min_size=1, max_size=4)
        async with app.state.reads.acquire() as connection:
            app.state.key_hashes = dict(await connection.fetch(
                "SELECT key_hash, id FROM api_keys WHERE revoked_at IS NULL"))
        app.state.bare_gets, app.state.bare_pages = bare_flights(app.state.reads)
        yield
        await app.state.reads.close()
        await engine.dispose()

    app = FastAPI(lifespan=lifespan)
    app.add_api_route("/noop", noop)
    app.add_api_route("/health", noop)
    app.add_api_route("/v1/orders", place_order, methods=["POST"], status_code=201)
    app.add_api_route("/v1/orders", bare_list, methods=["GET"])
    app.add_api_route("/bare/v1/orders", bare_place, methods=["POST"])
    app.add_api_route("/bare-gap-free/v1/orders", bare_place_gap_free, methods=["POST"])
    app.add_api_route("/v1/orders/{order_id}", bare_get, methods=["GET"])
    app.add_api_route("/v1/orders/{order_id}/pay", pay_order, methods=["POST"])
    app.add_api_route("/v1/orders/{order_id}/ship", ship_order, methods=["POST"])
    app.add_api_route("/v1/orders/{order_id}/cancel", cancel_order, methods=["POST"])
    return app


async def get_session(request: Request) -> AsyncIterator[AsyncSession]:
    """One session per request; whatever it did not commit is rolled back."""
    async with request.app.state.sessions() as session:
        yield session


SessionDep = Annotated[AsyncSession, Depends(get_session)]
bearer = HTTPBearer()


async def get_key_id(session: SessionDep,
                     credentials: Annotated[HTTPAuthorizationCredentials, Depends(bearer)]
                     ) -> str:
    """The id of the request's API key, looked up in the database."""
    key_id = await session.scalar(
        select(api_keys.c.id).where(api_keys.c.key_hash == key_hash(credentials.credentials),
                                    api_keys.c.revoked_at.is_(None)))
    if key_id is None:
        raise HTTPException(401, "unknown or revoked API key")
    return key_id


KeyDep = Annotated[str, Depends(get_key_id)]


async def noop() -> dict[str, bool]:
    """Nothing at all."""
    return {"ok": True}


# The bare reads: the simplest design that could meet issue 13's read targets, for the
# service's GET and list page to be measured against in the same run. No middleware, the
# key checked against a set read at start, one asyncpg query whose JSON text is the body.
# As in the service, the reads that arrive while one is in flight go out together: GETs
# as one query for all their ids, list pages as one read shared by all who asked.

def known_key(request: Request) -> None:
    """A 401 unless the Bearer key is one of those read at start."""
    token = request.headers.get("authorization", "").removeprefix("Bearer ")
    if key_hash(token) not in request.app.state.key_hashes:
        raise HTTPException(401, "unknown or revoked API key")


class Flights:
    """Requests that arrive while a read is in flight wait for the next one, together."""

    def __init__(self, read: Callable[[list[Any]], Awaitable[list[Any]]]) -> None:
        self._read = read
        self._waiting: list[tuple[Any, asyncio.Future[Any]]] = []
        self._flying: asyncio.Task[None] | None = None

    async def ask(self, item: Any) -> Any:
        """What the read answers for `item`."""
        future = asyncio.get_running_loop().create_future()
        self._waiting.append((item, future))
        if self._flying is None or self._flying.done():
            self._flying = asyncio.create_task(self._fly())
        return await future

    async def _fly(self) -> None:
        while self._waiting:
            batch, self._waiting = self._waiting, []
            try:
                answers = await self._read([item for item, _ in batch])
            except Exception as error:  # each waiting request gets it
                for _, future in batch:
                    future.set_exception(error)
                continue
            for (_, future), answer in zip(batch, answers, strict=True):
                future.set_result(answer)


def bare_flights(pool: asyncpg.Pool) -> tuple[Flights, Flights]:
    """The batched GET and the shared newest page over `pool`."""
    async def documents(ids: list[UUID]) -> list[str | None]:
        async with pool.acquire() as connection:
            rows = await connection.fetch(
                "SELECT id, row_to_json(orders)::text FROM orders WHERE id = ANY($1)", ids)
        found: dict[UUID, str] = {row[0]: row[1] for row in rows}
        return [found.get(order_id) for order_id in ids]

    async def pages(limits: list[int]) -> list[str]:
        pages: dict[int, str] = {}
        async with pool.acquire() as connection:
            for limit in set(limits):
                rows = await connection.fetch("SELECT row_to_json(orders)::text FROM orders "
                                              "ORDER BY number DESC LIMIT $1", limit)
                pages[limit] = ('{"items":[' + ",".join(row[0] for row in rows)
                                + '],"next_cursor":null}')
        return [pages[limit] for limit in limits]

    return Flights(documents), Flights(pages)


async def bare_get(order_id: UUID, request: Request) -> Response:
    """One order as JSON, built by the database."""
    known_key(request)
    document = await request.app.state.bare_gets.ask(order_id)
    if document is None:
        raise HTTPException(404, "no such order")
    return Response(document, media_type="application/json")


async def bare_list(request: Request, limit: int = 50) -> Response:
    """The newest orders as JSON, built by the database."""
    known_key(request)
    return Response(await request.app.state.bare_pages.ask(limit),
                    media_type="application/json")


# The bare placement: the simplest design that could meet issue 13's place-order target.
# No middleware and no pydantic, the key checked in memory, and the whole placement one
# statement in autocommit (the shape the service's own write has): every line's stock
# taken at once, the order and its event inserted, the order's JSON returned. A line
# that would take stock below zero breaks the stock CHECK and aborts the statement: all
# or nothing. The rows are locked in SKU order first (held), so two orders sharing SKUs
# never deadlock. An unknown SKU leaves the lines taken short, and the order is refused.
BARE_PLACE = """
WITH held AS MATERIALIZED (
    SELECT sku FROM stock WHERE sku = ANY($1::text[]) ORDER BY sku FOR UPDATE),
taken AS (
    UPDATE stock SET available = stock.available - wanted.quantity
    FROM unnest($1::text[], $2::bigint[]) AS wanted(sku, quantity)
    WHERE stock.sku = wanted.sku AND stock.sku IN (SELECT sku FROM held)
    RETURNING stock.sku, stock.name, stock.price, wanted.quantity),
totals AS (
    SELECT jsonb_agg(jsonb_build_object('sku', sku, 'name', name, 'quantity', quantity,
               'unit_price', price, 'line_total', price * quantity) ORDER BY sku) AS lines,
           sum(price * quantity) AS subtotal
    FROM taken HAVING count(*) = cardinality($1::text[])),
placed AS (
    INSERT INTO orders (id, status, customer, lines, shipping_address, billing_address,
                        payment_method, shipping_method, subtotal, shipping, tax, total,
                        placed_by{number_column})
    SELECT $3::uuid, 'pending_payment', $4::jsonb, lines, $5::jsonb, $6::jsonb, $7::text,
           $8::text, subtotal, $9::bigint, div((subtotal + $9::bigint) * $10::bigint, 100),
           subtotal + $9::bigint + div((subtotal + $9::bigint) * $10::bigint, 100), $11::text
           {number_value}
    FROM totals{numbered_from}
    RETURNING *),
recorded AS (
    INSERT INTO events (order_id, type, data)
    SELECT id, 'OrderPlaced', to_jsonb(placed) FROM placed)
SELECT row_to_json(placed)::text FROM placed
"""
# The same with gap-free numbers, as the service gives them: the one counter row is
# taken (and held until COMMIT) only once every line's stock was.
GAP_FREE_NUMBER = """
numbered AS (
    UPDATE gap_free_numbers SET last_number = last_number + 1
    WHERE id = 1 AND EXISTS (SELECT FROM totals) RETURNING last_number),"""
BARE_PLACE_WITH_SEQUENCE = BARE_PLACE.format(number_column="", number_value="",
                                             numbered_from="")
BARE_PLACE_GAP_FREE = BARE_PLACE.replace("placed AS (", GAP_FREE_NUMBER.strip() + "\nplaced AS (",
                                         1).format(number_column=", number",
                                                   number_value=", numbered.last_number",
                                                   numbered_from=", numbered")


async def bare_place(request: Request) -> Response:
    """Place an order in one statement; 201 with the order, 409 if it cannot be filled."""
    return await _bare_place(request, BARE_PLACE_WITH_SEQUENCE)


async def bare_place_gap_free(request: Request) -> Response:
    """The same, numbered from the one-row counter instead of a sequence."""
    return await _bare_place(request, BARE_PLACE_GAP_FREE)


async def _bare_place(request: Request, statement: str) -> Response:
    key_id = request.app.state.key_hashes.get(key_hash(
        request.headers.get("authorization", "").removeprefix("Bearer ")))
    if key_id is None:
        raise HTTPException(401, "unknown or revoked API key")
    body = json.loads(await request.body())
    lines = body["lines"]
    shipping = SHIPPING_PRICES[body["shipping_method"]]
    try:
        async with request.app.state.reads.acquire() as connection:
            placed = await connection.fetchval(
                statement, [line["sku"] for line in lines],
                [line["quantity"] for line in lines], uuid4(), json.dumps(body["customer"]),
                json.dumps(body["shipping_address"]), json.dumps(body["billing_address"]),
                body["payment_method"], body["shipping_method"], shipping, TAX_RATE_PERCENT,
                key_id)
    except asyncpg.CheckViolationError:
        placed = None
    if placed is None:
        raise HTTPException(409, "out of stock or unknown")
    return Response(placed, status_code=201, media_type="application/json")


async def place_order(body: PlaceOrderIn, session: SessionDep, key_id: KeyDep) -> OrderOut:
    """Take the stock of every line, record the order and its event, in one transaction."""
    lines = []
    # In SKU order, so that two orders sharing SKUs lock their rows in the same order
    # and never deadlock.
    for line in sorted(body.lines, key=lambda line: line.sku):
        taken = (await session.execute(
            update(stock)
            .where(stock.c.sku == line.sku, stock.c.available >= line.quantity)
            .values(available=stock.c.available - line.quantity)
            .returning(stock.c.name, stock.c.price))).first()
        if taken is None:
            await session.rollback()
            raise HTTPException(409, f"{line.sku}: out of stock or unknown")
        lines.append({"sku": line.sku, "name": taken.name, "quantity": line.quantity,
                      "unit_price": taken.price, "line_total": taken.price * line.quantity})
    subtotal = sum(line["line_total"] for line in lines)
    shipping = SHIPPING_PRICES[body.shipping_method]
    tax = (subtotal + shipping) * TAX_RATE_PERCENT // 100
    values = {
        "id": uuid4(), "status": "pending_payment",
        "customer": body.customer.model_dump(mode="json"), "lines": lines,
        "shipping_address": body.shipping_address.model_dump(mode="json"),
        "billing_address": body.billing_address.model_dump(mode="json"),
        "payment_method": body.payment_method, "shipping_method": body.shipping_method,
        "subtotal": subtotal, "shipping": shipping, "tax": tax,
        "total": subtotal + shipping + tax, "placed_by": key_id,
    }
    row = (await session.execute(insert(orders).values(values).returning(*orders.c))).one()
    await session.execute(insert(events).values(
        order_id=row.id, type="OrderPlaced",
        data={**values, "id": str(row.id), "number": row.number,
              "placed_at": row.placed_at.isoformat()}))
    await session.commit()
    return OrderOut.model_validate(row._asdict())


async def _transition(session: AsyncSession, order_id: UUID, *, to: str,
                      allowed: tuple[str, ...], event_type: str, detail: str | None
                      ) -> OrderOut:
    """One conditional UPDATE and one event INSERT: 404 or 409 when the UPDATE misses."""
    row = (await session.execute(
        update(orders)
        .where(orders.c.id == order_id, orders.c.status.in_(allowed))
        .values(status=to, detail=detail, updated_at=func.now())
        .returning(*orders.c))).first()
    if row is None:
        status = await session.scalar(select(orders.c.status).where(orders.c.id == order_id))
        if status is None:
            raise HTTPException(404, "no such order")
        raise HTTPException(409, f"the order is {status}")
    data: dict[str, Any] = {"order_id": str(order_id), "detail": detail,
                            "at": row.updated_at.isoformat()}
    await session.execute(insert(events).values(order_id=order_id, type=event_type,
                                                data=data))
    await session.commit()
    return OrderOut.model_validate(row._asdict())


async def pay_order(order_id: UUID, body: PayIn, session: SessionDep, _key: KeyDep
                    ) -> OrderOut:
    """A pending order becomes paid."""
    return await _transition(session, order_id, to="paid", allowed=("pending_payment",),
                             event_type="OrderPaid", detail=body.payment_reference)


async def ship_order(order_id: UUID, body: ShipIn, session: SessionDep, _key: KeyDep
                     ) -> OrderOut:
    """A paid order becomes shipped."""
    return await _transition(session, order_id, to="shipped", allowed=("paid",),
                             event_type="OrderShipped", detail=body.tracking_number)


async def cancel_order(order_id: UUID, body: CancelIn, session: SessionDep, _key: KeyDep
                       ) -> OrderOut:
    """A pending or paid order becomes cancelled (its stock stays sold: see above)."""
    return await _transition(session, order_id, to="cancelled",
                             allowed=("pending_payment", "paid"), event_type="OrderCancelled",
                             detail=body.reason)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=8100)
    parser.add_argument("--workers", type=int, default=2)
    args = parser.parse_args()
    # The call order_service.cli.serve._serve makes, with this app instead.
    uvicorn.run("plain_app:create_app", factory=True, host=args.host, port=args.port,
                workers=args.workers, proxy_headers=True, log_config=log_config("info"),
                access_log=False, app_dir=str(Path(__file__).resolve().parent))


if __name__ == "__main__":
    main()
