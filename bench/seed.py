"""Bench databases: a throwaway PostgreSQL database filled with realistic orders, fast.

Placing a million orders through the API would take hours, and the export reads only
the read models, so this loads the `orders` read model (with the `products`,
`shipping_methods` and `order_numbers` rows that go with it) straight from generated
rows with COPY. No events are written: nothing the export does reads them, and a
million OrderPlaced rows would double the seeding time and disk for no figure.
Such a database must not be given to `order-service rebuild-projections` (it would
replay zero events into empty read models); it exists only for the bench and is
dropped afterwards.

    $(BIN)/python bench/seed.py --orders 50000 --keep   # make one to look at by hand
"""

# ruff: noqa: S311, S603 (made-up orders, not secrets; runs the installed order-service)
from __future__ import annotations

import argparse
import json
import os
import random
import subprocess
import sys
import time
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

import psycopg
from psycopg import sql
from tqdm import tqdm

from order_service.application.views import OrderView
from order_service.domain.values import Address, Customer, OrderLine, OrderStatus
from order_service.projections.orders import stored_document

ADMIN_URL = os.environ.get("BENCH_POSTGRES_URL", "postgresql://postgres@127.0.0.1:5432/postgres")
COMMAND = Path(sys.executable).with_name("order-service")

CURRENCY = "EUR"
TAX_PERCENT = 21  # the service's default ORDER_SERVICE_TAX_RATE, 0.21
TAX_RATE = "0.21"
FIRST_PLACED_AT = datetime(2024, 1, 1, tzinfo=UTC)
PRODUCTS = 500
SHIPPING_METHODS = (("standard", "Standard (2-4 days)", 495),
                    ("express", "Express (next day)", 995),
                    ("pickup", "Pick up in store", 0))
PAYMENT_METHODS = ("bank_transfer", "card", "paypal", "cash_on_delivery")
# Roughly a live shop's mix: most orders long shipped, some waiting, some cancelled.
STATUSES = (("shipped", 62), ("paid", 14), ("pending_payment", 12), ("cancelled", 12))
FIRST_NAMES = ("Anna", "Bram", "Chloé", "Daan", "Emma", "Fatima", "Gijs", "Hanna", "Ilse",
               "Jörg", "Kees", "Lotte", "Mila", "Noah", "Óscar", "Pieter", "Rosa", "Sven",
               "Thijs", "Zoë", "Émile", "Łukasz", "Søren", "Yara")
LAST_NAMES = ("de Vries", "Jansen", "Müller", "Bakker", "Visser", "Smit", "Meijer", "Dubois",
              "García", "Rossi", "Nowak", "Kowalski", "O'Brien", "van den Berg", "Dijkstra",
              "Hoekstra", "Peters", "Mulder", "Schäfer", "Nguyen")
STREETS = ("Keizersgracht", "Hoofdstraat", "Dorpsstraat", "Kerkstraat", "Rue de la Paix",
           "Bahnhofstraße", "Stationsweg", "Molenweg", "Calle Mayor", "Via Roma")
CITIES = (("Amsterdam", "NL", "Noord-Holland"), ("Utrecht", "NL", "Utrecht"),
          ("Rotterdam", "NL", "Zuid-Holland"), ("Antwerpen", "BE", None),
          ("Berlin", "DE", "Berlin"), ("Köln", "DE", None), ("Paris", "FR", "Île-de-France"),
          ("Madrid", "ES", None), ("Milano", "IT", "Lombardia"), ("Wien", "AT", None))
PRODUCT_WORDS = ("Leather sandals", "Linen shirt", "Wool scarf", "Canvas tote", "Rain jacket",
                 "Cotton socks", "Denim jeans", "Silk tie", "Knit beanie", "Suede boots")
CANCEL_REASONS = ("customer asked", "payment not received in time", "duplicate order",
                  "address could not be served")

ORDER_COLUMNS = (
    "id", "number", "status", "currency", "customer_name", "customer_email", "customer_phone",
    "lines", "shipping_address", "billing_address", "payment_method", "shipping_method",
    "shipping_method_name", "subtotal", "shipping", "tax_rate", "tax", "total", "placed_at",
    "paid_at", "shipped_at", "cancelled_at", "updated_at", "payment_reference",
    "tracking_number", "cancel_reason", "version", "document",
)


