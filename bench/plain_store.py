"""The plain app's database, from the harness's side: schema, seed, and its checks.

The plain app (plain_app.py) is a yardstick, so it must be right before its speed means
anything: `refusal_check` places orders over HTTP against a SKU with a stock of 5 and
checks what is refused and what is left; `consistency` checks after the load that each
SKU's stock is its opening stock minus every order's quantities (the plain cancel keeps
its stock sold) and that the events agree with the orders.
"""

from __future__ import annotations

import json
import random
import secrets
import uuid
from dataclasses import dataclass
from typing import Any

import httpx
import plain_app
import psycopg
from sqlalchemy import create_engine

REFUSAL_SKU = "PLAIN-LAST-5"
REFUSAL_STOCK = 5
ADDRESS = {"name": "Ana García", "line1": "Calle Mayor 1", "city": "Madrid",
           "postal_code": "28013", "country": "ES"}
CUSTOMER = {"name": "Ana García", "email": "ana@example.com", "phone": "+34 600 000 000"}


def create_schema(url: str) -> None:
    """The plain app's tables, as its metadata declares them."""
    engine = create_engine(url.replace("postgresql://", "postgresql+psycopg://", 1))
    try:
        plain_app.metadata.create_all(engine)
        with engine.begin() as connection:
            # The gap-free variant numbers from far above the sequence's range.
            connection.execute(plain_app.gap_free_numbers.insert().values(
                id=1, last_number=plain_app.GAP_FREE_FIRST_NUMBER - 1))
    finally:
        engine.dispose()


def new_key() -> str:
    """A fresh API key for the plain app."""
    return f"plain_{secrets.token_urlsafe(24)}"


def seed(url: str, products: list[tuple[str, str, int]], stock: int, token: str) -> None:
    """The catalogue (each SKU `stock` units) and the merchant key `token`."""
    with psycopg.connect(url) as connection, connection.cursor() as cursor:
        cursor.execute("INSERT INTO api_keys (id, key_hash) VALUES (%s, %s)",
                       ("bench", plain_app.key_hash(token)))
        with cursor.copy("COPY stock (sku, name, price, available) FROM STDIN") as copy:
            for sku, name, price in products:
                copy.write_row((sku, name, price, stock))
            copy.write_row((REFUSAL_SKU, "The last five", 1000, REFUSAL_STOCK))


def seed_pool(url: str, skus: list[str], count: int, status: str, rng: random.Random
              ) -> list[str]:
    """`count` orders in `status`, each of 1-3 lines, with their stock taken and their
    OrderPlaced (and OrderPaid) events; their ids in a random order."""
    rows = []
    for _ in range(count):
        chosen = rng.sample(skus, rng.randint(1, 3))
        lines = [{"sku": sku, "name": "Seeded", "quantity": rng.randint(1, 3),
                  "unit_price": 1000, "line_total": 0} for sku in sorted(chosen)]
        for line in lines:
            line["line_total"] = line["unit_price"] * line["quantity"]
        rows.append((uuid.UUID(int=rng.getrandbits(128), version=4), json.dumps(lines)))
    with psycopg.connect(url) as connection, connection.cursor() as cursor:
        cursor.execute("CREATE TEMPORARY TABLE pool (id uuid, lines jsonb) ON COMMIT DROP")
        with cursor.copy("COPY pool (id, lines) FROM STDIN") as copy:
            for row in rows:
                copy.write_row(row)
        cursor.execute("""
            INSERT INTO orders (id, status, customer, lines, shipping_address,
                billing_address, payment_method, shipping_method, subtotal, shipping, tax,
                total, placed_by)
            SELECT id, %(status)s, %(customer)s, lines, %(address)s, %(address)s, 'card',
                   'standard', 3000, 495, 734, 4229, 'bench'
            FROM pool""", {"status": status, "customer": json.dumps(CUSTOMER),
                           "address": json.dumps(ADDRESS)})
        cursor.execute("""
            UPDATE stock SET available = available - sold.quantity
            FROM (SELECT line->>'sku' AS sku, sum((line->>'quantity')::bigint) AS quantity
                  FROM pool, jsonb_array_elements(pool.lines) AS line GROUP BY 1) AS sold
            WHERE stock.sku = sold.sku""")
        types = ["OrderPlaced"] + (["OrderPaid"] if status in ("paid", "shipped") else [])
        for event_type in types:
            cursor.execute("""
                INSERT INTO events (order_id, type, data)
                SELECT id, %s, jsonb_build_object('order_id', id, 'lines', lines) FROM pool""",
                           (event_type,))
    ids = [str(order_id) for order_id, _ in rows]
    rng.shuffle(ids)
    return ids


