"""A small clothing store with believable orders, for the back office's pages.

Everything goes through the JSON API (the way a storefront and a payment gateway would
put it there), with any httpx client that sends a merchant key: a TestClient or a client
of a real server. The browser tests and docs/screenshots/make_order_page.py use it.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import time
import uuid
from dataclasses import dataclass
from typing import Any

import httpx

GATEWAY_SECRET = "whsec-clothing-store-0123456789"
# The shop runs under German VAT so the totals look like a real Berlin shop's.
STORE_SETTINGS = {"tax_rate": "0.19", "payment_gateway_secret": GATEWAY_SECRET}

PRODUCTS = [
    ("TEE-ORG-WHT-M", "Organic cotton T-shirt, white, M", 2490, 40),
    ("TEE-ORG-BLK-L", "Organic cotton T-shirt, black, L", 2490, 25),
    ("JEANS-SLIM-32", "Slim-fit jeans, indigo, W32 L32", 6900, 12),
    ("HOODIE-GRY-L", "Heavyweight hoodie, heather grey, L", 5490, 8),
    ("SOCKS-MER-3P", "Merino socks, 3-pack", 1250, 60),
    ("BEANIE-RIB-OLV", "Ribbed wool beanie, olive", 1990, 3),
]
SHIPPING = [("dhl-standard", "DHL Standard (2-4 working days)", 495),
            ("dhl-express", "DHL Express (next working day)", 1290)]


def _address(name: str, line1: str, postal_code: str, city: str, country: str, *,
             line2: str | None = None) -> dict[str, Any]:
    return {"name": name, "line1": line1, "line2": line2, "postal_code": postal_code,
            "city": city, "country": country}


LENA = _address("Lena Fischer", "Torstraße 109", "10119", "Berlin", "DE", line2="3. OG links")
CUSTOMERS = [
    ({"name": "Jonas Weber", "email": "jonas.weber@example.de", "phone": "+49 40 5550123"},
     _address("Jonas Weber", "Schanzenstraße 41", "20357", "Hamburg", "DE")),
    ({"name": "Sofia Rossi", "email": "sofia.rossi@example.it", "phone": "+39 02 5550199"},
     _address("Sofia Rossi", "Via Paolo Sarpi 12", "20154", "Milano", "IT")),
    ({"name": "Emma Dubois", "email": "emma.dubois@example.fr", "phone": None},
     _address("Emma Dubois", "12 Rue Mercière", "69002", "Lyon", "FR")),
]


@dataclass(frozen=True)
class Store:
    """What was set up: the showcase order (paid after a declined card) and the others."""

    showcase_order_id: str
    other_order_ids: tuple[str, ...]


def stock_the_store(client: httpx.Client) -> None:
    """Add the catalogue and the shipping methods."""
    for sku, name, price, stock in PRODUCTS:
        _ok(client.post("/v1/products", json={"sku": sku, "name": name, "price": price,
                                              "stock": stock}))
    for code, name, price in SHIPPING:
        _ok(client.post("/v1/shipping-methods", json={"code": code, "name": name,
                                                      "price": price}))


def place(client: httpx.Client, lines: list[tuple[str, int]], customer: dict[str, Any],
          shipping_address: dict[str, Any], *, billing_address: dict[str, Any] | None = None,
          payment_method: str = "card", shipping_method: str = "dhl-standard") -> dict[str, Any]:
    """Place an order as the storefront would; the order's JSON."""
    body = {"customer": customer, "lines": [{"sku": s, "quantity": q} for s, q in lines],
            "shipping_address": shipping_address,
            "billing_address": billing_address or shipping_address,
            "payment_method": payment_method, "shipping_method": shipping_method}
    return _ok(client.post("/v1/orders", json=body))


def notify_payment(client: httpx.Client, order: dict[str, Any], *, succeeded: bool) -> None:
    """Send the payment gateway's signed notification about `order`."""
    body = json.dumps({"id": f"evt_{uuid.uuid4().hex[:16]}", "order_id": order["id"],
                       "status": "succeeded" if succeeded else "failed",
                       "amount": order["total"], "currency": order["currency"],
                       "payment_reference": f"pi_{uuid.uuid4().hex[:14]}"}).encode()
    stamp = int(time.time())
    digest = hmac.new(GATEWAY_SECRET.encode(), f"{stamp}.".encode() + body,
                      hashlib.sha256).hexdigest()
    _ok(client.post("/v1/payment-notifications", content=body, headers={
        "Content-Type": "application/json", "Signature": f"t={stamp},v1={digest}"}))


def open_the_store(client: httpx.Client) -> Store:
    """A stocked store with a few orders in every status (the server needs STORE_SETTINGS)."""
    stock_the_store(client)
    others = []
    for index, (customer, where) in enumerate(CUSTOMERS):
        order = place(client, [("HOODIE-GRY-L", 1), ("TEE-ORG-BLK-L", index + 1)], customer,
                      where, shipping_method="dhl-express" if index == 1 else "dhl-standard")
        others.append(order["id"])
        if index >= 1:
            notify_payment(client, order, succeeded=True)
        if index == 2:
            _ok(client.post(f"/v1/orders/{order['id']}/ship",
                            json={"tracking_number": "00340434161234567890"}))
    cancelled = place(client, [("BEANIE-RIB-OLV", 1)], *CUSTOMERS[0])
    _ok(client.post(f"/v1/orders/{cancelled['id']}/cancel",
                    json={"reason": "customer ordered the wrong colour"}))
    showcase = place(
        client, [("TEE-ORG-WHT-M", 2), ("JEANS-SLIM-32", 1), ("SOCKS-MER-3P", 1)],
        {"name": "Lena Fischer", "email": "lena.fischer@example.de",
         "phone": "+49 30 5550147"}, LENA,
        billing_address=_address("Fischer Design GmbH", "Friedrichstraße 68", "10117",
                                 "Berlin", "DE"))
    notify_payment(client, showcase, succeeded=False)
    notify_payment(client, showcase, succeeded=True)
    return Store(showcase["id"], (*others, cancelled["id"]))


def _ok(response: httpx.Response) -> dict[str, Any]:
    assert response.is_success, f"{response.request.method} {response.request.url}: " \
                                f"{response.status_code} {response.text}"
    answer: dict[str, Any] = response.json()
    return answer