@dataclass(frozen=True)
class BenchDatabase:
    """A database made for one bench run."""

    name: str
    url: str  # for order-service (ORDER_SERVICE_DATABASE_URL) and psycopg alike


def create_database(admin_url: str = ADMIN_URL, prefix: str = "bench_export",
                    template: str | None = None) -> BenchDatabase:
    """A fresh database <prefix>_<random> on the server of `admin_url` (empty, or a copy
    of `template`)."""
    name = f"{prefix}_{uuid.uuid4().hex[:12]}"
    statement = sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name))
    if template is not None:
        statement = sql.SQL("{} TEMPLATE {}").format(statement, sql.Identifier(template))
    with psycopg.connect(admin_url, autocommit=True) as admin:
        admin.execute(statement)
    return BenchDatabase(name=name, url=_same_server(admin_url, name))


def drop_database(database: BenchDatabase, admin_url: str = ADMIN_URL) -> None:
    """Drop the bench database, closing whatever is still connected to it."""
    with psycopg.connect(admin_url, autocommit=True) as admin:
        admin.execute(sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(
            sql.Identifier(database.name)))


def migrate(database: BenchDatabase) -> None:
    """`order-service migrate`: the schema exactly as the service makes it."""
    subprocess.run([str(COMMAND), "migrate"], env=service_env(database), check=True,
                   stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)


def service_env(database: BenchDatabase, **settings: str) -> dict[str, str]:
    """The environment for an order-service process on `database` (no caller's settings)."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("ORDER_SERVICE_")}
    env["ORDER_SERVICE_DATABASE_URL"] = database.url
    # A throwaway server's; the placeholder is refused on PostgreSQL.
    env["ORDER_SERVICE_CURSOR_SECRET"] = "bench-cursor-secret"  # noqa: S105
    env.update({f"ORDER_SERVICE_{k.upper()}": v for k, v in settings.items()})
    return env


def seed_catalogue(database: BenchDatabase) -> None:
    """The products and shipping methods the generated orders refer to."""
    added = FIRST_PLACED_AT - timedelta(days=30)
    with psycopg.connect(database.url) as connection, connection.cursor() as cursor:
        with cursor.copy("COPY products (sku, name, price, currency, available, added_at, "
                         "updated_at) FROM STDIN") as copy:
            for sku, name, price in _products():
                copy.write_row((sku, name, price, CURRENCY, 1_000_000, added, added))
        with cursor.copy("COPY shipping_methods (code, name, price, currency, added_at) "
                         "FROM STDIN") as copy:
            for code, name, price in SHIPPING_METHODS:
                copy.write_row((code, name, price, CURRENCY, added))


def seed_orders(database: BenchDatabase, first_number: int, count: int,
                label: str = "seeding orders") -> float:
    """COPY `count` orders numbered from `first_number` into the read model; seconds taken.

    Then moves order_numbers.last_number on, and VACUUM ANALYZEs and CHECKPOINTs so that
    neither hint-bit writes nor a checkpoint land inside a measurement.
    """
    started = time.perf_counter()
    rng = random.Random(first_number)
    products = _products()
    columns = sql.SQL(", ").join(sql.Identifier(c) for c in ORDER_COLUMNS)
    with psycopg.connect(database.url) as connection, connection.cursor() as cursor:
        with (cursor.copy(sql.SQL("COPY orders ({}) FROM STDIN").format(columns)) as copy,
              tqdm(total=count, unit="order", desc=label, file=sys.stderr,
                   mininterval=1.0) as bar):
            pending = 0
            for row in _orders(rng, products, first_number, count):
                copy.write_row(row)
                pending += 1
                if pending == 10_000:
                    bar.update(pending)
                    pending = 0
            bar.update(pending)
        cursor.execute("UPDATE order_numbers SET last_number = %s WHERE id = 1",
                       (first_number + count - 1,))
    with psycopg.connect(database.url, autocommit=True) as connection:
        print(f"{label}: VACUUM ANALYZE, CHECKPOINT ...", file=sys.stderr)
        connection.execute("VACUUM (ANALYZE) orders")
        connection.execute("ANALYZE products")
        connection.execute("ANALYZE shipping_methods")
        connection.execute("CHECKPOINT")
    return time.perf_counter() - started


def _same_server(admin_url: str, name: str) -> str:
    # postgresql://user@host:port/db -> the same server's database `name`.
    if not admin_url.startswith(("postgresql://", "postgres://")):
        raise ValueError(f"BENCH_POSTGRES_URL must be a postgresql:// URL, not {admin_url!r}")
    head, _, tail = admin_url.partition("://")
    authority, _, rest = tail.partition("/")
    query = rest.partition("?")[2]
    return f"{head}://{authority}/{name}" + (f"?{query}" if query else "")


def _products() -> list[tuple[str, str, int]]:
    return catalogue_products(PRODUCTS, lambda index: f"SKU-{index:05d}")


def catalogue_products(count: int, sku: Callable[[int], str], seed: int = 7
                       ) -> list[tuple[str, str, int]]:
    """`count` products (SKU, name, price in cents), the same for the same arguments."""
    rng = random.Random(seed)
    return [
        (sku(index), f"{PRODUCT_WORDS[index % len(PRODUCT_WORDS)]} #{index}",
         rng.randrange(299, 24_999))
        for index in range(count)
    ]


def _address(rng: random.Random, name: str) -> dict[str, str | None]:
    # In the field order of order_service.domain.values.Address, as the service stores it.
    city, country, region = CITIES[rng.randrange(len(CITIES))]
    return {
        "name": name,
        "line1": f"{STREETS[rng.randrange(len(STREETS))]} {rng.randrange(1, 400)}",
        "city": city,
        "postal_code": f"{rng.randrange(1000, 9999)} {chr(65 + rng.randrange(26))}"
                       f"{chr(65 + rng.randrange(26))}",
        "country": country,
        "line2": f"apartment {rng.randrange(1, 60)}" if rng.random() < 0.3 else None,
        "region": region,
    }


@dataclass
class Story:
    """One generated order and what happened to it: enough for its row and its events."""

    id: uuid.UUID
    number: int
    status: str
    customer: dict[str, str | None]  # name, email, phone (the Customer field order)
    lines: list[dict[str, object]]  # sku, name, quantity, unit_price, line_total
    shipping_address: dict[str, str | None]
    billing_address: dict[str, str | None]
    payment_method: str
    shipping_method: str
    shipping_method_name: str
    subtotal: int
    shipping: int
    tax: int
    total: int
    placed_at: datetime
    paid_at: datetime | None = None
    payment_reference: str | None = None
    shipped_at: datetime | None = None
    tracking_number: str | None = None
    cancelled_at: datetime | None = None
    cancel_reason: str | None = None

    @property
    def version(self) -> int:
        """How many events the order's stream holds."""
        return 1 + sum(at is not None for at in (self.paid_at, self.shipped_at,
                                                  self.cancelled_at))