def refusal_check(base_url: str, token: str, database_url: str) -> list[str]:
    """Orders against a SKU with 5 left: what must be taken is, what must be refused is,
    and a refused order leaves its other lines' stock alone. Problems found (none: [])."""
    problems = []
    steps = [([(REFUSAL_SKU, 3)], 201), ([(REFUSAL_SKU, 3)], 409),
             ([("100001", 1), (REFUSAL_SKU, 3)], 409), ([(REFUSAL_SKU, 2)], 201),
             ([(REFUSAL_SKU, 1)], 409)]
    with httpx.Client(base_url=base_url, timeout=30,
                      headers={"Authorization": f"Bearer {token}"}) as client:
        before = _available(database_url, "100001")
        for lines, expected in steps:
            response = client.post("/v1/orders", json=order_body(lines))
            if response.status_code != expected:
                problems.append(f"order of {lines}: {response.status_code}, not {expected}")
        if _available(database_url, "100001") != before:
            problems.append("a refused order kept the stock of its other line")
        left = _available(database_url, REFUSAL_SKU)
        if left != 0:
            problems.append(f"{REFUSAL_SKU}: {left} left, not 0")
        anonymous = httpx.post(f"{base_url}/v1/orders", json=order_body([(REFUSAL_SKU, 1)]),
                               headers={"Authorization": "Bearer nope"}, timeout=30)
        if anonymous.status_code != 401:
            problems.append(f"an unknown key got {anonymous.status_code}, not 401")
    return problems


def _available(database_url: str, sku: str) -> int:
    with psycopg.connect(database_url) as connection:
        row = connection.execute("SELECT available FROM stock WHERE sku = %s",
                                 (sku,)).fetchone()
    return int(row[0]) if row else -1


def order_body(lines: list[tuple[str, int]]) -> dict[str, Any]:
    """An order body as bench/lua/place_order.lua sends it."""
    return {"customer": CUSTOMER, "lines": [{"sku": s, "quantity": q} for s, q in lines],
            "shipping_address": ADDRESS, "billing_address": ADDRESS,
            "payment_method": "card", "shipping_method": "standard"}


@dataclass(frozen=True)
class Consistency:
    """What the plain app's store says after the load."""

    skus: int
    wrong_skus: list[str]
    orders: int
    events: dict[str, int]
    statuses: dict[str, int]
    without_placed_event: int

    def problems(self) -> list[str]:
        """Each disagreement, in words."""
        found = [f"stock of {sku}" for sku in self.wrong_skus[:3]]
        if self.wrong_skus:
            found[-1] += f" ({len(self.wrong_skus)} SKUs disagree)"
        if self.events.get("OrderPlaced", 0) != self.orders or self.without_placed_event:
            found.append(f"OrderPlaced {self.events.get('OrderPlaced', 0):,} for "
                         f"{self.orders:,} orders, {self.without_placed_event} without one")
        for event_type, status in (("OrderShipped", "shipped"), ("OrderCancelled", "cancelled")):
            if self.events.get(event_type, 0) != self.statuses.get(status, 0):
                found.append(f"{event_type} {self.events.get(event_type, 0):,} vs "
                             f"{self.statuses.get(status, 0):,} {status}")
        paid = self.statuses.get("paid", 0) + self.statuses.get("shipped", 0)
        if self.events.get("OrderPaid", 0) < paid:
            found.append(f"OrderPaid {self.events.get('OrderPaid', 0):,} < {paid:,} paid or "
                         "shipped")
        return found


def consistency(url: str, initial: dict[str, int]) -> Consistency:
    """Stock against every order's quantities; events against the orders."""
    with psycopg.connect(url) as connection:
        rows = connection.execute("""
            SELECT s.sku, s.available, coalesce(sold.quantity, 0)
            FROM stock s LEFT JOIN (
                SELECT line->>'sku' AS sku, sum((line->>'quantity')::bigint) AS quantity
                FROM orders, jsonb_array_elements(orders.lines) AS line GROUP BY 1) sold
            USING (sku)""").fetchall()
        orders = connection.execute("SELECT count(*) FROM orders").fetchone()
        events = dict(connection.execute("SELECT type, count(*) FROM events GROUP BY 1"))
        statuses = dict(connection.execute("SELECT status, count(*) FROM orders GROUP BY 1"))
        missing = connection.execute("""
            SELECT count(*) FROM orders o WHERE NOT EXISTS (
                SELECT 1 FROM events e WHERE e.order_id = o.id AND e.type = 'OrderPlaced')
        """).fetchone()
    wrong = [sku for sku, available, sold in rows if available != initial[sku] - sold]
    return Consistency(skus=len(rows), wrong_skus=wrong, orders=int(orders[0]) if orders else 0,
                       events=events, statuses=statuses,
                       without_placed_event=int(missing[0]) if missing else 0)
