"""What a billing system does with the order export: walk its pages, read its formats.

Also builds the shops the export and report tests look at. Every expectation here is
derived from the API's own answers (GET /v1/orders/{id}), never from the code under test.
"""

from __future__ import annotations

import csv
import io
import json
import re
from collections.abc import Iterable
from typing import Any
from uuid import UUID, uuid4

import httpx
from sqlalchemy import insert, select, update

from order_service.adapters.sql.engine import make_engine
from order_service.projections import tables
from tests.e2e.builders import (
    JsonObject,
    create_product,
    create_shipping_method,
    customer,
    get_json,
    line,
    place_order,
)

EXPORT = "/v1/orders/export"
STATUSES = ("pending_payment", "paid", "shipped", "cancelled")
MONEY = ("subtotal", "shipping", "tax", "total")
# What the report sums besides the orders' money: what was given back on them.
REFUNDED = "refunded"
_NEXT_LINK = re.compile(r'<([^>]*)>\s*;\s*rel="next"')


# -- pages ------------------------------------------------------------------------------


def next_link(response: httpx.Response) -> str | None:
    """The URL of the next page from an RFC 8288 `Link: <...>; rel="next"` header."""
    header = response.headers.get("link")
    if header is None:
        return None
    match = _NEXT_LINK.fullmatch(header.strip())
    assert match is not None, f"not a next link: {header!r}"
    return match.group(1)


def walk_by_link(client: httpx.Client, **params: Any) -> list[httpx.Response]:
    """Every page of the export, following Link headers from the first."""
    pages = [_page(client, EXPORT, params)]
    while (url := next_link(pages[-1])) is not None:
        pages.append(_page(client, url, None))
        assert len(pages) < 1000, "the Link headers never end"
    return pages


def exported_orders(client: httpx.Client, **params: Any) -> list[JsonObject]:
    """Every order the JSON export lists for these filters, all pages, in order."""
    return [item for page in walk_by_link(client, **params, format="json")
            for item in page.json()["items"]]


def ndjson_records(text: str) -> list[JsonObject]:
    """The objects of an NDJSON text (each line must be one JSON object)."""
    assert text == "" or text.endswith("\n"), "NDJSON lines end with a line feed"
    return [json.loads(row) for row in text.splitlines()]


def ndjson_page_records(text: str) -> list[JsonObject]:
    """The orders of an NDJSON page, which must be whole: its last line is the trailer
    `{"complete": true, "count": N}`, N counting the lines before it."""
    records = ndjson_records(text)
    assert records, "an NDJSON page ends with its trailer line"
    *orders, trailer = records
    assert trailer == {"complete": True, "count": len(orders)}, f"no trailer: {trailer}"
    return orders


def csv_rows(text: str) -> tuple[list[str], list[dict[str, str]]]:
    """The header and rows of a whole CSV page, read as a spreadsheet import would.

    The page's last line must be its trailer `#complete,N`, N counting the orders (not
    the rows) before it; it is left out of the rows.
    """
    rows = list(csv.reader(io.StringIO(text, newline="")))
    assert len(rows) >= 2, "a CSV page has a header and a trailer"
    (header, *body), trailer = rows[:-1], rows[-1]
    assert all(len(row) == len(header) for row in body), "every row has every column"
    records = [dict(zip(header, row, strict=True)) for row in body]
    assert trailer == ["#complete", str(len({row["id"] for row in records}))], trailer
    return header, records


def _page(client: httpx.Client, url: str, params: dict[str, Any] | None) -> httpx.Response:
    response = client.get(url, params=params)
    assert response.status_code == 200, response.text
    return response


# -- shops ------------------------------------------------------------------------------


def place_orders(client: httpx.Client, count: int, **overrides: Any) -> list[JsonObject]:
    """`count` one-line orders of a fresh product, oldest first."""
    product = create_product(client, stock=max(count, 1) * 3)
    method = create_shipping_method(client)
    return [place_order(client, [line(product["sku"])], method["code"], **overrides)
            for _ in range(count)]