def random_uuid(rng: random.Random) -> uuid.UUID:
    """A version-4 UUID drawn from `rng` (reproducible, unlike uuid4())."""
    return uuid.UUID(int=rng.getrandbits(128), version=4)


def random_status(rng: random.Random, weights: tuple[tuple[str, int], ...] = STATUSES) -> str:
    """A status drawn with `weights`."""
    return rng.choices([s for s, _ in weights], [w for _, w in weights])[0]


def story(rng: random.Random, products: list[tuple[str, str, int]], number: int,
          placed_at: datetime, status: str, *, cancel_after_pay: float = 0.3,
          order_id: uuid.UUID | None = None) -> Story:
    """A realistic order numbered `number`, placed at `placed_at`, now in `status`."""
    first, last = (FIRST_NAMES[rng.randrange(len(FIRST_NAMES))],
                   LAST_NAMES[rng.randrange(len(LAST_NAMES))])
    name = f"{first} {last}"
    email = (f"{first}.{last}".lower().replace(" ", "").replace("'", "")
             .encode("ascii", "ignore").decode() + f"{number}@example.com")
    lines: list[dict[str, object]] = []
    subtotal = 0
    for sku, product_name, price in rng.sample(products, rng.choice((1, 1, 2, 2, 3))):
        quantity = rng.choice((1, 1, 1, 2, 3))
        lines.append({"sku": sku, "name": product_name, "quantity": quantity,
                      "unit_price": price, "line_total": price * quantity})
        subtotal += price * quantity
    code, method_name, shipping = SHIPPING_METHODS[rng.randrange(len(SHIPPING_METHODS))]
    tax = ((subtotal + shipping) * TAX_PERCENT + 50) // 100  # half up, like Money
    shipping_address = _address(rng, name)
    billing_address = shipping_address if rng.random() < 0.8 else _address(rng, name)
    phone = f"+31 6 {rng.randrange(10_000_000, 99_999_999)}" if rng.random() < 0.7 else None
    told = Story(
        id=order_id or random_uuid(rng), number=number,
        status=status, customer={"name": name, "email": email, "phone": phone}, lines=lines,
        shipping_address=shipping_address, billing_address=billing_address,
        payment_method=PAYMENT_METHODS[rng.randrange(len(PAYMENT_METHODS))],
        shipping_method=code, shipping_method_name=method_name, subtotal=subtotal,
        shipping=shipping, tax=tax, total=subtotal + shipping + tax, placed_at=placed_at,
    )
    if status in ("paid", "shipped") or (status == "cancelled"
                                         and rng.random() < cancel_after_pay):
        told.paid_at = placed_at + timedelta(seconds=rng.randrange(60, 2 * 86_400))
        told.payment_reference = f"PAY-{rng.getrandbits(40):010x}"
    if status == "shipped":
        assert told.paid_at is not None
        told.shipped_at = told.paid_at + timedelta(seconds=rng.randrange(3_600, 4 * 86_400))
        told.tracking_number = f"3S{rng.getrandbits(48):012X}"
    if status == "cancelled":
        told.cancelled_at = ((told.paid_at or placed_at)
                             + timedelta(seconds=rng.randrange(60, 86_400)))
        told.cancel_reason = CANCEL_REASONS[rng.randrange(len(CANCEL_REASONS))]
    return told


def order_row(told: Story) -> tuple[object, ...]:
    """The `orders` read-model row of a story, in ORDER_COLUMNS order."""
    updated_at = told.cancelled_at or told.shipped_at or told.paid_at or told.placed_at
    view = OrderView(
        id=told.id, number=told.number, status=OrderStatus(told.status), currency=CURRENCY,
        customer=Customer(**told.customer),
        lines=tuple(OrderLine(**line) for line in told.lines),
        subtotal=told.subtotal, shipping=told.shipping, tax_rate=TAX_RATE, tax=told.tax,
        total=told.total, shipping_address=Address(**told.shipping_address),
        billing_address=Address(**told.billing_address),
        payment_method=told.payment_method, shipping_method=told.shipping_method,
        shipping_method_name=told.shipping_method_name, placed_at=told.placed_at,
        paid_at=told.paid_at, shipped_at=told.shipped_at, cancelled_at=told.cancelled_at,
        updated_at=updated_at, payment_reference=told.payment_reference,
        tracking_number=told.tracking_number, cancel_reason=told.cancel_reason,
        version=told.version)
    return (
        told.id, told.number, told.status, CURRENCY, told.customer["name"],
        told.customer["email"], told.customer["phone"],
        json.dumps(told.lines, ensure_ascii=False),
        json.dumps(told.shipping_address, ensure_ascii=False),
        json.dumps(told.billing_address, ensure_ascii=False),
        told.payment_method, told.shipping_method, told.shipping_method_name,
        told.subtotal, told.shipping, TAX_RATE, told.tax, told.total, told.placed_at,
        told.paid_at, told.shipped_at, told.cancelled_at, updated_at,
        told.payment_reference, told.tracking_number, told.cancel_reason, told.version,
        stored_document(view),
    )


def _orders(rng: random.Random, products: list[tuple[str, str, int]], first_number: int,
            count: int) -> Iterator[tuple[object, ...]]:
    minute = 60
    for number in range(first_number, first_number + count):
        # About one order a minute, in number order, like a real shop's history.
        placed_at = FIRST_PLACED_AT + timedelta(seconds=number * minute + rng.randrange(minute))
        yield order_row(story(rng, products, number, placed_at, random_status(rng)))


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--orders", type=int, default=50_000)
    parser.add_argument("--admin-url", default=ADMIN_URL)
    parser.add_argument("--keep", action="store_true", help="keep the database (print its URL)")
    args = parser.parse_args()
    database = create_database(args.admin_url)
    try:
        migrate(database)
        seed_catalogue(database)
        seconds = seed_orders(database, 1, args.orders)
        print(f"seeded {args.orders} orders in {seconds:.1f} s into {database.url}")
    finally:
        if not args.keep:
            drop_database(database, args.admin_url)
    return 0


if __name__ == "__main__":
    sys.exit(main())