def act(client: httpx.Client, order: JsonObject, action: str, **body: Any) -> JsonObject:
    """Pay, ship or cancel an order; return it as answered."""
    response = client.post(f"/v1/orders/{order['id']}/{action}", json=body or None)
    assert response.status_code == 200, response.text
    changed: JsonObject = response.json()
    return changed


def refund(client: httpx.Client, order: JsonObject, amount: int, **body: Any) -> JsonObject:
    """Give back `amount` of a paid or shipped order; return it as answered."""
    response = client.post(f"/v1/orders/{order['id']}/refunds",
                           json={"amount": amount, "reason": "sent back", **body})
    assert response.status_code == 201, response.text
    refunded: JsonObject = response.json()
    return refunded


def varied_shop(client: httpx.Client) -> list[JsonObject]:
    """Orders in every status, with several products, quantities and shipping methods;
    refunds on a paid order (in part), on two shipped ones (one line's goods restocked,
    and one in full) and on a paid order cancelled afterwards.

    Returns the orders as GET shows them now, oldest first.
    """
    products = [create_product(client, price=price, stock=200)
                for price in (4990, 1250, 99, 31_999)]
    methods = [create_shipping_method(client, price=price) for price in (495, 0, 1290)]
    orders = []
    for index in range(14):
        lines = [line(products[(index + k) % len(products)]["sku"], quantity=1 + (index + k) % 3)
                 for k in range(1 + index % 3)]
        orders.append(place_order(client, lines, methods[index % len(methods)]["code"],
                                  customer=customer(name=f"Buyer {index}")))
    for index, order in enumerate(orders):
        if index % 4 in (1, 2):
            act(client, order, "pay", payment_reference=f"PAY-{index}")
        if index % 4 == 2:
            act(client, order, "ship", tracking_number=f"TRACK-{index}")
        if index in (1, 5):
            refund(client, order, 100 * index, reason="parcel arrived late")
        if index == 2:
            sold = order["lines"][0]
            refund(client, order, sold["unit_price"], lines=[line(sold["sku"])], restock=True)
        if index == 6:
            refund(client, order, order["total"], reason="never arrived")
        if index % 4 == 3 or index % 7 == 1:  # pending ones and a paid one cancelled
            act(client, order, "cancel", reason=f"reason {index}")
    return [get_json(client, f"/v1/orders/{order['id']}") for order in orders]


def large_order(client: httpx.Client, lines: int = 100) -> JsonObject:
    """An order of `lines` lines of products with 200-character names (~29 KB as JSON)."""
    method = create_shipping_method(client)
    products = [create_product(client, name=f"{index:03d} {'long product name ' * 11}"[:200],
                               stock=1) for index in range(lines)]
    return place_order(client, [line(product["sku"]) for product in products],
                       method["code"])


def copies_of(database_url: str, order: JsonObject, copies: int) -> None:
    """`copies` more orders like `order` (the newest) in the orders read model.

    The export reads only that table, so copies of one order placed through the API
    stand in for orders placed one by one, as in bench/seed.py: a shop whose pages are
    megabytes takes a second to make instead of a minute.
    """
    engine = make_engine(database_url, pool_size=1)
    try:
        with engine.begin() as connection:
            row = connection.execute(select(tables.orders).where(
                tables.orders.c.id == UUID(order["id"]))).mappings().one()
            connection.execute(insert(tables.orders), [
                {**row, "id": uuid4(), "number": row["number"] + k}
                for k in range(1, copies + 1)])
            connection.execute(update(tables.order_numbers).values(
                last_number=row["number"] + copies))
    finally:
        engine.dispose()


def figures(orders: Iterable[JsonObject]) -> JsonObject:
    """The number of orders and the sum of each money field and of what was refunded on
    them, as the report shows them."""
    chosen = list(orders)
    return {"orders": len(chosen),
            **{key: sum(o[key] for o in chosen) for key in (*MONEY, REFUNDED)}}
